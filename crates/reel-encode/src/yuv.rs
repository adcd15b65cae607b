//! Conversion of images to planar 4:2:0 YUV (I420), the encoders' input.
//!
//! BT.601 coefficients, limited range (16–235): what decoders and FFmpeg
//! assume for video without a color description, so a round trip through
//! any of them gives the colors back. Chroma is the average of each 2x2
//! block; odd sizes round the chroma planes up.

use reel_types::{ChannelDatatype, ColorModel, Image, PixelFormat, PixelLayout};

use crate::EncodeError;

/// An 8-bit I420 picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I420 {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luma, `width * height`.
    pub y: Vec<u8>,
    /// Cb, `ceil(w/2) * ceil(h/2)`.
    pub u: Vec<u8>,
    /// Cr, same size as `u`.
    pub v: Vec<u8>,
}

impl I420 {
    /// Chroma plane width.
    pub fn chroma_width(&self) -> usize {
        (self.width as usize).div_ceil(2)
    }
}

fn rgb_to_y(r: i32, g: i32, b: i32) -> u8 {
    ((66 * r + 129 * g + 25 * b + 128) >> 8)
        .wrapping_add(16)
        .clamp(0, 255) as u8
}

/// Converts any supported 8-bit image to I420.
pub fn to_i420(image: &Image) -> Result<I420, EncodeError> {
    let f = image.format();
    let (w, h) = (f.width as usize, f.height as usize);
    let data = image.buffer().as_slice();
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match f.layout {
        PixelLayout::Yuv(PixelFormat::I420) => Ok(I420 {
            width: f.width,
            height: f.height,
            y: data[..w * h].to_vec(),
            u: data[w * h..w * h + cw * ch].to_vec(),
            v: data[w * h + cw * ch..].to_vec(),
        }),
        PixelLayout::Yuv(PixelFormat::NV12) => {
            let uv = &data[w * h..];
            Ok(I420 {
                width: f.width,
                height: f.height,
                y: data[..w * h].to_vec(),
                u: uv.iter().step_by(2).copied().collect(),
                v: uv.iter().skip(1).step_by(2).copied().collect(),
            })
        }
        PixelLayout::Color(model, ChannelDatatype::U8) => {
            let (bpp, ri, gi, bi) = match model {
                ColorModel::RGB => (3, 0, 1, 2),
                ColorModel::RGBA => (4, 0, 1, 2),
                ColorModel::BGR => (3, 2, 1, 0),
                ColorModel::BGRA => (4, 2, 1, 0),
                ColorModel::L => (1, 0, 0, 0),
            };
            let mut y = vec![0u8; w * h];
            let mut u = vec![128u8; cw * ch];
            let mut v = vec![128u8; cw * ch];
            if model == ColorModel::L {
                // Full-range gray to limited-range luma, no chroma.
                for (o, &l) in y.iter_mut().zip(data) {
                    *o = ((i32::from(l) * 219 + 127) / 255 + 16) as u8;
                }
            } else {
                for (row, yrow) in y.chunks_exact_mut(w).enumerate() {
                    let src = &data[row * w * bpp..(row + 1) * w * bpp];
                    for (x, out) in yrow.iter_mut().enumerate() {
                        let p = &src[x * bpp..];
                        *out = rgb_to_y(i32::from(p[ri]), i32::from(p[gi]), i32::from(p[bi]));
                    }
                }
                for cy in 0..ch {
                    for cx in 0..cw {
                        let (mut r, mut g, mut b, mut n) = (0i32, 0i32, 0i32, 0i32);
                        for dy in 0..2 {
                            for dx in 0..2 {
                                let (x, yy) = (cx * 2 + dx, cy * 2 + dy);
                                if x < w && yy < h {
                                    let p = &data[(yy * w + x) * bpp..];
                                    r += i32::from(p[ri]);
                                    g += i32::from(p[gi]);
                                    b += i32::from(p[bi]);
                                    n += 1;
                                }
                            }
                        }
                        let (r, g, b) = (r / n, g / n, b / n);
                        u[cy * cw + cx] =
                            (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
                        v[cy * cw + cx] =
                            (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
                    }
                }
            }
            Ok(I420 {
                width: f.width,
                height: f.height,
                y,
                u,
                v,
            })
        }
        layout => Err(EncodeError::UnsupportedFormat {
            encoder: "video encoder",
            layout: layout.to_string(),
            supported: "RGB8, RGBA8, BGR8, BGRA8, L8, NV12, I420",
        }),
    }
}

/// Peak signal-to-noise ratio of two equally sized 8-bit buffers, in dB
/// (`f64::INFINITY` when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "PSNR needs buffers of equal size");
    let se: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum();
    if se == 0.0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64 * 255.0 / (se / a.len() as f64)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.601 limited-range I420 back to RGB8, to check `to_i420` against.
    /// (Decoded pictures convert with `reel_decode::DecodedFrame::to_rgb8`.)
    fn i420_to_rgb(p: &I420) -> Vec<u8> {
        let (w, h, cw) = (p.width as usize, p.height as usize, p.chroma_width());
        let mut out = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let c = i32::from(p.y[y * w + x]) - 16;
                let d = i32::from(p.u[(y / 2) * cw + x / 2]) - 128;
                let e = i32::from(p.v[(y / 2) * cw + x / 2]) - 128;
                let o = &mut out[(y * w + x) * 3..];
                o[0] = ((298 * c + 409 * e + 128) >> 8).clamp(0, 255) as u8;
                o[1] = ((298 * c - 100 * d - 208 * e + 128) >> 8).clamp(0, 255) as u8;
                o[2] = ((298 * c + 516 * d + 128) >> 8).clamp(0, 255) as u8;
            }
        }
        out
    }

    #[test]
    fn rgb_round_trip_is_close() {
        let (w, h) = (64u32, 48u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i / 3) % 200 + 20) as u8).collect();
        let image = Image::from_rgb8(rgb.clone(), [w, h]).unwrap();
        let yuv = to_i420(&image).unwrap();
        assert!(psnr(&rgb, &i420_to_rgb(&yuv)) > 30.0);
        let odd = Image::from_rgb8(vec![100u8; 5 * 3 * 3], [5, 3]).unwrap();
        let p = to_i420(&odd).unwrap();
        assert_eq!((p.y.len(), p.u.len()), (15, 6));
    }
}
