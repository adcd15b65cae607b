//! Containers end to end: `reel video-info`, `import` and `export-mp4` on
//! media made with ffmpeg and on third-party files, checked with ffprobe,
//! ffmpeg and mediainfo.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// `reel video-info --timestamps` equals ffprobe's packet PTS list.
fn assert_timestamps_match(media: &Path) {
    let ours: Vec<i64> = reel_ok(&["video-info", "--timestamps", media.to_str().unwrap()])
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let theirs = ffprobe_pts_ns(media);
    assert!(!ours.is_empty(), "{}: no frames", media.display());
    assert_eq!(
        ours,
        theirs,
        "{}: frame timestamps differ from ffprobe's",
        media.display()
    );
}

/// Per-frame MD5s of the decoded pictures, as ffmpeg computes them.
fn decoded_frame_md5s(path: &Path) -> Vec<String> {
    let o = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_owned()))
        .collect()
}

/// Import as stream, export to MP4, and compare packets with the source.
/// AV1 from IVF carries temporal delimiter OBUs, which MP4 forbids: there
/// the decoded frames are compared instead of the packet bytes.
fn assert_round_trip(media: &Path, dir: &Path, fragmented: bool) -> PathBuf {
    let stem = media
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace('.', "_");
    let rec = dir.join(format!("{stem}.reel"));
    let out = dir.join(format!(
        "{stem}{}.mp4",
        if fragmented { "_frag" } else { "" }
    ));
    reel_ok(&[
        "import",
        media.to_str().unwrap(),
        "-o",
        rec.to_str().unwrap(),
        "--as",
        "stream",
    ]);
    let mut args = vec![
        "export-mp4",
        rec.to_str().unwrap(),
        "-e",
        "/video",
        "-o",
        out.to_str().unwrap(),
    ];
    if fragmented {
        args.push("--fragmented");
    }
    reel_ok(&args);
    let (src, src_tb) = ffprobe_packets(media);
    let (dst, dst_tb) = ffprobe_packets(&out);
    let name = media.display();
    assert_eq!(src.len(), dst.len(), "{name}: packet count");
    assert_eq!(src_tb, dst_tb, "{name}: time base");
    // Export starts presentation at zero; a source that does not is shifted by a constant.
    let shift = src[0].pts.unwrap_or(0) - dst[0].pts.unwrap_or(0);
    let src_has_dts = src.iter().all(|p| p.dts.is_some());
    // A source whose frames share one timestamp cannot keep it in MP4
    // (DTS must increase); export moves them forward as ffmpeg does.
    let mut distinct: Vec<Option<i64>> = src.iter().map(|p| p.pts).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let degenerate = distinct.len() < src.len();
    let av1_ivf = std::fs::read(media).unwrap().starts_with(b"DKIF")
        && reel_ok(&["video-info", media.to_str().unwrap()]).contains("AV1");
    if av1_ivf {
        assert_eq!(
            decoded_frame_md5s(media),
            decoded_frame_md5s(&out),
            "{name}: decoded frames differ"
        );
    }
    for (i, (a, b)) in src.iter().zip(&dst).enumerate() {
        if av1_ivf {
            assert_eq!(a.pts.map(|p| p - shift), b.pts, "{name}: packet {i} pts");
            continue;
        }
        assert_eq!(a.size, b.size, "{name}: packet {i} size");
        assert_eq!(a.hash, b.hash, "{name}: packet {i} data");
        assert_eq!(a.keyframe, b.keyframe, "{name}: packet {i} keyframe flag");
        if degenerate {
            continue;
        }
        assert_eq!(a.pts.map(|p| p - shift), b.pts, "{name}: packet {i} pts");
        if src_has_dts {
            assert_eq!(a.dts.map(|d| d - shift), b.dts, "{name}: packet {i} dts");
        }
    }
    let errors = ffmpeg_decode_errors(&out);
    assert!(
        errors.trim().is_empty(),
        "{name}: ffmpeg -v error says: {errors}"
    );
    if let Some(seen) = mediainfo_sees_video(&out) {
        assert!(
            seen,
            "{name}: mediainfo does not see a video track in {}",
            out.display()
        );
    }
    out
}

