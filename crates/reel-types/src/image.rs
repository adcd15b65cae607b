//! `Image`: raw pixels, lossless.

use std::fmt;

use crate::component::{RowView, cell};
use crate::{Archetype, Blob, ComponentCell, ComponentDescriptor, DataError, DataResult};

/// Channels of a color pixel, in memory order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum ColorModel {
    /// Luminance (grayscale).
    L,
    /// Red, green, blue.
    RGB,
    /// Red, green, blue, alpha.
    RGBA,
    /// Blue, green, red.
    BGR,
    /// Blue, green, red, alpha.
    BGRA,
}

impl ColorModel {
    /// Channels per pixel.
    pub fn channels(self) -> u64 {
        match self {
            Self::L => 1,
            Self::RGB | Self::BGR => 3,
            Self::RGBA | Self::BGRA => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::L => "L",
            Self::RGB => "RGB",
            Self::RGBA => "RGBA",
            Self::BGR => "BGR",
            Self::BGRA => "BGRA",
        }
    }

    const ALL: [Self; 5] = [Self::L, Self::RGB, Self::RGBA, Self::BGR, Self::BGRA];
}

/// The type of one channel value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelDatatype {
    /// Unsigned 8-bit.
    U8,
    /// Unsigned 16-bit (native endian, as in memory).
    U16,
    /// Unsigned 32-bit.
    U32,
    /// Signed 8-bit.
    I8,
    /// Signed 16-bit.
    I16,
    /// Signed 32-bit.
    I32,
    /// IEEE half float.
    F16,
    /// IEEE single float.
    F32,
    /// IEEE double float.
    F64,
}

impl ChannelDatatype {
    /// Bytes per channel value.
    pub fn bytes(self) -> u64 {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::U16 | Self::I16 | Self::F16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::U8 => "U8",
            Self::U16 => "U16",
            Self::U32 => "U32",
            Self::I8 => "I8",
            Self::I16 => "I16",
            Self::I32 => "I32",
            Self::F16 => "F16",
            Self::F32 => "F32",
            Self::F64 => "F64",
        }
    }

    const ALL: [Self; 9] = [
        Self::U8,
        Self::U16,
        Self::U32,
        Self::I8,
        Self::I16,
        Self::I32,
        Self::F16,
        Self::F32,
        Self::F64,
    ];
}

/// Planar and packed YUV layouts, 8-bit, as cameras and decoders produce them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum PixelFormat {
    /// Y plane, then interleaved U/V at half width and height (4:2:0).
    NV12,
    /// Packed Y0 U Y1 V (4:2:2).
    YUY2,
    /// Y, U, V planes, U and V at half width and height (4:2:0), a.k.a. `Y_U_V420`.
    I420,
    /// Y, U, V planes, U and V at half width (4:2:2).
    Y_U_V422,
    /// Y, U, V planes at full resolution (4:4:4).
    Y_U_V444,
}

impl PixelFormat {
    fn name(self) -> &'static str {
        match self {
            Self::NV12 => "NV12",
            Self::YUY2 => "YUY2",
            Self::I420 => "I420",
            Self::Y_U_V422 => "Y_U_V422",
            Self::Y_U_V444 => "Y_U_V444",
        }
    }

    /// Bytes of one `width`x`height` image; chroma planes round odd sizes up.
    pub fn num_bytes(self, width: u64, height: u64) -> u64 {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        match self {
            Self::NV12 | Self::I420 => width * height + 2 * cw * ch,
            Self::YUY2 => cw * 4 * height,
            Self::Y_U_V422 => width * height + 2 * cw * height,
            Self::Y_U_V444 => 3 * width * height,
        }
    }

    const ALL: [Self; 5] = [
        Self::NV12,
        Self::YUY2,
        Self::I420,
        Self::Y_U_V422,
        Self::Y_U_V444,
    ];
}

/// How the bytes of an image are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixelLayout {
    /// Interleaved channels of one type.
    Color(ColorModel, ChannelDatatype),
    /// A YUV layout.
    Yuv(PixelFormat),
}

impl PixelLayout {
    /// Stable name stored in the recording: `RGB_U8`, `L_U16`, `NV12`, …
    pub fn storage_name(self) -> String {
        match self {
            Self::Color(m, d) => format!("{}_{}", m.name(), d.name()),
            Self::Yuv(p) => p.name().to_owned(),
        }
    }

