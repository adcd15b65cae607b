//! Every frame right by its pixels: `reel frame FILE --at T` against
//! ffmpeg's own decode to RGB (`-pix_fmt rgb24`) of the frame shown at T,
//! for streams whose paths the older media never took — open-GOP H.265
//! with B-frames (CRA + RASL pictures), AV1 10-bit, H.264 and AV1 in
//! 4:2:2, 4:4:4 and gray. Frames are compared by pixels (PSNR), never by
//! the PTS reel reports, and each check is shown able to fail: the frame
//! next to the right one must score below the bar.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Below this a frame is not the one ffmpeg shows.
const MIN_PSNR_DB: f64 = 45.0;

/// Streams made by ffmpeg from a moving test pattern (each frame differs).
const STREAMS: &[(&str, &str, &[&str])] = &[
    // x265's defaults: open GOP (CRA keyframes with RASL leading pictures,
    // shown before their keyframe), B-frames. (With this pattern x265 puts
    // leading pictures at each keyframe; the test checks that it did.)
    (
        "h265_open_gop.mp4",
        "testsrc=size=320x240:rate=30:duration=7",
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
        ],
    ),
    (
        "av1_10bit.mkv",
        "testsrc2=size=320x240:rate=30:duration=2",
        &[
            "-c:v",
            "libsvtav1",
            "-pix_fmt",
            "yuv420p10le",
            "-svtav1-params",
            "verbosity=-1",
        ],
    ),
    (
        "h264_422.mp4",
        "testsrc2=size=320x240:rate=30:duration=2",
        &["-c:v", "libx264", "-pix_fmt", "yuv422p"],
    ),
    (
        "h264_444.mp4",
        "testsrc2=size=320x240:rate=30:duration=2",
        &["-c:v", "libx264", "-pix_fmt", "yuv444p"],
    ),
    (
        "h264_gray.mp4",
        "testsrc2=size=320x240:rate=30:duration=2",
        &["-c:v", "libx264", "-pix_fmt", "gray"],
    ),
    (
        "av1_444.mkv",
        "testsrc2=size=320x240:rate=30:duration=2",
        &[
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-pix_fmt",
            "yuv444p",
        ],
    ),
    (
        "av1_422.mkv",
        "testsrc2=size=320x240:rate=30:duration=2",
        &[
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-pix_fmt",
            "yuv422p",
        ],
    ),
    (
        "av1_gray.mkv",
        "testsrc2=size=320x240:rate=30:duration=2",
        &["-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "gray"],
    ),
];

/// ffmpeg's decode of every frame to RGB, in presentation order.
///
/// swscale's default conversion depends on the input: 8-bit 4:2:0 takes a
/// fast path that repeats each chroma sample, other formats get a vertical
/// chroma filter. `neighbor+full_chroma_int+accurate_rnd` asks every input
/// for the same defined conversion reel makes (nearest chroma sample,
/// exact rounding), so what is compared is the decode and the colour
/// matrix and range, not the choice of upsampling filter.
fn ffmpeg_rgb(path: &Path, frame_bytes: usize) -> Vec<Vec<u8>> {
    ffmpeg_raw_frames(
        path,
        "rgb24",
        frame_bytes,
        &["-sws_flags", "neighbor+full_chroma_int+accurate_rnd"],
    )
}

/// ffmpeg's frame presentation times (ns), in order.
fn ffprobe_frame_times(path: &Path) -> Vec<i64> {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .map(|s| (s * 1e9).round() as i64)
        .collect()
}

#[test]
fn first_last_and_random_frames_match_ffmpegs_rgb() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("pixels");
    let png = dir.join("frame.png");
    let mut report = Vec::new();
    for (name, source, args) in STREAMS {
        let path = dir.join(name);
        ffmpeg_lavfi(&path, source, args);
        let times = ffprobe_frame_times(&path);
        let (w, h) = (320usize, 240usize);
        let expected = ffmpeg_rgb(&path, w * h * 3);
        assert_eq!(expected.len(), times.len(), "{name}: ffmpeg frame count");
        assert!(times.len() > 30, "{name}");
        // First, last, and 20 pseudo-random frames, each asked for at a
        // time between its PTS and the next frame's.
        let mut picks = vec![0, times.len() - 1];
        // Around every later keyframe: the leading pictures shown before it
        // and the frames after it, where a seek starts decoding.
        let (packets, (num, den)) = ffprobe_packets(&path);
        let to_ns =
            |t: i64| (i128::from(t) * i128::from(num) * 1_000_000_000 / i128::from(den)) as i64;
        let mut leading = 0;
        let mut key_pts = None;
        for p in &packets {
            let pts = p.pts.map(to_ns).unwrap_or(0);
            if p.keyframe {
                key_pts = Some(pts);
                if pts > 0 {
                    let k = times.partition_point(|t| *t < pts);
                    picks.extend(k.saturating_sub(6)..(k + 3).min(times.len()));
                }
            } else if key_pts.is_some_and(|k| pts < k) {
                leading += 1;
            }
        }
        if name.contains("open_gop") {
            assert!(leading > 0, "{name}: ffmpeg made no leading pictures");
        }
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        while picks.len() < 22 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            picks.push((rng % times.len() as u64) as usize);
        }
        let mut worst = f64::INFINITY;
        for &i in &picks {
            let next = times.get(i + 1).copied().unwrap_or(times[i] + 33_333_333);
            let t = times[i] + (next - times[i]) / 2;
            let at = format!("{t}ns");
            let out = reel(&[
                "frame",
                path.to_str().unwrap(),
                "--at",
                &at,
                "-o",
                png.to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{name} at frame {i} ({at}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (pw, ph, rgb) = read_png_rgb(&png);
            assert_eq!((pw as usize, ph as usize), (w, h), "{name}");
            let score = reel_encode::yuv::psnr(&rgb, &expected[i]);
            assert!(
                score >= MIN_PSNR_DB,
                "{name}: frame {i} at {at}: {score:.1} dB from ffmpeg's frame"
            );
            // The check can fail: a neighbouring frame scores below the bar.
            let neighbour = if i + 1 < expected.len() { i + 1 } else { i - 1 };
            let other = reel_encode::yuv::psnr(&rgb, &expected[neighbour]);
            assert!(
                other < MIN_PSNR_DB,
                "{name}: frame {i} is also {other:.1} dB from frame {neighbour}: the test cannot tell frames apart"
            );
            worst = worst.min(score);
        }
        report.push(format!("{name} ≥ {worst:.1} dB"));
    }
    eprintln!("pixels vs ffmpeg rgb24: {}", report.join(", "));
    let _ = std::fs::remove_dir_all(&dir);
}
