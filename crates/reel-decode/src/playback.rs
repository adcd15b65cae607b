//! Playback with prefetch: a [`FrameSource`] shared with a worker thread
//! that decodes ahead of the playhead, so the frame for the next tick of a
//! playing viewer is already in the cache when it is asked for.
//!
//! Why a worker and not a decode-ahead call in the viewer's own loop: the
//! viewer's thread also draws, and on a 2-core machine decoding and drawing
//! in parallel is what keeps a 30 fps 720p stream from stalling.
//!
//! Why prefetched frames are published apart from the source: the worker
//! holds the source's lock while a sample decodes (milliseconds); a viewer
//! asking for a frame that is already decoded should not wait for that, so
//! frames ahead of the playhead also go to a small map of their own,
//! each with the time the next frame starts, and a lookup there takes
//! microseconds.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::{DecodeError, DecodedFrame, FrameSource, StreamSample};

/// Samples the worker decodes per turn of the lock.
const SAMPLES_PER_TURN: usize = 1;

struct Control {
    /// Where the viewer last looked; `None` while paused.
    playhead: Option<i64>,
    /// How far past the playhead to keep decoded (the source's time unit).
    lookahead: i64,
    /// Nothing to do until the playhead moves or samples arrive.
    idle: bool,
    /// Counts nudges, so the worker goes idle only if none came meanwhile.
    generation: u64,
    stop: bool,
}

/// A decoded frame ahead of the playhead: shown from its PTS until `next`.
struct Ahead {
    frame: Arc<DecodedFrame>,
    next: Option<i64>,
}

struct Shared {
    source: Mutex<FrameSource>,
    control: Mutex<Control>,
    wake: Condvar,
    /// Prefetched frames by PTS, readable while the worker decodes.
    ahead: Mutex<BTreeMap<i64, Ahead>>,
    /// Lookups answered from `ahead`.
    prefetch_hits: AtomicU64,
}

/// A frame source played by a viewer, decoding ahead on its own thread.
pub struct Playback {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in the other thread leaves the data usable: every update
    // is a single assignment or a FrameSource call that keeps it valid.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Playback {
    /// Starts the worker; it decodes `lookahead` (in the source's time
    /// unit, e.g. 1 s in ns) past the playhead while playing.
    pub fn new(mut source: FrameSource, lookahead: i64) -> Self {
        // Playing a recording favours throughput (frame threads) over
        // one-frame latency; a live (open-ended) stream keeps each frame out
        // as soon as its sample is in. Either way a core is left to the
        // viewer: with every core decoding, the viewer's thread waited ~1 ms
        // for a CPU (measured).
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        source.set_options(crate::DecoderOptions {
            low_latency: source.is_open_ended(),
            threads: cores.saturating_sub(1).max(1),
        });
        // Scrubbing back over what was played stays in the cache.
        source.set_adaptive_history(false);
        let shared = Arc::new(Shared {
            source: Mutex::new(source),
            control: Mutex::new(Control {
                playhead: None,
                lookahead,
                idle: true,
                generation: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            ahead: Mutex::new(BTreeMap::new()),
            prefetch_hits: AtomicU64::new(0),
        });
        let worker = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("reel-prefetch".into())
                .spawn(move || prefetch_loop(&shared))
                .ok()
        };
        Self { shared, worker }
    }

    fn nudge(&self, playhead: Option<Option<i64>>) {
        let mut c = lock(&self.shared.control);
        if let Some(p) = playhead {
            c.playhead = p;
        }
        c.idle = false;
        c.generation += 1;
        self.shared.wake.notify_one();
    }

    /// The frame shown at `t` (see [`FrameSource::frame_at`]); `t` becomes
    /// the playhead the worker decodes ahead of.
    pub fn frame_at(&self, t: i64) -> Result<Option<Arc<DecodedFrame>>, DecodeError> {
        let prefetched = {
            let mut ahead = lock(&self.shared.ahead);
            let hit = ahead
                .range(..=t)
                .next_back()
                .filter(|(_, a)| a.next.is_some_and(|n| t < n))
                .map(|(p, a)| (*p, a.frame.clone()));
            match hit {
                // Frames before the one shown are behind the playhead.
                Some((pts, _)) => *ahead = ahead.split_off(&pts),
                // A seek: what was published is for elsewhere.
                None => ahead.clear(),
            }
            hit.map(|(_, f)| f)
        };
        let frame = match prefetched {
            Some(f) => {
                self.shared.prefetch_hits.fetch_add(1, Ordering::Relaxed);
                Ok(Some(f))
            }
            None => lock(&self.shared.source).frame_at(t),
        };
        self.nudge(Some(Some(t)));
        frame
    }

    /// Lookups answered by the worker's prefetched frames.
    pub fn prefetch_hits(&self) -> u64 {
        self.shared.prefetch_hits.load(Ordering::Relaxed)
    }

    /// Stops decoding ahead until the next [`frame_at`](Self::frame_at).
    pub fn pause(&self) {
        lock(&self.shared.control).playhead = None;
    }

    /// Adds the next sample of a live stream.
    pub fn append(&self, sample: StreamSample) {
        lock(&self.shared.source).append(sample);
        // A new sample may show between frames already published.
        lock(&self.shared.ahead).clear();
        self.nudge(None);
    }

    /// Runs `f` on the source (stats, options, cache settings).
    pub fn with_source<R>(&self, f: impl FnOnce(&mut FrameSource) -> R) -> R {
        f(&mut lock(&self.shared.source))
    }

    /// Whether the worker has caught up with the lookahead.
    pub fn is_idle(&self) -> bool {
        let c = lock(&self.shared.control);
        c.idle || c.playhead.is_none()
    }
}

fn prefetch_loop(shared: &Shared) {
    loop {
        let (playhead, until, generation) = {
            let mut c = lock(&shared.control);
            loop {
                if c.stop {
                    return;
                }
                match c.playhead {
                    Some(p) if !c.idle => {
                        break (p, p.saturating_add(c.lookahead), c.generation);
                    }
                    _ => c = shared.wake.wait(c).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        let (decoded, ready) = {
            let mut source = lock(&shared.source);
            let decoded = source.decode_ahead(until, SAMPLES_PER_TURN);
            (decoded, source.cached_between(playhead, until))
        };
        {
            let mut ahead = lock(&shared.ahead);
            for (pts, frame, next) in ready {
                ahead.entry(pts).or_insert(Ahead { frame, next });
            }
        }
        if decoded == 0 {
            let mut c = lock(&shared.control);
            // Idle only if the playhead did not move and no sample came.
            if c.generation == generation {
                c.idle = true;
            }
        }
    }
}

impl Drop for Playback {
    fn drop(&mut self) {
        lock(&self.shared.control).stop = true;
        self.shared.wake.notify_one();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
