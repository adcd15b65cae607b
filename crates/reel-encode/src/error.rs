//! Errors of the encoders.

use thiserror::Error;

/// Why a frame or image could not be encoded; the stream so far stays valid.
#[allow(missing_docs)]
#[derive(Debug, Error)]
pub enum EncodeError {
    #[error("{encoder} cannot encode {layout} images (supported: {supported})")]
    UnsupportedFormat {
        encoder: &'static str,
        layout: String,
        supported: &'static str,
    },

    #[error(
        "frame is {got_w}x{got_h} but the stream is {want_w}x{want_h}; start a new stream (entity) for a new size"
    )]
    SizeChanged {
        want_w: u32,
        want_h: u32,
        got_w: u32,
        got_h: u32,
    },

    #[error(
        "{codec} with 4:2:0 chroma needs an even width and height, got {width}x{height}; crop or pad the frames by one pixel"
    )]
    OddSize {
        codec: &'static str,
        width: u32,
        height: u32,
    },

    #[error("invalid encoder setting: {0}")]
    InvalidSetting(String),

    #[error("{codec} encoder failed: {message}")]
    Codec {
        codec: &'static str,
        message: String,
    },
}
