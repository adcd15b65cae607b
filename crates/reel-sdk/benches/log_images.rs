//! Logging 640x480 RGB8 `Image` frames to a file: ms per frame, MB/s and
//! bytes on disk, beside writing the same bytes with plain `std::fs`.
//!
//! Run: `cargo bench -p reel-sdk --bench log_images` (add `-- --frames N`).
//! Times include closing the file (the flush to disk's page cache), as the
//! Rerun figures quoted in the README do.

use std::io::Write;
use std::time::Instant;

use reel_sdk::synthetic::{moving_pattern_rgb8, noise_rgb8};
use reel_sdk::{Compression, Image, RecordingStreamBuilder};

const W: u32 = 640;
const H: u32 = 480;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames: usize = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let dir = std::env::temp_dir().join(format!("reel-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let frame_bytes = (W * H * 3) as usize;
    let raw_mb = (frames * frame_bytes) as f64 / 1e6;
    println!(
        "Logging {frames} frames of {W}x{H} RGB8 ({raw_mb:.0} MB raw) as Image to a .reel file"
    );
    println!(
        "{:<8} {:<12} {:>9} {:>9} {:>12} {:>8}",
        "pattern", "writer", "ms/frame", "MB/s", "file MB", "ratio"
    );

    for (pattern, make) in [
        (
            "smooth",
            moving_pattern_rgb8 as fn(u32, u32, u64) -> Vec<u8>,
        ),
        ("noisy", noise_rgb8),
    ] {
        let images: Vec<Image> = (0..frames as u64)
            .map(|i| Image::from_rgb8(make(W, H, i), [W, H]).expect("valid frame"))
            .collect();

        // Baseline: the same bytes through a buffered std::fs::File, run
        // twice; the first run only warms the page cache up.
        let path = dir.join("baseline.bin");
        for warm_up in [true, false] {
            settle_disk(&dir);
            let t = Instant::now();
            {
                let mut f = std::io::BufWriter::with_capacity(
                    1 << 20,
                    std::fs::File::create(&path).unwrap(),
                );
                for img in &images {
                    f.write_all(img.buffer()).unwrap();
                }
                f.flush().unwrap();
            }
            if !warm_up {
                report(
                    pattern,
                    "std::fs",
                    t.elapsed().as_secs_f64(),
                    frames,
                    raw_mb,
                    &path,
                );
            }
        }

        let mut compressions = vec![("off", Compression::Off), ("lz4", Compression::Lz4)];
        compressions.push(("zstd:1", Compression::Zstd(1)));
        compressions.push(("zstd:-3", Compression::Zstd(-3)));
        for (name, compression) in compressions {
            let path = dir.join(format!("{pattern}-{name}.reel"));
            settle_disk(&dir);
            let t = Instant::now();
            {
                let rec = RecordingStreamBuilder::new("bench")
                    .compression(compression)
                    .save(&path)
                    .expect("create recording");
                for (i, img) in images.iter().enumerate() {
                    rec.set_time_sequence("frame", i as i64);
                    rec.log("camera", img).expect("log");
                }
            } // drop: flush, footer, close
            report(
                pattern,
                &format!("reel {name}"),
                t.elapsed().as_secs_f64(),
                frames,
                raw_mb,
                &path,
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Removes earlier outputs and waits for the kernel to write back dirty
/// pages, so one run's writeback does not throttle the next.
fn settle_disk(dir: &std::path::Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let _ = std::process::Command::new("sync").status();
}

fn report(
    pattern: &str,
    writer: &str,
    secs: f64,
    frames: usize,
    raw_mb: f64,
    path: &std::path::Path,
) {
    let file_mb = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "{:<8} {:<12} {:>9.3} {:>9.0} {:>12.1} {:>7.2}x",
        pattern,
        writer,
        secs * 1e3 / frames as f64,
        raw_mb / secs,
        file_mb,
        raw_mb / file_mb.max(1e-9)
    );
}
