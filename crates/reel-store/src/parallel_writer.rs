//! A recording writer that encodes chunks on several threads and writes
//! them, in order, on one more.
//!
//! Encoding a chunk (Arrow IPC, LZ4, CRC) and handing the bytes to the OS
//! cost about the same for camera images, and each runs on one core; one
//! thread doing both in turn leaves the other cores idle while a logging
//! program waits. Here the encoders run side by side and the writer thread
//! writes chunk *n* while chunk *n+1* is being compressed.
//!
//! The file is the same as [`RecordingWriter`]'s: chunks in the order they
//! were appended, each handed to the OS as soon as it is complete. What a
//! crash can lose is bounded by the chunks in flight (`2 × threads + 2`),
//! which also bounds the memory this adds. The payloads' memory goes back
//! from the writer thread to the encoders (a pool of at most that many
//! buffers), so a long recording reuses the same pages instead of faulting
//! in new ones for every chunk.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use reel_types::Chunk;

use crate::writer::{EncodedChunk, RecordingWriter};
use crate::{StoreError, StoreResult};

/// Chunks appended and written so far, and the first failure.
#[derive(Default)]
struct Progress {
    appended: u64,
    written: u64,
    /// The first error, as text: later calls keep reporting it.
    failed: Option<String>,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
    /// Emptied payload buffers, written and ready for the next chunks.
    spare: Mutex<Vec<Vec<u8>>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `done` holds or a write failed; the progress, still locked.
    fn wait_until(
        &self,
        done: impl Fn(&Progress) -> bool,
    ) -> Result<MutexGuard<'_, Progress>, String> {
        let mut p = self.lock();
        loop {
            if let Some(e) = &p.failed {
                return Err(e.clone());
            }
            if done(&p) {
                return Ok(p);
            }
            p = self.changed.wait(p).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn take_spare(&self) -> Vec<u8> {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        spare.pop().unwrap_or_default()
    }

    /// Keeps `buffer` for a later chunk, up to `max` buffers.
    fn give_spare(&self, buffer: Vec<u8>, max: usize) {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < max {
            spare.push(buffer);
        }
    }
}

/// Appends chunks like [`RecordingWriter`], encoding them on a thread pool.
pub struct ParallelWriter<W: Write + Send + 'static> {
    jobs: Option<SyncSender<(u64, Chunk)>>,
    encoders: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<RecordingWriter<W>>>,
    shared: Arc<Shared>,
    max_in_flight: u64,
}

impl<W: Write + Send + 'static> ParallelWriter<W> {
    /// Takes over `writer`; `threads` encoders (at least one) run beside the
    /// thread that writes.
    pub fn new(writer: RecordingWriter<W>, threads: usize) -> StoreResult<Self> {
        let threads = threads.max(1);
        let max_in_flight = 2 * threads as u64 + 2;
        let shared = Arc::new(Shared::default());
        let (jobs, job_rx) = mpsc::sync_channel::<(u64, Chunk)>(max_in_flight as usize);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<(u64, StoreResult<EncodedChunk>)>();
        let (compression, path) = (writer.compression(), writer.name().to_string());
        let spawn_error = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let mut encoders = Vec::with_capacity(threads);
        for i in 0..threads {
            let (job_rx, done_tx, path) = (job_rx.clone(), done_tx.clone(), path.clone());
            let shared = shared.clone();
            let encoder = std::thread::Builder::new()
                .name(format!("reel-encode-{i}"))
                .spawn(move || encode_loop(&job_rx, &done_tx, &shared, compression, &path))
                .map_err(spawn_error)?;
            encoders.push(encoder);
        }
        drop(done_tx);
        let thread_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("reel-write".into())
            .spawn(move || write_loop(writer, &done_rx, &thread_shared, max_in_flight as usize))
            .map_err(spawn_error)?;
        Ok(Self {
            jobs: Some(jobs),
            encoders,
            writer: Some(writer),
            shared,
            max_in_flight,
        })
    }

    /// Queues `chunk`; blocks while too many chunks are in flight. Reports
    /// the first failure of any earlier chunk.
    pub fn append(&mut self, chunk: Chunk) -> StoreResult<()> {
        let max = self.max_in_flight;
        let seq = {
            let mut p = self
                .shared
                .wait_until(|p| p.appended - p.written < max)
                .map_err(|message| StoreError::WriteFailed { message })?;
            p.appended += 1;
            p.appended - 1
        };
        let sent = self.jobs.as_ref().map(|jobs| jobs.send((seq, chunk)));
        if !matches!(sent, Some(Ok(()))) {
            let message = "the recording's encoder threads stopped".to_string();
            self.shared.lock().failed.get_or_insert(message.clone());
            return Err(StoreError::WriteFailed { message });
        }
        Ok(())
    }

    /// Waits until every appended chunk is handed to the OS.
    pub fn flush(&self) -> StoreResult<()> {
        self.shared
            .wait_until(|p| p.written == p.appended)
            .map(drop)
            .map_err(|message| StoreError::WriteFailed { message })
    }

    /// Writes what is in flight, then the footer; returns the inner writer.
    pub fn finish(mut self) -> StoreResult<W> {
        let writer = self.stop();
        if let Some(message) = self.shared.lock().failed.clone() {
            return Err(StoreError::WriteFailed { message });
        }
        match writer {
            Some(w) => w.finish(),
            None => Err(StoreError::WriteFailed {
                message: "the recording's writer thread stopped".into(),
            }),
        }
    }

    /// Ends the threads after the chunks in flight; the writer they held.
    fn stop(&mut self) -> Option<RecordingWriter<W>> {
        self.jobs.take();
        for e in self.encoders.drain(..) {
            let _ = e.join();
        }
        self.writer.take().and_then(|w| w.join().ok())
    }
}

impl<W: Write + Send + 'static> Drop for ParallelWriter<W> {
    /// Without `finish` the chunks in flight are still written (the file
    /// stays readable, without a footer, like a dropped `RecordingWriter`).
    fn drop(&mut self) {
        self.stop();
    }
}

fn encode_loop(
    jobs: &Mutex<Receiver<(u64, Chunk)>>,
    done: &Sender<(u64, StoreResult<EncodedChunk>)>,
    shared: &Shared,
    compression: crate::Compression,
    path: &str,
) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((seq, chunk)) = job else { return };
        let encoded = EncodedChunk::encode_reusing(&chunk, compression, path, shared.take_spare());
        drop(chunk);
        if done.send((seq, encoded)).is_err() {
            return;
        }
    }
}

/// Writes encoded chunks in append order (encoders finish out of order).
fn write_loop<W: Write>(
    mut writer: RecordingWriter<W>,
    done: &Receiver<(u64, StoreResult<EncodedChunk>)>,
    shared: &Shared,
    max_spare: usize,
) -> RecordingWriter<W> {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    for (seq, encoded) in done {
        waiting.insert(seq, encoded);
        while let Some(encoded) = waiting.remove(&next) {
            next += 1;
            // After a failure, later chunks are dropped: a gap in the file
            // would put rows after ones logged later.
            let failed = shared.lock().failed.is_some();
            let result = match encoded {
                Ok(_) if failed => Ok(()),
                Ok(e) => {
                    let (written, buffer) = writer.append_encoded_recycling(e);
                    shared.give_spare(buffer, max_spare);
                    written.map(drop)
                }
                Err(e) => Err(e),
            };
            let mut p = shared.lock();
            if let Err(e) = result {
                p.failed.get_or_insert(e.to_string());
            }
            p.written += 1;
            shared.changed.notify_all();
        }
    }
    writer
}
