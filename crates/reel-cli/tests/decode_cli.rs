//! Decoding end to end: reel's decoders against ffmpeg's decode of the same
//! streams (bit-exact YUV), the cros-codecs reference MD5s, random seeks,
//! a live stream, a corrupt sample, and a missing ffmpeg.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use reel_decode::{Backend, FrameServer, FrameSource, Playback, ServerOptions, StreamSample};
use reel_sdk::MediaFile;

/// A frame source over every sample of the file's first video track (PTS in ns).
fn source_of(path: &Path) -> (FrameSource, Vec<i64>) {
    let source = FrameSource::from_media_file(MediaFile::open(path).unwrap()).unwrap();
    let times = source.frame_times();
    (source, times)
}

/// ffmpeg's decode of the file: raw planar frames in presentation order.
fn ffmpeg_frames(path: &Path, pix_fmt: &str, frame_bytes: usize) -> Vec<Vec<u8>> {
    ffmpeg_raw_frames(path, pix_fmt, frame_bytes, &[])
}

/// Whether FFmpeg's libavcodec loads in-process (Debian's `ffmpeg` package
/// brings it; a static ffmpeg binary alone does not). Required in CI.
fn libav() -> bool {
    let ok = reel_decode::libav::version().is_ok();
    let turned_off = std::env::var("REEL_LIBAVCODEC").as_deref() == Ok("off");
    if !ok && !turned_off && std::env::var("REEL_REQUIRE_MEDIA_TOOLS").as_deref() == Ok("1") {
        panic!(
            "libavcodec did not load: {:?}",
            reel_decode::libav::version()
        );
    }
    ok
}

fn expected_backend(name: &str) -> Backend {
    match name {
        n if n.starts_with("av1") && cfg!(feature = "dav1d") => Backend::Dav1d,
        // With ffmpeg installed, its libavcodec decodes in-process.
        _ if libav() => Backend::Libav,
        n if n.starts_with("av1") && cfg!(feature = "rav1d") => Backend::Rav1d,
        "h264_no_bframes.mp4" | "h264_baseline_gop10.mp4" => Backend::OpenH264,
        _ => Backend::Ffmpeg,
    }
}

/// Every backend that can decode the file: the default first, then the
/// others that claim the stream (openh264 only where it decodes exactly).
fn backends_for(source: &mut FrameSource, name: &str) -> Vec<Backend> {
    let mut all = vec![expected_backend(name), Backend::Ffmpeg];
    if libav() {
        all.push(Backend::Libav);
    }
    let first_key = source
        .sample(0)
        .unwrap()
        .map(|s| s.data.as_slice().to_vec())
        .unwrap_or_default();
    if name.starts_with("h264") && reel_decode::openh264_decodes(&first_key) {
        all.push(Backend::OpenH264);
    }
    if name.starts_with("av1") && cfg!(feature = "dav1d") {
        all.push(Backend::Dav1d);
    }
    if name.starts_with("av1") && cfg!(feature = "rav1d") {
        all.push(Backend::Rav1d);
    }
    let mut seen = Vec::new();
    all.retain(|b| {
        let new = !seen.contains(b);
        seen.push(*b);
        new
    });
    all
}

#[test]
fn every_frame_equals_ffmpegs_decode_with_every_backend() {
    if !ffmpeg_available() {
        return;
    }
    let media = generated_media();
    let mut checked = Vec::new();
    for name in [
        "h264_bframes.mp4",
        "h264_no_bframes.mp4",
        "h264_baseline_gop10.mp4",
        "h264_high10.mp4",
        "h264.mkv",
        "h265.mp4",
        "h265_10bit.mkv",
        "av1_aom.mp4",
        "av1_svt_10bit.mkv",
        "vp9.webm",
        "vp8.webm",
    ] {
        let path = media.join(name);
        let (mut source, times) = source_of(&path);
        let mut expected = None;
        for (k, backend) in backends_for(&mut source, name).into_iter().enumerate() {
            // The first pass runs the default choice.
            source.set_backend((k > 0).then_some(backend));
            let first = source.frame_at(times[0]).unwrap().unwrap();
            let bytes = first.to_planar_bytes().len();
            let expected = expected
                .get_or_insert_with(|| ffmpeg_frames(&path, &first.ffmpeg_pix_fmt(), bytes));
            assert_eq!(expected.len(), times.len(), "{name}: frame count");
            let seeks = source.stats().seeks;
            for (i, t) in times.iter().enumerate() {
                let frame = source.frame_at(*t).unwrap().unwrap();
                assert_eq!(frame.pts, *t);
                assert!(
                    frame.to_planar_bytes() == expected[i],
                    "{name} ({backend:?}): frame {i} differs from ffmpeg's decode"
                );
            }
            assert_eq!(source.backend(), Some(backend), "{name}");
            // Decoding forward frame by frame never restarted.
            assert_eq!(source.stats().seeks, seeks, "{name} ({backend:?})");
            source.clear_cache();
            checked.push(format!("{name}:{backend:?}"));
        }
    }
    eprintln!("bit-exact: {}", checked.join(" "));
}

