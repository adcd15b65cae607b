//! Where finished chunks go: a file or memory.

use std::fs::File;
use std::io::BufWriter;
use std::sync::{Arc, Mutex, PoisonError};

use reel_store::{ParallelWriter, RecordingWriter, Store};
use reel_types::Chunk;

/// A destination for chunks, driven by the batcher thread.
pub(crate) trait Sink: Send {
    fn write_chunk(&mut self, chunk: &Chunk) -> Result<(), String>;
    /// Called on `flush` and at shutdown with `finish = true`.
    fn flush(&mut self, finish: bool) -> Result<(), String>;
}

/// Writes to a file through a [`ParallelWriter`]: chunks are encoded on
/// every core while earlier ones are written, so logging raw images is not
/// bound by one thread's LZ4 + write speed.
pub(crate) struct FileSink {
    writer: Option<ParallelWriter<BufWriter<File>>>,
}

impl FileSink {
    pub(crate) fn new(writer: RecordingWriter<BufWriter<File>>) -> reel_store::StoreResult<Self> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let writer = ParallelWriter::new(writer, threads)?;
        Ok(Self {
            writer: Some(writer),
        })
    }
}

impl Sink for FileSink {
    fn write_chunk(&mut self, chunk: &Chunk) -> Result<(), String> {
        let w = self
            .writer
            .as_mut()
            .ok_or("the recording file is already closed")?;
        // Cheap: a chunk's columns are shared Arrow buffers.
        w.append(chunk.clone()).map_err(|e| e.to_string())
    }

    fn flush(&mut self, finish: bool) -> Result<(), String> {
        // Each chunk is handed to the OS once written; `flush` waits for the
        // chunks in flight, finishing adds the footer.
        let result = if finish {
            self.writer.take().map(|w| w.finish().map(drop))
        } else {
            self.writer.as_ref().map(ParallelWriter::flush)
        };
        result.unwrap_or(Ok(())).map_err(|e| e.to_string())
    }
}

/// Chunks logged to a memory stream; clone it to read them while logging.
#[derive(Clone, Default)]
pub struct MemorySinkStorage {
    chunks: Arc<Mutex<Vec<Chunk>>>,
}

impl MemorySinkStorage {
    /// A copy of the chunks so far (call `flush` on the stream first).
    pub fn chunks(&self) -> Vec<Chunk> {
        self.chunks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns the chunks so far.
    pub fn take(&self) -> Vec<Chunk> {
        std::mem::take(&mut *self.chunks.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The chunks so far, indexed for queries.
    pub fn store(&self) -> Store {
        Store::from_chunks(self.chunks())
    }
}

pub(crate) struct MemorySink(pub(crate) MemorySinkStorage);

impl Sink for MemorySink {
    fn write_chunk(&mut self, chunk: &Chunk) -> Result<(), String> {
        self.0
            .chunks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(chunk.clone());
        Ok(())
    }

    fn flush(&mut self, _finish: bool) -> Result<(), String> {
        Ok(())
    }
}
