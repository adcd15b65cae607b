//! Decoding benchmark, one run on 1280x720 30 fps files made once with
//! ffmpeg (cached under target/bench-media):
//! - decode frames/s per codec, backend and thread count beside the
//!   `ffmpeg` command decoding the same file to `-f null` with the same
//!   thread count (`-threads 1`, or its default: all cores);
//! - random-seek latency p50/p95 on a 60 s stream with a 2 s GOP;
//! - backward scrub step latency with a warm cache;
//! - playback: frame wait with and without prefetch;
//! - live-edge latency: sample pushed → its frame out.
//!
//! Run: `cargo bench -p reel-cli --bench decode --features dav1d` (needs
//! ffmpeg; `dav1d` needs libdav1d-dev).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;
use common::{make_once, target_dir};

use reel_decode::{Backend, DecoderOptions, FrameSource, Playback, StreamSample};
use reel_sdk::MediaFile;
use reel_types::VideoCodec;

fn make(path: &Path, seconds: u32, args: &[&str]) {
    let source = format!("testsrc2=size=1280x720:rate=30:duration={seconds}");
    make_once(path, &source, args);
}

fn load(path: &Path) -> (FrameSource, Vec<i64>) {
    let source = FrameSource::from_media_file(MediaFile::open(path).unwrap()).unwrap();
    let times = source.frame_times();
    (source, times)
}

