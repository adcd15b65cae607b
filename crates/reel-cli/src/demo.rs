//! `reel demo`: a synthetic camera logged in every form reel has so far.

use crate::output::outln;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reel_sdk::remux::{ExportOptions, ExportReport, export_mp4};
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{
    AssetVideo, AssetVideoExt, EncoderSettings, EntityPath, Image, RecordingStream,
    RecordingStreamBuilder, Store, TimeColumn, VideoCodec, VideoFrameReference, VideoStreamEncoder,
    encode_png,
};

/// A small H.264 (High profile, B-frames) MP4 made with ffmpeg's testsrc2,
/// checked in so the demo runs without ffmpeg.
const FIXTURE_MP4: &[u8] = include_bytes!("../../../tests/fixtures/testsrc2_320x240_h264.mp4");

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;
const FPS: u32 = 30;

/// Sets both demo timelines on this thread (reel's time is per thread, as
/// Rerun's is).
fn set_demo_time(rec: &RecordingStream, frame: u32) {
    rec.set_time_sequence("frame", i64::from(frame));
    rec.set_time(
        "time",
        Duration::from_nanos(u64::from(frame) * 1_000_000_000 / u64::from(FPS)),
    );
}

pub fn run(out: &Path, frames: u32, view: bool) -> Result<()> {
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

    let mut settings = EncoderSettings::new(VideoCodec::H264);
    settings.keyframe_interval = FPS;
    let mut h264 = VideoStreamEncoder::new(&rec, "camera/h264", settings)?;
    let mut settings = EncoderSettings::new(VideoCodec::AV1);
    settings.keyframe_interval = FPS;
    settings.speed = 10;
    let av1 = VideoStreamEncoder::new(&rec, "camera/av1", settings)?;
    // AV1 encoding (rav1e, no assembly unless built with `asm`) costs as
    // much as everything else together, and one 320x240 tile gives rav1e
    // little to parallelise: it gets a thread of its own so the demo takes
    // the time of the slower half, not the sum.
    let (av1_frames, av1_inbox) = std::sync::mpsc::sync_channel::<(u32, Image)>(8);
    let av1_rec = rec.clone();
    let av1_worker = std::thread::spawn(move || -> Result<()> {
        let mut av1 = av1;
        for (frame, image) in av1_inbox {
            set_demo_time(&av1_rec, frame);
            av1.encode(&image)?;
        }
        av1.finish()?;
        Ok(())
    });

    let bar = indicatif::ProgressBar::new(u64::from(frames));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "logging the synthetic camera [{bar:40}] {pos}/{len} frames ({eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut png_bytes = 0usize;
    for frame in 0..frames {
        bar.inc(1);
        set_demo_time(&rec, frame);
        let image = Image::from_rgb8(
            moving_pattern_rgb8(WIDTH, HEIGHT, u64::from(frame)),
            [WIDTH, HEIGHT],
        )?;
        let png = encode_png(&image)?;
        png_bytes += png.blob().len();
        rec.log("camera/raw", &image)?;
        rec.log("camera/png", &png)?;
        // JPEG is compressed on a worker pool while this loop goes on.
        rec.log_compressed("camera/jpeg", &image, 75)?;
        h264.encode(&image)?;
        // A closed channel means the worker stopped on an error, which
        // joining it below reports.
        if av1_frames.send((frame, image)).is_err() {
            break;
        }
    }
    drop(av1_frames);
    h264.finish()?;
    av1_worker
        .join()
        .map_err(|_| anyhow::anyhow!("the AV1 encoder thread panicked"))??;
    rec.flush()?;
    drop(rec); // closes the file and writes its index
    bar.finish_and_clear();

    // The H.264 stream, remuxed to an MP4 any player opens.
    let mp4 = out.with_extension("mp4");
    let (store, _) = Store::load(out)?;
    let sizes = |path: &str| -> u64 {
        store
            .entity_info(&EntityPath::parse(path).expect("valid path"))
            .map(|i| i.components.values().map(|c| c.bytes).sum())
            .unwrap_or(0)
    };
    let (jpeg_bytes, h264_bytes, av1_bytes) = (
        sizes("camera/jpeg"),
        sizes("camera/h264"),
        sizes("camera/av1"),
    );
    let ExportReport::Stream { mux, .. } = export_mp4(
        &store,
        &EntityPath::parse("camera/h264")?,
        &mp4,
        &ExportOptions::default(),
    )?
    else {
        anyhow::bail!("camera/h264 is not a stream");
    };

    let raw_bytes = frames as usize * (WIDTH * HEIGHT * 3) as usize;
    let file_bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    outln!(
        "Logged {frames} frames of a {WIDTH}x{HEIGHT} synthetic camera in {:.2?}, in every form:",
        started.elapsed()
    );
    let rows = [
        ("/camera/raw", "Image (RGB8, lossless)", raw_bytes as u64),
        (
            "/camera/png",
            "EncodedImage (PNG, lossless)",
            png_bytes as u64,
        ),
        ("/camera/jpeg", "EncodedImage (JPEG q75)", jpeg_bytes),
        ("/camera/h264", "VideoStream (H.264)", h264_bytes),
        ("/camera/av1", "VideoStream (AV1)", av1_bytes),
    ];
    for (path, form, bytes) in rows {
        outln!(
            "  {path:<14} {form:<30} {bytes:>10} bytes  ({:.1}x smaller than raw)",
            raw_bytes as f64 / bytes.max(1) as f64
        );
    }
    outln!(
        "  {:<14} {:<30} {:>10} bytes  + {} VideoFrameReferences",
        "/video/asset",
        "AssetVideo (H.264 MP4 file)",
        FIXTURE_MP4.len(),
        video_times.len()
    );
    outln!("Wrote {} ({file_bytes} bytes on disk).", out.display());
    outln!(
        "Exported /camera/h264 to {} ({} samples, {} bytes, no re-encoding).",
        mp4.display(),
        mux.samples,
        mux.bytes
    );
    outln!();
    // Commands that work as shown from the repository, where a newcomer
    // has no `reel` on PATH yet (`cargo install --path crates/reel-cli`).
    let reel = "cargo run --release --";
    outln!("See what is in it:");
    outln!("  {reel} info {}", out.display());
    outln!(
        "  {reel} print {} --entity /camera/h264 --limit 5",
        out.display()
    );
    outln!(
        "  {reel} frame {} --entity /camera/av1 --time 1s -o frame.png    (the frame shown at 1 s, decoded)",
        out.display()
    );
    outln!("  ffplay {}    (or any video player)", mp4.display());
    outln!("  {reel} view {}    (reel's viewer)", out.display());
    outln!("(To call it `reel`: cargo install --path crates/reel-cli)");
    open_viewer(out, view)?;
    Ok(())
}

/// Opens the viewer on the demo's recording where a window can open;
/// otherwise says how (the command above, under `xvfb-run` on a machine
/// without a display).
#[cfg(feature = "viewer")]
fn open_viewer(out: &Path, view: bool) -> Result<()> {
    if !view {
        return Ok(());
    }
    if !reel_viewer::native::display_available() {
        outln!("No display here (DISPLAY is unset): run the view command above on a desktop.");
        return Ok(());
    }
    outln!("Opening the viewer (close its window to end; --no-view skips it)…");
    reel_viewer::native::run(&[out.to_path_buf()], reel_viewer::ViewerOptions::default())
        .map_err(anyhow::Error::msg)
}

#[cfg(not(feature = "viewer"))]
fn open_viewer(_out: &Path, _view: bool) -> Result<()> {
    outln!("This build of reel has no viewer (the `viewer` feature is off).");
    Ok(())
}
