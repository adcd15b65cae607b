//! Writing recordings: header, then one frame per chunk, then the footer.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use reel_types::Chunk;

use crate::format::{self, FrameKind};
use crate::index::{self, ChunkIndexEntry, KeyframeEntry};
use crate::ipc::{self, Compression};
use crate::{StoreError, StoreResult};

/// A chunk turned into the bytes of its frame, not yet placed in a file:
/// encoding (Arrow IPC, compression, checksum) is the costly part of a write
/// and needs no file position, so it can run on other threads
/// ([`crate::ParallelWriter`]) while earlier chunks are written.
pub struct EncodedChunk {
    header: [u8; format::FRAME_HEADER_LEN],
    payload: Vec<u8>,
    /// Index entries with offset 0; [`RecordingWriter::append_encoded`] places them.
    entry: ChunkIndexEntry,
    keyframes: Vec<KeyframeEntry>,
}

impl EncodedChunk {
    /// Encodes `chunk`; `path` names the file in errors.
    pub fn encode(chunk: &Chunk, compression: Compression, path: &str) -> StoreResult<Self> {
        Self::encode_reusing(chunk, compression, path, Vec::new())
    }

    /// [`Self::encode`] into `buffer`'s memory: the payload of a chunk
    /// written earlier (see [`RecordingWriter::append_encoded_recycling`]).
    /// An image chunk is megabytes; new memory for each one cost more page
    /// faults than compressing it.
    pub fn encode_reusing(
        chunk: &Chunk,
        compression: Compression,
        path: &str,
        mut payload: Vec<u8>,
    ) -> StoreResult<Self> {
        ipc::encode_batch_into(chunk.record_batch(), compression, &mut payload).map_err(
            |message| StoreError::Encode {
                path: path.to_string(),
                entity: chunk.entity_path().to_string(),
                message,
            },
        )?;
        Ok(Self {
            header: format::encode_frame_header(FrameKind::Chunk, &payload),
            payload,
            entry: ChunkIndexEntry::describe(chunk, 0, 0),
            keyframes: KeyframeEntry::collect(chunk, 0),
        })
    }
}

/// Appends chunks to a recording; [`RecordingWriter::finish`] writes the footer.
///
/// Each chunk is handed to the OS (`flush`) as soon as it is written, so a
/// reader sees it at once and a crash loses at most the chunk in flight.
/// Without `finish` the file stays readable; it just has no footer index.
pub struct RecordingWriter<W: Write> {
    out: W,
    path: String,
    pos: u64,
    compression: Compression,
    chunk_index: Vec<ChunkIndexEntry>,
    keyframes: Vec<KeyframeEntry>,
    /// The last payload's memory, for the next chunk.
    spare: Vec<u8>,
}

impl RecordingWriter<BufWriter<File>> {
    /// Creates (or truncates) a recording file.
    pub fn create(path: impl AsRef<Path>, compression: Compression) -> StoreResult<Self> {
        let path = path.as_ref();
        let file = File::create(path).map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::new(
            BufWriter::with_capacity(1 << 20, file),
            path.display().to_string(),
            compression,
        )
    }
}

impl<W: Write> RecordingWriter<W> {
    /// Starts a recording on any writer; `name` is used in error messages.
    pub fn new(mut out: W, name: String, compression: Compression) -> StoreResult<Self> {
        let header = format::encode_file_header();
        out.write_all(&header)
            .and_then(|_| out.flush())
            .map_err(|source| StoreError::Io {
                path: name.clone(),
                source,
            })?;
        Ok(Self {
            out,
            path: name,
            pos: header.len() as u64,
            compression,
            chunk_index: Vec::new(),
            keyframes: Vec::new(),
            spare: Vec::new(),
        })
    }

