//! Encoding costs per frame, one run:
//! - JPEG q75 of a 640x480 frame: ms and bytes on one thread, and frames/s
//!   through `log_compressed` (worker pool) while the caller keeps logging;
//! - H.264 (openh264) and AV1 (rav1e) encode frames/s at 640x480 and 1280x720.
//!
//! Run: `cargo bench -p reel-sdk --bench encode` (add `--features asm` on
//! `reel-encode`, i.e. `cargo bench -p reel-sdk --bench encode --features reel-encode/asm`,
//! when nasm is installed).

use std::time::Instant;

use reel_encode::{EncoderSettings, ImageCompressExt, frame_from_image, new_encoder};
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{Image, RecordingStreamBuilder, VideoCodec};

/// A camera-like 640x480 frame: the synthetic pattern with mild sensor noise.
fn camera_frame(w: u32, h: u32, i: u64) -> Vec<u8> {
    let mut px = moving_pattern_rgb8(w, h, i);
    let mut s = 0x2545_F491_4F6C_DD1Du64 ^ i;
    for p in &mut px {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        *p = p.saturating_add((s % 7) as u8).saturating_sub(3);
    }
    px
}

fn main() {
    let (w, h) = (640, 480);
    let frames: Vec<Image> = (0..100)
        .map(|i| Image::from_rgb8(camera_frame(w, h, i), [w, h]).unwrap())
        .collect();

    // JPEG on this thread.
    let t = Instant::now();
    let mut bytes = 0;
    for f in &frames {
        bytes += f.compress(75).unwrap().blob().len();
    }
    let single_ms = t.elapsed().as_secs_f64() * 1e3 / frames.len() as f64;
    println!(
        "JPEG q75 640x480 ({}), one thread: {single_ms:.2} ms/frame, {} bytes/frame, {:.0} frames/s",
        reel_encode::JPEG_ENCODER,
        bytes / frames.len(),
        1e3 / single_ms
    );

    // JPEG on the SDK's worker pool, the caller logging as fast as it can.
    let (rec, _storage) = RecordingStreamBuilder::new("bench").memory().unwrap();
    let n = 300;
    let t = Instant::now();
    for i in 0..n {
        rec.set_time_sequence("frame", i as i64);
        rec.log_compressed("camera", &frames[i % frames.len()], 75)
            .unwrap();
    }
    rec.flush().unwrap();
    let pool_fps = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "JPEG q75 640x480, log_compressed pool:  {:.2} ms/frame, {pool_fps:.0} frames/s ({:.2}x one thread)",
        1e3 / pool_fps,
        pool_fps / (1e3 / single_ms)
    );

    // Video encoders.
    for (w, h, count) in [(640u32, 480u32, 90u64), (1280, 720, 45)] {
        let images: Vec<Image> = (0..count)
            .map(|i| Image::from_rgb8(camera_frame(w, h, i), [w, h]).unwrap())
            .collect();
        let yuv: Vec<_> = images
            .iter()
            .map(|i| frame_from_image(i, None).unwrap())
            .collect();
        for codec in [VideoCodec::H264, VideoCodec::AV1] {
            let mut settings = EncoderSettings::new(codec);
            settings.speed = 10;
            let mut enc = new_encoder(&settings, w, h).unwrap();
            let t = Instant::now();
            let mut bytes = 0usize;
            let mut packets = 0;
            for f in &yuv {
                for p in enc.encode(f).unwrap() {
                    bytes += p.data.len();
                    packets += 1;
                }
            }
            for p in enc.finish().unwrap() {
                bytes += p.data.len();
                packets += 1;
            }
            assert_eq!(packets, yuv.len(), "every frame encoded");
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{codec:<4} {w}x{h} speed 10: {:>7.1} frames/s, {:>6.2} ms/frame, {:>6} bytes/frame",
                yuv.len() as f64 / secs,
                secs * 1e3 / yuv.len() as f64,
                bytes / yuv.len()
            );
        }
    }
}
