//! JPEG compression of `Image`s.
//!
//! `jpeg-encoder` (pure Rust, AVX2 kernels, no system library) with 4:2:0
//! chroma subsampling: probes on this machine kind found the `image`
//! crate's encoder several times slower, and `turbojpeg` needs cmake and
//! nasm to build libjpeg-turbo. `cargo bench -p reel-sdk --bench encode`
//! prints what it costs here (1.6 ms per 640x480 frame at q75).

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use reel_types::{ChannelDatatype, ColorModel, EncodedImage, Image, PixelLayout};

use crate::EncodeError;

/// Compresses an 8-bit RGB, RGBA, BGR, BGRA or L image to JPEG at
/// `quality` (1–100; 75 is a good default). Alpha is dropped: JPEG has none.
pub fn compress_jpeg(image: &Image, quality: u8) -> Result<EncodedImage, EncodeError> {
    let (color, w, h) = check_jpeg_input(image, quality)?;
    let mut out = Vec::with_capacity(image.buffer().len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder
        .encode(image.buffer(), w, h, color)
        .map_err(|e| EncodeError::Codec {
            codec: "JPEG",
            message: e.to_string(),
        })?;
    EncodedImage::from_bytes_with_media_type(out, reel_types::media_type::JPEG).map_err(|e| {
        EncodeError::Codec {
            codec: "JPEG",
            message: e.to_string(),
        }
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