/// The `ffmpeg` process hands pictures out when it is done, as a browser's
/// WebCodecs decoder does: a lookup that cannot block says the picture is
/// pending and gets the right one when asked again; a blocking one waits.
#[test]
fn an_asynchronous_decoder_is_polled_until_its_picture_comes() {
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h264_bframes.mp4");
    let (mut source, times) = source_of(&path);
    source.set_backend(Some(Backend::Ffmpeg));
    // The last frames come out only when ffmpeg drains at the end of input.
    let last = *times.last().unwrap();
    let mut pending_polls = 0;
    let frame = loop {
        match source.poll_frame_at(last).unwrap() {
            std::task::Poll::Ready(frame) => break frame.unwrap(),
            std::task::Poll::Pending => {
                pending_polls += 1;
                // A UI would draw the next frame meanwhile.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    };
    assert!(pending_polls > 0, "the end of input was answered at once");
    let expected = ffmpeg_frames(&path, &frame.ffmpeg_pix_fmt(), frame.heap_size());
    assert_eq!(frame.pts, last);
    assert!(
        frame.to_planar_bytes() == *expected.last().unwrap(),
        "last frame's pixels"
    );
    // Blocking lookups wait for the process the same way (a fresh path:
    // the cache forgotten, decoding restarts from the keyframe).
    source.clear_cache();
    source.set_backend(None);
    source.set_backend(Some(Backend::Ffmpeg));
    let frame = source.frame_at(times[times.len() - 2]).unwrap().unwrap();
    assert!(frame.to_planar_bytes() == expected[expected.len() - 2]);
    assert!(source.stats().waits > 0, "{:?}", source.stats());
    eprintln!(
        "pending polls before the last frame: {pending_polls}; waits: {}",
        source.stats().waits
    );
}

#[test]
fn random_seeks_show_the_last_frame_at_or_before_t() {
    if !ffmpeg_available() {
        return;
    }
    let media = generated_media();
    for name in [
        "h264_bframes.mp4",
        "h264_faststart.mp4",
        "av1_aom.mp4",
        "h265.mp4",
    ] {
        let path = media.join(name);
        let (mut source, times) = source_of(&path);
        let first = source.frame_at(times[0]).unwrap().unwrap();
        let expected = ffmpeg_frames(&path, "yuv420p", first.to_planar_bytes().len());
        let mut rng = 0x9E37_79B9u64;
        let end = *times.last().unwrap() + 50_000_000;
        for _ in 0..50 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let t = (rng % end as u64) as i64;
            // ffmpeg's full decode: the last frame with PTS ≤ t.
            let index = times.partition_point(|p| *p <= t) - 1;
            let frame = source.frame_at(t).unwrap().unwrap();
            assert_eq!(frame.pts, times[index], "{name}: t={t}");
            assert!(
                frame.to_planar_bytes() == expected[index],
                "{name}: t={t}: pixels differ"
            );
        }
        assert!(
            source.frame_at(-1).unwrap().is_none(),
            "nothing before the first frame"
        );
        // Scrubbing back over frames just shown decodes nothing.
        let decoded = source.stats().samples_decoded;
        let last = times.partition_point(|p| *p <= end) - 1;
        source.frame_at(times[last]).unwrap();
        let decoded_after_seek = source.stats().samples_decoded;
        for i in (last.saturating_sub(5)..=last).rev() {
            source.frame_at(times[i]).unwrap();
        }
        assert_eq!(
            source.stats().samples_decoded,
            decoded_after_seek,
            "{name}: backward scrub hit the cache"
        );
        assert!(decoded_after_seek >= decoded);
    }
}

#[test]
fn the_newest_frame_of_a_live_stream_is_ready_after_its_sample() {
    if !ffmpeg_available() {
        return;
    }
    for (name, backend) in [
        ("h264_no_bframes.mp4", None),
        ("h264_no_bframes.mp4", Some(Backend::OpenH264)),
        ("h264_baseline_gop10.mp4", None),
        ("h264_baseline_gop10.mp4", Some(Backend::OpenH264)),
        ("av1_aom.mp4", None),
        ("av1_aom.mp4", Some(Backend::Libav)),
        ("vp9.webm", Some(Backend::Libav)),
    ] {
        if backend == Some(Backend::Libav) && !libav() {
            continue;
        }
        let path = generated_media().join(name);
        let (full, times) = source_of(&path);
        drop(full);
        let mut file = MediaFile::open(&path).unwrap();
        let track = file.video_track().unwrap().clone();
        let mut live = FrameSource::with_options(track.codec, backend, 64 << 20);
        live.set_open_ended(true);
        for (i, s) in track.samples.iter().enumerate() {
            live.append(StreamSample {
                data: reel_types::Blob::from(file.read_sample(0, i).unwrap()),
                pts: track.ticks_to_ns(s.pts),
                is_keyframe: s.is_keyframe,
            });
            let frame = live.frame_at(times[i]).unwrap().expect("newest frame");
            assert_eq!(frame.pts, times[i], "{name} ({backend:?}): frame {i}");
            // In-process: one sample in, its frame out — no lookahead.
            assert_eq!(
                live.stats().samples_decoded,
                i as u64 + 1,
                "{name} ({backend:?}): frame {i}"
            );
        }
        assert_ne!(live.backend(), Some(Backend::Ffmpeg), "{name}");
    }
    // The same through Playback (a viewer's source): appended samples show at once.
    let path = generated_media().join("h264_no_bframes.mp4");
    let (mut full, times) = source_of(&path);
    let mut source = FrameSource::new(full.codec());
    source.set_open_ended(true);
    let play = Playback::new(source, 1_000_000_000);
    for (i, t) in times.iter().enumerate() {
        play.append(full.sample(i).unwrap().unwrap());
        let frame = play.frame_at(*t).unwrap().expect("newest frame");
        assert_eq!(frame.pts, *t, "Playback: frame {i}");
    }
}

/// A live stream with B-frames: each frame shows as soon as the decoder's
/// reordering lets it out, nothing is decoded twice, and ending the stream
/// brings out the last frames.
#[test]
fn a_live_stream_with_b_frames_shows_frames_as_reordering_allows() {
    if !ffmpeg_available() {
        return;
    }
    for (name, backend, max_delay) in [
        ("h264_bframes.mp4", Backend::Libav, 6),
        ("h265.mp4", Backend::Libav, 10),
        ("h264_bframes.mp4", Backend::Ffmpeg, usize::MAX),
    ] {
        if backend == Backend::Libav && !libav() {
            continue;
        }
        let path = generated_media().join(name);
        let (mut full, times) = source_of(&path);
        let expected = ffmpeg_frames(&path, "yuv420p", 320 * 240 * 3 / 2);
        let mut live = FrameSource::with_options(full.codec(), Some(backend), 64 << 20);
        live.set_open_ended(true);
        // Per frame: samples appended after its own before it was shown.
        let mut appended_at = std::collections::BTreeMap::new();
        let (mut shown, mut newest, mut delay) = (i64::MIN, i64::MIN, 0);
        for i in 0..full.len() {
            let sample = full.sample(i).unwrap().unwrap();
            newest = newest.max(sample.pts);
            appended_at.insert(sample.pts, i);
            live.append(sample);
            if let Some(f) = live.frame_at(newest).unwrap() {
                assert!(
                    f.pts <= newest && f.pts >= shown,
                    "{name}: frames go forward"
                );
                let index = times.binary_search(&f.pts).unwrap();
                assert!(
                    f.to_planar_bytes() == expected[index],
                    "{name}: frame {index}"
                );
                shown = f.pts;
            }
            let now_shown: Vec<i64> = appended_at.range(..=shown).map(|(p, _)| *p).collect();
            for p in now_shown {
                delay = delay.max(i - appended_at.remove(&p).unwrap());
            }
        }
        // Frames still not shown at the end waited at least this long.
        for i in appended_at.values() {
            delay = delay.max(full.len() - i);
        }
        assert_eq!(
            live.stats().samples_decoded,
            full.len() as u64,
            "{name}: decoded once"
        );
        assert!(
            delay <= max_delay,
            "{name} ({backend:?}): {delay} samples of delay"
        );
        live.set_open_ended(false);
        let last = live.frame_at(newest).unwrap().unwrap();
        assert_eq!(last.pts, *times.last().unwrap());
        eprintln!(
            "{name} live with {backend:?}: a frame shows at most {delay} samples after its own"
        );
    }
}

/// While playing, a worker decodes ahead of the playhead: the next frames
/// are cache hits, equal to ffmpeg's, and a seek back still works.
#[test]
fn playback_decodes_ahead_of_the_playhead() {
    if !ffmpeg_available() {
        return;
    }
    for name in ["h264_bframes.mp4", "av1_aom.mp4", "vp9.webm"] {
        let path = generated_media().join(name);
        let (source, times) = source_of(&path);
        let expected = ffmpeg_frames(&path, "yuv420p", 320 * 240 * 3 / 2);
        let play = Playback::new(source, times[20] - times[0]);
        play.frame_at(times[0]).unwrap().unwrap();
        let start = std::time::Instant::now();
        while !play.is_idle() {
            assert!(
                start.elapsed().as_secs() < 30,
                "{name}: prefetch never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let before = play.with_source(|s| s.stats());
        let prefetch_hits = play.prefetch_hits();
        assert!(before.samples_decoded >= 21, "{name}: {before:?}");
        for i in 1..=20 {
            let f = play.frame_at(times[i]).unwrap().unwrap();
            assert!(f.to_planar_bytes() == expected[i], "{name}: frame {i}");
        }
        let after = play.with_source(|s| s.stats());
        // Answered from the worker's published frames or from the cache:
        // none of the 20 was decoded on the asking thread.
        let hits = after.cache_hits - before.cache_hits + play.prefetch_hits() - prefetch_hits;
        assert_eq!(hits, 20, "{name}: prefetched frames");
        assert!(
            play.prefetch_hits() > prefetch_hits,
            "{name}: published frames used"
        );
        for (i, t) in times.iter().enumerate().skip(21) {
            let f = play.frame_at(*t).unwrap().unwrap();
            assert!(f.to_planar_bytes() == expected[i], "{name}: frame {i}");
        }
        play.pause();
        let f = play.frame_at(times[3]).unwrap().unwrap();
        assert!(
            f.to_planar_bytes() == expected[3],
            "{name}: after seeking back"
        );
    }
}

#[test]
fn a_corrupt_sample_is_an_error_and_the_next_keyframe_decodes() {
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h264_baseline_gop10.mp4"); // keyframe every 10 frames
    let mut file = MediaFile::open(&path).unwrap();
    let track = file.video_track().unwrap().clone();
    let bad = 4;
    let samples: Vec<StreamSample> = track
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut data = file.read_sample(0, i).unwrap();
            if i == bad {
                // Keep the start code and NAL header, garble the slice.
                for b in data.iter_mut().skip(6) {
                    *b = 0xFF;
                }
            }
            StreamSample {
                data: reel_types::Blob::from(data),
                pts: track.ticks_to_ns(s.pts),
                is_keyframe: s.is_keyframe,
            }
        })
        .collect();
    let expected = ffmpeg_frames(&path, "yuv420p", (320 * 240 * 3 / 2) as usize);
    // The in-process backends report the sample; the FFmpeg process cannot
    // tell which sample failed.
    for backend in [Backend::Libav, Backend::OpenH264] {
        if backend == Backend::Libav && !libav() {
            continue;
        }
        let mut source = FrameSource::with_options(track.codec, Some(backend), 64 << 20);
        for s in &samples {
            source.append(s.clone());
        }
        let times = source.frame_times();
        let mut errors = 0;
        for (i, t) in times.iter().enumerate() {
            match source.frame_at(*t) {
                Ok(Some(frame)) if i >= 10 => assert!(
                    frame.to_planar_bytes() == expected[i],
                    "{backend:?}: frame {i} after the next keyframe"
                ),
                Ok(_) => {}
                Err(e) => {
                    errors += 1;
                    assert!(
                        e.to_string()
                            .contains("the H264 sample could not be decoded"),
                        "{e}"
                    );
                    assert!((bad..10).contains(&i), "{backend:?}: error at frame {i}");
                }
            }
        }
        assert!(
            errors >= 1,
            "{backend:?}: the corrupt sample must be reported"
        );
    }
}

#[test]
fn a_missing_ffmpeg_gets_the_install_hint() {
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h265.mp4");
    let out = tempdir("noffmpeg").join("f.png");
    let o = Command::new(env!("CARGO_BIN_EXE_reel"))
        .args([
            "frame",
            path.to_str().unwrap(),
            "--at",
            "0.5s",
            "-o",
            out.to_str().unwrap(),
        ])
        .env("REEL_FFMPEG", "/nonexistent/ffmpeg")
        .env("REEL_LIBAVCODEC", "off")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("FFmpeg is needed to decode H265") && err.contains("apt-get install ffmpeg"),
        "{err}"
    );
}

#[test]
fn reel_frame_writes_the_png_ffmpeg_shows() {
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h264_bframes.mp4");
    let dir = tempdir("framepng");
    let out = dir.join("f.png");
    reel_ok(&[
        "frame",
        path.to_str().unwrap(),
        "--at",
        "1.25s",
        "-o",
        out.to_str().unwrap(),
    ]);
    // ffmpeg's frame 37 (1.2333 s is the last at or before 1.25 s), to RGB.
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args([
            "-vf",
            "select=eq(n\\,37)",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .output()
        .unwrap();
    let (_, _, buf) = read_png_rgb(&out);
    let psnr = reel_encode::yuv::psnr(&buf, &o.stdout);
    assert!(
        psnr > 40.0,
        "PNG vs ffmpeg's RGB of the same frame: {psnr:.1} dB"
    );
    // video-info says which decoder takes the file.
    let info = reel_ok(&["video-info", path.to_str().unwrap()]);
    let expected = if libav() {
        "decodes with FFmpeg's libavcodec"
    } else {
        "decodes with an ffmpeg process"
    };
    assert!(info.contains(expected), "{info}");
    // Every decoder that takes the stream writes the same picture, and says which it was.
    let png = std::fs::read(&out).unwrap();
    for (choice, name) in [
        ("libav", "FFmpeg's libavcodec"),
        ("ffmpeg", "an ffmpeg process"),
    ] {
        if choice == "libav" && !libav() {
            continue;
        }
        let said = reel_ok(&[
            "frame",
            path.to_str().unwrap(),
            "--at",
            "1.25s",
            "--decoder",
            choice,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(said.contains(&format!("decoded with {name}")), "{said}");
        assert!(std::fs::read(&out).unwrap() == png, "{choice}");
    }
    let o = reel(&[
        "frame",
        path.to_str().unwrap(),
        "--at",
        "1.25s",
        "--decoder",
        "nonsense",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("possible values"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `reel frame` on a closed recording reads only the chunks of the group of
/// pictures it needs (footer keyframe index) and shows the same frame as a
/// full read of the same recording without its footer.
#[test]
fn reel_frame_reads_one_gop_through_the_keyframe_index() {
    if !ffmpeg_available() {
        return;
    }
    use reel_sdk::import::{ImportMode, import_video};
    use reel_sdk::{BatcherConfig, EntityPath, RecordingStreamBuilder};
    let dir = tempdir("kfindex");
    // B-frames, closed GOPs of 12 frames.
    let src = dir.join("gop12.mp4");
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=30:duration=3")
        .args([
            "-c:v", "libx264", "-g", "12", "-bf", "3", "-pix_fmt", "yuv420p",
        ])
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rec_path = dir.join("kf.reel");
    {
        let rec = RecordingStreamBuilder::new("kf")
            .batcher_config(BatcherConfig {
                max_rows: 8,
                ..BatcherConfig::default()
            })
            .save(&rec_path)
            .unwrap();
        import_video(
            &rec,
            &src,
            &EntityPath::parse("video").unwrap(),
            ImportMode::Stream,
            &mut |_, _| {},
        )
        .unwrap();
    }
    // The same recording without its trailer: no index, every chunk read.
    let bytes = std::fs::read(&rec_path).unwrap();
    let no_footer = dir.join("no_footer.reel");
    std::fs::write(&no_footer, &bytes[..bytes.len() - 40]).unwrap();
    for t in ["0s", "0.2s", "0.75s", "1.37s", "2.99s"] {
        let mut pngs = Vec::new();
        for rec in [&rec_path, &no_footer] {
            let out = dir.join("f.png");
            let o = reel(&[
                "frame",
                "-v",
                rec.to_str().unwrap(),
                "-e",
                "/video",
                "--time",
                t,
                "-o",
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            if rec == &rec_path {
                let note = err
                    .lines()
                    .find_map(|l| l.find("keyframe index: read ").map(|i| &l[i..]))
                    .unwrap_or_else(|| panic!("no index note: {err}"));
                let nums: Vec<usize> = note
                    .split_whitespace()
                    .filter_map(|w| w.parse().ok())
                    .collect();
                assert!(nums[0] < nums[1] / 2, "{t}: {note}");
            } else {
                assert!(!err.contains("keyframe index"), "{err}");
            }
            pngs.push(std::fs::read(&out).unwrap());
        }
        assert!(pngs[0] == pngs[1], "{t}: indexed and full reads differ");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Pictures carry the matrix and range the stream declares, so RGB matches
/// ffmpeg's conversion; the BT.601 limited-range default would not.
#[test]
fn frames_carry_the_streams_color_matrix_and_range() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("color");
    for (encoder, extra, name) in [
        ("libx264", &[][..], "bt709_full.mp4"),
        (
            "libx265",
            &["-x265-params", "log-level=error"][..],
            "bt709_full_h265.mp4",
        ),
        ("libaom-av1", &["-cpu-used", "8"][..], "bt709_full_av1.mkv"),
        (
            "libvpx-vp9",
            &["-deadline", "realtime", "-cpu-used", "8"][..],
            "bt709_full_vp9.webm",
        ),
    ] {
        let path = dir.join(name);
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc2=size=320x240:rate=30:duration=0.2")
            .args(["-c:v", encoder])
            .args(extra)
            .args([
                "-pix_fmt",
                "yuv420p",
                "-colorspace",
                "bt709",
                "-color_primaries",
                "bt709",
            ])
            .args(["-color_trc", "bt709", "-color_range", "pc"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (mut source, times) = source_of(&path);
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .output()
            .unwrap();
        let mut backends = vec![None, Some(Backend::Ffmpeg)];
        if libav() {
            backends.push(Some(Backend::Libav));
        }
        for backend in backends {
            source.set_backend(backend);
            source.clear_cache();
            let f = source.frame_at(times[0]).unwrap().unwrap();
            let used = source.backend();
            assert_eq!(
                (f.matrix, f.full_range),
                (reel_decode::Matrix::Bt709, true),
                "{name} ({used:?})"
            );
            let right = reel_encode::yuv::psnr(&f.to_rgb8(), &o.stdout);
            let mut default = (*f).clone();
            default.matrix = reel_decode::Matrix::Bt601;
            default.full_range = false;
            let wrong = reel_encode::yuv::psnr(&default.to_rgb8(), &o.stdout);
            eprintln!(
                "{name} ({used:?}): RGB vs ffmpeg {right:.1} dB (BT.601 limited would be {wrong:.1} dB)"
            );
            assert!(
                right > 40.0 && wrong < right - 10.0,
                "{name} ({used:?}): {right:.1} vs {wrong:.1} dB"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cros_codecs_reference_md5s() {
    if !ffmpeg_available() {
        return;
    }
    let Some(root) = third_party_media() else {
        return;
    };
    use md5::{Digest, Md5};
    let dir = tempdir("croscodecs");
    for stream in [
        "h264/test_data/test-25fps.h264",
        "h264/test_data/64x64-I-P-B-P-high.h264",
        "h264/test_data/test-25fps-interlaced.h264",
        "h265/test_data/test-25fps.h265",
        "av1/test_data/test-25fps.ivf.av1",
        "vp8/test_data/test-25fps.vp8",
        "vp9/test_data/test-25fps.vp9",
        "vp9/test_data/vp90-2-10-show-existing-frame.vp9.ivf",
    ] {
        let src = root.join("cros-codecs-0.0.6/src/codec").join(stream);
        // Raw Annex B streams get a container (stream copy) so their frames have times.
        let path = if stream.ends_with(".h264") || stream.ends_with(".h265") {
            let mp4 = dir.join(format!(
                "{}.mp4",
                src.file_name().unwrap().to_string_lossy()
            ));
            let o = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-r", "25", "-i"])
                .arg(&src)
                .args(["-c", "copy"])
                .arg(&mp4)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            mp4
        } else {
            src.clone()
        };
        let md5_file = format!("{}.md5", src.display());
        let expected: Vec<String> = std::fs::read_to_string(&md5_file)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        // The reference lists the decoder's output in order; a remux of a
        // raw stream with B-frames has no true PTS (ffmpeg writes them in
        // decode order), so the pictures are taken in the order they come
        // out, not looked up by the container's times.
        let mut file = MediaFile::open(&path).unwrap();
        let track = file.video_track().unwrap().clone();
        let samples: Vec<Vec<u8>> = (0..track.samples.len())
            .map(|i| file.read_sample(0, i).unwrap())
            .collect();
        let backend = reel_decode::default_backend(track.codec, &samples[0]);
        let mut decoder = reel_decode::new_decoder(track.codec, backend, &samples[0]).unwrap();
        let mut pictures = Vec::new();
        for (i, data) in samples.iter().enumerate() {
            pictures.extend(
                decoder
                    .decode(reel_decode::SampleIn {
                        data,
                        pts: i as i64,
                        is_keyframe: track.samples[i].is_keyframe,
                    })
                    .unwrap(),
            );
        }
        pictures.extend(decoder.finish().unwrap());
        let ours: Vec<String> = pictures
            .iter()
            .map(|f| format!("{:x}", Md5::digest(f.to_nv12_bytes().unwrap())))
            .collect();
        // show_existing_frame streams have more decoded frames than samples:
        // ffmpeg's list repeats the shown frames; compare the ones we return.
        let n = ours.len().min(expected.len());
        assert!(n > 0);
        if stream.contains("show-existing") {
            let matched = ours.iter().filter(|m| expected.contains(m)).count();
            assert_eq!(
                matched,
                ours.len(),
                "{stream}: every decoded frame is one of the reference frames"
            );
        } else {
            assert_eq!(ours.len(), expected.len(), "{stream}: frame count");
            assert_eq!(ours[..n], expected[..n], "{stream}: per-frame MD5s");
        }
        eprintln!(
            "{stream}: {} frames match the reference MD5s ({backend:?})",
            ours.len(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// VP9 that changes resolution on inter frames (640x360 → 426x240 →
/// 854x480 → 1280x720 and back; cros-codecs' copy of Chromium's test
/// stream). Its IVF timestamps are all 0, so the samples are re-timed 25 fps.
#[test]
fn vp9_resolution_changes_decode_at_every_size() {
    if !ffmpeg_available() {
        return;
    }
    let Some(root) = third_party_media() else {
        return;
    };
    use md5::{Digest, Md5};
    let src =
        root.join("cros-codecs-0.0.6/src/codec/vp9/test_data/resolution_change_500frames-vp9.ivf");
    let mut file = MediaFile::open(&src).unwrap();
    let track = file.video_track().unwrap().clone();
    let mut source = FrameSource::new(track.codec);
    for (i, s) in track.samples.iter().enumerate() {
        source.append(StreamSample {
            data: reel_types::Blob::from(file.read_sample(0, i).unwrap()),
            pts: i as i64 * 40_000_000,
            is_keyframe: s.is_keyframe,
        });
    }
    // ffmpeg's decode at each frame's own size (`-autoscale 0`).
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&src)
        .args([
            "-autoscale",
            "0",
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "nv12",
        ])
        .args(["-f", "framehash", "-hash", "md5", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ffmpeg_md5s: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(',').nth(5).map(|h| h.trim().to_owned()))
        .collect();
    // The reference CRCs were made with ffmpeg's default scaling of every
    // frame to the first size, so only the frames at that size (640x360)
    // are comparable to them bit for bit.
    let reference_crcs: Vec<String> = std::fs::read_to_string(format!("{}.crc", src.display()))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!((ffmpeg_md5s.len(), reference_crcs.len()), (500, 500));
    // In-process libavcodec, and the ffmpeg process told each picture's size
    // from the VP9 frame headers.
    for backend in [Backend::Libav, Backend::Ffmpeg] {
        if backend == Backend::Libav && !libav() {
            continue;
        }
        source.set_backend(Some(backend));
        source.clear_cache();
        let mut sizes = std::collections::BTreeMap::new();
        let mut crc_matches = 0;
        for i in 0..500 {
            let f = source.frame_at(i as i64 * 40_000_000).unwrap().unwrap();
            *sizes.entry((f.width, f.height)).or_insert(0) += 1;
            let nv12 = f.to_nv12_bytes().unwrap();
            assert_eq!(
                format!("{:x}", Md5::digest(&nv12)),
                ffmpeg_md5s[i],
                "{backend:?}: frame {i}"
            );
            if (f.width, f.height) == (640, 360) {
                assert_eq!(
                    format!("{:08x}", crc32fast::hash(&nv12)),
                    reference_crcs[i],
                    "{backend:?}: frame {i}"
                );
                crc_matches += 1;
            }
        }
        assert_eq!(sizes.len(), 4, "{sizes:?}");
        assert_eq!(crc_matches, 199);
        assert_eq!(source.backend(), Some(backend));
        eprintln!(
            "VP9 resolution change ({backend:?}): 500 frames equal ffmpeg's, {crc_matches} equal the reference CRCs; sizes {sizes:?}"
        );
    }
}

#[test]
fn frame_references_into_a_stream_show_the_referenced_frame() {
    if !ffmpeg_available() {
        return;
    }
    use reel_sdk::import::{ImportMode, import_video};
    use reel_sdk::{EntityPath, RecordingStreamBuilder, VideoFrameReference};
    let src = generated_media().join("h264_bframes.mp4");
    let dir = tempdir("vfr-stream");
    let rec_path = dir.join("refs.reel");
    let video = EntityPath::parse("video").unwrap();
    let times = FrameSource::from_media_file(MediaFile::open(&src).unwrap())
        .unwrap()
        .frame_times();
    {
        let rec = RecordingStreamBuilder::new("vfr").save(&rec_path).unwrap();
        import_video(&rec, &src, &video, ImportMode::Stream, &mut |_, _| {}).unwrap();
        // Frame n of the timeline shows video frame 59 - n (played backwards).
        for n in 0..60i64 {
            rec.set_time_sequence("frame", n);
            rec.log(
                "refs",
                &VideoFrameReference::new(times[59 - n as usize])
                    .with_video_reference(video.clone()),
            )
            .unwrap();
        }
    }
    let expected = ffmpeg_frames(&src, "yuv420p", 320 * 240 * 3 / 2);
    for n in [0usize, 17, 59] {
        let png_path = dir.join(format!("f{n}.png"));
        reel_ok(&[
            "frame",
            rec_path.to_str().unwrap(),
            "-e",
            "/refs",
            "--seq",
            &format!("frame={n}"),
            "-o",
            png_path.to_str().unwrap(),
        ]);
        let (_, _, rgb) = read_png_rgb(&png_path);
        // The same frame, converted by reel from ffmpeg's decode.
        let want = reel_decode::DecodedFrame {
            width: 320,
            height: 240,
            bit_depth: 8,
            layout: reel_decode::ChromaLayout::Yuv420,
            pts: 0,
            planes: {
                let e = &expected[59 - n];
                [
                    e[..76800].to_vec().into(),
                    e[76800..96000].to_vec().into(),
                    e[96000..].to_vec().into(),
                ]
            },
            full_range: false,
            matrix: reel_decode::Matrix::Bt601,
            primaries: 2,
            transfer: 2,
            chroma_location: 0,
        }
        .to_rgb8();
        assert!(
            rgb == want,
            "timeline frame {n} must show video frame {}",
            59 - n
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn throughput_mode_decodes_the_same_frames() {
    if !ffmpeg_available() {
        return;
    }
    for name in [
        "av1_aom.mp4",
        "av1_svt_10bit.mkv",
        "h264_baseline_gop10.mp4",
    ] {
        let path = generated_media().join(name);
        let (mut source, times) = source_of(&path);
        source.set_low_latency(false);
        let first = source.frame_at(times[0]).unwrap().unwrap();
        let expected = ffmpeg_frames(
            &path,
            &first.ffmpeg_pix_fmt(),
            first.to_planar_bytes().len(),
        );
        for (i, t) in times.iter().enumerate() {
            let frame = source.frame_at(*t).unwrap().unwrap();
            assert!(frame.to_planar_bytes() == expected[i], "{name}: frame {i}");
        }
    }
}

/// `reel frame --at` on a video file reads the file's index and the samples
/// of one group of pictures, not the file: the bytes it reports reading are
/// bounded by that GOP's packet sizes as ffprobe lists them.
#[test]
fn a_frame_of_a_video_file_reads_one_group_of_pictures() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("onegop");
    let path = dir.join("long.mp4");
    ffmpeg_lavfi(
        &path,
        "testsrc2=size=320x240:rate=30:duration=20",
        &["-c:v", "libx264", "-g", "30", "-bf", "0", "-crf", "18"],
    );
    let out = dir.join("f.png");
    let o = reel(&[
        "-v",
        "frame",
        path.to_str().unwrap(),
        "--at",
        "10.5s",
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let read: u64 = err
        .split("read ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no bytes-read line in: {err}"));
    // ffprobe's packets in decode order; frame 315 (10.5 s) is in the GOP
    // of keyframe 300.
    let (packets, _) = ffprobe_packets(&path);
    let keyframes: Vec<usize> = (0..packets.len())
        .filter(|&i| packets[i].keyframe)
        .collect();
    assert!(keyframes.contains(&300), "keyframes: {keyframes:?}");
    let gop_end = keyframes.iter().copied().find(|&k| k > 300).unwrap();
    let gop: u64 = packets[300..gop_end].iter().map(|p| p.size).sum();
    let file = std::fs::metadata(&path).unwrap().len();
    println!("read {read} bytes of samples; the GOP holds {gop}, the file {file}");
    // Annex B adds parameter sets to the keyframe: a few hundred bytes.
    assert!(
        read >= packets[300].size && read <= gop + 2048,
        "read {read} bytes, the GOP holds {gop}"
    );
    assert!(read * 10 < file, "read {read} of {file} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The frame server: a request answers at once, also while a decoder
/// holds the stream; asked again, it gives the frame ffmpeg decodes at that
/// time, byte for byte, for three streams sharing two threads; a burst of
/// requests for other times runs a few jobs, not one per request.
#[test]
fn the_frame_server_answers_at_once_then_with_ffmpegs_frame() {
    if !ffmpeg_available() {
        return;
    }
    let server = FrameServer::new(ServerOptions {
        threads: 2,
        frame_budget: 64 << 20,
    });
    let names = ["h264_bframes.mp4", "h265.mp4", "vp9.webm"];
    let mut streams = Vec::new();
    for name in names {
        let path = generated_media().join(name);
        let (source, times) = source_of(&path);
        let expected = ffmpeg_frames(&path, "yuv420p", 320 * 240 * 3 / 2);
        assert_eq!(times.len(), expected.len(), "{name}");
        streams.push((name, server.add_stream(source), times, expected));
    }
    // A request while a worker holds the source (a long decode) returns.
    let (_, first, times, _) = &streams[0];
    std::thread::scope(|scope| {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        scope.spawn(move || {
            first.with_source(|_| {
                held_tx.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(800));
            })
        });
        held_rx.recv().unwrap();
        // A budget re-split while the source is held leaves the new share
        // to the stream's next job; that job waits for the source, and the
        // requests meanwhile still return at once.
        first.set_visible(false);
        first.set_visible(true);
        for _ in 0..3 {
            let asked = std::time::Instant::now();
            let reply = first.request(times[20]);
            assert!(
                asked.elapsed() < std::time::Duration::from_millis(250),
                "request waited for the decoder: {:?}",
                asked.elapsed()
            );
            assert!(reply.pending && !reply.exact);
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    });
    // One budget over the streams: equal while all show, a hidden stream
    // gets a quarter of a visible one's.
    let shares: Vec<usize> = streams.iter().map(|s| s.1.stats().frame_budget).collect();
    assert_eq!(shares, vec![(64 << 20) / 12 * 4; 3]);
    streams[2].1.set_visible(false);
    let shares: Vec<usize> = streams.iter().map(|s| s.1.stats().frame_budget).collect();
    assert_eq!(
        shares,
        vec![(64 << 20) / 9 * 4, (64 << 20) / 9 * 4, (64 << 20) / 9]
    );
    streams[2].1.set_visible(true);
    // Every stream, frames out of order: pending at first, then exact.
    for (name, frames, times, expected) in &streams {
        for i in [37usize, 3, 59, 0, 21, 58, 30] {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            let frame = loop {
                let reply = frames.request(times[i]);
                assert!(reply.error.is_none(), "{name}: {:?}", reply.error);
                if reply.exact {
                    break reply.frame.expect("an exact reply has a frame");
                }
                assert!(reply.pending, "{name}: neither exact nor pending");
                assert!(
                    std::time::Instant::now() < deadline,
                    "{name}: frame {i} never came"
                );
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            assert!(
                frame.to_planar_bytes() == expected[i],
                "{name}: frame {i} differs from ffmpeg's"
            );
        }
    }
    // A burst of requests (a fast scrub backwards, each frame a decode from
    // the keyframe: the cache holds one frame) runs a few jobs, not one per
    // request.
    drop(streams);
    let server = FrameServer::new(ServerOptions {
        threads: 1,
        frame_budget: 1,
    });
    let name = "h265.mp4";
    let (source, times) = source_of(&generated_media().join(name));
    let frames = server.add_stream(source);
    let before = frames.stats().jobs;
    for t in times.iter().rev() {
        frames.request(*t);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !frames.request(times[0]).exact {
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: never settled"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let jobs = frames.stats().jobs - before;
    println!(
        "{name}: {jobs} decode jobs for {} requests",
        times.len() + 1
    );
    assert!(
        jobs < times.len() as u64 / 4,
        "{name}: {jobs} jobs for {} requests",
        times.len() + 1
    );
}

/// A live stream under a sample budget keeps a window of whole groups of
/// pictures behind its newest sample: the bytes held stay near the budget,
/// frames in the window decode as ffmpeg decodes them, and a frame behind
/// it is an error that says so.
#[test]
fn a_live_stream_keeps_a_window_of_its_samples() {
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h264_baseline_gop10.mp4"); // keyframe every 10 frames
    let (mut full, times) = source_of(&path);
    let expected = ffmpeg_frames(&path, "yuv420p", 320 * 240 * 3 / 2);
    let samples: Vec<StreamSample> = (0..full.len())
        .map(|i| full.sample(i).unwrap().unwrap())
        .collect();
    let gop_bytes: Vec<usize> = samples
        .chunks(10)
        .map(|g| g.iter().map(|s| s.data.len()).sum())
        .collect();
    let budget = gop_bytes.iter().max().unwrap() * 2;
    let mut live = FrameSource::new(full.codec());
    live.set_open_ended(true);
    live.set_sample_budget(Some(budget));
    // A viewer follows the live edge: the decoder keeps up with the
    // samples, and the window still lets go behind it.
    let (mut most, mut newest) = (0, i64::MIN);
    for s in samples {
        newest = newest.max(s.pts);
        live.append(s);
        live.frame_at(newest).unwrap();
        most = most.max(live.held_sample_bytes());
    }
    let all: usize = gop_bytes.iter().sum();
    println!("held at most {most} of {all} sample bytes (budget {budget})");
    assert!(most <= budget + gop_bytes.iter().max().unwrap(), "{most}");
    assert!(live.held_sample_bytes() < all / 2);
    let frame = live
        .frame_at(times[45])
        .unwrap()
        .expect("a frame in the window");
    assert!(
        frame.to_planar_bytes() == expected[45],
        "frame 45 differs from ffmpeg's"
    );
    // Frames decoded while following stay in the frame cache; once they
    // leave it, a frame behind the window cannot be decoded again.
    live.clear_cache();
    match live.frame_at(times[5]) {
        Err(e) => assert!(e.to_string().contains("behind the live window"), "{e}"),
        Ok(f) => panic!("frame 5 is behind the window, got {:?}", f.map(|f| f.pts)),
    }
}

/// Pictures say what a renderer needs to convert them on the GPU: the
/// planes with their geometry (byte for byte ffmpeg's planar frame, here
/// 10-bit) and the color description the stream signals, as ffprobe reads
/// it.
#[test]
fn pictures_carry_planes_for_upload_and_the_streams_color_description() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("colordesc");
    let path = dir.join("bt709_10bit.mp4");
    ffmpeg_lavfi(
        &path,
        "testsrc2=size=320x240:rate=30:duration=1",
        &[
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p10le",
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
            "-chroma_sample_location",
            "topleft",
        ],
    );
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=color_primaries,color_transfer,chroma_location")
        .args(["-of", "csv=p=0"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "bt709,bt709,topleft"
    );
    let (mut source, times) = source_of(&path);
    let expected = ffmpeg_frames(&path, "yuv420p10le", 320 * 240 * 3);
    let frame = source.frame_at(times[7]).unwrap().unwrap();
    // Chroma siting 2 (top-left) in ISO/IEC 23091-2 terms, as ffprobe says.
    assert_eq!(
        (frame.primaries, frame.transfer, frame.chroma_location),
        (1, 1, 2)
    );
    let views = frame.plane_views();
    let geometry: Vec<_> = views
        .iter()
        .map(|v| (v.width, v.height, v.stride, v.bytes_per_sample))
        .collect();
    assert_eq!(
        geometry,
        [(320, 240, 640, 2), (160, 120, 320, 2), (160, 120, 320, 2)]
    );
    let bytes: Vec<u8> = views.iter().flat_map(|v| v.data.iter().copied()).collect();
    assert!(bytes == expected[7], "planes differ from ffmpeg's frame");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A live view of a recording still being written: the store refreshes
/// from the file under a budget, the follower appends the new samples to
/// the frame server's stream, and frames logged after the view opened
/// decode as ffmpeg decodes them.
#[test]
fn a_recording_being_written_is_followed_frame_by_frame() {
    use reel_query::SampleClock;
    use reel_query::frames::following_stream_source;
    use reel_sdk::{RecordingStreamBuilder, Store, VideoCodec, VideoStream};
    use reel_types::EntityPath;
    use std::sync::{Arc, RwLock};
    if !ffmpeg_available() {
        return;
    }
    let path = generated_media().join("h264_no_bframes.mp4");
    let expected = ffmpeg_frames(&path, "yuv420p", 320 * 240 * 3 / 2);
    let (mut full, times) = source_of(&path);
    let samples: Vec<StreamSample> = (0..full.len())
        .map(|i| full.sample(i).unwrap().unwrap())
        .collect();
    let dir = tempdir("follow");
    let recording = dir.join("live.reel");
    let rec = RecordingStreamBuilder::new("follow")
        .save(&recording)
        .unwrap();
    rec.log_static("camera", &VideoStream::new(VideoCodec::H264))
        .unwrap();
    let log = |range: std::ops::Range<usize>| {
        for s in &samples[range] {
            rec.set_time("time", std::time::Duration::from_nanos(s.pts as u64));
            let row = VideoStream::from_sample(s.data.as_slice().to_vec())
                .unwrap()
                .with_keyframe(s.is_keyframe);
            rec.log("camera", &row).unwrap();
        }
        rec.flush().unwrap();
    };
    log(0..30);
    let (store, _) = Store::load_with_budget(&recording, Some(1 << 20)).unwrap();
    let store = Arc::new(RwLock::new(store));
    let entity = EntityPath::parse("camera").unwrap();
    let (mut source, mut follower) = following_stream_source(
        store.clone(),
        &entity,
        &SampleClock::Timeline("time".into()),
    )
    .unwrap();
    source.set_open_ended(true);
    let server = FrameServer::new(ServerOptions::default());
    let frames = server.add_stream(source);
    let wait = |i: usize| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let reply = frames.request(times[i]);
            assert!(reply.error.is_none(), "frame {i}: {:?}", reply.error);
            if reply.exact {
                return reply.frame.unwrap();
            }
            assert!(std::time::Instant::now() < deadline, "frame {i} never came");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    };
    assert!(wait(20).to_planar_bytes() == expected[20], "frame 20");
    // The writer goes on; the viewer refreshes.
    log(30..60);
    let report = store.write().unwrap().refresh().unwrap();
    assert!(report.chunks > 0);
    // The store's lock and the source's are never held together.
    let new = follower.collect_new(&store.read().unwrap()).unwrap();
    assert_eq!(new.len(), 30);
    frames.with_source(|s| new.append_to(s));
    // Nothing new: nothing appended.
    assert!(
        follower
            .collect_new(&store.read().unwrap())
            .unwrap()
            .is_empty()
    );
    for i in [45, 31, 58] {
        assert!(wait(i).to_planar_bytes() == expected[i], "frame {i}");
    }
    drop(rec);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Playing forward keeps only a floor of frames behind the playhead;
/// scrubbing back over evicted frames makes the cache keep more, and the
/// frames it hands out are ffmpeg's, evicted or not.
#[test]
fn history_is_kept_as_far_as_it_is_asked_for_again() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("history");
    let path = dir.join("h264_720p_3s.mp4");
    // 90 frames of 1.38 MB decoded: 124 MB, four times the history floor.
    ffmpeg_lavfi(
        &path,
        "testsrc2=size=1280x720:rate=30:duration=3",
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "30",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let frame_bytes = 1280 * 720 * 3 / 2;
    let expected = ffmpeg_frames(&path, "yuv420p", frame_bytes);
    let floor = reel_decode::HISTORY_FLOOR_BYTES;

    let (mut source, times) = source_of(&path);
    let mut peak = 0;
    for (i, t) in times.iter().enumerate() {
        let f = source.frame_at(*t).unwrap().unwrap();
        if i % 10 == 0 {
            assert!(f.to_planar_bytes() == expected[i], "frame {i}");
        }
        peak = peak.max(source.cached_bytes());
    }
    // The floor behind, a few frames ahead (the decoder's reordering).
    assert!(
        peak <= floor + 8 * frame_bytes,
        "forward play held {peak} bytes"
    );

    // Back over evicted frames: each is decoded again, right, and the
    // cache grows to keep what is revisited.
    for i in (0..times.len()).rev().step_by(7) {
        let f = source.frame_at(times[i]).unwrap().unwrap();
        assert!(f.to_planar_bytes() == expected[i], "back to frame {i}");
    }
    assert!(
        source.cached_bytes() > floor + 8 * frame_bytes,
        "scrubbing back grew the cache: {} bytes",
        source.cached_bytes()
    );
    // The same scrub again: every frame it asks for is kept now.
    let decoded = source.stats().samples_decoded;
    for i in (0..times.len()).rev().step_by(7) {
        source.frame_at(times[i]).unwrap().unwrap();
    }
    assert_eq!(
        source.stats().samples_decoded,
        decoded,
        "the second scrub decoded nothing"
    );

    // Without adaptation, forward play keeps everything the budget allows.
    let (mut fixed, _) = source_of(&path);
    fixed.set_adaptive_history(false);
    for t in &times {
        fixed.frame_at(*t).unwrap().unwrap();
    }
    assert!(
        fixed.cached_bytes() >= 85 * frame_bytes,
        "{}",
        fixed.cached_bytes()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reading a stream in order for throughput decodes its groups of pictures
/// on worker threads side by side; every frame must still be the one
/// ffmpeg decodes, read in order and after jumping back. Streams with
/// leading pictures (open GOPs) must not be split into groups, nor streams
/// whose groups do not fit a worker's share of the cache budget (half the
/// budget over the workers): those take the one multi-threaded decoder.
#[test]
fn groups_of_pictures_decoded_side_by_side_match_ffmpeg() {
    if !ffmpeg_available() || !libav() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempdir("gop-parallel");
    // name, ffmpeg arguments, split into groups (closed GOPs)
    let streams: &[(&str, &[&str], bool)] = &[
        (
            "h264_bframes.mp4",
            &[
                "-c:v", "libx264", "-bf", "3", "-g", "15", "-pix_fmt", "yuv420p",
            ],
            true,
        ),
        (
            "h264_422_10bit.mkv",
            &["-c:v", "libx264", "-g", "15", "-pix_fmt", "yuv422p10le"],
            true,
        ),
        (
            "h264_open_gop.mp4",
            &[
                "-c:v",
                "libx264",
                "-bf",
                "3",
                "-g",
                "15",
                "-x264-params",
                "open-gop=1",
                "-pix_fmt",
                "yuv420p",
            ],
            false,
        ),
        (
            "h265_closed.mp4",
            &[
                "-c:v",
                "libx265",
                "-g",
                "15",
                "-x265-params",
                "no-open-gop=1:log-level=error",
                "-pix_fmt",
                "yuv420p",
            ],
            true,
        ),
        (
            "h265_open.mp4",
            &[
                "-c:v",
                "libx265",
                "-g",
                "15",
                "-x265-params",
                "open-gop=1:log-level=error",
                "-pix_fmt",
                "yuv420p",
            ],
            false,
        ),
        (
            "av1.mp4",
            &[
                "-c:v",
                "libaom-av1",
                "-cpu-used",
                "8",
                "-g",
                "15",
                "-pix_fmt",
                "yuv420p",
            ],
            true,
        ),
        (
            "vp9_444_10bit.webm",
            &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "15",
                "-pix_fmt",
                "yuv444p10le",
            ],
            true,
        ),
    ];
    for (name, args, closed) in streams {
        let path = dir.join(name);
        ffmpeg_lavfi(&path, "testsrc2=size=320x240:rate=30:duration=4", args);
        let (expected, frame_bytes) = {
            let (mut probe, times) = source_of(&path);
            let first = probe.frame_at(times[0]).unwrap().unwrap();
            let frames = ffmpeg_frames(
                &path,
                &first.ffmpeg_pix_fmt(),
                first.to_planar_bytes().len(),
            );
            (frames, first.heap_size())
        };
        for budget in [reel_decode::DEFAULT_CACHE_BYTES, 16 << 20, 2 << 20] {
            let (mut source, times) = source_of(&path);
            assert_eq!(times.len(), expected.len(), "{name}: frame count");
            source.set_low_latency(false);
            source.set_cache_bytes(budget);
            // In order, then back to the middle and on to the end.
            let middle = times.len() / 2 + 3;
            let order = (0..times.len()).chain(middle..times.len());
            for i in order {
                let frame = source.frame_at(times[i]).unwrap().unwrap();
                assert!(
                    frame.to_planar_bytes() == expected[i],
                    "{name}, budget {budget}: frame {i}"
                );
            }
            let groups = source.stats().groups;
            // 15 frames per group, one group per worker (up to 8).
            let fits = 15 * frame_bytes <= budget / (2 * cores.min(8));
            if *closed && cores >= 2 && fits {
                assert!(
                    groups >= 8,
                    "{name}, budget {budget}: {groups} groups on worker threads"
                );
            } else {
                assert_eq!(groups, 0, "{name}, budget {budget}: split into groups");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
