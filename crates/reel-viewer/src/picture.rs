//! What a view draws: Y'CbCr planes converted to RGB on the GPU (video
//! frames, and `Image`s in a YUV pixel format), or RGBA pixels (every other
//! `Image`, decoded JPEG/PNG).
//!
//! Why two kinds and not RGBA for all: converting a 1080p picture on the
//! CPU costs more than decoding it on a small machine; the planes go to the
//! GPU as they came out of the decoder, at their bit depth.

use std::sync::Arc;

use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix};
use reel_types::{ChannelDatatype, ColorModel, Image, PixelFormat, PixelLayout};

/// RGBA8 pixels, row after row, no padding.
#[derive(Clone, Debug, PartialEq)]
pub struct RgbaPicture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
}

/// A picture ready for the GPU.
#[derive(Clone, Debug)]
pub enum Picture {
    /// Planes converted to RGB by the view's shader.
    Yuv(Arc<DecodedFrame>),
    /// Pixels uploaded as they are.
    Rgba(Arc<RgbaPicture>),
}

impl Picture {
    /// Width and height in pixels.
    pub fn size(&self) -> [u32; 2] {
        match self {
            Self::Yuv(f) => [f.width, f.height],
            Self::Rgba(p) => [p.width, p.height],
        }
    }