    /// The inverse of [`PixelLayout::storage_name`].
    pub fn from_storage_name(s: &str) -> DataResult<Self> {
        if let Some(p) = PixelFormat::ALL.into_iter().find(|p| p.name() == s) {
            return Ok(Self::Yuv(p));
        }
        if let Some((m, d)) = s.split_once('_') {
            let m = ColorModel::ALL.into_iter().find(|x| x.name() == m);
            let d = ChannelDatatype::ALL.into_iter().find(|x| x.name() == d);
            if let (Some(m), Some(d)) = (m, d) {
                return Ok(Self::Color(m, d));
            }
        }
        Err(DataError::UnknownName {
            what: "pixel layout",
            value: s.to_owned(),
            known:
                "e.g. RGB_U8, RGBA_U8, L_U16, BGR_U8, RGB_F32, NV12, YUY2, I420, Y_U_V422, Y_U_V444"
                    .into(),
        })
    }

    /// Bytes of one `width`x`height` image.
    pub fn num_bytes(self, width: u32, height: u32) -> u64 {
        let (w, h) = (u64::from(width), u64::from(height));
        match self {
            Self::Color(m, d) => w * h * m.channels() * d.bytes(),
            Self::Yuv(p) => p.num_bytes(w, h),
        }
    }
}

impl fmt::Display for PixelLayout {
    /// `RGB8`, `L16` for unsigned integers; `RGB_F32` otherwise; YUV by name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Color(m, ChannelDatatype::U8) => write!(f, "{}8", m.name()),
            Self::Color(m, ChannelDatatype::U16) => write!(f, "{}16", m.name()),
            Self::Color(m, d) => write!(f, "{}_{}", m.name(), d.name()),
            Self::Yuv(p) => f.write_str(p.name()),
        }
    }
}

/// Size and layout of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageFormat {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Layout of the bytes.
    pub layout: PixelLayout,
}

impl ImageFormat {
    /// Bytes a buffer of this format holds.
    pub fn num_bytes(&self) -> u64 {
        self.layout.num_bytes(self.width, self.height)
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{} {}", self.width, self.height, self.layout)
    }
}

/// Largest side accepted; larger images are almost surely a bug.
const MAX_SIDE: u32 = 1 << 16;

/// An uncompressed image: a pixel buffer and its format.
///
/// Construction checks that the buffer holds exactly the bytes the format
/// needs, so a logged image can always be displayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    buffer: Blob,
    format: ImageFormat,
}

impl Image {
    /// Component: the pixel bytes.
    pub const BUFFER: ComponentDescriptor = ComponentDescriptor::new("Image", "buffer");
    /// Component: width in pixels.
    pub const WIDTH: ComponentDescriptor = ComponentDescriptor::new("Image", "width");
    /// Component: height in pixels.
    pub const HEIGHT: ComponentDescriptor = ComponentDescriptor::new("Image", "height");
    /// Component: the pixel layout's storage name.
    pub const LAYOUT: ComponentDescriptor = ComponentDescriptor::new("Image", "pixel_layout");

    /// An image from bytes and a format, checking the size.
    pub fn try_new(buffer: impl Into<Blob>, format: ImageFormat) -> DataResult<Self> {
        let buffer = buffer.into();
        let ImageFormat { width, height, .. } = format;
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(DataError::InvalidImageSize {
                width,
                height,
                reason: format!("each side must be between 1 and {MAX_SIDE}"),
            });
        }
        let expected = format.num_bytes();
        if buffer.len() as u64 != expected {
            return Err(DataError::ImageSizeMismatch {
                width,
                height,
                format: format.layout.to_string(),
                expected,
                actual: buffer.len() as u64,
            });
        }
        Ok(Self { buffer, format })
    }

    /// An image of interleaved channels.
    pub fn from_color_model(
        buffer: impl Into<Blob>,
        [width, height]: [u32; 2],
        model: ColorModel,
        datatype: ChannelDatatype,
    ) -> DataResult<Self> {
        let layout = PixelLayout::Color(model, datatype);
        Self::try_new(
            buffer,
            ImageFormat {
                width,
                height,
                layout,
            },
        )
    }

    /// An image in a YUV layout.
    pub fn from_pixel_format(
        buffer: impl Into<Blob>,
        [width, height]: [u32; 2],
        format: PixelFormat,
    ) -> DataResult<Self> {
        let layout = PixelLayout::Yuv(format);
        Self::try_new(
            buffer,
            ImageFormat {
                width,
                height,
                layout,
            },
        )
    }

    /// 8-bit RGB, 3 bytes per pixel.
    pub fn from_rgb8(buffer: impl Into<Blob>, size: [u32; 2]) -> DataResult<Self> {
        Self::from_color_model(buffer, size, ColorModel::RGB, ChannelDatatype::U8)
    }

    /// 8-bit RGBA, 4 bytes per pixel.
    pub fn from_rgba8(buffer: impl Into<Blob>, size: [u32; 2]) -> DataResult<Self> {
        Self::from_color_model(buffer, size, ColorModel::RGBA, ChannelDatatype::U8)
    }

    /// 8-bit grayscale.
    pub fn from_l8(buffer: impl Into<Blob>, size: [u32; 2]) -> DataResult<Self> {
        Self::from_color_model(buffer, size, ColorModel::L, ChannelDatatype::U8)
    }

    /// The pixel bytes.
    pub fn buffer(&self) -> &Blob {
        &self.buffer
    }

    /// Size and layout.
    pub fn format(&self) -> ImageFormat {
        self.format
    }
}

