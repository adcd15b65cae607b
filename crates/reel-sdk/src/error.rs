//! Errors the SDK returns.

use reel_store::StoreError;
use reel_types::DataError;
use thiserror::Error;

/// Why a logging call failed. Rows logged before the failure stay valid.
#[derive(Debug, Error)]
pub enum SdkError {
    /// The logged value was invalid (wrong size, bad path, …).
    #[error(transparent)]
    Data(#[from] DataError),

    /// Opening or writing the recording failed.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The background writer failed earlier; the message says why (e.g. disk full).
    #[error("the recording sink failed: {0}")]
    Sink(String),

    /// The stream's background writer is gone.
    #[error(
        "the recording stream's background writer has stopped (rows logged before this were written)"
    )]
    Closed,

    /// A video file could not be read or written.
    #[error(transparent)]
    Video(#[from] reel_video::VideoError),

    /// A recording could not be read back as asked.
    #[error(transparent)]
    Query(#[from] reel_query::QueryError),

    /// An entity cannot be exported or read as asked; the message says why.
    #[error("entity {entity}: {message}")]
    Entity {
        /// The entity path.
        entity: String,
        /// What is wrong, in the user's terms.
        message: String,
    },

    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },

    /// An image could not be encoded.
    #[error("image encoding failed: {0}")]
    Encode(String),
}

/// Shorthand for SDK results.
pub type SdkResult<T> = Result<T, SdkError>;
