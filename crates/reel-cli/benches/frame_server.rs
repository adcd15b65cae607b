//! Eight streams played at once, as a viewer with eight video views would:
//! reel's `FrameServer` (one pool of decoding threads for all streams,
//! requests that never wait for a decoder) beside `Playback` (a thread per
//! stream, `frame_at` decoding on the caller's thread when the prefetch
//! missed), on the same files.
//!
//! A 60 Hz paint loop asks every stream for the frame at the playhead for
//! 10 s; four views are visible, four hidden (scrolled away). Printed:
//! the time each request took (p50, p99, max) and, per group, the share of
//! paints that showed the exact frame. Then eight 1080p streams, more than
//! the machine decodes in real time: the visible ones should keep up first.
//!
//! Run: `cargo bench -p reel-cli --bench frame_server` (needs ffmpeg;
//! media are made once under target/bench-media).

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{make_once, target_dir};

use reel_decode::{FrameServer, FrameSource, Playback, ServerOptions};
use reel_sdk::MediaFile;

const SECONDS: u64 = 10;
const PAINT_HZ: u64 = 60;

fn make(path: &Path, args: &[&str]) {
    make_sized(path, "640x360", args);
}

fn make_sized(path: &Path, size: &str, args: &[&str]) {
    let source = format!("testsrc2=size={size}:rate=30:duration={}", SECONDS + 2);
    make_once(path, &source, args);
}

fn source(path: &Path) -> FrameSource {
    FrameSource::from_media_file(MediaFile::open(path).unwrap()).unwrap()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// What one run measured.
struct Run {
    latencies_ms: Vec<f64>,
    /// Exact frames shown / paints, visible and hidden views.
    exact: [(u64, u64); 2],
}

fn report(name: &str, mut run: Run) {
    let n = run.latencies_ms.len();
    let p50 = percentile(&mut run.latencies_ms, 0.5);
    let p99 = percentile(&mut run.latencies_ms, 0.99);
    let max = run.latencies_ms.last().copied().unwrap_or(0.0);
    let share = |(e, n): (u64, u64)| 100.0 * e as f64 / n.max(1) as f64;
    println!(
        "{name:<34} {n:>7} {p50:>9.3} {p99:>9.3} {max:>9.1} {:>13.1}% {:>12.1}%",
        share(run.exact[0]),
        share(run.exact[1])
    );
}

/// The paint loop: `ask(stream, t)` returns whether the exact frame came.
fn paint_loop(streams: usize, visible: usize, mut ask: impl FnMut(usize, i64) -> bool) -> Run {
    let mut run = Run {
        latencies_ms: Vec::new(),
        exact: [(0, 0); 2],
    };
    let start = Instant::now();
    let tick = Duration::from_nanos(1_000_000_000 / PAINT_HZ);
    let mut next = start;
    while start.elapsed() < Duration::from_secs(SECONDS) {
        let t = start.elapsed().as_nanos() as i64;
        for s in 0..streams {
            let asked = Instant::now();
            let exact = ask(s, t);
            run.latencies_ms.push(asked.elapsed().as_secs_f64() * 1e3);
            let group = usize::from(s >= visible);
            run.exact[group].0 += u64::from(exact);
            run.exact[group].1 += 1;
        }
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    run
}

fn main() {
    let dir = target_dir().join("bench-media");
    std::fs::create_dir_all(&dir).unwrap();
    let h264 = dir.join("h264_360p30_bframes.mp4");
    make(&h264, &["-c:v", "libx264", "-g", "60", "-bf", "2"]);
    let h265 = dir.join("h265_360p30.mp4");
    make(
        &h265,
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=error:keyint=60",
        ],
    );
    let vp9 = dir.join("vp9_360p30.webm");
    make(
        &vp9,
        &[
            "-c:v",
            "libvpx-vp9",
            "-g",
            "60",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    );
    let av1 = dir.join("av1_360p30.mp4");
    make(
        &av1,
        &[
            "-c:v",
            "libaom-av1",
            "-g",
            "60",
            "-cpu-used",
            "8",
            "-usage",
            "realtime",
        ],
    );
    // Eight views: each file twice; views 0–3 visible.
    let files = [&h264, &h265, &vp9, &av1, &h264, &h265, &vp9, &av1];
    let visible = 4;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!(
        "8 streams of 640x360 30 fps (H.264 B-frames, H.265, VP9, AV1; each twice), {visible} visible; \
         {PAINT_HZ} Hz paint loop for {SECONDS} s on {cores} cores"
    );
    println!(
        "{:<34} {:>7} {:>9} {:>9} {:>9} {:>14} {:>13}",
        "", "asks", "p50 ms", "p99 ms", "max ms", "exact visible", "exact hidden"
    );

    // reel's frame server: one pool, requests never wait; with its default
    // threads and with one per core.
    for threads in [0, cores] {
        let server = FrameServer::new(ServerOptions {
            threads,
            ..ServerOptions::default()
        });
        let streams: Vec<_> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let s = server.add_stream(source(f));
                s.set_visible(i < visible);
                s.set_playing(Some(500_000_000));
                s
            })
            .collect();
        let run = paint_loop(streams.len(), visible, |s, t| streams[s].request(t).exact);
        report(&format!("FrameServer ({} threads)", server.threads()), run);
    }

    // Before: a Playback (prefetch thread) per stream, frame_at blocking on a miss.
    {
        let players: Vec<_> = files
            .iter()
            .map(|f| Playback::new(source(f), 500_000_000))
            .collect();
        let run = paint_loop(players.len(), visible, |s, t| {
            players[s].frame_at(t).ok().flatten().is_some()
        });
        report("Playback per stream (blocking)", run);
    }

    // More than the decoders can do: eight 1080p H.264 streams. The pool
    // should spend what it has on the visible views.
    let hd = dir.join("h264_1080p30_bframes.mp4");
    make_sized(
        &hd,
        "1920x1080",
        &["-c:v", "libx264", "-preset", "veryfast", "-g", "60"],
    );
    println!("overloaded: 8 streams of 1920x1080 30 fps H.264 (B-frames), {visible} visible");
    {
        let server = FrameServer::new(ServerOptions::default());
        let streams: Vec<_> = (0..8)
            .map(|i| {
                let s = server.add_stream(source(&hd));
                s.set_visible(i < visible);
                s.set_playing(Some(500_000_000));
                s
            })
            .collect();
        let run = paint_loop(streams.len(), visible, |s, t| streams[s].request(t).exact);
        report(&format!("FrameServer ({} threads)", server.threads()), run);
    }
}