fn ffmpeg_fps(path: &Path, threads: Option<u32>, frames: usize) -> f64 {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if let Some(t) = threads {
        cmd.args(["-threads", &t.to_string()]);
    }
    cmd.arg("-i").arg(path).args(["-f", "null", "-"]);
    let t = Instant::now();
    assert!(cmd.status().unwrap().success());
    frames as f64 / t.elapsed().as_secs_f64()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = target_dir().join("bench-media");
    std::fs::create_dir_all(&dir).unwrap();
    let h264 = dir.join("h264_720p30_60s_gop60_nob.mp4");
    make(
        &h264,
        60,
        &[
            "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "60", "-pix_fmt", "yuv420p",
        ],
    );
    let h264b = dir.join("h264_720p30_10s_bframes.mp4");
    make(
        &h264b,
        10,
        &[
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ],
    );
    let av1 = dir.join("av1_720p30_60s_gop60.mp4");
    make(
        &av1,
        60,
        &[
            "-c:v",
            "libsvtav1",
            "-preset",
            "12",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-svtav1-params",
            "verbosity=-1",
        ],
    );
    let h265 = dir.join("h265_720p30_10s.mp4");
    make(
        &h265,
        10,
        &[
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
        ],
    );
    let vp9 = dir.join("vp9_720p30_10s.webm");
    make(
        &vp9,
        10,
        &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "2M",
        ],
    );

    println!(
        "Decode throughput, 1280x720 (frames/s; reel decodes every frame in order via FrameSource\n\
         in throughput mode, each picture into its default 512 MiB cache, which keeps 32 MiB behind\n\
         the playhead; with all threads, groups of pictures are decoded side by side where one per\n\
         core fits half the budget. The last line keeps every frame, filling the cache: the first\n\
         touch of memory `ffmpeg -f null` never pays):"
    );
    println!(
        "{:<34} {:<9} {:>7} {:>8} {:>11} {:>7}",
        "stream", "backend", "threads", "reel", "ffmpeg CLI", "ratio"
    );
    for path in [&h264, &h264b, &av1, &h265, &vp9] {
        let (mut source, times) = load(path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let cli = [
            ffmpeg_fps(path, Some(1), times.len()),
            ffmpeg_fps(path, None, times.len()),
        ];
        let first_key = source.sample(0).unwrap().unwrap().data;
        let codec = MediaFile::open(path).unwrap().video_track().unwrap().codec;
        let mut runs = vec![(Backend::Libav, 1), (Backend::Libav, 0)];
        if codec == VideoCodec::H264 && reel_decode::openh264_decodes(&first_key) {
            runs.push((Backend::OpenH264, 1));
        }
        if codec == VideoCodec::AV1 && cfg!(feature = "dav1d") {
            runs.extend([(Backend::Dav1d, 1), (Backend::Dav1d, 0)]);
        }
        if codec == VideoCodec::AV1 && cfg!(feature = "rav1d") {
            runs.extend([(Backend::Rav1d, 1), (Backend::Rav1d, 0)]);
        }
        runs.push((Backend::Ffmpeg, 0));
        for (backend, threads) in runs {
            // A fresh source each run: one that read the stream before keeps
            // more of it (frames asked for again enlarge its cache's history).
            let (mut source, _) = load(path);
            source.set_backend(Some(backend));
            source.set_options(DecoderOptions {
                low_latency: false,
                threads,
            });
            source.set_cache_bytes(reel_decode::DEFAULT_CACHE_BYTES);
            let t = Instant::now();
            for ts in &times {
                if source.frame_at(*ts).is_err() {
                    break;
                }
            }
            let fps = times.len() as f64 / t.elapsed().as_secs_f64();
            let same = cli[usize::from(threads != 1)];
            println!(
                "{:<34} {:<9} {:>7} {:>8.0} {:>11.0} {:>6.2}x",
                name,
                format!("{backend:?}"),
                if threads == 1 { "1" } else { "all" },
                fps,
                same,
                fps / same
            );
        }
    }

    {
        let (mut source, times) = load(&h264);
        source.set_options(DecoderOptions {
            low_latency: false,
            threads: 1,
        });
        source.set_adaptive_history(false);
        let t = Instant::now();
        for ts in &times {
            source.frame_at(*ts).unwrap();
        }
        println!(
            "{:<34} {:<9} {:>7} {:>8.0}   (every frame kept: 512 MiB cache filling from empty)",
            h264.file_name().unwrap().to_string_lossy(),
            format!("{:?}", source.backend().unwrap()),
            1,
            times.len() as f64 / t.elapsed().as_secs_f64()
        );
    }

    println!("\nRandom seeks on 60 s streams with a 2 s GOP (100 seeks, fresh cache each, ms):");
    for path in [&h264, &av1] {
        let (_, times) = load(path);
        let mut rng = 0x2545_F491u64;
        let mut lat = Vec::new();
        let mut backend = String::new();
        for _ in 0..100 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let t = times[(rng % times.len() as u64) as usize];
            let (mut source, _) = load(path);
            // Open the decoder first so process start-up is not counted.
            source.frame_at(times[0]).unwrap();
            let start = Instant::now();
            source.frame_at(t).unwrap().unwrap();
            lat.push(start.elapsed().as_secs_f64() * 1e3);
            backend = format!("{:?}", source.backend().unwrap());
        }
        let (p50, p95) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.95));
        println!(
            "  {:<34} p50 {p50:>7.1}   p95 {p95:>7.1}   ({backend})",
            path.file_name().unwrap().to_string_lossy()
        );
    }

    println!(
        "\nFrame at a time from a 60 s 720p H.264 recording (1 s chunks): chunks read and load time (ms)\n\
         through the footer keyframe index vs loading the whole recording:"
    );
    {
        use reel_sdk::import::{ImportMode, import_video};
        use reel_sdk::{BatcherConfig, EntityPath, RecordingStreamBuilder};
        use reel_store::{RecordingReader, Store};
        let rec_path = dir.join("h264_720p30_60s.reel");
        let entity = EntityPath::parse("video").unwrap();
        if !rec_path.exists() {
            let rec = RecordingStreamBuilder::new("bench")
                .batcher_config(BatcherConfig {
                    max_rows: 30,
                    ..BatcherConfig::default()
                })
                .save(&rec_path)
                .unwrap();
            import_video(&rec, &h264, &entity, ImportMode::Stream, &mut |_, _| {}).unwrap();
        }
        let (mut indexed, mut full, mut read) = (Vec::new(), Vec::new(), (0, 0));
        for k in 0..20 {
            let t = (k * 2_950_000_000i64) % 60_000_000_000;
            let start = Instant::now();
            let mut reader = RecordingReader::open(&rec_path).unwrap();
            let index = reader.read_index().unwrap().unwrap();
            let offsets = index.chunks_for_frame_at(&entity, "video_time", t).unwrap();
            let chunks: Vec<_> = offsets
                .iter()
                .map(|o| reader.read_chunk_at(*o).unwrap())
                .collect();
            let store = Store::from_chunks(chunks);
            assert!(store.entity_info(&entity).is_some());
            indexed.push(start.elapsed().as_secs_f64() * 1e3);
            read = (offsets.len(), index.chunks.len());
            let start = Instant::now();
            let (store, _) = Store::load(&rec_path).unwrap();
            assert!(store.entity_info(&entity).is_some());
            full.push(start.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "  indexed: {} of {} chunks, p50 {:>6.2}   whole recording: p50 {:>7.2}",
            read.0,
            read.1,
            percentile(&mut indexed, 0.5),
            percentile(&mut full, 0.5)
        );
    }

    println!(
        "\nBackward scrub over the 120 frames just played (ms per step back one frame): history\n\
         kept to the budget (viewers: FrameServer, Playback) / adaptive (FrameSource's default,\n\
         32 MiB until frames evicted from it are asked for again):"
    );
    for path in [&h264, &av1] {
        let mut steps = Vec::new();
        for adaptive in [false, true] {
            let (mut source, times) = load(path);
            source.set_adaptive_history(adaptive);
            for t in &times[..120] {
                source.frame_at(*t).unwrap();
            }
            let start = Instant::now();
            for t in times[..120].iter().rev() {
                source.frame_at(*t).unwrap();
            }
            steps.push(start.elapsed().as_secs_f64() * 1e3 / 120.0);
        }
        println!(
            "  {:<34} {:>8.4} / {:.4}",
            path.file_name().unwrap().to_string_lossy(),
            steps[0],
            steps[1]
        );
    }

    println!(
        "\nPlayback: a viewer asks for each of 150 frames in turn and draws for 10 ms; wait in\n\
         frame_at (ms) without and with prefetch (Playback decoding 1 s ahead on its own thread):"
    );
    for path in [&h264, &av1, &h265] {
        let draw = std::time::Duration::from_millis(10);
        let mut waits = [Vec::new(), Vec::new()];
        for (k, wait) in waits.iter_mut().enumerate() {
            let (mut source, times) = load(path);
            source.set_low_latency(false);
            let mut frame_at: Box<dyn FnMut(i64)> = if k == 1 {
                let play = Playback::new(source, 1_000_000_000);
                Box::new(move |t| drop(play.frame_at(t).unwrap().unwrap()))
            } else {
                Box::new(move |t| drop(source.frame_at(t).unwrap().unwrap()))
            };
            for t in &times[..150] {
                let start = Instant::now();
                frame_at(*t);
                wait.push(start.elapsed().as_secs_f64() * 1e3);
                std::thread::sleep(draw);
            }
        }
        let [mut plain, mut ahead] = waits;
        println!(
            "  {:<34} without: p50 {:>6.2} p95 {:>6.2}   with prefetch: p50 {:>6.3} p95 {:>6.3}",
            path.file_name().unwrap().to_string_lossy(),
            percentile(&mut plain, 0.5),
            percentile(&mut plain, 0.95),
            percentile(&mut ahead, 0.5),
            percentile(&mut ahead, 0.95),
        );
    }

    println!(
        "\nLive edge: sample appended → its frame shown (ms; a frame lasts 33.3 ms). The stream is\n\
         open-ended, so frames held for reordering come out as later samples release them; samples\n\
         arrive back to back here, while live at 30 fps each sample of delay adds 33 ms:"
    );
    for path in [&h264, &h264b, &av1, &h265, &vp9] {
        let mut file = MediaFile::open(path).unwrap();
        let track = file.video_track().unwrap().clone();
        let mut live = FrameSource::new(track.codec);
        live.set_open_ended(true);
        // pts → (sample index, when appended), until shown.
        let mut waiting = std::collections::BTreeMap::new();
        let (mut lat, mut behind) = (Vec::new(), 0usize);
        let (mut newest, mut shown) = (i64::MIN, i64::MIN);
        for (i, s) in track.samples.iter().enumerate().take(150) {
            let data = reel_types::Blob::from(file.read_sample(0, i).unwrap());
            let pts = track.ticks_to_ns(s.pts);
            newest = newest.max(pts);
            waiting.insert(pts, (i, Instant::now()));
            live.append(StreamSample {
                data,
                pts,
                is_keyframe: s.is_keyframe,
            });
            if let Ok(Some(f)) = live.frame_at(newest) {
                shown = shown.max(f.pts);
            }
            let done: Vec<i64> = waiting.range(..=shown).map(|(p, _)| *p).collect();
            for p in done {
                let (j, at) = waiting.remove(&p).unwrap();
                lat.push(at.elapsed().as_secs_f64() * 1e3);
                behind = behind.max(i - j);
            }
        }
        let backend = live.backend().map(|b| format!("{b:?}")).unwrap_or_default();
        if lat.is_empty() {
            println!(
                "  {:<34} no frame shown within 150 samples ({backend})",
                path.file_name().unwrap().to_string_lossy()
            );
            continue;
        }
        let (p50, p95) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.95));
        println!(
            "  {:<34} p50 {p50:>6.2}   p95 {p95:>6.2}   ({backend}; at most {behind} samples after its own; decoded per sample: {:.2})",
            path.file_name().unwrap().to_string_lossy(),
            live.stats().samples_decoded as f64 / 150.0
        );
    }
}
