//! Reading recordings, including cut-short and damaged ones.
//!
//! The reader trusts nothing: every frame header and payload is checked
//! against its CRC, lengths are checked against the file size before
//! anything is allocated, and a damaged region is skipped by searching for
//! the next valid frame header. What could not be read is reported with its
//! byte range and reason; nothing here panics on bad bytes.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use reel_types::Chunk;

use crate::format::{self, FileHeader, FrameHeader, FrameKind, HeaderProblem};
use crate::index::{self, RecordingIndex};
use crate::{StoreError, StoreResult, ipc};

/// A byte range the reader could not use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// First byte.
    pub offset: u64,
    /// Number of bytes.
    pub len: u64,
    /// What was wrong.
    pub reason: String,
}

/// What a scan found.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Chunks read.
    pub chunks: usize,
    /// Rows in those chunks.
    pub rows: u64,
    /// Damaged frames or regions skipped before the end.
    pub skipped: Vec<Skipped>,
    /// An incomplete last frame: the file was cut short (crash) or is still being written.
    pub torn_tail: Option<Skipped>,
    /// The footer index, when the file ends with a valid trailer.
    pub index: Option<RecordingIndex>,
    /// Whether the file was closed cleanly (ends with a valid trailer).
    pub clean_close: bool,
    /// Where the scan stopped: a live reader resumes here.
    pub end_offset: u64,
    /// The scan stopped at its byte limit, before the end of the file
    /// ([`RecordingReader::scan_part`]).
    pub more: bool,
}

impl ScanReport {
    /// Whether anything was lost.
    pub fn is_damaged(&self) -> bool {
        !self.skipped.is_empty() || self.torn_tail.is_some()
    }
}

/// Reads a recording from any seekable source.
pub struct RecordingReader<R> {
    src: R,
    name: String,
    len: u64,
    header: FileHeader,
}

impl RecordingReader<BufReader<File>> {
    /// Opens a recording file and checks its header.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| StoreError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::new(
            BufReader::with_capacity(1 << 20, file),
            path.display().to_string(),
        )
    }
}

impl<'a> RecordingReader<Cursor<&'a [u8]>> {
    /// Reads a recording held in memory.
    pub fn from_bytes(bytes: &'a [u8], name: impl Into<String>) -> StoreResult<Self> {
        Self::new(Cursor::new(bytes), name.into())
    }
}

/// Bytes searched per read when looking for the next frame after damage.
const RESYNC_WINDOW: usize = 1 << 20;

