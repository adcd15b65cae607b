//! The same frames logged in every form reel has — raw `Image`, JPEG and PNG
//! `EncodedImage`, H.264 and AV1 `VideoStream` — with what each costs:
//! bytes per frame on disk, logging time per frame (encoding included), and
//! PSNR against the source. The reference page's "simple, lossless, big →
//! complex, lossy, small" scale, measured.
//!
//! ```sh
//! cargo run --release --example image_forms -- [FRAMES] [WIDTHxHEIGHT]
//! ```
//! PSNR of the video forms needs `ffmpeg` on PATH to decode them (reel's
//! own decoders come next); without it that column says so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use reel_encode::yuv::psnr;
use reel_sdk::remux::{ExportOptions, export_mp4};
use reel_sdk::synthetic::moving_pattern_rgb8;
use reel_sdk::{
    EncodedImage, EncoderSettings, EntityPath, Image, ImageCompressExt, RecordingStreamBuilder,
    Store, VideoCodec, VideoStreamEncoder, encode_png,
};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

struct Row {
    form: &'static str,
    bytes: u64,
    secs: f64,
    psnr: String,
}

fn decode_with_ffmpeg(mp4: &Path, w: u32, h: u32) -> Option<Vec<Vec<u8>>> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(mp4)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .ok()?;
    o.status.success().then(|| {
        o.stdout
            .chunks_exact((w * h * 3) as usize)
            .map(<[u8]>::to_vec)
            .collect()
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let frames: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
    let (w, h) = match args.next() {
        Some(s) => {
            let (a, b) = s.split_once('x').ok_or("size is WIDTHxHEIGHT")?;
            (a.parse()?, b.parse()?)
        }
        None => (320u32, 240u32),
    };
    let dir = std::env::temp_dir().join(format!("reel-image-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let source: Vec<Vec<u8>> = (0..frames).map(|i| moving_pattern_rgb8(w, h, i)).collect();
    let raw_bytes = u64::from(w * h * 3);
    let mut rows = Vec::new();

    // Lossless forms, and JPEG.
    for form in ["Image", "EncodedImage PNG", "EncodedImage JPEG q75"] {
        let path = dir.join(format!("{}.reel", form.replace(' ', "_")));
        let t = Instant::now();
        let mut decoded_psnr = Vec::new();
        {
            let rec = RecordingStreamBuilder::new("image_forms").save(&path)?;
            for (i, pixels) in source.iter().enumerate() {
                rec.set_time_sequence("frame", i as i64);
                let image = Image::from_rgb8(pixels.clone(), [w, h])?;
                match form {
                    "Image" => rec.log("camera", &image)?,
                    "EncodedImage PNG" => rec.log("camera", &encode_png(&image)?)?,
                    _ => {
                        let jpeg: EncodedImage = image.compress(75)?;
                        rec.log("camera", &jpeg)?;
                        if i % 10 == 0 {
                            let back = image::load_from_memory(jpeg.blob())?.into_rgb8().into_raw();
                            decoded_psnr.push(psnr(pixels, &back));
                        }
                    }
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        rows.push(Row {
            form,
            bytes: std::fs::metadata(&path)?.len(),
            secs,
            psnr: if decoded_psnr.is_empty() {
                "lossless".into()
            } else {
                format!("{:.1} dB", mean(&decoded_psnr))
            },
        });
    }

    // Video streams.
    for codec in [VideoCodec::H264, VideoCodec::AV1] {
        let path = dir.join(format!("{codec}.reel"));
        let t = Instant::now();
        {
            let rec = RecordingStreamBuilder::new("image_forms").save(&path)?;
            let mut enc = VideoStreamEncoder::new(&rec, "camera", EncoderSettings::new(codec))?;
            for (i, pixels) in source.iter().enumerate() {
                rec.set_time(
                    "time",
                    std::time::Duration::from_nanos(i as u64 * 1_000_000_000 / 30),
                );
                enc.encode(&Image::from_rgb8(pixels.clone(), [w, h])?)?;
            }
            enc.finish()?;
        }
        let secs = t.elapsed().as_secs_f64();
        let (store, _) = Store::load(&path)?;
        let mp4: PathBuf = dir.join(format!("{codec}.mp4"));
        export_mp4(
            &store,
            &EntityPath::parse("camera")?,
            &mp4,
            &ExportOptions::default(),
        )?;
        let psnr_text = match decode_with_ffmpeg(&mp4, w, h) {
            Some(decoded) if decoded.len() == source.len() => {
                let v: Vec<f64> = source
                    .iter()
                    .zip(&decoded)
                    .map(|(a, b)| psnr(a, b))
                    .collect();
                format!("{:.1} dB", mean(&v))
            }
            _ => "n/a (needs ffmpeg)".into(),
        };
        rows.push(Row {
            form: if codec == VideoCodec::H264 {
                "VideoStream H.264"
            } else {
                "VideoStream AV1"
            },
            bytes: std::fs::metadata(&path)?.len(),
            secs,
            psnr: psnr_text,
        });
    }

    println!("{frames} frames of {w}x{h} RGB8 ({raw_bytes} bytes each), one recording per form:");
    println!(
        "{:<24} {:>14} {:>8} {:>16} {:>14}",
        "form", "bytes/frame", "ratio", "log ms/frame", "PSNR"
    );
    for r in &rows {
        let per = r.bytes as f64 / frames as f64;
        println!(
            "{:<24} {:>14.0} {:>7.1}x {:>16.3} {:>14}",
            r.form,
            per,
            raw_bytes as f64 / per,
            r.secs * 1e3 / frames as f64,
            r.psnr
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
