//! Bounded memory on the read path: a long H.264 stream is logged to a
//! recording (a 10 s ffmpeg clip replayed with shifted times), loaded
//! into a store with a chunk budget, and played through the frame server
//! with a frame budget: seeks all over it, then real-time playback. The
//! peak resident memory (VmHWM) of loading and playing must stay under the
//! two budgets plus a fixed overhead and must not grow with the stream's
//! length (a third as long first), and every frame asked for is checked
//! against the clip's own frame by pixels (ffmpeg's framemd5).
//!
//! One test in this file, so the process measured runs nothing else. CI
//! replays 2 and 6 minutes of 640x360 under 48 MiB; `REEL_MEMORY_MINUTES=30
//! REEL_MEMORY_SIZE=1280x720 REEL_MEMORY_BUDGET_MB=256 cargo test --release
//! -p reel-cli --test memory -- --nocapture` runs the 30-minute 720p case.

mod common;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use common::*;
use md5::{Digest, Md5};
use reel_decode::{FrameServer, ServerOptions};
use reel_query::SampleClock;
use reel_query::frames::lazy_stream_source;
use reel_sdk::{MediaFile, RecordingStreamBuilder, Store, VideoCodec, VideoStream};
use reel_types::EntityPath;

const CLIP_SECONDS: i64 = 10;
const MIB: usize = 1 << 20;

