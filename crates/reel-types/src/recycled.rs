//! Reused memory for the byte columns of chunks being built.
//!
//! Why: a chunk of camera images is megabytes concatenated from its rows,
//! and new memory for every chunk is page faults — on a VM that hands freed
//! pages back to its host, host faults too — that cost more than the copy
//! itself (`perf` on `bench_workloads image`: the batcher's concatenation
//! was a fifth of the process's page faults). A column built here lends its
//! memory back when the last reference to it drops, which is usually when
//! the chunk has been written, and the next chunk takes it.
//!
//! Memory is kept only while a [`ColumnReuse`] is alive (a recording
//! stream's batcher holds one), at most [`MAX_KEPT`] buffers and
//! [`MAX_KEPT_BYTES`]; when the last one goes, so does the kept memory: a
//! program that stops logging and reads (a viewer) does not carry it.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_buffer::Buffer;

/// Buffers kept for reuse.
const MAX_KEPT: usize = 4;
/// Bytes kept for reuse.
const MAX_KEPT_BYTES: usize = 96 << 20;
/// Capacities are rounded up to this, so chunks of about the same size
/// fit each other's buffers.
const GRANULE: usize = 1 << 20;
/// Smaller columns use plain allocations: their memory is cheap to get,
/// and a kept buffer would sit mostly empty under them (a chunk may stay
/// in memory for the life of a store).
const MIN_POOLED: usize = 256 << 10;

static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Live [`ColumnReuse`] guards.
static USERS: AtomicUsize = AtomicUsize::new(0);

/// While one is alive, the memory of dropped byte columns of chunks built
/// from rows is kept for the next chunk; dropping the last one frees it.
#[must_use = "memory is kept only while the guard lives"]
pub struct ColumnReuse(());

impl ColumnReuse {
    /// Starts keeping column memory (until this and every other guard drop).
    pub fn start() -> Self {
        USERS.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Drop for ColumnReuse {
    fn drop(&mut self) {
        if USERS.fetch_sub(1, Ordering::SeqCst) == 1 {
            let freed = std::mem::take(&mut *kept());
            drop(freed);
        }
    }
}

fn kept() -> MutexGuard<'static, Vec<Vec<u8>>> {
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An empty `Vec` with room for `capacity` bytes, reused when one is kept.
pub(crate) fn take(capacity: usize) -> Vec<u8> {
    if capacity < MIN_POOLED {
        return Vec::with_capacity(capacity);
    }
    // At most twice the room asked for: no small chunk pins a big buffer.
    let fits = |v: &Vec<u8>| {
        v.capacity() >= capacity && v.capacity() <= 2 * capacity.next_multiple_of(GRANULE)
    };
    let mut kept = kept();
    let best = kept
        .iter()
        .enumerate()
        .filter(|(_, v)| fits(v))
        .min_by_key(|(_, v)| v.capacity())
        .map(|(i, _)| i);
    match best {
        Some(i) => kept.swap_remove(i),
        None => Vec::with_capacity(capacity.next_multiple_of(GRANULE)),
    }
}

/// The memory of a buffer made by [`into_buffer`]; back to the pool on drop.
struct Lent(Vec<u8>);

impl Drop for Lent {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0);
        bytes.clear();
        let mut kept = kept();
        let held: usize = kept.iter().map(Vec::capacity).sum();
        let wanted = USERS.load(Ordering::SeqCst) > 0;
        if wanted && kept.len() < MAX_KEPT && held + bytes.capacity() <= MAX_KEPT_BYTES {
            kept.push(bytes);
        }
    }
}

/// An Arrow buffer over `bytes` whose memory returns here when dropped.
pub(crate) fn into_buffer(bytes: Vec<u8>) -> Buffer {
    if bytes.is_empty() || bytes.capacity() < MIN_POOLED {
        return Buffer::from_vec(bytes);
    }
    let len = bytes.len();
    let ptr = NonNull::from(bytes.as_slice()).cast::<u8>();
    // SAFETY: `ptr` points to `len` initialised bytes of the Vec's heap
    // block, which does not move when the Vec moves into `Lent`, and is
    // neither written nor freed until the last Buffer sharing the owner
    // drops it. u8 needs no alignment.
    unsafe { Buffer::from_custom_allocation(ptr, len, Arc::new(Lent(bytes))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_lends_its_memory_to_the_next() {
        let reuse = ColumnReuse::start();
        let mut bytes = take(3 << 20);
        bytes.extend((0..3u32 << 20).map(|i| i as u8));
        let at = bytes.as_ptr();
        let buffer = into_buffer(bytes);
        let clone = buffer.slice(10);
        assert_eq!(buffer.as_slice()[1000], (1000u32) as u8);
        drop(buffer);
        assert_eq!(clone.as_slice()[0], 10, "still readable while shared");
        drop(clone);
        // Other tests may take from the pool meanwhile; look for ours.
        assert!(kept().iter().any(|v| v.as_ptr() == at && v.is_empty()));
        // Not lent to a column a fraction of its size.
        let small = take(MIN_POOLED);
        assert_ne!(small.as_ptr(), at);
        // Without a guard alive, nothing is kept (other tests may hold one).
        drop(reuse);
        if USERS.load(Ordering::SeqCst) == 0 {
            assert!(kept().is_empty());
            drop(into_buffer(take(3 << 20)));
            assert!(kept().is_empty());
        }
    }
}
