//! Decoded pictures: planar YUV in the stream's own chroma layout and bit
//! depth, with its color description, and RGB conversion. Here, in the data
//! model, rather than with the decoders: the viewer draws them on every
//! target (the browser's WebCodecs frames included) without the decoders.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Memory a decoder lent a picture's plane from: it stays valid and
/// unchanged for as long as this value lives (e.g. a reference-counted
/// libavcodec frame).
pub trait SharedPlane: Send + Sync {
    /// The plane's samples, rows back to back.
    fn bytes(&self) -> &[u8];
}

/// The samples of one plane: owned, or the decoder's own buffer, shared
/// without a copy (copying each picture out of libavcodec, and filling the
/// frame cache's new memory with it, cost more than the decode's own
/// threads leave spare — `cargo bench -p reel-cli --bench decode`).
#[derive(Clone)]
pub struct PlaneData(PlaneRepr);

#[derive(Clone)]
enum PlaneRepr {
    Owned(Vec<u8>),
    Shared(Arc<dyn SharedPlane>),
}

impl PlaneData {
    /// A plane lent by a decoder (see [`SharedPlane`]).
    pub fn shared(plane: Arc<dyn SharedPlane>) -> Self {
        Self(PlaneRepr::Shared(plane))
    }

    /// The owned buffer back, for reuse (`None` for a shared plane).
    pub fn into_vec(self) -> Option<Vec<u8>> {
        match self.0 {
            PlaneRepr::Owned(v) => Some(v),
            PlaneRepr::Shared(_) => None,
        }
    }
}

impl Default for PlaneData {
    fn default() -> Self {
        Self(PlaneRepr::Owned(Vec::new()))
    }
}

impl From<Vec<u8>> for PlaneData {
    fn from(v: Vec<u8>) -> Self {
        Self(PlaneRepr::Owned(v))
    }
}

impl Deref for PlaneData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            PlaneRepr::Owned(v) => v,
            PlaneRepr::Shared(p) => p.bytes(),
        }
    }
}

impl AsRef<[u8]> for PlaneData {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for PlaneData {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for PlaneData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0 {
            PlaneRepr::Owned(_) => "owned",
            PlaneRepr::Shared(_) => "shared",
        };
        write!(f, "PlaneData({} bytes, {kind})", self.len())
    }
}

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

    /// (Cr→R, Cb→G, Cr→G, Cb→B) for normalised Y' and Cb/Cr in −0.5…0.5.
    fn coefficients(self) -> (f64, f64, f64, f64) {
        let (kr, kb) = match self {
            Self::Bt601 => (0.299, 0.114),
            Self::Bt709 => (0.2126, 0.0722),
            Self::Bt2020 => (0.2627, 0.0593),
        };
        let kg = 1.0 - kr - kb;
        (
            2.0 * (1.0 - kr),
            2.0 * (1.0 - kb) * kb / kg,
            2.0 * (1.0 - kr) * kr / kg,
            2.0 * (1.0 - kb),
        )
    }
}

/// Where the chroma planes sit relative to luma: the stream's own layout,
/// kept as decoded (no squeeze to 4:2:0 on the way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChromaLayout {
    /// Luma only (4:0:0); the chroma planes are empty.
    Mono,
    /// Chroma at half width and half height.
    Yuv420,
    /// Chroma at half width, full height.
    Yuv422,
    /// Chroma at full resolution.
    Yuv444,
}

impl ChromaLayout {
    /// log2 of the horizontal and vertical chroma subsampling.
    pub fn shift(self) -> (u32, u32) {
        match self {
            Self::Mono | Self::Yuv420 => (1, 1),
            Self::Yuv422 => (1, 0),
            Self::Yuv444 => (0, 0),
        }
    }

    /// FFmpeg's pixel format name for this layout at `bit_depth` (what
    /// `ffmpeg -pix_fmt` takes to produce the same planes).
    pub fn ffmpeg_pix_fmt(self, bit_depth: u8) -> String {
        let base = match self {
            Self::Mono => "gray",
            Self::Yuv420 => "yuv420p",
            Self::Yuv422 => "yuv422p",
            Self::Yuv444 => "yuv444p",
        };
        if bit_depth > 8 {
            format!("{base}{bit_depth}le")
        } else {
            base.to_owned()
        }
    }
}

/// A decoded picture: planes of 8-bit (`u8`) or 10/12-bit (`u16`) samples
/// in the stream's chroma layout.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 8, 10 or 12.
    pub bit_depth: u8,
    /// Chroma subsampling (or none: monochrome).
    pub layout: ChromaLayout,
    /// Presentation timestamp of the sample this picture came from.
    pub pts: i64,
    /// Y, U, V planes without padding (`u16` little-endian pairs when bit
    /// depth > 8; U and V empty for [`ChromaLayout::Mono`]).
    pub planes: [PlaneData; 3],
    /// Full (0–255) rather than limited (16–235) range.
    pub full_range: bool,
    /// Color matrix.
    pub matrix: Matrix,
    /// `colour_primaries` of ISO/IEC 23091-2 as the stream signals them
    /// (1 BT.709, 9 BT.2020, 2 unspecified), for a renderer that converts
    /// to the display's primaries.
    pub primaries: u8,
    /// `transfer_characteristics` of ISO/IEC 23091-2 (1 BT.709, 16 PQ,
    /// 18 HLG, 2 unspecified).
    pub transfer: u8,
    /// Where subsampled chroma sits relative to luma, as ISO/IEC 23091-2
    /// `ChromaSampleLocType` (0 left, the default; 1 center; 2 top-left):
    /// a renderer that upsamples chroma by interpolation offsets by it.
    pub chroma_location: u8,
}

