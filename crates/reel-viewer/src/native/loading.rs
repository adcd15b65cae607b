//! Opening a recording without waiting for it: the whole file is read on a
//! thread, and meanwhile what the footer index says is shown — the
//! entities and timelines at once, and for a `VideoStream` the group of
//! pictures around the cursor, read through the keyframe index (a few
//! chunks, not the file).
//!
//! Why not a store that loads chunks on demand: a stream's sample times
//! are in the chunks, next to the samples, so knowing every frame of a
//! stream means reading it; the footer only knows keyframes. The preview
//! is what the keyframe index can give at once.
//!
//! A recording without a footer (its writer crashed, or is still writing)
//! has no index to preview from: it is scanned in parts ([`SCAN_PART`]
//! bytes, read off the store's lock) into the store the views already read,
//! so its first frames show while the rest is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use reel_decode::{FrameServer, FrameSource, StreamFrames};
use reel_query::frames::stream_source;
use reel_query::recording::load_for_frame_at_indexed;
use reel_query::{SampleClock, stream_samples};
use reel_store::{RecordingIndex, RecordingReader, ScanReport, Store};
use reel_types::EntityPath;

use super::STORE_BUDGET;
use super::background::Background;
use crate::recording::{EntityKind, EntitySummary};
use crate::time::TimelineSummary;

/// Bytes a footerless recording's scan reads before handing its chunks to
/// the store (read off the store's lock; the views see them in parts).
pub(super) const SCAN_PART: u64 = 4 << 20;

/// What the reading thread hands over at the end: the store it read (for
/// an indexed file; a scanned one is already in the shared store) and what
/// it found.
pub(super) type Loaded = Result<(Option<Store>, ScanReport), String>;

/// The whole recording, read on a thread.
pub(super) struct Loading {
    /// The thread reading the file (or why there is none).
    done: Result<Background<Loaded>, String>,
    /// The footer index, if the file was closed cleanly: previews come
    /// from it, the store arrives whole at the end.
    pub index: Option<Arc<RecordingIndex>>,
    /// Without one, the bytes scanned into the shared store so far.
    pub scanned: Option<Arc<AtomicU64>>,
    previews: BTreeMap<(EntityPath, String), Preview>,
}

/// One group of pictures of a stream, shown until the whole file is read.
pub(super) struct Preview {
    /// Set once its chunks are read.
    pub frames: Option<StreamFrames>,
    /// Times of its frames (first and last), once read.
    span: Option<(i64, i64)>,
    /// Where `t` was when it was asked for (a new one is read for a time
    /// outside `span`).
    pending: Option<Background<Result<Option<FrameSource>, String>>>,
    pub error: Option<String>,
}

impl Loading {
    /// Starts reading `path`; reads its footer index now (a seek to the
    /// end). Without one, `shared` is filled in parts as the file is read.
    pub fn start(path: &Path, shared: &Arc<RwLock<Store>>) -> Self {
        let index = RecordingReader::open(path)
            .and_then(|mut r| r.read_index())
            .ok()
            .flatten()
            .map(Arc::new);
        let owned = path.to_path_buf();
        let scanned = index.is_none().then(|| Arc::new(AtomicU64::new(0)));
        let (shared, progress) = (shared.clone(), scanned.clone());
        let done = Background::spawn("reel-open", move || {
            let loaded = match progress {
                None => Store::load_with_budget(&owned, Some(STORE_BUDGET))
                    .map(|(store, report)| (Some(store), report)),
                Some(progress) => {
                    scan_into(&owned, &shared, &progress).map(|report| (None, report))
                }
            };
            loaded.map_err(|e| e.to_string())
        });
        Self {
            done,
            index,
            scanned,
            previews: BTreeMap::new(),
        }
    }

    /// The loaded store, once read (`Some(Err)`: it could not be).
    pub fn poll(&mut self) -> Option<Loaded> {
        match &self.done {
            Ok(thread) => thread.poll().map(|r| {
                r.unwrap_or_else(|()| Err("the thread reading the recording stopped".into()))
            }),
            Err(e) => Some(Err(e.clone())),
        }
    }

    /// The previews' frame servers, handed over when loading ends.
    pub fn into_previews(self) -> BTreeMap<(EntityPath, String), StreamFrames> {
        self.previews
            .into_iter()
            .filter_map(|(k, p)| p.frames.map(|f| (k, f)))
            .collect()
    }

