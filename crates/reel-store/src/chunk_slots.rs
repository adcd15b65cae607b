//! The store's chunks under a memory budget: chunks read from a file can
//! be dropped from memory and read again through their file offset.
//!
//! Why in the store and not left to the caller: the store's row indexes
//! (times, row ids, which rows set which component) are small and stay; the
//! chunks' pixel and sample bytes are what grows with a recording, and the
//! file already holds them. A viewer open on a long recording, or following
//! a live one, keeps the budget's worth of chunks and reads the rest again
//! when a query reaches them (the footer index or the scan gave their
//! offsets).

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reel_types::Chunk;

use crate::RecordingReader;

/// Chunks read again recently, kept beside the budget: a query walking
/// the rows of one chunk reads it once, not once per row.
const RELOADED_KEPT: usize = 2;

/// Memory use of a store's chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreMemory {
    /// Bytes of chunks held in memory.
    pub resident_bytes: usize,
    /// The budget, if one is set.
    pub budget: Option<usize>,
    /// Chunks dropped from memory (readable again from the file).
    pub evicted_chunks: usize,
    /// Times a dropped chunk was read again.
    pub reloads: u64,
    /// Reads again that failed (the file changed or went away); the rows
    /// of such a chunk are missing from query results.
    pub reload_failures: u64,
}

struct Slot {
    chunk: Option<Arc<Chunk>>,
    /// Where the chunk's frame starts in the file, when it came from one.
    offset: Option<u64>,
    bytes: usize,
}

#[derive(Default)]
pub(crate) struct ChunkSlots {
    slots: Vec<Slot>,
    budget: Option<usize>,
    resident: usize,
    /// Resident chunks that can be read again, oldest first.
    evictable: VecDeque<u32>,
    evicted: usize,
    file: Option<Mutex<RecordingReader<BufReader<File>>>>,
    /// Chunks with offsets can be read again (the file is known, even while
    /// its reader is out for a refresh).
    has_file: bool,
    reloaded: Mutex<VecDeque<(u32, Arc<Chunk>)>>,
    /// Bytes of the chunks in `reloaded` (read without its lock).
    kept_bytes: AtomicUsize,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

/// Bytes a chunk holds: its columns' slices (columns decoded from one
/// uncompressed IPC body share it, so capacities would count it per column).
fn chunk_bytes(chunk: &Chunk) -> usize {
    chunk
        .record_batch()
        .columns()
        .iter()
        .map(|a| a.to_data().get_slice_memory_size().unwrap_or(0))
        .sum()
}

impl ChunkSlots {
    /// The file chunks with offsets are read again from.
    pub(crate) fn set_file(&mut self, reader: RecordingReader<BufReader<File>>) {
        self.file = Some(Mutex::new(reader));
        self.has_file = true;
        self.evict();
    }

    /// Takes the file's reader out (to scan it while the store inserts);
    /// [`set_file`](Self::set_file) puts it back.
    pub(crate) fn take_file(&mut self) -> Option<RecordingReader<BufReader<File>>> {
        self.file
            .take()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn set_budget(&mut self, budget: Option<usize>) {
        self.budget = budget;
        self.evict();
    }

    /// Adds a chunk; returns its index.
    pub(crate) fn push(&mut self, chunk: Arc<Chunk>, offset: Option<u64>) -> u32 {
        let index = self.slots.len() as u32;
        let bytes = chunk_bytes(&chunk);
        self.resident += bytes;
        if offset.is_some() {
            self.evictable.push_back(index);
        }
        self.slots.push(Slot {
            chunk: Some(chunk),
            offset,
            bytes,
        });
        self.evict();
        index
    }

    /// Drops the oldest chunks that can be read again until under budget.
    fn evict(&mut self) {
        let (Some(budget), true) = (self.budget, self.has_file) else {
            return;
        };
        while self.resident > budget {
            let Some(index) = self.evictable.pop_front() else {
                break;
            };
            let slot = &mut self.slots[index as usize];
            if slot.chunk.take().is_some() {
                self.resident -= slot.bytes;
                self.evicted += 1;
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Chunk `index`, read again from the file if it was dropped.
    pub(crate) fn get(&self, index: u32) -> Option<Arc<Chunk>> {
        let slot = self.slots.get(index as usize)?;
        if let Some(c) = &slot.chunk {
            return Some(c.clone());
        }
        {
            let kept = self.reloaded.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, c)) = kept.iter().find(|(i, _)| *i == index) {
                return Some(c.clone());
            }
        }
        // Read without holding `reloaded`: others (a viewer asking how much
        // memory is held, a query of a chunk in memory) do not wait behind
        // the disk.
        let chunk = self
            .file
            .as_ref()
            .zip(slot.offset)
            .and_then(|(file, offset)| {
                let mut reader = file.lock().unwrap_or_else(|e| e.into_inner());
                reader.read_chunk_at(offset).ok()
            })
            .map(Arc::new);
        match &chunk {
            Some(c) => {
                self.reloads.fetch_add(1, Ordering::Relaxed);
                let mut kept = self.reloaded.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((_, other)) = kept.iter().find(|(i, _)| *i == index) {
                    // Read meanwhile by another thread: share its copy.
                    return Some(other.clone());
                }
                if kept.len() == RELOADED_KEPT
                    && let Some((_, gone)) = kept.pop_front()
                {
                    self.kept_bytes
                        .fetch_sub(chunk_bytes(&gone), Ordering::Relaxed);
                }
                self.kept_bytes.fetch_add(chunk_bytes(c), Ordering::Relaxed);
                kept.push_back((index, c.clone()));
            }
            None => {
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        chunk
    }

    pub(crate) fn memory(&self) -> StoreMemory {
        StoreMemory {
            resident_bytes: self.resident + self.kept_bytes.load(Ordering::Relaxed),
            budget: self.budget,
            evicted_chunks: self.evicted,
            reloads: self.reloads.load(Ordering::Relaxed),
            reload_failures: self.reload_failures.load(Ordering::Relaxed),
        }
    }
}