    /// Whether `self` and `other` are the same picture (not a copy): what
    /// decides a texture upload.
    pub fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Yuv(a), Self::Yuv(b)) => Arc::ptr_eq(a, b),
            (Self::Rgba(a), Self::Rgba(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The RGB value at pixel (x, y), as the shader computes it (for the
    /// hover readout): 8-bit RGB, and the raw sample values.
    pub fn pixel(&self, x: u32, y: u32) -> Option<([u8; 3], String)> {
        let [w, h] = self.size();
        if x >= w || y >= h {
            return None;
        }
        match self {
            Self::Rgba(p) => {
                let i = ((y * w + x) * 4) as usize;
                let px = &p.pixels[i..i + 4];
                Some((
                    [px[0], px[1], px[2]],
                    format!("R {} G {} B {} A {}", px[0], px[1], px[2], px[3]),
                ))
            }
            Self::Yuv(f) => {
                let (sx, sy) = f.layout.shift();
                let sample = |plane: usize, index: usize| -> Option<u32> {
                    let p = &f.planes[plane];
                    if f.bit_depth > 8 {
                        Some(u32::from(u16::from_le_bytes([
                            *p.get(index * 2)?,
                            *p.get(index * 2 + 1)?,
                        ])))
                    } else {
                        p.get(index).map(|v| u32::from(*v))
                    }
                };
                let luma = sample(0, (y * w + x) as usize)?;
                let text = if f.layout == ChromaLayout::Mono {
                    format!("Y {luma}")
                } else {
                    let ci = (y >> sy) as usize * f.chroma_width() + (x >> sx) as usize;
                    format!("Y {luma} Cb {} Cr {}", sample(1, ci)?, sample(2, ci)?)
                };
                // One pixel through the same conversion as `to_rgb8`.
                let one = DecodedFrame {
                    width: 1,
                    height: 1,
                    layout: ChromaLayout::Yuv444,
                    planes: [
                        one_sample(f.bit_depth, luma).into(),
                        one_sample(f.bit_depth, sample_or_neutral(f, 1, x, y)).into(),
                        one_sample(f.bit_depth, sample_or_neutral(f, 2, x, y)).into(),
                    ],
                    ..(**f).clone_without_planes()
                };
                let rgb = one.to_rgb8();
                Some(([rgb[0], rgb[1], rgb[2]], text))
            }
        }
    }
}

fn one_sample(bit_depth: u8, v: u32) -> Vec<u8> {
    if bit_depth > 8 {
        (v as u16).to_le_bytes().to_vec()
    } else {
        vec![v as u8]
    }
}

fn sample_or_neutral(f: &DecodedFrame, plane: usize, x: u32, y: u32) -> u32 {
    if f.layout == ChromaLayout::Mono {
        return 1 << (f.bit_depth - 1);
    }
    let (sx, sy) = f.layout.shift();
    let i = (y >> sy) as usize * f.chroma_width() + (x >> sx) as usize;
    let p = &f.planes[plane];
    if f.bit_depth > 8 {
        u32::from(u16::from_le_bytes([p[i * 2], p[i * 2 + 1]]))
    } else {
        u32::from(p[i])
    }
}

trait CloneWithoutPlanes {
    fn clone_without_planes(&self) -> DecodedFrame;
}

impl CloneWithoutPlanes for DecodedFrame {
    fn clone_without_planes(&self) -> DecodedFrame {
        DecodedFrame {
            planes: Default::default(),
            ..*self
        }
    }
}

/// How single-channel images of more than 8 bits map to gray: values from
/// `min` (black) to `max` (white), as the user sets them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueRange {
    /// Shown black.
    pub min: f64,
    /// Shown white.
    pub max: f64,
}

/// The picture of an `Image` in any layout of the data model. YUV layouts
/// become planes for the shader (BT.601, limited range, as cameras and
/// Rerun take them); colour and gray layouts RGBA, gray values over
/// `range` (`None`: the type's full range for integers, 0–1 for floats).
pub fn picture_of_image(image: &Image, range: Option<ValueRange>) -> Result<Picture, String> {
    let format = image.format();
    let (w, h) = (format.width as usize, format.height as usize);
    let bytes = image.buffer().as_slice();
    match format.layout {
        PixelLayout::Yuv(p) => Ok(Picture::Yuv(Arc::new(yuv_image(
            p,
            format.width,
            format.height,
            bytes,
        )))),
        PixelLayout::Color(model, datatype) => {
            let channels = model.channels() as usize;
            let size = datatype.bytes() as usize;
            let range = range.unwrap_or_else(|| default_range(datatype));
            let mut pixels = vec![255u8; w * h * 4];
            let values = bytes.chunks_exact(size);
            for (i, v) in values.take(w * h * channels).enumerate() {
                let value = channel_value(datatype, v);
                let byte = to_byte(value, range, datatype);
                let (px, c) = (i / channels, i % channels);
                let out = &mut pixels[px * 4..px * 4 + 4];
                match (model, c) {
                    (ColorModel::L, _) => {
                        out[0] = byte;
                        out[1] = byte;
                        out[2] = byte;
                    }
                    (ColorModel::BGR | ColorModel::BGRA, 0) => out[2] = byte,
                    (ColorModel::BGR | ColorModel::BGRA, 2) => out[0] = byte,
                    (_, c) => out[c] = byte,
                }
            }
            Ok(Picture::Rgba(Arc::new(RgbaPicture {
                width: format.width,
                height: format.height,
                pixels,
            })))
        }
    }
}

/// The range a channel type covers: its whole span for integers (8-bit
/// values map one to one), 0–1 for floats.
pub fn default_range(datatype: ChannelDatatype) -> ValueRange {
    let (min, max) = match datatype {
        ChannelDatatype::U8 => (0.0, 255.0),
        ChannelDatatype::U16 => (0.0, 65535.0),
        ChannelDatatype::U32 => (0.0, f64::from(u32::MAX)),
        ChannelDatatype::I8 => (-128.0, 127.0),
        ChannelDatatype::I16 => (-32768.0, 32767.0),
        ChannelDatatype::I32 => (f64::from(i32::MIN), f64::from(i32::MAX)),
        ChannelDatatype::F16 | ChannelDatatype::F32 | ChannelDatatype::F64 => (0.0, 1.0),
    };
    ValueRange { min, max }
}

fn channel_value(datatype: ChannelDatatype, v: &[u8]) -> f64 {
    // Native endian, as the data model stores channel values.
    match datatype {
        ChannelDatatype::U8 => f64::from(v[0]),
        ChannelDatatype::I8 => f64::from(v[0] as i8),
        ChannelDatatype::U16 => f64::from(u16::from_ne_bytes([v[0], v[1]])),
        ChannelDatatype::I16 => f64::from(i16::from_ne_bytes([v[0], v[1]])),
        ChannelDatatype::U32 => f64::from(u32::from_ne_bytes([v[0], v[1], v[2], v[3]])),
        ChannelDatatype::I32 => f64::from(i32::from_ne_bytes([v[0], v[1], v[2], v[3]])),
        ChannelDatatype::F16 => half_to_f64(u16::from_ne_bytes([v[0], v[1]])),
        ChannelDatatype::F32 => f64::from(f32::from_ne_bytes([v[0], v[1], v[2], v[3]])),
        ChannelDatatype::F64 => f64::from_ne_bytes(v[..8].try_into().unwrap_or([0; 8])),
    }
}

/// IEEE half to double (no crate for four lines).
fn half_to_f64(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let fraction = f64::from(h & 0x3ff);
    sign * match exponent {
        0 => fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + fraction / 1024.0) * 2f64.powi(e - 15),
    }
}

fn to_byte(value: f64, range: ValueRange, datatype: ChannelDatatype) -> u8 {
    if datatype == ChannelDatatype::U8 && range == default_range(datatype) {
        return value as u8;
    }
    let span = range.max - range.min;
    if span.is_nan() || span <= 0.0 || value.is_nan() {
        return 0;
    }
    (((value - range.min) / span) * 255.0)
        .round()
        .clamp(0.0, 255.0) as u8
}

