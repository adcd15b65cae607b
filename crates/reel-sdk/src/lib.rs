//! Log camera images and video from Rust programs into reel recordings.
//!
//! ```no_run
//! # fn main() -> Result<(), reel_sdk::SdkError> {
//! use reel_sdk::{Image, RecordingStreamBuilder};
//! let rec = RecordingStreamBuilder::new("my_robot").save("run.reel")?;
//! for frame in 0..10 {
//!     rec.set_time_sequence("frame", frame);
//!     rec.log("camera/front", &Image::from_rgb8(vec![0u8; 640 * 480 * 3], [640, 480])?)?;
//! }
//! # Ok(()) }
//! ```
//!
//! Design decisions:
//! - **Feels like Rerun**: a cloneable [`RecordingStream`] from a builder,
//!   per-thread times set with `set_time*`, `log(path, &archetype)`.
//! - **`log` is cheap and never panics**: it validates, wraps the data
//!   without copying pixels and hands the row to a background batcher that
//!   builds chunks, compresses and writes them. Errors come back as
//!   [`SdkError`], including a failure of the writer (e.g. disk full), which
//!   is reported by the next call; what was written stays readable.
//! - **Light**: depends on the data model, the file format and the video
//!   container crate only — no GUI, server, decoder or FFmpeg — so it builds
//!   fast inside users' programs.
#![deny(missing_docs)]

mod batcher;
#[cfg(feature = "encoders")]
mod compress_pool;
mod error;
mod image_encode;
pub mod import;
mod recording_stream;
pub mod remux;
mod sink;
pub mod synthetic;
#[cfg(feature = "encoders")]
mod video_encoder;

pub use batcher::BatcherConfig;
pub use error::{SdkError, SdkResult};
pub use image_encode::encode_png;
pub use recording_stream::{RecordingStream, RecordingStreamBuilder};
#[cfg(feature = "encoders")]
pub use reel_encode::{EncoderSettings, ImageCompressExt, compress_jpeg};
pub use sink::MemorySinkStorage;
#[cfg(feature = "encoders")]
pub use video_encoder::VideoStreamEncoder;

pub use reel_store::{Compression, Store};
pub use reel_types::{
    Archetype, AssetVideo, ChannelDatatype, ColorModel, EncodedImage, EntityPath, Image,
    ImageFormat, PixelFormat, TimeCell, TimeColumn, TimeType, VideoCodec, VideoFrameReference,
    VideoStream,
};
pub use reel_video::{AssetVideoExt, MediaFile, VideoError};
