//! Reading recordings back: what the CLI, the SDK's export and the viewer
//! ask of a recording, answered once.
//!
//! The store answers row queries (`latest_at`, `range`); this crate turns
//! them into what readers of video want: an entity's samples or frames in
//! whatever form it was logged (`VideoStream`, `AssetVideo` with
//! `VideoFrameReference` rows, references into a stream), on the timeline
//! it is read on by default.
//!
//! Design decisions:
//! - **One rule per question**: the default timeline ([`default_timeline`]),
//!   how a sample is timed ([`SampleClock`]) and how a reference finds its
//!   video are decided here only, so `reel frame`, `reel export-mp4` and
//!   the viewer agree on what a recording shows.
//! - **No copies, no reading ahead**: a sample is a [`reel_types::Blob`]
//!   sharing the chunk's Arrow buffer; a closed recording is read through
//!   its footer's keyframe index (one group of pictures for one frame); a
//!   video file's samples are read when a decoder needs them.
//! - **Decoders are optional**: frame sources and decoded images (the
//!   `decode` feature) pull in the decoders; sample queries do not, so the
//!   SDK stays light.
#![deny(missing_docs)]

mod error;
#[cfg(feature = "decode")]
pub mod frames;
#[cfg(feature = "decode")]
pub mod images;
pub mod recording;
pub mod timeline;
pub mod video;

pub(crate) use error::entity_error;
pub use error::{QueryError, QueryResult};
pub use timeline::{default_timeline, time_on};
pub use video::{
    IndexedSample, Sample, SampleClock, SampleIndex, StreamSamples, VideoForm, asset_video,
    stream_sample_index, stream_samples, video_form,
};