/// An 8-bit YUV image as planes: NV12's interleaved chroma and YUY2's
/// packed pixels split into Y, U and V.
fn yuv_image(format: PixelFormat, width: u32, height: u32, bytes: &[u8]) -> DecodedFrame {
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (layout, planes): (ChromaLayout, [Vec<u8>; 3]) = match format {
        PixelFormat::NV12 => {
            let uv = &bytes[w * h..];
            (
                ChromaLayout::Yuv420,
                [
                    bytes[..w * h].to_vec(),
                    uv.iter().step_by(2).copied().collect(),
                    uv.iter().skip(1).step_by(2).copied().collect(),
                ],
            )
        }
        PixelFormat::I420 => (
            ChromaLayout::Yuv420,
            [
                bytes[..w * h].to_vec(),
                bytes[w * h..w * h + cw * ch].to_vec(),
                bytes[w * h + cw * ch..w * h + 2 * cw * ch].to_vec(),
            ],
        ),
        PixelFormat::Y_U_V422 => (
            ChromaLayout::Yuv422,
            [
                bytes[..w * h].to_vec(),
                bytes[w * h..w * h + cw * h].to_vec(),
                bytes[w * h + cw * h..w * h + 2 * cw * h].to_vec(),
            ],
        ),
        PixelFormat::Y_U_V444 => (
            ChromaLayout::Yuv444,
            [
                bytes[..w * h].to_vec(),
                bytes[w * h..2 * w * h].to_vec(),
                bytes[2 * w * h..3 * w * h].to_vec(),
            ],
        ),
        PixelFormat::YUY2 => {
            // Y0 U Y1 V per pair of pixels; an odd width's last pair has one Y.
            let mut y = Vec::with_capacity(w * h);
            let (mut u, mut v) = (Vec::with_capacity(cw * h), Vec::with_capacity(cw * h));
            for row in bytes.chunks_exact(cw * 4).take(h) {
                for (i, quad) in row.chunks_exact(4).enumerate() {
                    y.push(quad[0]);
                    if 2 * i + 1 < w {
                        y.push(quad[2]);
                    }
                    u.push(quad[1]);
                    v.push(quad[3]);
                }
            }
            (ChromaLayout::Yuv422, [y, u, v])
        }
    };
    DecodedFrame {
        width,
        height,
        bit_depth: 8,
        layout,
        pts: 0,
        planes: planes.map(Into::into),
        full_range: false,
        matrix: Matrix::Bt601,
        primaries: 2,
        transfer: 2,
        chroma_location: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(picture: &Picture, x: u32, y: u32) -> [u8; 3] {
        picture.pixel(x, y).unwrap().0
    }

    #[test]
    fn yuv_images_become_planes_with_the_right_colors() {
        // 2x2 of BT.601 limited red (Y 81, Cb 90, Cr 240).
        let nv12 =
            Image::from_pixel_format(vec![81, 81, 81, 81, 90, 240], [2, 2], PixelFormat::NV12)
                .unwrap();
        let p = picture_of_image(&nv12, None).unwrap();
        let [r, g, b] = rgb(&p, 1, 1);
        assert!(r > 250 && g < 5 && b < 5, "{r} {g} {b}");
        // YUY2: one pair of pixels per row, the same red.
        let yuy2 = Image::from_pixel_format(
            vec![81, 90, 81, 240, 81, 90, 81, 240],
            [2, 2],
            PixelFormat::YUY2,
        )
        .unwrap();
        let p = picture_of_image(&yuy2, None).unwrap();
        let [r, g, b] = rgb(&p, 1, 0);
        assert!(r > 250 && g < 5 && b < 5, "{r} {g} {b}");
    }

    #[test]
    fn gray_16_bit_maps_over_the_chosen_range() {
        let values: Vec<u8> = [0u16, 1000, 2000, 65535]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let image =
            Image::from_color_model(values, [4, 1], ColorModel::L, ChannelDatatype::U16).unwrap();
        let full = picture_of_image(&image, None).unwrap();
        assert_eq!(rgb(&full, 1, 0), [4, 4, 4]);
        let narrow = picture_of_image(
            &image,
            Some(ValueRange {
                min: 0.0,
                max: 2000.0,
            }),
        )
        .unwrap();
        assert_eq!(rgb(&narrow, 1, 0), [128, 128, 128]);
        assert_eq!(rgb(&narrow, 3, 0), [255, 255, 255]);
        let bgr =
            Image::from_color_model(vec![1, 2, 3], [1, 1], ColorModel::BGR, ChannelDatatype::U8)
                .unwrap();
        assert_eq!(rgb(&picture_of_image(&bgr, None).unwrap(), 0, 0), [3, 2, 1]);
        assert_eq!(half_to_f64(0x3c00), 1.0);
        assert_eq!(half_to_f64(0xc000), -2.0);
    }
}
