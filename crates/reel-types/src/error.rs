//! The one error type of the data model.

use thiserror::Error;

/// What is wrong with a value handed to the data model.
///
/// Every constructor validates its input and returns one of these instead of
/// panicking; the message says what was expected and what was given.
/// Field names in the variants are self-explanatory; the messages are the documentation.
#[allow(missing_docs)]
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DataError {
    /// An entity path string that does not parse.
    #[error("invalid entity path {path:?}: {reason}")]
    InvalidEntityPath { path: String, reason: String },

    /// A timeline name that is empty or reserved.
    #[error("invalid timeline name {name:?}: {reason}")]
    InvalidTimelineName { name: String, reason: String },

    /// An image buffer whose size does not match its format.
    #[error("Image {width}x{height} {format} needs {expected} bytes, got {actual}")]
    ImageSizeMismatch {
        width: u32,
        height: u32,
        format: String,
        expected: u64,
        actual: u64,
    },

    /// An image with a zero or absurd dimension.
    #[error("Image {width}x{height} has an invalid size: {reason}")]
    InvalidImageSize {
        width: u32,
        height: u32,
        reason: String,
    },

    /// A media type that is not one this archetype accepts.
    #[error("{archetype}: unsupported media type {media_type:?} (supported: {supported})")]
    UnsupportedMediaType {
        archetype: &'static str,
        media_type: String,
        supported: String,
    },

    /// Bytes whose type could not be told from their first bytes.
    #[error(
        "{archetype}: could not tell the media type from the bytes ({first_bytes}); name it with `{archetype}::from_bytes_with_media_type` (e.g. \"video/mp4\", \"image/jpeg\")"
    )]
    UnknownMediaType {
        archetype: &'static str,
        first_bytes: String,
    },

    /// A blob that must not be empty.
    #[error("{what} is empty")]
    Empty { what: &'static str },

    /// A name that is not a known enum value (codec, color model, …).
    #[error("unknown {what} {value:?} (known: {known})")]
    UnknownName {
        what: &'static str,
        value: String,
        known: String,
    },

    /// Columns of different lengths handed to a columnar API.
    #[error("column {column:?} has {actual} rows, expected {expected}")]
    ColumnLengthMismatch {
        column: String,
        expected: usize,
        actual: usize,
    },

    /// An Arrow batch that does not follow reel's chunk layout.
    #[error("malformed chunk: {0}")]
    MalformedChunk(String),

    /// A file that could not be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// Shorthand for results of the data model.
pub type DataResult<T> = Result<T, DataError>;
