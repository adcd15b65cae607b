//! Encoders end to end: H.264 and AV1 streams from `VideoStreamEncoder`,
//! JPEG from `Image::compress`, checked by ffmpeg/ffprobe decoding them.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{
    EncoderSettings, Image, ImageCompressExt, RecordingStreamBuilder, VideoCodec,
    VideoStreamEncoder,
};

const W: u32 = 320;
const H: u32 = 240;

/// Decodes the first video stream of `path` to RGB24 frames with ffmpeg.
fn ffmpeg_rgb_frames(path: &Path, w: u32, h: u32) -> Vec<Vec<u8>> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
        .chunks_exact((w * h * 3) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Decodes the first video stream of `path` to raw I420 frames with ffmpeg.
fn ffmpeg_yuv_frames(path: &Path, w: u32, h: u32) -> Vec<Vec<u8>> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let size = (w * h + 2 * w.div_ceil(2) * h.div_ceil(2)) as usize;
    o.stdout.chunks_exact(size).map(<[u8]>::to_vec).collect()
}

/// The source frame as the encoder received it (I420 planes back to back).
fn source_yuv(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let p = reel_encode::yuv::to_i420(&Image::from_rgb8(rgb.to_vec(), [w, h]).unwrap()).unwrap();
    [p.y, p.u, p.v].concat()
}

fn keyframe_indices(path: &Path) -> Vec<usize> {
    let (packets, _) = ffprobe_packets(path);
    packets
        .iter()
        .enumerate()
        .filter(|(_, p)| p.keyframe)
        .map(|(i, _)| i)
        .collect()
}

/// Encodes `n` synthetic frames, exports the stream to MP4, returns (mp4, source frames).
fn encode_stream(
    dir: &Path,
    codec: VideoCodec,
    n: u64,
    size: (u32, u32),
) -> (std::path::PathBuf, Vec<Vec<u8>>) {
    let rec_path = dir.join(format!("{codec}.reel"));
    let rec = RecordingStreamBuilder::new("encode-test")
        .save(&rec_path)
        .unwrap();
    let mut settings = EncoderSettings::new(codec);
    settings.keyframe_interval = 30;
    let mut enc = VideoStreamEncoder::new(&rec, "cam", settings).unwrap();
    let mut frames = Vec::new();
    for i in 0..n {
        rec.set_time(
            "time",
            std::time::Duration::from_nanos(i * 1_000_000_000 / 30),
        );
        let rgb = moving_pattern_rgb8(size.0, size.1, i);
        enc.encode(&Image::from_rgb8(rgb.clone(), [size.0, size.1]).unwrap())
            .unwrap();
        frames.push(rgb);
    }
    enc.finish().unwrap();
    drop(rec);
    let mp4 = dir.join(format!("{codec}.mp4"));
    reel_ok(&[
        "export-mp4",
        rec_path.to_str().unwrap(),
        "-e",
        "/cam",
        "-o",
        mp4.to_str().unwrap(),
    ]);
    (mp4, frames)
}

