//! `EncodedImage`: JPEG or PNG bytes.

use std::path::Path;

use crate::component::{RowView, cell};
use crate::media_type::{self, IMAGE_TYPES};
use crate::{Archetype, Blob, ComponentCell, ComponentDescriptor, DataError, DataResult};

/// A compressed image file's bytes and its media type.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedImage {
    blob: Blob,
    media_type: String,
}

impl EncodedImage {
    /// Component: the file bytes.
    pub const BLOB: ComponentDescriptor = ComponentDescriptor::new("EncodedImage", "blob");
    /// Component: the media type.
    pub const MEDIA_TYPE: ComponentDescriptor =
        ComponentDescriptor::new("EncodedImage", "media_type");

    /// Wraps bytes, telling JPEG from PNG by their magic numbers.
    pub fn from_bytes(bytes: impl Into<Blob>) -> DataResult<Self> {
        let blob = bytes.into();
        if blob.is_empty() {
            return Err(DataError::Empty {
                what: "EncodedImage bytes",
            });
        }
        let media_type =
            media_type::sniff_image(&blob).ok_or_else(|| DataError::UnknownMediaType {
                archetype: "EncodedImage",
                first_bytes: media_type::describe_start(&blob),
            })?;
        Ok(Self {
            blob,
            media_type: media_type.to_owned(),
        })
    }

    /// Reads an image file, sniffing its type.
    pub fn from_file(path: impl AsRef<Path>) -> DataResult<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_bytes(bytes)
    }

    /// Wraps bytes of a known media type.
    pub fn from_bytes_with_media_type(
        bytes: impl Into<Blob>,
        media_type: &str,
    ) -> DataResult<Self> {
        let blob = bytes.into();
        if blob.is_empty() {
            return Err(DataError::Empty {
                what: "EncodedImage bytes",
            });
        }
        check_media_type("EncodedImage", media_type, IMAGE_TYPES)?;
        Ok(Self {
            blob,
            media_type: media_type.to_owned(),
        })
    }

    /// The file bytes.
    pub fn blob(&self) -> &Blob {
        &self.blob
    }

    /// The media type, e.g. `image/jpeg`.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }
}

pub(crate) fn check_media_type(
    archetype: &'static str,
    media_type: &str,
    allowed: &[&str],
) -> DataResult<()> {
    if allowed.contains(&media_type) {
        Ok(())
    } else {
        Err(DataError::UnsupportedMediaType {
            archetype,
            media_type: media_type.to_owned(),
            supported: allowed.join(", "),
        })
    }
}

impl Archetype for EncodedImage {
    const NAME: &'static str = "EncodedImage";

    fn to_cells(&self) -> Vec<ComponentCell> {
        vec![
            (Self::BLOB, cell::blob(&self.blob)),
            (Self::MEDIA_TYPE, cell::utf8(&self.media_type)),
        ]
    }

    fn from_row(row: &RowView<'_>) -> DataResult<Option<Self>> {
        let Some(blob) = row.blob(&Self::BLOB)? else {
            return Ok(None);
        };
        match row.utf8(&Self::MEDIA_TYPE)? {
            Some(mt) => Self::from_bytes_with_media_type(blob, mt).map(Some),
            None => Self::from_bytes(blob).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_or_says_why_not() {
        let jpeg = EncodedImage::from_bytes(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap();
        assert_eq!(jpeg.media_type(), "image/jpeg");
        let e = EncodedImage::from_bytes(b"GIF89a..".to_vec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("47 49 46 38"), "{e}");
        let e = EncodedImage::from_bytes_with_media_type(vec![1], "image/gif")
            .unwrap_err()
            .to_string();
        assert!(e.contains("image/jpeg, image/png"), "{e}");
        assert!(EncodedImage::from_bytes(Vec::new()).is_err());
        let e = EncodedImage::from_file("/nonexistent/x.jpg")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/x.jpg"), "{e}");
    }
}
