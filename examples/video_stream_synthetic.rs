//! Synthetic frames encoded to H.264 and logged as a `VideoStream`, one
//! sample per frame — the reference page's `video_stream_synthetic`, with
//! the encoder built into the SDK instead of PyAV.
//!
//! ```sh
//! cargo run --release --example video_stream_synthetic -- [OUT.reel]
//! reel export-mp4 video_stream_synthetic.reel --entity /video_stream -o out.mp4
//! ```

use std::time::Duration;

use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{EncoderSettings, Image, RecordingStreamBuilder, VideoCodec, VideoStreamEncoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "video_stream_synthetic.reel".into());
    let (width, height, fps, seconds) = (640, 480, 30, 4);

    let rec = RecordingStreamBuilder::new("video_stream_synthetic").save(&out)?;
    // Low latency, a keyframe every second, default quality.
    let mut settings = EncoderSettings::new(VideoCodec::H264);
    settings.keyframe_interval = fps;
    settings.fps = fps as f32;
    let mut encoder = VideoStreamEncoder::new(&rec, "video_stream", settings)?;

    for frame in 0..u64::from(fps * seconds) {
        rec.set_time(
            "time",
            Duration::from_nanos(frame * 1_000_000_000 / u64::from(fps)),
        );
        let pixels = moving_pattern_rgb8(width, height, frame);
        encoder.encode(&Image::from_rgb8(pixels, [width, height])?)?;
    }
    let samples = encoder.samples_logged();
    encoder.finish()?;
    rec.flush()?;
    println!("Logged {samples} H.264 samples of a {width}x{height} synthetic camera to {out}");
    Ok(())
}