#[test]
fn h264_and_av1_streams_decode_cleanly_at_35_db_with_keyframes_where_asked() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("encode");
    for codec in [VideoCodec::H264, VideoCodec::AV1] {
        let (mp4, source) = encode_stream(&dir, codec, 90, (W, H));
        let errors = ffmpeg_decode_errors(&mp4);
        assert!(errors.trim().is_empty(), "{codec}: ffmpeg says {errors}");
        assert_eq!(
            keyframe_indices(&mp4),
            vec![0, 30, 60],
            "{codec}: keyframe interval 30"
        );
        // PSNR as video codecs are measured (and as ffmpeg's psnr filter
        // reports it): on the Y, U and V planes, against the frames the
        // encoder was given. RGB PSNR also counts the 4:2:0 chroma
        // subsampling every such stream has, whatever the encoder does.
        let decoded = ffmpeg_yuv_frames(&mp4, W, H);
        assert_eq!(decoded.len(), 90, "{codec}: frame count");
        let psnrs: Vec<f64> = source
            .iter()
            .zip(&decoded)
            .map(|(a, b)| reel_encode::yuv::psnr(&source_yuv(a, W, H), b))
            .collect();
        let mean = psnrs.iter().sum::<f64>() / psnrs.len() as f64;
        let min = psnrs.iter().copied().fold(f64::INFINITY, f64::min);
        let rgb = ffmpeg_rgb_frames(&mp4, W, H);
        let rgb_mean = source
            .iter()
            .zip(&rgb)
            .map(|(a, b)| reel_encode::yuv::psnr(a, b))
            .sum::<f64>()
            / 90.0;
        eprintln!(
            "{codec}: YUV PSNR mean {mean:.1} dB, min {min:.1} dB; RGB PSNR mean {rgb_mean:.1} dB"
        );
        assert!(mean >= 35.0, "{codec}: mean PSNR {mean:.1} dB < 35");
        assert!(min >= 32.0, "{codec}: worst frame {min:.1} dB");
        // Frame times survive: the MP4 shows frame i at i/30 s.
        let pts = ffprobe_pts_ns(&mp4);
        assert_eq!(pts.len(), 90);
        assert!(
            (pts[45] - 1_500_000_000).abs() < 1_000_000,
            "{codec}: {}",
            pts[45]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn av1_takes_odd_sizes_h264_says_why_not() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("odd");
    let (mp4, _) = encode_stream(&dir, VideoCodec::AV1, 5, (161, 121));
    assert!(ffmpeg_decode_errors(&mp4).trim().is_empty());
    let info: serde_json::Value =
        serde_json::from_str(&reel_ok(&["video-info", "--json", mp4.to_str().unwrap()])).unwrap();
    assert_eq!(
        (
            info["tracks"][0]["width"].as_u64(),
            info["tracks"][0]["height"].as_u64()
        ),
        (Some(161), Some(121))
    );

    let (rec, _) = RecordingStreamBuilder::new("odd").memory().unwrap();
    let mut enc =
        VideoStreamEncoder::new(&rec, "cam", EncoderSettings::new(VideoCodec::H264)).unwrap();
    let e = enc
        .encode(&Image::from_rgb8(vec![0u8; 161 * 121 * 3], [161, 121]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("even width and height") && e.contains("161x121"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_frames_are_errors_and_the_stream_so_far_stays_valid() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("badframes");
    let rec_path = dir.join("bad.reel");
    let rec = RecordingStreamBuilder::new("bad").save(&rec_path).unwrap();
    let mut enc =
        VideoStreamEncoder::new(&rec, "cam", EncoderSettings::new(VideoCodec::H264)).unwrap();
    for i in 0..10 {
        rec.set_time_sequence("frame", i);
        rec.set_time("time", std::time::Duration::from_millis(i as u64 * 40));
        enc.encode(&Image::from_rgb8(moving_pattern_rgb8(W, H, i as u64), [W, H]).unwrap())
            .unwrap();
    }
    // A frame of another size.
    let e = enc
        .encode(&Image::from_rgb8(vec![0u8; 160 * 120 * 3], [160, 120]).unwrap())
        .unwrap_err();
    assert!(
        e.to_string().contains("160x120 but the stream is 320x240"),
        "{e}"
    );
    // A layout no encoder takes.
    let f32_image = Image::from_color_model(
        vec![0u8; (W * H * 12) as usize],
        [W, H],
        reel_sdk::ColorModel::RGB,
        reel_sdk::ChannelDatatype::F32,
    )
    .unwrap();
    let e = enc.encode(&f32_image).unwrap_err().to_string();
    assert!(e.contains("RGB_F32") && e.contains("RGB8"), "{e}");
    let e = f32_image.compress(75).unwrap_err().to_string();
    assert!(e.contains("JPEG") && e.contains("RGB_F32"), "{e}");
    // A zero-size image cannot even be made.
    assert!(Image::from_rgb8(Vec::new(), [0, 0]).is_err());
    enc.finish().unwrap();
    drop(rec);
    let mp4 = dir.join("bad.mp4");
    reel_ok(&[
        "export-mp4",
        rec_path.to_str().unwrap(),
        "-e",
        "/cam",
        "-o",
        mp4.to_str().unwrap(),
    ]);
    assert!(ffmpeg_decode_errors(&mp4).trim().is_empty());
    assert_eq!(ffprobe_packets(&mp4).0.len(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A photographic-like frame: smooth gradients, soft shapes, fine texture.
fn photo_like(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    let mut seed = 12345u32;
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let grain = ((seed >> 16) % 9) as f32 - 4.0;
            let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
            let blob = (-((fx - 0.6).powi(2) + (fy - 0.4).powi(2)) * 12.0).exp() * 120.0;
            let r = 60.0 + 120.0 * fx + blob + grain;
            let g = 80.0 + 90.0 * fy + blob * 0.6 + grain;
            let b = 140.0 - 60.0 * fx + 40.0 * (fx * 20.0).sin() * fy + grain;
            out.extend([r, g, b].map(|v| v.clamp(0.0, 255.0) as u8));
        }
    }
    out
}

#[test]
fn jpeg_at_quality_75_decodes_elsewhere_at_32_db() {
    if !ffmpeg_available() {
        return;
    }
    let dir = tempdir("jpeg");
    let (w, h) = (640, 480);
    let rgb = photo_like(w, h);
    let image = Image::from_rgb8(rgb.clone(), [w, h]).unwrap();
    let jpeg = image.compress(75).unwrap();
    assert_eq!(jpeg.media_type(), "image/jpeg");
    let path = dir.join("q75.jpg");
    std::fs::write(&path, jpeg.blob().as_slice()).unwrap();
    let decoded = ffmpeg_rgb_frames(&path, w, h);
    let psnr = reel_encode::yuv::psnr(&rgb, &decoded[0]);
    eprintln!("JPEG q75: {} bytes, PSNR {psnr:.1} dB", jpeg.blob().len());
    assert!(psnr >= 32.0, "PSNR {psnr:.1} dB");
    assert!(
        jpeg.blob().len() < rgb.len() / 8,
        "{} bytes",
        jpeg.blob().len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_compression_pool_keeps_order_and_time() {
    let (rec, storage) = RecordingStreamBuilder::new("pool").memory().unwrap();
    for i in 0..40 {
        rec.set_time_sequence("frame", i);
        rec.log_compressed(
            "cam",
            &Image::from_rgb8(moving_pattern_rgb8(64, 48, i as u64), [64, 48]).unwrap(),
            80,
        )
        .unwrap();
    }
    rec.flush().unwrap();
    let store = storage.store();
    let rows = store.range(
        &reel_sdk::EntityPath::parse("cam").unwrap(),
        "frame",
        0,
        100,
    );
    assert_eq!(rows.len(), 40);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.time.unwrap().value, i as i64);
        let e: reel_sdk::EncodedImage = r.get().unwrap().unwrap();
        assert_eq!(e.media_type(), "image/jpeg");
    }
    let ids: Vec<u64> = rows.iter().map(|r| r.row_id.0).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "row ids follow logging order"
    );
    let e = rec
        .log_compressed("cam", &Image::from_rgb8(vec![0u8; 12], [2, 2]).unwrap(), 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("quality 0"), "{e}");
}
