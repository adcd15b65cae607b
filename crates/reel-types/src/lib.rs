//! reel's data model: what can be logged and how it is laid out in memory.
//!
//! Everything a program logs is an [`Archetype`] (an [`Image`], an
//! [`EncodedImage`], an [`AssetVideo`], a [`VideoFrameReference`] or a
//! [`VideoStream`] sample) logged to an [`EntityPath`] at a [`TimePoint`]
//! (a value on each of several timelines, or none for static data).
//!
//! Design decisions:
//! - **One storage unit, the [`Chunk`]**: an Apache Arrow record batch of rows
//!   of one entity (row ids, one column per timeline, one per component). The
//!   recording file and, later, the network carry the same batches, so there is
//!   one encoding to specify, test and fuzz.
//! - **Validation at construction**: every archetype constructor checks its
//!   input and returns a [`DataError`] that says what was expected; nothing
//!   here panics on user data.
//! - **Decode order is row order, timeline time is presentation time** for
//!   video samples, so streams with B-frames can be logged as an encoder
//!   emits them (see [`video`]).
//! - **Blobs are shared, not copied**: pixel and sample bytes live in Arrow
//!   buffers ([`Blob`]) from logging to chunk to reading back.
#![deny(missing_docs)]

mod blob;
mod chunk;
mod component;
mod encoded_image;
mod entity_path;
mod error;
pub mod guard;
mod image;
pub mod media_type;
pub mod picture;
mod recycled;
mod time;
pub mod video;

pub use blob::Blob;
pub use chunk::{
    Chunk, META_ARCHETYPE, META_ENTITY_PATH, META_FIELD, META_KIND, PendingRow, ROW_ID_COLUMN,
    RowId,
};
pub use component::{Archetype, ComponentCell, ComponentColumn, ComponentDescriptor, RowView};
pub use encoded_image::EncodedImage;
pub use entity_path::EntityPath;
pub use error::{DataError, DataResult};
pub use image::{ChannelDatatype, ColorModel, Image, ImageFormat, PixelFormat, PixelLayout};
pub use recycled::ColumnReuse;
pub use time::{TimeCell, TimeColumn, TimePoint, TimeType, Timeline, TimelineName, seconds};
pub use video::{AssetVideo, VideoCodec, VideoFrameReference, VideoStream};

/// Re-exported so users of [`Chunk::record_batch`] need no direct Arrow dependency.
pub use arrow_array;
pub use arrow_schema;
