//! Query errors; each names the entity or file.

use thiserror::Error;

/// Why a query could not be answered.
#[allow(missing_docs)]
#[derive(Debug, Error)]
pub enum QueryError {
    /// The recording could not be read.
    #[error(transparent)]
    Store(#[from] reel_store::StoreError),

    /// A stored value could not be read back.
    #[error(transparent)]
    Data(#[from] reel_types::DataError),

    /// A video file (or an `AssetVideo`'s bytes) could not be read.
    #[error(transparent)]
    Video(#[from] reel_video::VideoError),

    /// Decoding could not start.
    #[cfg(feature = "decode")]
    #[error(transparent)]
    Decode(#[from] reel_decode::DecodeError),

    /// The entity cannot be read as asked; the message says why in the
    /// user's terms.
    #[error("{entity}: {message}")]
    Entity { entity: String, message: String },
}

/// A query result.
pub type QueryResult<T> = Result<T, QueryError>;

pub(crate) fn entity_error(entity: impl ToString, message: impl Into<String>) -> QueryError {
    QueryError::Entity {
        entity: entity.to_string(),
        message: message.into(),
    }
}
