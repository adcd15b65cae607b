//! Decoded pictures: planar YUV with its color description, and RGB conversion.

/// How Y'CbCr values map to RGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    /// ITU-R BT.601 (SD, and the assumption when a stream says nothing).
    Bt601,
    /// ITU-R BT.709 (HD).
    Bt709,
    /// ITU-R BT.2020 non-constant luminance (UHD, HDR).
    Bt2020,
}

impl Matrix {
    /// From ISO/IEC 23091-2 `matrix_coefficients` (H.264/H.265 VUI, AV1):
    /// 1 → BT.709, 9/10 → BT.2020, anything else BT.601 — also when
    /// unspecified (2), as FFmpeg converts it.
    pub fn from_code(matrix_coefficients: u8) -> Self {
        match matrix_coefficients {
            1 => Self::Bt709,
            9 | 10 => Self::Bt2020,
            _ => Self::Bt601,
        }
    }
}

/// A decoded picture: 4:2:0 planes of 8-bit (`u8`) or 10/12-bit (`u16`) samples.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 8, 10 or 12.
    pub bit_depth: u8,
    /// Presentation timestamp of the sample this picture came from.
    pub pts: i64,
    /// Y, U, V planes without padding (`u16` little-endian pairs when bit depth > 8).
    pub planes: [Vec<u8>; 3],
    /// Full (0–255) rather than limited (16–235) range.
    pub full_range: bool,
    /// Color matrix.
    pub matrix: Matrix,
}

impl DecodedFrame {
    /// Width of the chroma planes.
    pub fn chroma_width(&self) -> usize {
        (self.width as usize).div_ceil(2)
    }

    /// Height of the chroma planes.
    pub fn chroma_height(&self) -> usize {
        (self.height as usize).div_ceil(2)
    }

    /// Bytes held.
    pub fn heap_size(&self) -> usize {
        self.planes.iter().map(Vec::len).sum()
    }

    /// The planes back to back (I420 / `yuv420p` or `yuv420p10le` layout).
    pub fn to_i420_bytes(&self) -> Vec<u8> {
        self.planes.concat()
    }

    /// NV12 (8-bit only): Y, then interleaved U/V.
    pub fn to_nv12_bytes(&self) -> Vec<u8> {
        let mut out = self.planes[0].clone();
        for (u, v) in self.planes[1].iter().zip(&self.planes[2]) {
            out.push(*u);
            out.push(*v);
        }
        out
    }

    fn sample(&self, plane: usize, index: usize) -> i32 {
        if self.bit_depth > 8 {
            let p = &self.planes[plane];
            let v = i32::from(u16::from_le_bytes([p[index * 2], p[index * 2 + 1]]));
            v >> (self.bit_depth - 8)
        } else {
            i32::from(self.planes[plane][index])
        }
    }

    /// Converts to RGB8 with the frame's matrix and range (chroma upsampled
    /// by nearest sample; 10/12-bit scaled to 8).
    pub fn to_rgb8(&self) -> Vec<u8> {
        self.to_rgb_pixels(3)
    }

    /// Like [`to_rgb8`](Self::to_rgb8), with an opaque alpha byte per pixel
    /// (the layout GPU textures take).
    pub fn to_rgba8(&self) -> Vec<u8> {
        self.to_rgb_pixels(4)
    }

    /// RGB in the first three of every `channels` bytes; the rest 255.
    fn to_rgb_pixels(&self, channels: usize) -> Vec<u8> {
        let (w, h, cw) = (
            self.width as usize,
            self.height as usize,
            self.chroma_width(),
        );
        // Fixed-point (×256) coefficients.
        let (cr_r, cb_g, cr_g, cb_b) = match self.matrix {
            Matrix::Bt601 => (359, 88, 183, 454),
            Matrix::Bt709 => (403, 48, 120, 475),
            Matrix::Bt2020 => (378, 42, 146, 482),
        };
        let (y_off, y_scale, c_scale) = if self.full_range {
            (0, 256, 256)
        } else {
            (16, 298, 292)
        };
        let mut out = vec![255u8; w * h * channels];
        for y in 0..h {
            for x in 0..w {
                let c = (self.sample(0, y * w + x) - y_off) * y_scale;
                let ci = (y / 2) * cw + x / 2;
                let d = (self.sample(1, ci) - 128) * c_scale / 256;
                let e = (self.sample(2, ci) - 128) * c_scale / 256;
                let o = &mut out[(y * w + x) * channels..];
                o[0] = ((c + cr_r * e + 128) >> 8).clamp(0, 255) as u8;
                o[1] = ((c - cb_g * d - cr_g * e + 128) >> 8).clamp(0, 255) as u8;
                o[2] = ((c + cb_b * d + 128) >> 8).clamp(0, 255) as u8;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_and_primaries_convert() {
        let f = DecodedFrame {
            width: 2,
            height: 2,
            bit_depth: 8,
            pts: 0,
            planes: [vec![16, 235, 126, 126], vec![128], vec![128]],
            full_range: false,
            matrix: Matrix::Bt601,
        };
        let rgb = f.to_rgb8();
        assert_eq!(&rgb[..3], &[0, 0, 0]);
        assert_eq!(&rgb[3..6], &[255, 255, 255]);
        assert!((i32::from(rgb[6]) - 128).abs() <= 1);
        let rgba = f.to_rgba8();
        assert_eq!(rgba.len(), 16);
        for (px, rgb) in rgba.chunks(4).zip(rgb.chunks(3)) {
            assert_eq!((&px[..3], px[3]), (rgb, 255));
        }
    }
}