#[test]
fn generated_media_timestamps_and_round_trips() {
    if !ffmpeg_available() {
        return;
    }
    let media = generated_media();
    let dir = tempdir("roundtrip");
    for (name, _) in GENERATED {
        let path = media.join(name);
        assert_timestamps_match(&path);
        assert_round_trip(&path, &dir, false);
    }
    // Fragmented output of a stream with B-frames and of AV1.
    for name in ["h264_bframes.mp4", "av1_aom.mp4", "vp9.webm"] {
        assert_round_trip(&media.join(name), &dir, true);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn video_info_agrees_with_ffprobe_on_stream_properties() {
    if !ffmpeg_available() {
        return;
    }
    let media = generated_media();
    for (name, codec, depth, bframes) in [
        ("h264_bframes.mp4", "H264", 8, true),
        ("h264_no_bframes.mp4", "H264", 8, false),
        ("h264_high10.mp4", "H264", 10, true),
        ("h265.mp4", "H265", 8, true),
        ("h265_10bit.mkv", "H265", 10, true),
        ("av1_aom.mp4", "AV1", 8, false),
        ("av1_svt_10bit.mkv", "AV1", 10, false),
        ("vp9.webm", "VP9", 8, false),
        ("vp8.webm", "VP8", 8, false),
    ] {
        let path = media.join(name);
        let info: Value =
            serde_json::from_str(&reel_ok(&["video-info", "--json", path.to_str().unwrap()]))
                .unwrap();
        let t = &info["tracks"][0];
        assert_eq!(t["codec"], codec, "{name}");
        assert_eq!(
            (t["width"].as_u64(), t["height"].as_u64()),
            (Some(320), Some(240)),
            "{name}"
        );
        assert_eq!(t["bit_depth"], depth, "{name}");
        assert_eq!(t["chroma_format"], "4:2:0", "{name}");
        assert_eq!(t["frames"], 60, "{name}");
        assert_eq!(t["b_frames"], bframes, "{name}");
        let cs = t["codec_string"].as_str().unwrap();
        let prefix = match codec {
            "H264" => "avc1.",
            "H265" => "h",
            "AV1" => "av01.",
            "VP9" => "vp09.",
            _ => "vp8",
        };
        assert!(cs.starts_with(prefix), "{name}: codec string {cs}");
        // Keyframes: ffprobe's K flags.
        let (packets, _) = ffprobe_packets(&path);
        let k = packets.iter().filter(|p| p.keyframe).count();
        assert_eq!(t["keyframes"], k as u64, "{name}: keyframes");
    }
}

#[test]
fn third_party_media_round_trips() {
    if !ffmpeg_available() {
        return;
    }
    let Some(root) = third_party_media() else {
        return;
    };
    let dir = tempdir("thirdparty");
    let files = [
        "shiguredo_mp4-2026.5.0/tests/testdata/black-h264-video.mp4",
        "shiguredo_mp4-2026.5.0/tests/testdata/black-h264-fmp4.mp4",
        "shiguredo_mp4-2026.5.0/tests/testdata/black-h265-video.mp4",
        "shiguredo_mp4-2026.5.0/tests/testdata/black-h265-hvc1-video.mp4",
        "shiguredo_mp4-2026.5.0/tests/testdata/black-av1-video.mp4",
        "shiguredo_mp4-2026.5.0/tests/testdata/black-vp9-video.mp4",
        "matroska-demuxer-0.8.1/tests/data/simple.mkv",
        "matroska-demuxer-0.8.1/tests/data/multi_seekhead.mkv",
        "matroska-demuxer-0.8.1/tests/data/no_cluster_position.mkv",
        "matroska-demuxer-0.8.1/tests/data/subtitles.mkv",
        "cros-codecs-0.0.6/src/codec/av1/test_data/test-25fps.av1.ivf",
        "cros-codecs-0.0.6/src/codec/vp8/test_data/test-25fps.vp8",
        "cros-codecs-0.0.6/src/codec/vp9/test_data/resolution_change_500frames-vp9.ivf",
        "cros-codecs-0.0.6/src/codec/vp9/test_data/vp90-2-10-show-existing-frame.vp9.ivf",
    ];
    for f in files {
        let path = root.join(f);
        assert_timestamps_match(&path);
        assert_round_trip(&path, &dir, false);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `reel import SRC -o REC --as asset -e /cam`.
fn import_asset(src: &Path, rec: &Path) {
    reel_ok(&[
        "import",
        src.to_str().unwrap(),
        "-o",
        rec.to_str().unwrap(),
        "--as",
        "asset",
        "-e",
        "/cam",
    ]);
}

/// `reel export-mp4 REC -e /cam -o OUT`; what it printed.
fn export_cam(rec: &Path, out: &Path) -> String {
    reel_ok(&[
        "export-mp4",
        rec.to_str().unwrap(),
        "-e",
        "/cam",
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn asset_import_logs_frame_references_and_exports_the_original() {
    if !ffmpeg_available() {
        return;
    }
    let src = generated_media().join("h264_bframes.mp4");
    let dir = tempdir("asset");
    let rec = dir.join("asset.reel");
    import_asset(&src, &rec);
    let info: Value =
        serde_json::from_str(&reel_ok(&["info", rec.to_str().unwrap(), "--json"])).unwrap();
    let cam = &info["entities"][0];
    assert_eq!(cam["path"], "/cam");
    assert_eq!(
        cam["archetypes"],
        serde_json::json!(["AssetVideo", "VideoFrameReference"])
    );
    assert_eq!(
        cam["components"]["VideoFrameReference:timestamp_ns"]["rows"],
        60
    );
    assert_eq!(cam["timelines"][0]["name"], "video_time");
    assert_eq!(
        cam["timelines"][0]["max"],
        *ffprobe_pts_ns(&src).last().unwrap()
    );
    let out = dir.join("asset.mp4");
    export_cam(&rec, &out);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&src).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_asset_in_another_container_is_remuxed_to_mp4() {
    // export-mp4 used to copy an AssetVideo's bytes whatever they were (a
    // WebM came out named .mp4). Now its video track is remuxed: ffprobe
    // must see an MP4 of the same codec, and ffmpeg must decode the same
    // pictures from it as from the source.
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("asset_remux");
    for (name, codec) in [
        ("vp9.webm", "vp9"),
        ("vp8.webm", "vp8"),
        ("h265_10bit.mkv", "hevc"),
        ("h264.mov", "h264"),
    ] {
        let src = generated_media().join(name);
        let rec = dir.join(format!("{name}.reel"));
        let out = dir.join(format!("{name}.mp4"));
        import_asset(&src, &rec);
        let said = export_cam(&rec, &out);
        assert!(said.contains("video track remuxed"), "{name}: {said}");
        let probe = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format=format_name:stream=codec_name",
                "-of",
                "csv=p=0",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let probe = String::from_utf8_lossy(&probe.stdout);
        assert!(
            probe.contains("mp4") && probe.contains(codec),
            "{name}: ffprobe says {probe}"
        );
        let (want, got) = (decoded_frame_md5s(&src), decoded_frame_md5s(&out));
        assert!(
            !want.is_empty(),
            "{name}: ffmpeg decoded nothing from the source"
        );
        assert_eq!(got, want, "{name}: the remuxed pictures differ");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_range_starts_at_the_keyframe_before_from() {
    if !ffmpeg_available() {
        return;
    }
    let src = generated_media().join("h264_faststart.mp4"); // keyframe every 10 frames
    let dir = tempdir("range");
    let rec = dir.join("r.reel");
    reel_ok(&["import", src.to_str().unwrap(), "-o", rec.to_str().unwrap()]);
    let out = dir.join("r.mp4");
    reel_ok(&[
        "export-mp4",
        rec.to_str().unwrap(),
        "-e",
        "/video",
        "-o",
        out.to_str().unwrap(),
        "--from",
        "0.5s",
        "--to",
        "1.2s",
    ]);
    // Keyframes at frames 0, 10, 20, …: 0.5 s (frame 15) starts at frame 10 (0.333 s);
    // 1.2 s is frame 36, so frames 10..=36 are written, plus at most the
    // reference frames (B-frame depth 2) that frames ≤ 36 need to decode.
    let (packets, _) = ffprobe_packets(&out);
    assert!(packets[0].keyframe);
    let pts = ffprobe_pts_ns(&out);
    assert_eq!(pts[0], 0, "the cut starts showing at zero");
    let frame = 1_000_000_000.0 / 30.0;
    let frames: Vec<i64> = pts
        .iter()
        .map(|p| (*p as f64 / frame).round() as i64 + 10)
        .collect();
    assert_eq!(&frames[..27], &(10..=36).collect::<Vec<_>>()[..]);
    assert!(packets.len() <= 27 + 2, "{} packets", packets.len());
    assert!(ffmpeg_decode_errors(&out).trim().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_media_gets_clear_errors_never_a_panic() {
    if !ffmpeg_available() {
        return;
    }
    let media = generated_media();
    let dir = tempdir("bad");
    let check_err = |path: &Path, needles: &[&str]| {
        let o = reel(&["video-info", path.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}: must fail cleanly",
            path.display()
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&*path.display().to_string()),
            "names the file: {err}"
        );
        for n in needles {
            assert!(
                err.contains(n),
                "{}: expected {n:?} in {err}",
                path.display()
            );
        }
        let o = reel(&[
            "import",
            path.to_str().unwrap(),
            "-o",
            dir.join("x.reel").to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "import of {} must fail cleanly",
            path.display()
        );
    };
    // moov at the end, file cut in the middle of mdat: no index.
    let full = std::fs::read(media.join("h264_bframes.mp4")).unwrap();
    let cut = dir.join("cut_no_moov.mp4");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    check_err(&cut, &["moov", "cut short"]);
    // Not a video at all.
    let txt = dir.join("notes.mp4");
    std::fs::write(&txt, "these are my notes, not a video").unwrap();
    check_err(&txt, &["not a video file"]);
    // A codec reel does not support: MPEG-4 Part 2.
    let mpeg4 = dir.join("mpeg4.mp4");
    let o = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=10:duration=1",
            "-c:v",
            "mpeg4",
        ])
        .arg(&mpeg4)
        .output()
        .unwrap();
    assert!(o.status.success());
    check_err(&mpeg4, &["not supported", "mp4v"]);

    // moov first, mdat cut: the complete samples are still listed.
    let fast = std::fs::read(media.join("h264_faststart.mp4")).unwrap();
    let cut_mdat = dir.join("cut_mdat.mp4");
    std::fs::write(&cut_mdat, &fast[..fast.len() * 2 / 3]).unwrap();
    let info: Value = serde_json::from_str(&reel_ok(&[
        "video-info",
        "--json",
        cut_mdat.to_str().unwrap(),
    ]))
    .unwrap();
    let frames = info["tracks"][0]["frames"].as_u64().unwrap();
    assert!(
        frames > 10 && frames < 60,
        "{frames} complete frames listed"
    );
    let warnings = info["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("past the end of the file")),
        "{info}"
    );
    // A third-party MKV with an MPEG-4 Part 2 track.
    if let Some(root) = third_party_media() {
        check_err(
            &root.join("matroska-demuxer-0.8.1/tests/data/hdr.mkv"),
            &["V_MPEG4/ISO/ASP", "not supported"],
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