    /// Bytes written so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Appends one chunk; returns its frame offset.
    pub fn append_chunk(&mut self, chunk: &Chunk) -> StoreResult<u64> {
        let spare = std::mem::take(&mut self.spare);
        let encoded = EncodedChunk::encode_reusing(chunk, self.compression, &self.path, spare)?;
        let (offset, spare) = self.append_encoded_recycling(encoded);
        self.spare = spare;
        offset
    }

    /// Appends a chunk encoded beforehand (on any thread, see
    /// [`EncodedChunk::encode`]); returns its frame offset.
    pub fn append_encoded(&mut self, chunk: EncodedChunk) -> StoreResult<u64> {
        self.append_encoded_recycling(chunk).0
    }

    /// [`Self::append_encoded`], handing back the payload's memory (emptied)
    /// for [`EncodedChunk::encode_reusing`].
    pub fn append_encoded_recycling(&mut self, chunk: EncodedChunk) -> (StoreResult<u64>, Vec<u8>) {
        let EncodedChunk {
            header,
            mut payload,
            entry,
            keyframes,
        } = chunk;
        let result = self.place(&header, &payload, entry, keyframes);
        payload.clear();
        (result, payload)
    }

    fn place(
        &mut self,
        header: &[u8; format::FRAME_HEADER_LEN],
        payload: &[u8],
        mut entry: ChunkIndexEntry,
        keyframes: Vec<KeyframeEntry>,
    ) -> StoreResult<u64> {
        let offset = self.write_framed(header, payload)?;
        self.out.flush().map_err(|source| self.io(source))?;
        entry.offset = offset;
        entry.frame_len = self.pos - offset;
        self.chunk_index.push(entry);
        self.keyframes.extend(keyframes.into_iter().map(|mut k| {
            k.chunk_offset = offset;
            k
        }));
        Ok(offset)
    }

    /// The compression chunks are encoded with.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The name used in error messages (the file's path).
    pub fn name(&self) -> &str {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn write_frame(&mut self, kind: FrameKind, payload: &[u8]) -> StoreResult<u64> {
        self.write_framed(&format::encode_frame_header(kind, payload), payload)
    }

    /// Writes a frame (its header made for `payload`) and its padding;
    /// returns its offset.
    fn write_framed(
        &mut self,
        header: &[u8; format::FRAME_HEADER_LEN],
        payload: &[u8],
    ) -> StoreResult<u64> {
        let offset = self.pos;
        let pad = [0u8; 8];
        let pad = &pad[..format::padding(payload.len() as u64)];
        let result = self
            .out
            .write_all(header)
            .and_then(|_| self.out.write_all(payload))
            .and_then(|_| self.out.write_all(pad));
        result.map_err(|source| self.io(source))?;
        self.pos += (header.len() + payload.len() + pad.len()) as u64;
        Ok(offset)
    }

    /// Writes the chunk and keyframe indexes and the trailer, flushes, and
    /// returns the writer.
    pub fn finish(mut self) -> StoreResult<W> {
        self.write_footer()?;
        Ok(self.out)
    }

    fn write_footer(&mut self) -> StoreResult<()> {
        let encode = |batch| {
            ipc::encode_batch(&batch, Compression::Off).map_err(|message| StoreError::Encode {
                path: self.path.clone(),
                entity: "(index)".into(),
                message,
            })
        };
        self.keyframes.sort_by(|a, b| {
            (&a.entity_path, &a.timeline, a.time).cmp(&(&b.entity_path, &b.timeline, b.time))
        });
        let chunk_index = encode(index::chunk_index_batch(&self.chunk_index))?;
        let keyframe_index = encode(index::keyframe_index_batch(&self.keyframes))?;
        let ci = self.write_frame(FrameKind::ChunkIndex, &chunk_index)?;
        let ki = self.write_frame(FrameKind::KeyframeIndex, &keyframe_index)?;
        self.write_frame(FrameKind::Trailer, &format::encode_trailer(ci, ki))?;
        self.out.flush().map_err(|source| self.io(source))
    }
}
