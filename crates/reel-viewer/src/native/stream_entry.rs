//! A video's frames in an open recording: made on a thread, then fed the
//! samples a followed or scanned file gains, without the UI thread ever
//! waiting (the follower looks on a thread; samples go in only when no
//! decode holds the source).

use std::sync::{Arc, Mutex, RwLock};

use reel_decode::{FrameSource, StreamFrames};
use reel_query::frames::{NewSamples, StreamFollower};
use reel_store::Store;

use super::background::Background;

/// A video's frames as made on a thread, with its follower (a stream in a
/// followed file).
pub(super) type Made = Result<(FrameSource, Option<StreamFollower>), String>;

/// A video's frames: being made, or made.
pub(super) enum VideoSlot {
    Making(Background<Made>),
    Ready(Result<VideoEntry, String>),
}

/// The frames of a video, on the clock its lookups use.
pub(super) struct VideoEntry {
    pub(super) frames: StreamFrames,
    /// Finds the samples the store took in since (a followed or scanned
    /// file); on a thread, since the rows may have to be read from disk.
    pub(super) follower: Option<Arc<Mutex<StreamFollower>>>,
    pub(super) times: Arc<Vec<i64>>,
    /// The store took in chunks the follower has not looked at.
    pub(super) stale: bool,
    /// The follower's thread, while it looks.
    pub(super) collecting: Option<Background<Result<NewSamples, String>>>,
    /// Samples found in the store, not yet in the source (it was decoding).
    pub(super) pending: Vec<NewSamples>,
    /// The stream ends once all the above is in (a scan ended, not followed).
    pub(super) ends: bool,
    /// The time last asked for.
    pub(super) wanted: std::sync::atomic::AtomicI64,
}

impl VideoEntry {
    pub(super) fn new(
        frames: StreamFrames,
        follower: Option<StreamFollower>,
        times: Vec<i64>,
    ) -> Self {
        Self {
            frames,
            follower: follower.map(|f| Arc::new(Mutex::new(f))),
            times: Arc::new(times),
            stale: false,
            collecting: None,
            pending: Vec::new(),
            ends: false,
            wanted: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Notes the time a view asks for.
    pub(super) fn want(&self, t: i64) {
        self.wanted.store(t, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether its samples end at or before the time asked for: no sample
    /// is known after it, so its frame cannot be known to be exact.
    pub(super) fn short_of_wanted(&self) -> bool {
        let t = self.wanted.load(std::sync::atomic::Ordering::Relaxed);
        t != i64::MIN && self.times.last().is_none_or(|last| *last <= t)
    }

    /// Moves new samples along without waiting on anything: the follower's
    /// findings are collected, a new look started when the store grew, and
    /// pending samples handed to the source unless a decode holds it (then a
    /// later UI frame does). Problems go to `messages`.
    pub(super) fn advance(&mut self, store: &Arc<RwLock<Store>>, messages: &mut Vec<String>) {
        if let Some(found) = self.collecting.as_ref().and_then(Background::poll) {
            self.collecting = None;
            match found {
                Ok(Ok(new)) if !new.is_empty() => self.pending.push(new),
                Ok(Err(e)) => messages.push(e),
                Ok(Ok(_)) | Err(()) => {}
            }
        }
        if self.stale
            && self.collecting.is_none()
            && let Some(follower) = &self.follower
        {
            self.stale = false;
            let (follower, store) = (follower.clone(), store.clone());
            let spawned = Background::spawn("reel-follow", move || {
                let mut follower = follower.lock().unwrap_or_else(|e| e.into_inner());
                follower
                    .collect_new(&store.read().unwrap_or_else(|e| e.into_inner()))
                    .map_err(|e| e.to_string())
            });
            match spawned {
                Ok(thread) => self.collecting = Some(thread),
                Err(e) => messages.push(e),
            }
        }
        let ends = self.ends && !self.stale && self.collecting.is_none();
        if self.pending.is_empty() && !ends {
            return;
        }
        let pending = &mut self.pending;
        let applied = self.frames.try_with_source(|s| {
            for new in pending.drain(..) {
                new.append_to(s);
            }
            if ends {
                s.set_open_ended(false);
            }
            s.frame_times()
        });
        if let Some(times) = applied {
            self.times = Arc::new(times);
            if ends {
                self.ends = false;
                self.follower = None;
            }
        }
    }
}
