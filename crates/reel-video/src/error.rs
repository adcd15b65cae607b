//! Errors of the video crate; each names the file.

use thiserror::Error;

/// What went wrong reading or writing video; messages name the file and say what to do.
#[allow(missing_docs)]
#[derive(Debug, Error)]
pub enum VideoError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{path}: not a video file reel can read ({first_bytes}); reel reads MP4, MOV, fragmented MP4, MKV, WebM and IVF"
    )]
    UnknownContainer { path: String, first_bytes: String },

    #[error(
        "{path}: video codec {codec} is not supported (supported: H.264, H.265, AV1, VP8, VP9); transcode it first, e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`"
    )]
    UnsupportedCodec { path: String, codec: String },

    #[error("{path}: {message}")]
    MissingIndex { path: String, message: String },

    #[error("{path}: no video track (found: {found})")]
    NoVideoTrack { path: String, found: String },

    #[error("{path}: {message}")]
    Malformed { path: String, message: String },

    #[error("{path}: {message}")]
    Mux { path: String, message: String },
}