/// One plane of a picture, as a GPU texture upload takes it.
#[derive(Clone, Copy, Debug)]
pub struct PlaneView<'a> {
    /// The samples, row after row.
    pub data: &'a [u8],
    /// Width and height in samples.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Bytes from one row to the next.
    pub stride: usize,
    /// 1 (8-bit) or 2 (10/12-bit, little-endian `u16`).
    pub bytes_per_sample: usize,
}

impl DecodedFrame {
    /// Width of the chroma planes (0 for monochrome).
    pub fn chroma_width(&self) -> usize {
        chroma_size(self.layout, self.width, self.height).0
    }

    /// Height of the chroma planes (0 for monochrome).
    pub fn chroma_height(&self) -> usize {
        chroma_size(self.layout, self.width, self.height).1
    }

    /// The planes with their geometry, for upload as textures (Y, then U
    /// and V; one plane for monochrome): a renderer converts to RGB on the
    /// GPU with [`matrix`](Self::matrix), [`full_range`](Self::full_range)
    /// and the bit depth, instead of [`to_rgb8`](Self::to_rgb8) on the CPU.
    pub fn plane_views(&self) -> Vec<PlaneView<'_>> {
        let bytes_per_sample = if self.bit_depth > 8 { 2 } else { 1 };
        let (cw, ch) = (self.chroma_width(), self.chroma_height());
        let sizes = [
            (self.width as usize, self.height as usize),
            (cw, ch),
            (cw, ch),
        ];
        self.planes
            .iter()
            .zip(sizes)
            .filter(|(_, (w, h))| w * h > 0)
            .map(|(data, (width, height))| PlaneView {
                data,
                width,
                height,
                stride: width * bytes_per_sample,
                bytes_per_sample,
            })
            .collect()
    }

    /// Bytes held.
    pub fn heap_size(&self) -> usize {
        self.planes.iter().map(|p| p.len()).sum()
    }

    /// The planes back to back: the layout `ffmpeg -f rawvideo -pix_fmt
    /// <`[`ffmpeg_pix_fmt`](Self::ffmpeg_pix_fmt)`>` writes.
    pub fn to_planar_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.heap_size());
        for p in &self.planes {
            out.extend_from_slice(p);
        }
        out
    }

    /// FFmpeg's name of this picture's pixel format (`yuv420p`, `yuv444p10le`, `gray`, …).
    pub fn ffmpeg_pix_fmt(&self) -> String {
        self.layout.ffmpeg_pix_fmt(self.bit_depth)
    }

    /// NV12 (Y, then interleaved U/V): only for 8-bit 4:2:0 pictures.
    pub fn to_nv12_bytes(&self) -> Option<Vec<u8>> {
        if self.bit_depth != 8 || self.layout != ChromaLayout::Yuv420 {
            return None;
        }
        let mut out = self.planes[0].to_vec();
        for (u, v) in self.planes[1].iter().zip(self.planes[2].iter()) {
            out.push(*u);
            out.push(*v);
        }
        Some(out)
    }

    fn sample(&self, plane: usize, index: usize) -> usize {
        let p = &self.planes[plane];
        if self.bit_depth > 8 {
            usize::from(u16::from_le_bytes([p[index * 2], p[index * 2 + 1]]))
        } else {
            usize::from(p[index])
        }
    }

    /// Converts to RGB8 with the frame's matrix and range, from the full
    /// precision of the samples (10/12-bit are not cut to 8 bits first);
    /// chroma upsampled by nearest sample.
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
        let (w, h) = (self.width as usize, self.height as usize);
        let (sx, sy) = self.layout.shift();
        let cw = self.chroma_width();
        let lut = Lut::new(self.bit_depth, self.full_range, self.matrix);
        let neutral = 1usize << (self.bit_depth - 1);
        let mono = self.layout == ChromaLayout::Mono;
        let mut out = vec![255u8; w * h * channels];
        for y in 0..h {
            let crow = (y >> sy) * cw;
            for x in 0..w {
                let l = lut.luma[self.sample(0, y * w + x)];
                let (cb, cr) = if mono {
                    (neutral, neutral)
                } else {
                    let ci = crow + (x >> sx);
                    (self.sample(1, ci), self.sample(2, ci))
                };
                let o = &mut out[(y * w + x) * channels..];
                o[0] = Lut::to_u8(l + lut.cr_r[cr]);
                o[1] = Lut::to_u8(l - lut.cb_g[cb] - lut.cr_g[cr]);
                o[2] = Lut::to_u8(l + lut.cb_b[cb]);
            }
        }
        out
    }
}

