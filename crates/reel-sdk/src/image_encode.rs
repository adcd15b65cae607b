//! Encoding images to PNG for lossless `EncodedImage`s.

use reel_types::{ChannelDatatype, ColorModel, EncodedImage, Image, PixelLayout};

use crate::{SdkError, SdkResult};

/// Encodes an image as PNG (lossless). Supports L, RGB and RGBA in U8 or U16;
/// other layouts get an error naming the layout.
pub fn encode_png(image: &Image) -> SdkResult<EncodedImage> {
    let format = image.format();
    let (color, depth) = match format.layout {
        PixelLayout::Color(model, dt) => {
            let color = match model {
                ColorModel::L => png::ColorType::Grayscale,
                ColorModel::RGB => png::ColorType::Rgb,
                ColorModel::RGBA => png::ColorType::Rgba,
                _ => return Err(unsupported(format.layout)),
            };
            let depth = match dt {
                ChannelDatatype::U8 => png::BitDepth::Eight,
                ChannelDatatype::U16 => png::BitDepth::Sixteen,
                _ => return Err(unsupported(format.layout)),
            };
            (color, depth)
        }
        PixelLayout::Yuv(_) => return Err(unsupported(format.layout)),
    };
    let mut out = Vec::with_capacity(image.buffer().len() / 2);
    {
        let mut enc = png::Encoder::new(&mut out, format.width, format.height);
        enc.set_color(color);
        enc.set_depth(depth);
        // Adaptive row filters let deflate see smooth images as the small
        // differences they are; `Fast` skips them and stays several times bigger.
        enc.set_compression(png::Compression::Balanced);
        enc.set_filter(png::Filter::Adaptive);
        let mut w = enc
            .write_header()
            .map_err(|e| SdkError::Encode(e.to_string()))?;
        if depth == png::BitDepth::Sixteen {
            // PNG stores 16-bit samples big-endian; images are native-endian in memory.
            let be: Vec<u8> = image
                .buffer()
                .chunks_exact(2)
                .flat_map(|c| u16::from_ne_bytes([c[0], c[1]]).to_be_bytes())
                .collect();
            w.write_image_data(&be)
        } else {
            w.write_image_data(image.buffer())
        }
        .map_err(|e| SdkError::Encode(e.to_string()))?;
    }
    Ok(EncodedImage::from_bytes_with_media_type(
        out,
        reel_types::media_type::PNG,
    )?)
}

fn unsupported(layout: PixelLayout) -> SdkError {
    SdkError::Encode(format!(
        "PNG encoding supports L, RGB and RGBA with U8 or U16 channels, not {layout}"
    ))
}
