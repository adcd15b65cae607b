//! JPEG compression of `Image`s, 4:2:0 chroma subsampling, baseline
//! Huffman tables: what Pillow (and so Rerun's `Image.compress`) writes.
//!
//! Two encoders behind one function:
//! - with the `turbojpeg` feature, libjpeg-turbo (built from its source by
//!   the `turbojpeg` crate, with cmake, and its SIMD kernels, with nasm) —
//!   the encoder Pillow uses: 600 640x480 frames compressed and logged in
//!   330 ms here against 937 ms (`bench_workloads jpeg`, bench/compare.sh);
//! - otherwise `jpeg-encoder` (pure Rust, AVX2 kernels, no system tool):
//!   probes on this machine kind found the `image` crate's encoder several
//!   times slower.
//!
//! Both use the IJG quality scaling of the standard tables, so a quality
//! means the same with either (PSNR within 0.2 dB of Pillow's at q75: the
//! Python test `test_jpeg_quality_matches_pillow`). `cargo bench -p reel-sdk
//! --bench encode` prints what each costs here.

use jpeg_encoder::ColorType;
#[cfg(not(feature = "turbojpeg"))]
use jpeg_encoder::{Encoder, SamplingFactor};
use reel_types::{ChannelDatatype, ColorModel, EncodedImage, Image, PixelLayout};

use crate::EncodeError;

/// Compresses an 8-bit RGB, RGBA, BGR, BGRA or L image to JPEG at
/// `quality` (1–100; 75 is a good default). Alpha is dropped: JPEG has none.
pub fn compress_jpeg(image: &Image, quality: u8) -> Result<EncodedImage, EncodeError> {
    let (color, w, h) = check_jpeg_input(image, quality)?;
    let out =
        encode(image.buffer(), w, h, color, quality).map_err(|message| EncodeError::Codec {
            codec: "JPEG",
            message,
        })?;
    EncodedImage::from_bytes_with_media_type(out, reel_types::media_type::JPEG).map_err(|e| {
        EncodeError::Codec {
            codec: "JPEG",
            message: e.to_string(),
        }
    })
}

/// The name of the JPEG encoder built in, for benchmarks to print.
pub const JPEG_ENCODER: &str = if cfg!(feature = "turbojpeg") {
    "libjpeg-turbo"
} else {
    "jpeg-encoder"
};

#[cfg(not(feature = "turbojpeg"))]
fn encode(pixels: &[u8], w: u16, h: u16, color: ColorType, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder
        .encode(pixels, w, h, color)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(feature = "turbojpeg")]
fn encode(pixels: &[u8], w: u16, h: u16, color: ColorType, quality: u8) -> Result<Vec<u8>, String> {
    use std::cell::RefCell;
    use turbojpeg::{Compressor, PixelFormat, Subsamp};

    thread_local! {
        // A compressor holds libjpeg's state and buffers: one per thread,
        // made once, not per frame.
        static COMPRESSOR: RefCell<Option<Compressor>> = const { RefCell::new(None) };
    }
    let (format, subsamp) = match color {
        ColorType::Rgb => (PixelFormat::RGB, Subsamp::Sub2x2),
        ColorType::Rgba => (PixelFormat::RGBX, Subsamp::Sub2x2),
        ColorType::Bgr => (PixelFormat::BGR, Subsamp::Sub2x2),
        ColorType::Bgra => (PixelFormat::BGRX, Subsamp::Sub2x2),
        ColorType::Luma => (PixelFormat::GRAY, Subsamp::Gray),
        other => return Err(format!("no libjpeg-turbo pixel format for {other:?}")),
    };
    let width = usize::from(w);
    let image = turbojpeg::Image {
        pixels,
        width,
        pitch: width * format.size(),
        height: usize::from(h),
        format,
    };
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(c) => c,
            None => slot.insert(Compressor::new().map_err(|e| e.to_string())?),
        };
        compressor
            .set_quality(i32::from(quality))
            .and_then(|()| compressor.set_subsamp(subsamp))
            .and_then(|()| compressor.compress_to_vec(image))
            .map_err(|e| e.to_string())
    })
}

/// Checks that `image` and `quality` can be JPEG-compressed, without
/// compressing: the input errors of [`compress_jpeg`], at once.
pub fn check_jpeg_input(image: &Image, quality: u8) -> Result<(ColorType, u16, u16), EncodeError> {
    let f = image.format();
    let color = match f.layout {
        PixelLayout::Color(ColorModel::RGB, ChannelDatatype::U8) => ColorType::Rgb,
        PixelLayout::Color(ColorModel::RGBA, ChannelDatatype::U8) => ColorType::Rgba,
        PixelLayout::Color(ColorModel::BGR, ChannelDatatype::U8) => ColorType::Bgr,
        PixelLayout::Color(ColorModel::BGRA, ChannelDatatype::U8) => ColorType::Bgra,
        PixelLayout::Color(ColorModel::L, ChannelDatatype::U8) => ColorType::Luma,
        layout => {
            return Err(EncodeError::UnsupportedFormat {
                encoder: "JPEG",
                layout: layout.to_string(),
                supported: "RGB8, RGBA8, BGR8, BGRA8, L8",
            });
        }
    };
    if !(1..=100).contains(&quality) {
        return Err(EncodeError::InvalidSetting(format!(
            "JPEG quality {quality} is not within 1–100"
        )));
    }
    let (w, h) = match (u16::try_from(f.width), u16::try_from(f.height)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => {
            return Err(EncodeError::InvalidSetting(format!(
                "JPEG images are at most 65535 pixels on a side, got {}x{}",
                f.width, f.height
            )));
        }
    };
    Ok((color, w, h))
}

/// `image.compress(quality)`, as in Rerun's SDK.
pub trait ImageCompressExt {
    /// Compresses to a JPEG [`EncodedImage`]; see [`compress_jpeg`].
    fn compress(&self, quality: u8) -> Result<EncodedImage, EncodeError>;
}

impl ImageCompressExt for Image {
    fn compress(&self, quality: u8) -> Result<EncodedImage, EncodeError> {
        compress_jpeg(self, quality)
    }
}
