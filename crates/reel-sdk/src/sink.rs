//! Where finished chunks go: a file or memory.

use std::fs::File;
use std::io::BufWriter;
use std::sync::{Arc, Mutex, PoisonError};

use reel_store::{RecordingWriter, Store};
use reel_types::Chunk;

/// A destination for chunks, driven by the batcher thread.
pub(crate) trait Sink: Send {
    fn write_chunk(&mut self, chunk: &Chunk) -> Result<(), String>;
    /// Called on `flush` and at shutdown with `finish = true`.
    fn flush(&mut self, finish: bool) -> Result<(), String>;
}

pub(crate) struct FileSink {
    writer: Option<RecordingWriter<BufWriter<File>>>,
}

impl FileSink {
    pub(crate) fn new(writer: RecordingWriter<BufWriter<File>>) -> Self {
        Self {
            writer: Some(writer),
        }
    }
}

impl Sink for FileSink {
    fn write_chunk(&mut self, chunk: &Chunk) -> Result<(), String> {
        let w = self
            .writer
            .as_mut()
            .ok_or("the recording file is already closed")?;
        w.append_chunk(chunk).map(|_| ()).map_err(|e| e.to_string())
    }

    fn flush(&mut self, finish: bool) -> Result<(), String> {
        // Chunks are flushed to the OS as they are written; finishing adds the footer.
        if finish && let Some(w) = self.writer.take() {
            w.finish().map(drop).map_err(|e| e.to_string())?;
        }
        Ok(())
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
