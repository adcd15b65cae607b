//! The viewer playing real video in a window under Xvfb with Mesa's
//! software OpenGL: one 1920x1080 and four 1280x720 H.264 streams at 30 fps
//! played for `REEL_VIEWER_BENCH_SECONDS` (default 60), once with the clock
//! waiting for late frames (the default) and once skipping them.
//!
//! Printed per run: UI frame time p50/p95/p99/max, seconds the clock
//! waited, frames shown against frames due (and skipped per minute) per
//! view, the viewer's CPU use in cores; and how long opening took to the
//! first pictures on screen (`--screenshot`, which waits for every view),
//! also for a 1 GB recording (the frame at 100 s; peak memory), for the
//! same recording without its footer (scanned while the first frames
//! show), and the peak memory while it is read whole behind playback; the
//! UI frame time while stepping back through frames just played.
//!
//! Run: `cargo bench -p reel-cli --bench viewer` (needs ffmpeg and
//! xvfb-run; media are made once under target/bench-media).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;
use common::{make_once, target_dir};

use serde_json::Value;

/// A 62 s clip of an ffmpeg test pattern at `size`, H.264 (libx264
/// veryfast: B-frames, 250-frame GOPs), made once.
fn make(path: &Path, size: &str, pattern: &str) {
    let source = format!("{pattern}=size={size}:rate=30");
    let args = [
        "-t", "62", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
    ];
    make_once(path, &source, &args);
}

fn reel_view(args: &[String]) -> (Value, f64) {
    let started = Instant::now();
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1920x1080x24"])
        .arg(env!("CARGO_BIN_EXE_reel"))
        .arg("view")
        .args(args)
        .output()
        .expect("xvfb-run is needed for this benchmark (apt-get install xvfb)");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "reel view {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    (serde_json::from_str(&last).unwrap_or(Value::Null), wall)
}