fn chroma_size(layout: ChromaLayout, width: u32, height: u32) -> (usize, usize) {
    if layout == ChromaLayout::Mono {
        return (0, 0);
    }
    let (sx, sy) = layout.shift();
    (
        (width as usize).div_ceil(1 << sx),
        (height as usize).div_ceil(1 << sy),
    )
}

/// Each sample value's contribution to R, G and B in 8-bit units with
/// [`Lut::FRACTION`] fractional bits: the conversion keeps all the
/// precision of 10- and 12-bit samples and costs one table lookup per term.
struct Lut {
    luma: Vec<i32>,
    cr_r: Vec<i32>,
    cb_g: Vec<i32>,
    cr_g: Vec<i32>,
    cb_b: Vec<i32>,
}

impl Lut {
    const FRACTION: u32 = 12;

    fn new(bit_depth: u8, full_range: bool, matrix: Matrix) -> Self {
        let levels = 1usize << bit_depth;
        let scale = f64::from(1u32 << (bit_depth - 8));
        // Normalised Y' in 0…1 and C in −0.5…0.5 (ITU-R BT.601/709/2020
        // quantisation: limited range is 16–235 / 16–240 at 8 bits, scaled
        // by 2^(depth−8); full range spans 0…2^depth−1).
        let (y_off, y_range, c_range) = if full_range {
            let max = (levels - 1) as f64;
            (0.0, max, max)
        } else {
            (16.0 * scale, 219.0 * scale, 224.0 * scale)
        };
        let c_mid = 128.0 * scale;
        let one = f64::from(1u32 << Self::FRACTION) * 255.0;
        let (cr_r, cb_g, cr_g, cb_b) = matrix.coefficients();
        let table = |f: &dyn Fn(f64) -> f64| -> Vec<i32> {
            (0..levels)
                .map(|v| (f(v as f64) * one).round() as i32)
                .collect()
        };
        let chroma = |v: f64| (v - c_mid) / c_range;
        Self {
            luma: table(&|v| (v - y_off) / y_range),
            cr_r: table(&|v| cr_r * chroma(v)),
            cb_g: table(&|v| cb_g * chroma(v)),
            cr_g: table(&|v| cr_g * chroma(v)),
            cb_b: table(&|v| cb_b * chroma(v)),
        }
    }

    fn to_u8(v: i32) -> u8 {
        ((v + (1 << (Self::FRACTION - 1))) >> Self::FRACTION).clamp(0, 255) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(bit_depth: u8, layout: ChromaLayout, planes: [Vec<u8>; 3]) -> DecodedFrame {
        let planes = planes.map(PlaneData::from);
        DecodedFrame {
            width: 2,
            height: 2,
            bit_depth,
            layout,
            pts: 0,
            planes,
            full_range: false,
            matrix: Matrix::Bt601,
            primaries: 2,
            transfer: 2,
            chroma_location: 0,
        }
    }

    #[test]
    fn gray_and_primaries_convert() {
        let f = frame(
            8,
            ChromaLayout::Yuv420,
            [vec![16, 235, 126, 126], vec![128], vec![128]],
        );
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

    #[test]
    fn ten_bit_red_keeps_its_precision() {
        // BT.601 limited-range red (255, 0, 0) at 10 bits: Y 325.9, Cb 360.8, Cr 960.
        let le = |v: u16| v.to_le_bytes().to_vec();
        let f = frame(
            10,
            ChromaLayout::Yuv420,
            [
                [le(326), le(326), le(326), le(326)].concat(),
                le(361),
                le(960),
            ],
        );
        let rgb = f.to_rgb8();
        assert!(
            rgb[0] >= 254 && rgb[1] <= 1 && rgb[2] <= 1,
            "{:?}",
            &rgb[..3]
        );
    }

    #[test]
    fn layouts_size_their_chroma() {
        let mono = frame(
            8,
            ChromaLayout::Mono,
            [vec![16, 235, 16, 235], vec![], vec![]],
        );
        assert_eq!((mono.chroma_width(), mono.chroma_height()), (0, 0));
        assert_eq!(&mono.to_rgb8()[3..6], &[255, 255, 255]);
        assert!(mono.to_nv12_bytes().is_none());
        let f444 = frame(
            8,
            ChromaLayout::Yuv444,
            [
                vec![81; 4],
                vec![90, 128, 90, 128],
                vec![240, 128, 240, 128],
            ],
        );
        let rgb = f444.to_rgb8();
        assert!(rgb[0] > 250 && rgb[1] < 5, "red at x=0: {:?}", &rgb[..3]);
        assert_eq!(rgb[3], rgb[4], "gray at x=1: {:?}", &rgb[3..6]);
        assert_eq!(f444.ffmpeg_pix_fmt(), "yuv444p");
        assert_eq!(ChromaLayout::Yuv422.ffmpeg_pix_fmt(10), "yuv422p10le");
    }
}