impl Image {
    /// Columns of images of one `format`, one row per buffer, for
    /// `send_columns` (each buffer's size is checked as `try_new` does).
    pub fn columns_from(
        buffers: &[Blob],
        format: ImageFormat,
    ) -> DataResult<Vec<crate::ComponentColumn>> {
        for b in buffers {
            Self::try_new(b.clone(), format)?;
        }
        let n = buffers.len();
        let buffer =
            arrow_array::LargeBinaryArray::from_iter_values(buffers.iter().map(Blob::as_slice));
        let width = arrow_array::UInt32Array::from(vec![format.width; n]);
        let height = arrow_array::UInt32Array::from(vec![format.height; n]);
        let layout = arrow_array::StringArray::from(vec![format.layout.storage_name(); n]);
        Ok(vec![
            (Self::BUFFER, std::sync::Arc::new(buffer)),
            (Self::WIDTH, std::sync::Arc::new(width)),
            (Self::HEIGHT, std::sync::Arc::new(height)),
            (Self::LAYOUT, std::sync::Arc::new(layout)),
        ])
    }
}

impl Archetype for Image {
    const NAME: &'static str = "Image";

    fn to_cells(&self) -> Vec<ComponentCell> {
        vec![
            (Self::BUFFER, cell::blob(&self.buffer)),
            (Self::WIDTH, cell::u32(self.format.width)),
            (Self::HEIGHT, cell::u32(self.format.height)),
            (Self::LAYOUT, cell::utf8(&self.format.layout.storage_name())),
        ]
    }

    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>> {
        let Some(buffer) = row.blob(&Self::BUFFER)? else {
            return Ok(None);
        };
        let width = row.require(&Self::WIDTH, row.u32(&Self::WIDTH)?)?;
        let height = row.require(&Self::HEIGHT, row.u32(&Self::HEIGHT)?)?;
        let layout = row.require(&Self::LAYOUT, row.utf8(&Self::LAYOUT)?)?;
        let layout = PixelLayout::from_storage_name(layout)?;
        Self::try_new(
            buffer,
            ImageFormat {
                width,
                height,
                layout,
            },
        )
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_checked_with_a_clear_message() {
        let e = Image::from_rgb8(vec![0u8; 921_599], [640, 480]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Image 640x480 RGB8 needs 921600 bytes, got 921599"
        );
        assert!(Image::from_rgb8(vec![0u8; 921_600], [640, 480]).is_ok());
        let e = Image::from_rgb8(Vec::new(), [0, 480]).unwrap_err();
        assert!(e.to_string().contains("invalid size"), "{e}");
    }

    #[test]
    fn yuv_sizes_round_chroma_up() {
        assert_eq!(
            PixelFormat::NV12.num_bytes(641, 481),
            641 * 481 + 2 * 321 * 241
        );
        assert_eq!(PixelFormat::YUY2.num_bytes(4, 2), 16);
        assert_eq!(PixelFormat::I420.num_bytes(640, 480), 460_800);
        assert!(
            Image::from_pixel_format(vec![0u8; 460_800], [640, 480], PixelFormat::I420).is_ok()
        );
    }

    #[test]
    fn layout_names_round_trip() {
        for m in ColorModel::ALL {
            for d in ChannelDatatype::ALL {
                let l = PixelLayout::Color(m, d);
                assert_eq!(
                    PixelLayout::from_storage_name(&l.storage_name()).unwrap(),
                    l
                );
            }
        }
        for p in PixelFormat::ALL {
            let l = PixelLayout::Yuv(p);
            assert_eq!(
                PixelLayout::from_storage_name(&l.storage_name()).unwrap(),
                l
            );
        }
        assert!(PixelLayout::from_storage_name("RGB_U9").is_err());
        let l16 = PixelLayout::Color(ColorModel::L, ChannelDatatype::U16);
        assert_eq!(l16.to_string(), "L16");
    }
}
