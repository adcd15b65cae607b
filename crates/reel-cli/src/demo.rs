//! `reel demo`: a synthetic camera logged in every form reel has so far.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{
    AssetVideo, AssetVideoExt, Image, RecordingStreamBuilder, TimeColumn, VideoFrameReference,
    encode_png,
};

/// A small H.264 (High profile, B-frames) MP4 made with ffmpeg's testsrc2,
/// checked in so the demo runs without ffmpeg.
const FIXTURE_MP4: &[u8] = include_bytes!("../../../tests/fixtures/testsrc2_320x240_h264.mp4");

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;
const FPS: u32 = 30;

pub fn run(out: &Path, frames: u32) -> Result<()> {
    let started = Instant::now();
    let rec = RecordingStreamBuilder::new("reel_demo")
        .save(out)
        .with_context(|| format!("creating {}", out.display()))?;

    // The MP4 fixture as a whole file, with one frame reference per video
    // frame on the same `time` and `frame` timelines as the synthetic camera.
    let asset = AssetVideo::from_bytes(FIXTURE_MP4)?;
    let video_times = asset.read_frame_timestamps_nanos()?;
    rec.log_static("video/asset", &asset)?;
    rec.send_columns(
        "video/asset",
        [
            TimeColumn::new_duration_nanos("time", video_times.clone())?,
            TimeColumn::new_sequence("frame", (0..video_times.len() as i64).collect::<Vec<_>>())?,
        ],
        VideoFrameReference::columns_from_nanos(&video_times),
    )?;

    let mut png_bytes = 0usize;
    for frame in 0..frames {
        rec.set_time_sequence("frame", i64::from(frame));
        rec.set_time(
            "time",
            Duration::from_nanos(u64::from(frame) * 1_000_000_000 / u64::from(FPS)),
        );
        let image = Image::from_rgb8(
            moving_pattern_rgb8(WIDTH, HEIGHT, u64::from(frame)),
            [WIDTH, HEIGHT],
        )?;
        let png = encode_png(&image)?;
        png_bytes += png.blob().len();
        rec.log("camera/raw", &image)?;
        rec.log("camera/png", &png)?;
    }
    rec.flush()?;
    drop(rec); // closes the file and writes its index

    let raw_bytes = frames as usize * (WIDTH * HEIGHT * 3) as usize;
    let file_bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "Logged {frames} frames of a {WIDTH}x{HEIGHT} synthetic camera in {:.2?}:",
        started.elapsed()
    );
    println!(
        "  /camera/raw    Image (RGB8, lossless)      {:>9} bytes",
        raw_bytes
    );
    println!(
        "  /camera/png    EncodedImage (PNG)          {:>9} bytes",
        png_bytes
    );
    println!(
        "  /video/asset   AssetVideo (H.264 MP4)      {:>9} bytes, {} VideoFrameReferences",
        FIXTURE_MP4.len(),
        video_times.len()
    );
    println!(
        "Wrote {} ({file_bytes} bytes on disk, LZ4-compressed chunks).",
        out.display()
    );
    println!();
    println!("See what is in it:");
    println!("  reel info {}", out.display());
    println!(
        "  reel print {} --entity /camera/png --limit 5",
        out.display()
    );
    println!(
        "(The viewer is not built yet; any Arrow reader can read the chunks, see docs/FORMAT.md.)"
    );
    Ok(())
}