    /// The preview of `entity` at `t` on `timeline`: read on a thread
    /// through the keyframe index when `t` is outside the one held.
    pub fn preview(
        &mut self,
        file: &Path,
        server: &FrameServer,
        entity: &EntityPath,
        timeline: &str,
        t: i64,
    ) -> &mut Preview {
        let key = (entity.clone(), timeline.to_owned());
        let preview = self.previews.entry(key).or_insert_with(|| Preview {
            frames: None,
            span: None,
            pending: None,
            error: None,
        });
        if let Some(thread) = &preview.pending
            && let Some(result) = thread.poll()
        {
            match result {
                Ok(Ok(Some(source))) => {
                    let times = source.frame_times();
                    preview.span = times.first().zip(times.last()).map(|(a, b)| (*a, *b));
                    preview.frames = Some(server.add_stream(source));
                    preview.pending = None;
                }
                Ok(Ok(None)) => {
                    // No frame there (before the stream starts): nothing to show.
                    preview.span = Some((t, t));
                    preview.frames = None;
                    preview.pending = None;
                }
                Ok(Err(e)) => {
                    preview.error = Some(e);
                    preview.pending = None;
                }
                Err(()) => preview.pending = None,
            }
        }
        let covered = preview.span.is_some_and(|(a, b)| a <= t && t <= b);
        if !covered
            && preview.pending.is_none()
            && preview.error.is_none()
            && let Some(index) = self.index.clone()
        {
            let (file, entity, timeline) =
                (file.to_path_buf(), entity.clone(), timeline.to_owned());
            preview.pending = Background::spawn("reel-preview", move || {
                read_group(&file, &index, &entity, &timeline, t)
            })
            .ok();
        }
        preview
    }
}

/// Reads `path` into `shared` in parts; the report of the whole scan. The
/// reading and decompressing happen off the store's lock; only handing a
/// part's chunks over takes it.
fn scan_into(
    path: &Path,
    shared: &RwLock<Store>,
    progress: &AtomicU64,
) -> reel_store::StoreResult<ScanReport> {
    let attached = Store::attach(path, Some(STORE_BUDGET))?;
    *shared.write().unwrap_or_else(|e| e.into_inner()) = attached;
    let mut reader = RecordingReader::open(path)?;
    let mut all = ScanReport::default();
    loop {
        let mut chunks = Vec::new();
        let part = reader.scan_part(all.end_offset, SCAN_PART, |offset, chunk| {
            chunks.push((offset, chunk));
        })?;
        shared
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert_scanned(chunks, part.end_offset);
        all.chunks += part.chunks;
        all.rows += part.rows;
        all.skipped.extend(part.skipped);
        all.torn_tail = part.torn_tail;
        all.end_offset = part.end_offset;
        progress.store(part.end_offset, Ordering::Relaxed);
        if !part.more {
            return Ok(all);
        }
    }
}

/// The frames of the group of pictures around `t`, from the chunks the
/// keyframe index names (`None`: it names none there).
fn read_group(
    file: &Path,
    index: &RecordingIndex,
    entity: &EntityPath,
    timeline: &str,
    t: i64,
) -> Result<Option<FrameSource>, String> {
    let mut reader = RecordingReader::open(file).map_err(|e| e.to_string())?;
    let Some(load) = load_for_frame_at_indexed(&mut reader, index, entity, Some(timeline), t)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let samples = stream_samples(&load.store, entity, &SampleClock::Timeline(timeline.into()))
        .map_err(|e| e.to_string())?;
    Ok(Some(stream_source(samples)))
}

/// Entities and timelines as the footer index lists them, in the order and
/// with the kinds the loaded store will give (see `summarize`).
pub(super) fn index_summaries(
    index: &RecordingIndex,
) -> (Vec<(EntityPath, EntitySummary)>, Vec<TimelineSummary>) {
    struct Seen {
        archetypes: BTreeSet<String>,
        timelines: BTreeSet<String>,
    }
    let mut entities: BTreeMap<String, (EntityPath, Seen)> = BTreeMap::new();
    let mut timelines: Vec<TimelineSummary> = Vec::new();
    for c in &index.chunks {
        let (_, seen) = entities
            .entry(c.entity_path.to_string())
            .or_insert_with(|| {
                (
                    c.entity_path.clone(),
                    Seen {
                        archetypes: BTreeSet::new(),
                        timelines: BTreeSet::new(),
                    },
                )
            });
        for name in &c.components {
            if let Some((archetype, _)) = name.split_once(':') {
                seen.archetypes.insert(archetype.to_owned());
            }
        }
        for r in &c.time_ranges {
            seen.timelines.insert(r.timeline.clone());
            TimelineSummary {
                name: r.timeline.clone(),
                typ: r.typ,
                min: r.min,
                max: r.max,
            }
            .merge_into(&mut timelines);
        }
    }
    let assets: BTreeSet<String> = entities
        .iter()
        .filter(|(_, (_, s))| s.archetypes.contains("AssetVideo"))
        .map(|(p, _)| p.clone())
        .collect();
    let summaries = entities
        .into_iter()
        .filter_map(|(path_text, (path, seen))| {
            let has = |a: &str| seen.archetypes.contains(a);
            let timelines: Vec<String> = seen.timelines.into_iter().collect();
            let kind = EntityKind::of(has, !timelines.is_empty(), || assets.contains(&path_text))?;
            Some((
                path,
                EntitySummary {
                    path: path_text,
                    kind,
                    details: String::new(),
                    timelines,
                },
            ))
        })
        .collect();
    (summaries, timelines)
}