fn main() {
    let dir = target_dir().join("bench-media/viewer");
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("1080p.mp4");
    make(&big, "1920x1080", "testsrc2");
    let mut files = vec![big];
    for (i, pattern) in ["testsrc2", "smptehdbars", "mandelbrot", "rgbtestsrc"]
        .iter()
        .enumerate()
    {
        let f = dir.join(format!("720p_{i}.mp4"));
        make(&f, "1280x720", pattern);
        files.push(f);
    }
    let seconds: f64 = std::env::var("REEL_VIEWER_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();

    // Open to the first pictures on screen: process start to the screenshot
    // (every view settled), the X server's start included.
    let shot = dir.join("first.png");
    let mut args = paths.clone();
    args.extend(["--screenshot".into(), shot.display().to_string()]);
    let mut opens: Vec<f64> = (0..3).map(|_| reel_view(&args).1).collect();
    opens.sort_by(f64::total_cmp);
    println!(
        "open 1x1080p + 4x720p H.264 files to all five first frames on screen (incl. Xvfb start): median {:.0} ms",
        opens[1] * 1000.0
    );

    // A 1 GB recording: 200 s of 1080p H.264 at 40 Mbit/s as a VideoStream.
    let recording = dir.join("big.reel");
    if !recording.exists() {
        let big = dir.join("big1080.mp4");
        if !big.exists() {
            eprintln!("making {} with ffmpeg (once)…", big.display());
            let ok = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
                .arg("testsrc2=size=1920x1080:rate=30")
                .args(["-t", "200", "-c:v", "libx264", "-preset", "ultrafast"])
                .args([
                    "-b:v", "40M", "-maxrate", "40M", "-bufsize", "80M", "-g", "60",
                ])
                .arg(&big)
                .status()
                .expect("ffmpeg");
            assert!(ok.success());
        }
        let ok = Command::new(env!("CARGO_BIN_EXE_reel"))
            .args(["import", &big.display().to_string(), "--out"])
            .arg(&recording)
            .args(["--entity", "/camera"])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let mb = std::fs::metadata(&recording).map_or(0, |m| m.len()) / 1_000_000;
    let args: Vec<String> = vec![
        recording.display().to_string(),
        "--time".into(),
        "100".into(),
        "--screenshot".into(),
        shot.display().to_string(),
    ];
    let mut runs: Vec<(f64, f64)> = (0..3)
        .map(|_| {
            let (r, wall) = reel_view(&args);
            (wall, r["max_rss_mb"].as_f64().unwrap_or(f64::NAN))
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "open a {mb} MB recording (1080p H.264) to the frame at 100 s on screen (incl. Xvfb start): median {:.0} ms, peak memory {:.0} MB",
        runs[1].0 * 1000.0,
        runs[1].1
    );
    // The same recording without its footer (a writer that crashed): no
    // index, so it is scanned in parts while the first frames show.
    let crashed = dir.join("crashed.reel");
    if !crashed.exists() {
        let len = std::fs::metadata(&recording).unwrap().len();
        let mut cut = std::fs::File::open(&recording).unwrap();
        let mut out = std::fs::File::create(&crashed).unwrap();
        std::io::copy(
            &mut std::io::Read::take(&mut cut, len - len / 100),
            &mut out,
        )
        .unwrap();
    }
    for at in ["1", "100"] {
        let args: Vec<String> = vec![
            crashed.display().to_string(),
            "--time".into(),
            at.into(),
            "--screenshot".into(),
            shot.display().to_string(),
        ];
        let (r, wall) = reel_view(&args);
        println!(
            "open it without its footer (cut 1% short) to the frame at {at} s on screen, scanning meanwhile: {:.0} ms, peak memory {:.0} MB",
            wall * 1000.0,
            r["max_rss_mb"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let args: Vec<String> = vec![
        recording.display().to_string(),
        "--play-for".into(),
        "20".into(),
    ];
    let (r, _) = reel_view(&args);
    println!(
        "the same recording read whole in the background while playing 20 s: peak memory {:.0} MB, {} of {} frames shown",
        r["max_rss_mb"].as_f64().unwrap_or(f64::NAN),
        r["views"][0]["shown"],
        r["views"][0]["due"],
    );

    // Stepping back through what was just played (one frame per UI frame).
    for (what, set) in [("1x1080p", &paths[..1]), ("1x1080p + 4x720p", &paths[..])] {
        let mut args = set.to_vec();
        args.extend(["--play-for".into(), "5".into(), "--step-back".into()]);
        let (r, _) = reel_view(&args);
        let back = &r["step_back"];
        println!(
            "step back 60 frames after playing 5 s, {what}: UI frame p50 {:.1} / p95 {:.1} / p99 {:.1} ms; exact frame at once on {} of {} steps (the rest one UI frame later)",
            back["ui_frame_ms"]["p50"].as_f64().unwrap_or(0.0),
            back["ui_frame_ms"]["p95"].as_f64().unwrap_or(0.0),
            back["ui_frame_ms"]["p99"].as_f64().unwrap_or(0.0),
            back["exact_at_once"],
            back["steps"],
        );
    }

    println!(
        "\nplaying 1x1080p30 + 4x720p30 H.264 for {seconds:.0} s under Xvfb (llvmpipe), {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}  shown/due per view (skipped per minute)",
        "clock", "p50 ms", "p95 ms", "p99 ms", "max ms", "waited s", "CPU cores"
    );
    for behind in ["wait", "skip"] {
        let mut args = paths.clone();
        args.extend([
            "--play-for".into(),
            seconds.to_string(),
            "--when-behind".into(),
            behind.into(),
        ]);
        let (r, _) = reel_view(&args);
        let ms = &r["ui_frame_ms"];
        let views: Vec<String> = r["views"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|v| {
                        let (due, shown) = (
                            v["due"].as_u64().unwrap_or(0),
                            v["shown"].as_u64().unwrap_or(0),
                        );
                        let name = v["entity"].as_str().unwrap_or("?").trim_end_matches(".mp4");
                        let per_min = due.saturating_sub(shown) as f64 * 60.0
                            / r["seconds"].as_f64().unwrap_or(1.0);
                        format!("{name} {shown}/{due} ({per_min:.0})")
                    })
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{behind:<6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>10.2}  {}",
            ms["p50"].as_f64().unwrap_or(0.0),
            ms["p95"].as_f64().unwrap_or(0.0),
            ms["p99"].as_f64().unwrap_or(0.0),
            ms["max"].as_f64().unwrap_or(0.0),
            r["waited_seconds"].as_f64().unwrap_or(0.0),
            r["cpu_seconds"].as_f64().unwrap_or(0.0) / r["wall_seconds"].as_f64().unwrap_or(1.0),
            views.join(", ")
        );
    }
}
