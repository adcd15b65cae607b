//! Encoders for reel: JPEG for images, H.264 and AV1 for video streams —
//! so a program goes from raw frames to the smallest form in one call.
//!
//! - [`compress_jpeg`] / [`ImageCompressExt::compress`]: `Image` → JPEG `EncodedImage`.
//! - [`new_encoder`]: an H.264 (openh264) or AV1 (rav1e) [`VideoEncoder`]
//!   taking I420 frames ([`yuv::to_i420`] converts RGB/RGBA/BGR/BGRA/L8/NV12).
//!
//! Design decisions:
//! - **Low latency by default**: neither encoder reorders frames, so a
//!   frame's sample can be logged (and shown) as soon as it is encoded.
//! - **Self-contained keyframes**: every keyframe sample carries its
//!   parameter sets (SPS/PPS, AV1 sequence header), matching reel's sample
//!   form, so any keyframe is a valid place to start decoding.
//! - **No system libraries**: openh264 builds from its bundled source and
//!   rav1e is Rust; the `asm` feature adds rav1e's assembly (needs `nasm`).
//! - **One color convention**: BT.601 limited range, signalled where the
//!   codec allows, which is what decoders assume when nothing is said.
#![deny(missing_docs)]

mod av1;
mod encoders;
mod error;
mod h264;
mod jpeg;
mod video;
pub mod yuv;

pub use encoders::new_encoder;
pub use error::EncodeError;
pub use jpeg::{ImageCompressExt, JPEG_ENCODER, check_jpeg_input, compress_jpeg};
pub use video::{EncodedPacket, EncoderSettings, VideoEncoder, frame_from_image};
