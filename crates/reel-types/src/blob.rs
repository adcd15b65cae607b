//! Blobs: immutable, cheaply cloned byte buffers.

use std::fmt;

use arrow_buffer::Buffer;

/// Bytes held by an image, video or sample; cloning shares them.
///
/// Backed by an Arrow [`Buffer`], so a blob moves into a chunk and back out
/// of a loaded recording without copying.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob(Buffer);

impl Blob {
    /// Wraps an Arrow buffer.
    pub fn from_buffer(buffer: Buffer) -> Self {
        Self(buffer)
    }

    /// The underlying Arrow buffer.
    pub fn buffer(&self) -> &Buffer {
        &self.0
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Self(Buffer::from_vec(v))
    }
}

impl From<&[u8]> for Blob {
    fn from(v: &[u8]) -> Self {
        Self(Buffer::from_slice_ref(v))
    }
}

impl<const N: usize> From<&[u8; N]> for Blob {
    fn from(v: &[u8; N]) -> Self {
        Self(Buffer::from_slice_ref(v))
    }
}

impl AsRef<[u8]> for Blob {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::ops::Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.len())
    }
}
