//! The decoded-frame cache of a [`FrameSource`](super::FrameSource).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::HISTORY_FLOOR_BYTES;
use crate::DecodedFrame;

/// Evicted frames remembered, to notice when one is asked for again.
const EVICTED_REMEMBERED: usize = 4096;

pub(super) struct CachedFrame {
    pub(super) frame: Arc<DecodedFrame>,
    pub(super) last_use: u64,
}

/// Decoded frames by PTS, least recently used evicted first.
///
/// Frames behind the playhead (the frame last asked for) are history, and
/// history is kept only as far as it is used: a program playing a long
/// video forward never looks back, and filling 512 MiB with frames it
/// will not ask for again costs new memory (page faults) in the middle of
/// playback — a tenth of a 720p decode's time. History starts at
/// [`HISTORY_FLOOR_BYTES`] and doubles each time a frame evicted from it
/// is asked for again (scrubbing back, random access), the way ARC-style
/// caches size themselves from their "ghost" hits. Frames ahead of the
/// playhead (decoded ahead for playback) only ever leave under the budget.
pub(super) struct FrameCache {
    pub(super) frames: HashMap<i64, CachedFrame>,
    pub(super) bytes: usize,
    pub(super) budget: usize,
    pub(super) clock: u64,
    /// The frame a lookup is decoding towards: not evicted before it is
    /// returned, however small the budget (a decoder may put out several
    /// pictures at once, the one wanted first).
    pub(super) pinned: Option<i64>,
    /// The PTS last asked for: frames before it are history.
    pub(super) playhead: Option<i64>,
    /// Bytes of history kept; `None`: as much as the budget allows.
    pub(super) history: Option<usize>,
    /// PTS evicted lately, oldest first.
    pub(super) evicted: VecDeque<i64>,
}

impl FrameCache {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            frames: HashMap::new(),
            bytes: 0,
            budget,
            clock: 0,
            pinned: None,
            playhead: None,
            history: Some(HISTORY_FLOOR_BYTES),
            evicted: VecDeque::new(),
        }
    }

    pub(super) fn get(&mut self, pts: i64) -> Option<Arc<DecodedFrame>> {
        self.clock += 1;
        let clock = self.clock;
        self.frames.get_mut(&pts).map(|c| {
            c.last_use = clock;
            c.frame.clone()
        })
    }

    /// A lookup did not find `pts`: if it was evicted lately, history is
    /// worth more than was kept.
    pub(super) fn missed(&mut self, pts: i64) {
        if let Some(at) = self.evicted.iter().rposition(|p| *p == pts) {
            self.evicted.remove(at);
            if let Some(history) = &mut self.history {
                *history = history.saturating_mul(2);
            }
        }
    }

    pub(super) fn insert(&mut self, frame: DecodedFrame) {
        self.clock += 1;
        self.bytes += frame.heap_size();
        if let Some(old) = self.frames.insert(
            frame.pts,
            CachedFrame {
                frame: Arc::new(frame),
                last_use: self.clock,
            },
        ) {
            self.bytes -= old.frame.heap_size();
        }
        self.evict();
    }

    pub(super) fn evict(&mut self) {
        self.evict_history();
        while self.bytes > self.budget && self.frames.len() > 1 {
            let pinned = self.pinned;
            let Some((&oldest, _)) = self
                .frames
                .iter()
                .filter(|(pts, _)| Some(**pts) != pinned)
                .min_by_key(|(_, c)| c.last_use)
            else {
                break;
            };
            self.remove(oldest);
        }
    }

    /// Evicts history beyond what it has been worth, least recently used first.
    pub(super) fn evict_history(&mut self) {
        let (Some(playhead), Some(keep)) = (self.playhead, self.history) else {
            return;
        };
        if keep >= self.budget {
            return;
        }
        let mut behind: Vec<(u64, i64, usize)> = self
            .frames
            .iter()
            .filter(|(pts, _)| **pts < playhead && Some(**pts) != self.pinned)
            .map(|(pts, c)| (c.last_use, *pts, c.frame.heap_size()))
            .collect();
        let mut held: usize = behind.iter().map(|b| b.2).sum();
        if held <= keep {
            return;
        }
        behind.sort_unstable();
        for (_, pts, size) in behind {
            if held <= keep {
                break;
            }
            self.remove(pts);
            held -= size;
        }
    }

    pub(super) fn remove(&mut self, pts: i64) {
        if let Some(c) = self.frames.remove(&pts) {
            self.bytes -= c.frame.heap_size();
            if self.evicted.len() == EVICTED_REMEMBERED {
                self.evicted.pop_front();
            }
            self.evicted.push_back(pts);
            if let Ok(frame) = Arc::try_unwrap(c.frame) {
                crate::pool::recycle(frame.planes);
            }
        }
    }
}
