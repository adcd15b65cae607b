//! Logs a video file as an `AssetVideo` plus one `VideoFrameReference` per
//! frame, so the timeline steps through every frame of the video — the
//! reference page's `video_auto_frames`, in Rust.
//!
//! ```sh
//! cargo run --release --example video_auto_frames -- [VIDEO] [OUT.reel]
//! reel info video_auto_frames.reel
//! ```

use reel_sdk::{
    AssetVideo, AssetVideoExt, RecordingStreamBuilder, TimeColumn, VideoFrameReference,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let video_path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/testsrc2_320x240_h264.mp4"
        )
        .into()
    });
    let out = args
        .next()
        .unwrap_or_else(|| "video_auto_frames.reel".into());

    let rec = RecordingStreamBuilder::new("video_auto_frames").save(&out)?;

    // The whole file, once: its log time is ignored, so log it statically.
    let video = AssetVideo::from_file(&video_path)?;
    rec.log_static("video", &video)?;

    // One reference per frame, all in one columnar call.
    let timestamps_ns = video.read_frame_timestamps_nanos()?;
    rec.send_columns(
        "video",
        [TimeColumn::new_duration_nanos(
            "video_time",
            timestamps_ns.clone(),
        )?],
        VideoFrameReference::columns_from_nanos(&timestamps_ns),
    )?;
    rec.flush()?;
    println!(
        "Logged {video_path} ({}, {} bytes) with {} frame references to {out}",
        video.media_type(),
        video.blob().len(),
        timestamps_ns.len()
    );
    Ok(())
}