impl<R: Read + Seek> RecordingReader<R> {
    /// Checks the header of a recording; `name` appears in error messages.
    pub fn new(mut src: R, name: String) -> StoreResult<Self> {
        let io = |source| StoreError::Io {
            path: name.clone(),
            source,
        };
        let len = src.seek(SeekFrom::End(0)).map_err(io)?;
        src.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut head = Vec::with_capacity(format::FILE_HEADER_LEN);
        (&mut src)
            .take(format::FILE_HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let header = match format::decode_file_header(&head) {
            Ok(h) => h,
            Err(HeaderProblem::NotARecording) => {
                return Err(StoreError::NotARecording {
                    path: name,
                    first_bytes: reel_types::media_type::describe_start(&head),
                });
            }
            Err(HeaderProblem::Corrupt) => return Err(StoreError::CorruptHeader { path: name }),
        };
        if header.major > format::VERSION_MAJOR {
            return Err(StoreError::NewerVersion {
                path: name,
                major: header.major,
                minor: header.minor,
                supported: format::VERSION_MAJOR,
            });
        }
        Ok(Self {
            src,
            name,
            len,
            header,
        })
    }

    /// The format version of the file.
    pub fn header(&self) -> FileHeader {
        self.header
    }

    /// The file's name, as used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Size of the file when it was opened (or last scanned).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file holds only a header.
    pub fn is_empty(&self) -> bool {
        self.len <= format::FILE_HEADER_LEN as u64
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.name.clone(),
            source,
        }
    }

    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> StoreResult<()> {
        self.src
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.src.read_exact(buf))
            .map_err(|e| self.io(e))
    }

    /// The frame header at `offset`, if one is there and valid.
    fn frame_header_at(&mut self, offset: u64) -> StoreResult<Option<FrameHeader>> {
        if offset.saturating_add(format::FRAME_HEADER_LEN as u64) > self.len {
            return Ok(None);
        }
        let mut buf = [0u8; format::FRAME_HEADER_LEN];
        self.read_exact_at(offset, &mut buf)?;
        Ok(format::decode_frame_header(&buf))
    }

    /// Reads and checks the payload of a frame whose header is at `offset`.
    fn payload(
        &mut self,
        offset: u64,
        header: &FrameHeader,
    ) -> StoreResult<Result<Vec<u8>, String>> {
        let start = offset.saturating_add(format::FRAME_HEADER_LEN as u64);
        // Never allocate more than the file holds, whatever the header says.
        if header.payload_len > self.len.saturating_sub(start) {
            return Ok(Err(format!(
                "frame claims {} payload bytes but only {} remain",
                header.payload_len,
                self.len.saturating_sub(start)
            )));
        }
        let mut buf = vec![0u8; header.payload_len as usize];
        self.read_exact_at(start, &mut buf)?;
        if crc32fast::hash(&buf) != header.payload_crc {
            return Ok(Err(
                "payload checksum mismatch (the bytes were damaged)".into()
            ));
        }
        Ok(Ok(buf))
    }

    /// The next offset at or after `from` (aligned) holding a valid frame header.
    ///
    /// Candidates are found with `memchr`'s vectorised substring search for
    /// the sync word, so a long run of zeros or garbage (a pre-allocated or
    /// damaged tail) is skipped at disk speed rather than 8 bytes at a time.
    fn resync(&mut self, from: u64) -> StoreResult<Option<u64>> {
        let finder = memchr::memmem::Finder::new(&format::FRAME_SYNC);
        let mut window_start = format::align(from);
        let mut buf = vec![0u8; RESYNC_WINDOW + format::FRAME_HEADER_LEN];
        while window_start + format::FRAME_HEADER_LEN as u64 <= self.len {
            let n = (self.len - window_start).min(buf.len() as u64) as usize;
            self.read_exact_at(window_start, &mut buf[..n])?;
            let searched = &buf[..n.min(RESYNC_WINDOW + format::FRAME_SYNC.len() - 1)];
            for i in finder.find_iter(searched) {
                if i >= RESYNC_WINDOW || i + format::FRAME_HEADER_LEN > n {
                    break;
                }
                if (window_start + i as u64).is_multiple_of(format::FRAME_ALIGN)
                    && format::decode_frame_header(&buf[i..i + format::FRAME_HEADER_LEN]).is_some()
                {
                    return Ok(Some(window_start + i as u64));
                }
            }
            window_start += RESYNC_WINDOW as u64;
        }
        Ok(None)
    }

    /// Reads the footer index via the trailer at the end of the file.
    ///
    /// `Ok(None)` when the file was not closed cleanly (then [`Self::scan`]
    /// still reads every complete chunk).
    pub fn read_index(&mut self) -> StoreResult<Option<RecordingIndex>> {
        Ok(self.footer_index()?.and_then(Result::ok))
    }

    /// The footer index: `None` without a valid trailer, `Err` with what is
    /// damaged when the trailer is there but its index frames are not.
    fn footer_index(&mut self) -> StoreResult<Option<Result<RecordingIndex, Skipped>>> {
        if self.len < format::FILE_HEADER_LEN as u64 + format::TRAILER_FRAME_LEN {
            return Ok(None);
        }
        let at = self.len - format::TRAILER_FRAME_LEN;
        let Some(h) = self.frame_header_at(at)? else {
            return Ok(None);
        };
        if h.kind != FrameKind::Trailer || h.payload_len != format::TRAILER_PAYLOAD_LEN {
            return Ok(None);
        }
        let Ok(trailer) = self.payload(at, &h)? else {
            return Ok(None);
        };
        let Some((ci, ki)) = format::decode_trailer(&trailer) else {
            return Ok(None);
        };
        let chunks = self.index_frame(ci, FrameKind::ChunkIndex, index::parse_chunk_index)?;
        let keyframes =
            self.index_frame(ki, FrameKind::KeyframeIndex, index::parse_keyframe_index)?;
        Ok(Some(chunks.and_then(|chunks| {
            keyframes.map(|keyframes| RecordingIndex { chunks, keyframes })
        })))
    }

    /// One index frame the trailer points at, parsed; what is wrong with it
    /// as a skipped region otherwise.
    fn index_frame<T>(
        &mut self,
        offset: u64,
        kind: FrameKind,
        parse: fn(&arrow_array::RecordBatch) -> Result<T, String>,
    ) -> StoreResult<Result<T, Skipped>> {
        let damaged = |len: u64, why: String| Skipped {
            offset,
            len,
            reason: format!("damaged footer index ({why}); chunks are found by scanning instead"),
        };
        let Some(h) = self.frame_header_at(offset)? else {
            return Ok(Err(damaged(
                0,
                "the trailer does not point at a frame".into(),
            )));
        };
        if h.kind != kind {
            return Ok(Err(damaged(
                h.total_len(),
                format!("the trailer points at a {}, not the {kind}", h.kind),
            )));
        }
        Ok(self
            .payload(offset, &h)?
            .and_then(|bytes| ipc::decode_batch(&bytes))
            .and_then(|b| parse(&b))
            .map_err(|why| damaged(h.total_len(), why)))
    }

    /// Reads the chunk whose frame starts at `offset` (from the index).
    pub fn read_chunk_at(&mut self, offset: u64) -> StoreResult<Chunk> {
        let name = self.name.clone();
        let frame_err = |message: String| StoreError::Frame {
            path: name.clone(),
            offset,
            message,
        };
        let h = self
            .frame_header_at(offset)?
            .ok_or_else(|| frame_err("no valid frame header here".into()))?;
        if h.kind != FrameKind::Chunk {
            return Err(frame_err(format!(
                "the index points at a {}, not a chunk",
                h.kind
            )));
        }
        let bytes = self.payload(offset, &h)?.map_err(frame_err)?;
        decode_chunk(&bytes).map_err(frame_err)
    }

    /// Reads every frame from the start, calling `on_chunk` for each chunk
    /// that is complete and intact, and reports what was skipped.
    pub fn scan(&mut self, on_chunk: impl FnMut(u64, Chunk)) -> StoreResult<ScanReport> {
        self.scan_from(format::FILE_HEADER_LEN as u64, on_chunk)
    }

    /// Like [`Self::scan`], from a frame offset a previous scan ended at
    /// ([`ScanReport::end_offset`]); the file may have grown since.
    pub fn scan_from(
        &mut self,
        start: u64,
        on_chunk: impl FnMut(u64, Chunk),
    ) -> StoreResult<ScanReport> {
        self.scan_part(start, u64::MAX, on_chunk)
    }

    /// Like [`Self::scan_from`], stopping after the frame that crosses
    /// `limit` bytes from `start` ([`ScanReport::more`] says there is
    /// more): a long file read in parts, usable between them.
    pub fn scan_part(
        &mut self,
        start: u64,
        limit: u64,
        mut on_chunk: impl FnMut(u64, Chunk),
    ) -> StoreResult<ScanReport> {
        self.len = self.src.seek(SeekFrom::End(0)).map_err(|e| self.io(e))?;
        let mut report = ScanReport::default();
        let mut pos = format::align(start.max(format::FILE_HEADER_LEN as u64));
        let stop = pos.saturating_add(limit);
        let mut last_trailer: Option<u64> = None;
        while pos < self.len {
            if pos >= stop {
                report.more = true;
                break;
            }
            let Some(h) = self.frame_header_at(pos)? else {
                // Damage (or a header cut short): find the next intact frame.
                match self.resync(pos + format::FRAME_ALIGN)? {
                    Some(next) => {
                        report.skipped.push(Skipped {
                            offset: pos,
                            len: next - pos,
                            reason: "damaged frame header".into(),
                        });
                        pos = next;
                        continue;
                    }
                    None => {
                        report.torn_tail = Some(Skipped {
                            offset: pos,
                            len: self.len - pos,
                            reason: "incomplete or damaged data at the end (the writer crashed or is still writing)".into(),
                        });
                        break;
                    }
                }
            };
            let frame_end = pos
                .saturating_add(format::FRAME_HEADER_LEN as u64)
                .saturating_add(h.payload_len);
            if frame_end > self.len {
                report.torn_tail = Some(Skipped {
                    offset: pos,
                    len: self.len - pos,
                    reason: format!(
                        "last frame is cut short: {} of {} bytes present (the writer crashed or is still writing)",
                        self.len - pos,
                        h.total_len()
                    ),
                });
                break;
            }
            match self.payload(pos, &h)? {
                Err(reason) => report.skipped.push(Skipped {
                    offset: pos,
                    len: h.total_len(),
                    reason,
                }),
                Ok(bytes) => match h.kind {
                    FrameKind::Chunk => match decode_chunk(&bytes) {
                        Ok(chunk) => {
                            report.chunks += 1;
                            report.rows += chunk.num_rows() as u64;
                            last_trailer = None;
                            on_chunk(pos, chunk);
                        }
                        Err(reason) => report.skipped.push(Skipped {
                            offset: pos,
                            len: h.total_len(),
                            reason,
                        }),
                    },
                    FrameKind::Trailer => last_trailer = Some(pos),
                    // Index frames are read through the trailer, below.
                    FrameKind::ChunkIndex | FrameKind::KeyframeIndex => {}
                    // Unknown kinds come from newer minor versions: skipped by design.
                    FrameKind::Unknown(_) => {}
                },
            }
            pos = pos.saturating_add(h.total_len());
        }
        report.end_offset = pos.min(self.len);
        if let Some(at) = last_trailer
            && report.torn_tail.is_none()
            && at.saturating_add(format::TRAILER_FRAME_LEN) >= self.len
        {
            report.clean_close = true;
            // A damaged index loses no data (the scan found every chunk) but
            // makes every later open slow: reported, not silent.
            match self.footer_index()? {
                Some(Ok(index)) => report.index = Some(index),
                Some(Err(damage)) => report.skipped.push(damage),
                None => {}
            }
        }
        Ok(report)
    }
}

fn decode_chunk(bytes: &[u8]) -> Result<Chunk, String> {
    let batch = ipc::decode_batch(bytes)?;
    Chunk::from_record_batch(batch).map_err(|e| e.to_string())
}