/// Peak resident memory of this process so far (Linux), in bytes.
fn peak_rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn a_long_stream_plays_within_the_memory_budget() {
    if !ffmpeg_available() {
        return;
    }
    // A child run measures one length in a process of its own.
    if let Some(minutes) = std::env::var("REEL_MEMORY_CHILD_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
    {
        println!("PEAK {}", replay_and_play(minutes));
        return;
    }
    let minutes: i64 = std::env::var("REEL_MEMORY_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(6);
    // The same stream a third as long first: memory must not grow with
    // the length of the recording.
    let short_minutes = (minutes / 3).max(1);
    let run = |m: i64| -> usize {
        let o = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "a_long_stream_plays_within_the_memory_budget",
                "--exact",
                "--nocapture",
            ])
            .env("REEL_MEMORY_CHILD_MINUTES", m.to_string())
            // What the reel binaries set at startup (see `bound_the_allocator`
            // in main.rs): glibc's heap would otherwise keep freed chunks.
            .env("MALLOC_MMAP_THRESHOLD_", "131072")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        print!(
            "{}",
            out.lines()
                .filter(|l| !l.starts_with("PEAK"))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        );
        assert!(
            o.status.success(),
            "{m} min: {out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        out.lines()
            .find_map(|l| l.strip_prefix("PEAK ")?.parse().ok())
            .expect("the child prints its peak")
    };
    let short = run(short_minutes);
    let long = run(minutes);
    println!(
        "peak resident memory: {} MB for {short_minutes} min, {} MB for {minutes} min",
        short / MIB,
        long / MIB
    );
    assert!(
        long <= short + 16 * MIB,
        "peak resident memory grew with the stream: {} MB for {short_minutes} min, {} MB for {minutes} min",
        short / MIB,
        long / MIB
    );
}

/// Logs `minutes` of the stream, loads and plays it; returns the peak
/// resident memory of loading and playing.
fn replay_and_play(minutes: i64) -> usize {
    let size = std::env::var("REEL_MEMORY_SIZE").unwrap_or_else(|_| "640x360".into());
    // Split evenly between the store's chunks and the decoded frames.
    let budget_mib: usize = std::env::var("REEL_MEMORY_BUDGET_MB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(48);
    let (store_budget, frame_budget) = (budget_mib / 2 * MIB, budget_mib / 2 * MIB);
    let dir = tempdir(&format!("memory{minutes}"));
    let clip = dir.join("clip.mp4");
    ffmpeg_lavfi(
        &clip,
        &format!("testsrc2=size={size}:rate=30:duration={CLIP_SECONDS}"),
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "60",
            "-b:v",
            "3M",
            "-maxrate",
            "3M",
            "-bufsize",
            "3M",
        ],
    );
    // ffmpeg's decode of the clip, as one MD5 per frame (holding the
    // frames would cost the test more memory than the player it measures).
    let o = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&clip)
        .args(["-pix_fmt", "yuv420p", "-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let expected: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|m| m.trim().to_owned()))
        .collect();
    let frames_per_clip = expected.len();
    assert_eq!(frames_per_clip as i64, CLIP_SECONDS * 30);

    // Log the replay: the clip's samples again and again, times shifted.
    let recording = dir.join("long.reel");
    let logged = Instant::now();
    let mut file = MediaFile::open(&clip).unwrap();
    let track = file.video_track().unwrap().clone();
    let samples: Vec<(Vec<u8>, i64, bool)> = (0..track.samples.len())
        .map(|i| {
            let s = &track.samples[i];
            (
                file.read_sample(0, i).unwrap(),
                track.ticks_to_ns(s.pts),
                s.is_keyframe,
            )
        })
        .collect();
    let loops = minutes * 60 / CLIP_SECONDS;
    let mut sample_bytes = 0usize;
    {
        let rec = RecordingStreamBuilder::new("memory")
            .save(&recording)
            .unwrap();
        rec.log_static("camera", &VideoStream::new(VideoCodec::H264))
            .unwrap();
        for l in 0..loops {
            for (data, pts, key) in &samples {
                let t = l * CLIP_SECONDS * 1_000_000_000 + pts;
                rec.set_time("time", Duration::from_nanos(t as u64));
                let row = VideoStream::from_sample(data.clone())
                    .unwrap()
                    .with_keyframe(*key);
                rec.log("camera", &row).unwrap();
                sample_bytes += data.len();
            }
        }
        rec.flush().unwrap();
    }
    let file_bytes = std::fs::metadata(&recording).unwrap().len();
    println!(
        "replay: {minutes} min of {size} H.264 ({} samples, {:.0} MB of samples, {:.0} MB file) logged in {:.1?}",
        loops as usize * samples.len(),
        sample_bytes as f64 / 1e6,
        file_bytes as f64 / 1e6,
        logged.elapsed()
    );
    drop(samples);
    let logging_peak = peak_rss();
    // From here on the reader side is measured: reset the high-water mark
    // (Linux: writing 5 to clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    // Load under a budget and play through the frame server.
    let (store, report) = Store::load_with_budget(&recording, Some(store_budget)).unwrap();
    assert!(!report.is_damaged());
    let memory = store.memory();
    println!(
        "store: {:.0} MB of chunks resident of {:.0} MB budget, {} chunks dropped",
        memory.resident_bytes as f64 / 1e6,
        store_budget as f64 / 1e6,
        memory.evicted_chunks
    );
    assert!(memory.resident_bytes <= store_budget);
    assert!(
        memory.evicted_chunks > 0,
        "the recording must exceed the budget"
    );
    let store = Arc::new(RwLock::new(store));
    let entity = EntityPath::parse("camera").unwrap();
    let source = lazy_stream_source(
        store.clone(),
        &entity,
        &SampleClock::Timeline("time".into()),
    )
    .unwrap();
    let server = FrameServer::new(ServerOptions {
        threads: 0,
        frame_budget,
    });
    let frames = server.add_stream(source);
    let frame_ns = 1_000_000_000 / 30;
    let wait_exact = |t: i64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let reply = frames.request(t);
            assert!(reply.error.is_none(), "at {t}: {:?}", reply.error);
            if reply.exact {
                return reply.frame.unwrap();
            }
            assert!(Instant::now() < deadline, "the frame at {t} never came");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    // Seeks all over the stream, each checked by pixels.
    let seeks = Instant::now();
    let total_frames = loops * frames_per_clip as i64;
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x % total_frames as u64) as i64;
        let (l, i) = (n / frames_per_clip as i64, n % frames_per_clip as i64);
        let t = l * CLIP_SECONDS * 1_000_000_000 + i * frame_ns + frame_ns / 2;
        let frame = wait_exact(t);
        assert_eq!(
            format!("{:x}", Md5::digest(frame.to_planar_bytes())),
            expected[i as usize],
            "frame {i} of loop {l} differs from ffmpeg's"
        );
    }
    println!("40 seeks checked by pixels in {:.1?}", seeks.elapsed());
    // Then 5 s of playback at real time from the middle.
    frames.set_playing(Some(500_000_000));
    let start_t = loops / 2 * CLIP_SECONDS * 1_000_000_000;
    let started = Instant::now();
    let (mut exact, mut paints) = (0, 0);
    while started.elapsed() < Duration::from_secs(5) {
        let reply = frames.request(start_t + started.elapsed().as_nanos() as i64);
        exact += usize::from(reply.exact);
        paints += 1;
        std::thread::sleep(Duration::from_millis(16));
    }
    drop(frames);
    drop(server);
    let memory = store.read().unwrap().memory();
    let peak = peak_rss();
    println!(
        "playback: {exact} of {paints} paints exact; store reads again {} chunks; peak resident memory {:.0} MB while loading and playing, {:.0} MB while logging (budgets {:.0} + {:.0} MB)",
        memory.reloads,
        peak as f64 / 1e6,
        logging_peak as f64 / 1e6,
        store_budget as f64 / 1e6,
        frame_budget as f64 / 1e6
    );
    // A fixed overhead: the program and FFmpeg's libraries, decoder state,
    // a chunk being loaded (twice: its bytes and its arrays), the two
    // chunks kept after reading them again, idle picture buffers.
    let overhead = 96 * MIB;
    assert!(
        peak < store_budget + frame_budget + overhead,
        "peak resident memory {} MB",
        peak / MIB
    );
    let _ = std::fs::remove_dir_all(&dir);
    peak
}
