//! Plane buffers handed back by the frame cache, reused for new pictures.
//!
//! Why: a 720p picture is 1.4 MB; allocating one per frame made the
//! allocator return and re-map memory, and page faults took ~15% of a
//! decode (measured with `perf`). Evicted frames nobody else holds give
//! their planes back here, already touched.

use std::sync::Mutex;

/// Most bytes kept idle: a dozen 720p pictures, enough for a decoder that
/// takes one buffer per picture as the cache gives one back; more would sit
/// outside the frame budget.
const MAX_IDLE_BYTES: usize = 16 << 20;

struct Pool {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    buffers: Vec::new(),
    bytes: 0,
});

/// An empty buffer with room for `capacity` bytes, reused when one fits.
pub(crate) fn buffer(capacity: usize) -> Vec<u8> {
    if let Ok(mut pool) = POOL.lock() {
        // A buffer at most twice as large, so small planes do not pin big ones.
        let fit = pool
            .buffers
            .iter()
            .position(|b| b.capacity() >= capacity && b.capacity() <= capacity.saturating_mul(2));
        if let Some(i) = fit {
            let mut b = pool.buffers.swap_remove(i);
            pool.bytes -= b.capacity();
            b.clear();
            return b;
        }
    }
    Vec::with_capacity(capacity)
}

/// Keeps `planes` for reuse while the pool has room.
/// (Shared planes go back to their decoder when dropped.)
pub(crate) fn recycle(planes: [reel_types::picture::PlaneData; 3]) {
    let Ok(mut pool) = POOL.lock() else {
        return;
    };
    for p in planes.into_iter().filter_map(|p| p.into_vec()) {
        if p.capacity() > 0 && pool.bytes + p.capacity() <= MAX_IDLE_BYTES {
            pool.bytes += p.capacity();
            pool.buffers.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_emptied() {
        recycle([vec![7u8; 1000], Vec::new(), vec![1u8; 10]].map(Into::into));
        let b = buffer(900);
        assert!(b.is_empty() && b.capacity() >= 900);
        // Too large for a 10-byte request: not handed out.
        assert!(buffer(10).capacity() < 1000);
    }
}
