//! The `.reel` recording file and an in-memory store to query it.
//!
//! A recording is a 16-byte header followed by frames; each frame is a
//! length, two CRC-32s and a payload, and each data payload is one chunk
//! encoded as an Arrow IPC stream. `docs/FORMAT.md` specifies it byte by
//! byte. [`RecordingWriter`] appends ([`ParallelWriter`]: encoding on every
//! core, writing in order on one thread); [`RecordingReader`] reads back;
//! [`Store`] indexes loaded chunks for range and latest-at queries.
//!
//! Design decisions:
//! - **Append-only and self-delimiting**: no byte is ever rewritten, so a
//!   crash can only cut the file short; every complete frame before the cut
//!   is still readable. A footer index is written on clean close, but the
//!   reader never needs it to get the data.
//! - **Damage is found, reported and stepped over**: a CRC over each frame
//!   header and one over each payload detect flipped bytes; a damaged frame
//!   is skipped and the reader resynchronises on the next intact header.
//! - **Standard payloads**: Arrow IPC with Arrow's own LZ4/zstd body
//!   compression, so a reader in any language needs only an Arrow library
//!   and a CRC-32 (the test suite proves it with a short pyarrow script).
#![deny(missing_docs)]

mod chunk_slots;
mod error;
pub mod format;
pub mod index;
mod ipc;
mod ipc_check;
mod ipc_write;
mod parallel_writer;
mod reader;
mod store;
mod writer;

pub use chunk_slots::StoreMemory;
pub use error::{StoreError, StoreResult};
pub use index::{ChunkIndexEntry, KeyframeEntry, RecordingIndex, TimeRange};
pub use ipc::{Compression, decode_batch, encode_batch, encode_batch_into};
pub use parallel_writer::ParallelWriter;
pub use reader::{RecordingReader, ScanReport, Skipped};
pub use store::{EntityInfo, RowHandle, RowRef, Store, TimelineInfo};
pub use writer::{EncodedChunk, RecordingWriter};
