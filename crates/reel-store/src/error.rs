//! Errors of the recording store.

use std::io;

use reel_types::DataError;
use thiserror::Error;

/// What went wrong reading or writing a recording; each names the file.
#[allow(missing_docs)]
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "{path}: not a reel recording ({first_bytes}; a recording starts with 89 52 45 45 4c 0d 0a 1a)"
    )]
    NotARecording { path: String, first_bytes: String },

    #[error(
        "{path}: the file header is damaged (checksum mismatch); it is not readable as a recording"
    )]
    CorruptHeader { path: String },

    #[error(
        "{path}: written by a newer reel (format {major}.{minor}); this reel reads format {supported}.x — upgrade reel to read it"
    )]
    NewerVersion {
        path: String,
        major: u16,
        minor: u16,
        supported: u16,
    },

    #[error("{path}: {source}")]
    Data {
        path: String,
        #[source]
        source: DataError,
    },

    #[error("{path}: could not encode chunk of entity {entity}: {message}")]
    Encode {
        path: String,
        entity: String,
        message: String,
    },

    #[error("{path}: frame at byte {offset}: {message}")]
    Frame {
        path: String,
        offset: u64,
        message: String,
    },

    /// A chunk written earlier on another thread failed
    /// ([`crate::ParallelWriter`]); `message` is that error, naming the file.
    #[error("{message}")]
    WriteFailed { message: String },

    #[error("{path}: the recording has no index (it was not closed cleanly); scan it instead")]
    NoIndex { path: String },
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;
