//! An in-memory store of chunks with per-entity, per-timeline indexes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use reel_types::{
    Archetype, Chunk, ComponentDescriptor, DataResult, EntityPath, RowId, RowView, TimeCell,
    TimeType, Timeline,
};

use crate::chunk_slots::{ChunkSlots, StoreMemory};
use crate::{RecordingReader, ScanReport, StoreResult};

/// Where a row is, without holding its chunk: for listing many rows of a
/// store whose chunks may be dropped from memory (see [`Store::set_budget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    /// The chunk's index in the store.
    pub chunk: u32,
    /// Row index within the chunk.
    pub row: u32,
    /// The row id.
    pub row_id: RowId,
}

/// A row found by a query.
#[derive(Clone, Debug)]
pub struct RowHandle {
    /// The chunk holding the row.
    pub chunk: Arc<Chunk>,
    /// The chunk's index in the store.
    pub chunk_index: u32,
    /// Row index within the chunk.
    pub row: usize,
    /// The row's time on the queried timeline (`None` for static rows).
    pub time: Option<TimeCell>,
    /// The row id.
    pub row_id: RowId,
}

impl RowHandle {
    /// A view for reading components.
    pub fn view(&self) -> RowView<'_> {
        self.chunk
            .row(self.row)
            .expect("a handle always points inside its chunk")
    }

    /// Reads the row as archetype `A` (`None` if it holds none of it).
    pub fn get<A: Archetype>(&self) -> DataResult<Option<A>> {
        A::from_row(&self.view())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RowLoc {
    time: i64,
    row_id: u64,
    chunk: u32,
    row: u32,
}

#[derive(Default)]
struct TimelineRows {
    typ: Option<TimeType>,
    /// Every row on the timeline, sorted by (time, row id).
    rows: Vec<RowLoc>,
    /// Per component: the rows that set it, sorted the same way, so that
    /// `latest_at` is one binary search however sparse the component is.
    by_component: HashMap<ComponentDescriptor, Vec<RowLoc>>,
}

#[derive(Default)]
struct EntityRows {
    static_rows: Vec<RowLoc>,
    /// Per component: the static row setting it that was inserted last.
    static_by_component: HashMap<ComponentDescriptor, RowLoc>,
    /// Every row, in insertion order (kept so that listing rows needs no
    /// chunk in memory).
    row_refs: Vec<RowRef>,
    timelines: BTreeMap<String, TimelineRows>,
    archetypes: BTreeSet<String>,
    components: BTreeMap<String, ComponentStats>,
    num_rows: u64,
}

/// Rows and bytes of one component column of one entity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentStats {
    /// Rows that set the component.
    pub rows: u64,
    /// Arrow memory of the column(s), in bytes.
    pub bytes: u64,
}

/// One timeline of an entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineInfo {
    /// The timeline.
    pub timeline: Timeline,
    /// Smallest time.
    pub min: i64,
    /// Largest time.
    pub max: i64,
    /// Rows on it.
    pub rows: u64,
}

/// What the store holds for one entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityInfo {
    /// The entity.
    pub entity_path: EntityPath,
    /// Archetype names logged to it.
    pub archetypes: Vec<String>,
    /// Its timelines with ranges.
    pub timelines: Vec<TimelineInfo>,
    /// Rows in total.
    pub num_rows: u64,
    /// Static rows.
    pub num_static_rows: u64,
    /// Per component column (`Archetype:field`): rows and bytes.
    pub components: BTreeMap<String, ComponentStats>,
}

/// Loaded chunks, indexed for queries.
///
/// Query semantics follow Rerun's: static rows of an entity win over
/// temporal ones in `latest_at`; ties in time are broken by row id
/// (later logged wins).
///
/// Memory: the indexes stay in memory; the chunks of a store loaded from a
/// file may be dropped beyond a budget ([`Store::set_budget`]) and are
/// read again when a query reaches their rows.
#[derive(Default)]
pub struct Store {
    chunks: ChunkSlots,
    entities: BTreeMap<EntityPath, EntityRows>,
    /// Where a refresh goes on reading the file.
    end_offset: u64,
    /// The offset of the last chunk read from the file: a refresh after a
    /// failed one skips what it already inserted.
    last_chunk_offset: Option<u64>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every readable chunk of a recording file; the report says
    /// what, if anything, was skipped.
    pub fn load(path: impl AsRef<Path>) -> StoreResult<(Self, ScanReport)> {
        Self::load_with_budget(path, None)
    }

    /// Loads a recording keeping at most `budget` bytes of chunks in
    /// memory (`None`: all): the oldest are dropped as loading goes on and
    /// read again from the file when a query needs them.
    pub fn load_with_budget(
        path: impl AsRef<Path>,
        budget: Option<usize>,
    ) -> StoreResult<(Self, ScanReport)> {
        let mut store = Self::new();
        store.chunks.set_file(RecordingReader::open(path)?);
        store.chunks.set_budget(budget);
        // Loading is a first refresh: the scan from the start finds the
        // file's length then, and its reader reads dropped chunks again.
        let report = store.refresh()?;
        Ok((store, report))
    }

    /// Reads the chunks appended to the file since it was loaded or last
    /// refreshed — a recording still being written, as a viewer follows it
    /// — under the same budget. A frame still being written is left for
    /// the next refresh. Nothing to do for a store not loaded from a file.
    pub fn refresh(&mut self) -> StoreResult<ScanReport> {
        self.refresh_part(u64::MAX)
    }

    /// A store reading `path` under `budget`, nothing read yet: each
    /// [`Self::refresh_part`] reads on (a recording without a footer index,
    /// read in parts while a viewer already shows what is in).
    pub fn attach(path: impl AsRef<Path>, budget: Option<usize>) -> StoreResult<Self> {
        let mut store = Self::new();
        store.chunks.set_file(RecordingReader::open(path)?);
        store.chunks.set_budget(budget);
        Ok(store)
    }

    /// Chunks of this store's file read by another reader (a scan that
    /// runs without holding the store, so its readers never wait on disk
    /// or decompression), in file order, with the offset that scan ended
    /// at: where a [`Self::refresh`] goes on.
    pub fn insert_scanned(&mut self, chunks: Vec<(u64, Chunk)>, end_offset: u64) {
        for (offset, chunk) in chunks {
            if self.last_chunk_offset.is_none_or(|last| offset > last) {
                self.last_chunk_offset = Some(offset);
                self.insert_from(chunk, Some(offset));
            }
        }
        self.end_offset = self.end_offset.max(end_offset);
    }

    /// Like [`Self::refresh`], reading about `limit` bytes at most
    /// ([`ScanReport::more`]: there is more to read).
    pub fn refresh_part(&mut self, limit: u64) -> StoreResult<ScanReport> {
        let Some(mut reader) = self.chunks.take_file() else {
            return Ok(ScanReport {
                end_offset: self.end_offset,
                ..ScanReport::default()
            });
        };
        let report = reader.scan_part(self.end_offset, limit, |offset, chunk| {
            // After a scan that failed partway, its chunks are in already.
            if self.last_chunk_offset.is_none_or(|last| offset > last) {
                self.last_chunk_offset = Some(offset);
                self.insert_from(chunk, Some(offset));
            }
        });
        self.chunks.set_file(reader);
        let report = report?;
        self.end_offset = report.end_offset;
        Ok(report)
    }

    /// Keeps at most `budget` bytes of chunks in memory (`None`: all).
    /// Only chunks loaded from a file can be dropped.
    pub fn set_budget(&mut self, budget: Option<usize>) {
        self.chunks.set_budget(budget);
    }

    /// Memory use of the chunks.
    pub fn memory(&self) -> StoreMemory {
        self.chunks.memory()
    }

    /// A store of the given chunks.
    pub fn from_chunks(chunks: impl IntoIterator<Item = Chunk>) -> Self {
        let mut store = Self::new();
        for c in chunks {
            store.insert(c);
        }
        store
    }

    /// Adds a chunk.
    pub fn insert(&mut self, chunk: Chunk) {
        self.insert_from(chunk, None);
    }

    /// Adds a chunk read from the file at `offset` (it can be dropped from
    /// memory and read again).
    fn insert_from(&mut self, chunk: Chunk, offset: Option<u64>) {
        let chunk_idx = self.chunks.len() as u32;
        let entity = self
            .entities
            .entry(chunk.entity_path().clone())
            .or_default();
        let row_ids = chunk.row_ids();
        let n = chunk.num_rows();
        entity.num_rows += n as u64;
        for a in chunk.archetypes() {
            entity.archetypes.insert(a.to_owned());
        }
        for (desc, array) in chunk.components() {
            let stats = entity.components.entry(desc.column_name()).or_default();
            stats.rows += (array.len() - array.null_count()) as u64;
            // Slice size, not buffer capacity: decoded arrays may share one IPC body.
            stats.bytes += array.to_data().get_slice_memory_size().unwrap_or(0) as u64;
        }
        entity
            .row_refs
            .extend(row_ids.iter().enumerate().map(|(r, id)| RowRef {
                chunk: chunk_idx,
                row: r as u32,
                row_id: RowId(*id),
            }));
        let loc = |row: usize, time: i64| RowLoc {
            time,
            row_id: row_ids.get(row).copied().unwrap_or_default(),
            chunk: chunk_idx,
            row: row as u32,
        };
        if chunk.is_static() {
            entity.static_rows.extend((0..n).map(|r| loc(r, 0)));
            for (desc, array) in chunk.components() {
                if let Some(r) = (0..n.min(array.len())).rev().find(|&r| array.is_valid(r)) {
                    entity.static_by_component.insert(desc.clone(), loc(r, 0));
                }
            }
        }
        for tl in chunk.timelines() {
            let Some((_, values)) = chunk.timeline_values(tl.name.as_str()) else {
                continue;
            };
            let rows = entity.timelines.entry(tl.name.to_string()).or_default();
            rows.typ = Some(tl.typ);
            let mut on_timeline: Vec<RowLoc> = values
                .iter()
                .enumerate()
                .filter_map(|(r, t)| t.map(|t| loc(r, t)))
                .collect();
            on_timeline.sort_unstable();
            for (desc, array) in chunk.components() {
                let setting: Vec<RowLoc> = on_timeline
                    .iter()
                    .filter(|l| (l.row as usize) < array.len() && array.is_valid(l.row as usize))
                    .copied()
                    .collect();
                let list = rows.by_component.entry(desc.clone()).or_default();
                insert_sorted(list, setting);
            }
            insert_sorted(&mut rows.rows, on_timeline);
        }
        self.chunks.push(Arc::new(chunk), offset);
    }

    /// All chunks, in insertion order (dropped ones read again, one at a
    /// time).
    pub fn chunks(&self) -> impl Iterator<Item = Arc<Chunk>> + '_ {
        (0..self.chunks.len() as u32).filter_map(|i| self.chunks.get(i))
    }

    /// Chunks inserted so far (held or dropped): indexes run from 0.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Chunk `index` (a [`RowRef::chunk`]), read again if it was dropped.
    pub fn chunk(&self, index: u32) -> Option<Arc<Chunk>> {
        self.chunks.get(index)
    }

    /// The row `r` points at.
    pub fn row(&self, r: RowRef) -> Option<RowHandle> {
        let loc = RowLoc {
            time: 0,
            row_id: r.row_id.0,
            chunk: r.chunk,
            row: r.row,
        };
        self.handle(&loc, None)
    }

    /// All entities, sorted.
    pub fn entities(&self) -> impl Iterator<Item = &EntityPath> {
        self.entities.keys()
    }

    /// All timelines used by any entity.
    pub fn timelines(&self) -> Vec<Timeline> {
        let mut out = BTreeSet::new();
        for e in self.entities.values() {
            for (name, rows) in &e.timelines {
                if let (Some(typ), Ok(name)) =
                    (rows.typ, reel_types::TimelineName::new(name.clone()))
                {
                    out.insert(Timeline { name, typ });
                }
            }
        }
        out.into_iter().collect()
    }

    /// What is stored for one entity.
    pub fn entity_info(&self, path: &EntityPath) -> Option<EntityInfo> {
        let e = self.entities.get(path)?;
        let timelines = e
            .timelines
            .iter()
            .filter_map(|(name, rows)| {
                let typ = rows.typ?;
                let name = reel_types::TimelineName::new(name.clone()).ok()?;
                Some(TimelineInfo {
                    timeline: Timeline { name, typ },
                    min: rows.rows.first()?.time,
                    max: rows.rows.last()?.time,
                    rows: rows.rows.len() as u64,
                })
            })
            .collect();
        Some(EntityInfo {
            entity_path: path.clone(),
            archetypes: e.archetypes.iter().cloned().collect(),
            timelines,
            num_rows: e.num_rows,
            num_static_rows: e.static_rows.len() as u64,
            components: e.components.clone(),
        })
    }

    /// `None` only when the row's chunk was dropped and cannot be read
    /// again (counted in [`StoreMemory::reload_failures`]).
    fn handle(&self, loc: &RowLoc, typ: Option<TimeType>) -> Option<RowHandle> {
        Some(RowHandle {
            chunk: self.chunks.get(loc.chunk)?,
            chunk_index: loc.chunk,
            row: loc.row as usize,
            time: typ.map(|typ| TimeCell {
                typ,
                value: loc.time,
            }),
            row_id: RowId(loc.row_id),
        })
    }

    /// The latest row of `entity` at or before `time` on `timeline` that
    /// sets `component`. A static row setting it wins over temporal rows.
    pub fn latest_at(
        &self,
        entity: &EntityPath,
        timeline: &str,
        time: i64,
        component: &ComponentDescriptor,
    ) -> Option<RowHandle> {
        let e = self.entities.get(entity)?;
        if let Some(loc) = e.static_by_component.get(component) {
            return self.handle(loc, None);
        }
        let rows = e.timelines.get(timeline)?;
        let setting = rows.by_component.get(component)?;
        let end = setting.partition_point(|l| l.time <= time);
        setting[..end].last().and_then(|l| self.handle(l, rows.typ))
    }

    /// Rows of `entity` with `min <= time <= max` on `timeline`, sorted by
    /// time then row id.
    pub fn range(&self, entity: &EntityPath, timeline: &str, min: i64, max: i64) -> Vec<RowHandle> {
        let Some(rows) = self
            .entities
            .get(entity)
            .and_then(|e| e.timelines.get(timeline))
        else {
            return Vec::new();
        };
        let lo = rows.rows.partition_point(|l| l.time < min);
        let hi = rows.rows.partition_point(|l| l.time <= max);
        rows.rows[lo..hi.max(lo)]
            .iter()
            .filter_map(|l| self.handle(l, rows.typ))
            .collect()
    }

    /// Times of the rows of `entity` on `timeline`, sorted, without reading
    /// dropped chunks (a viewer's row marks and frame steps).
    pub fn times(&self, entity: &EntityPath, timeline: &str) -> Vec<i64> {
        self.entities
            .get(entity)
            .and_then(|e| e.timelines.get(timeline))
            .map(|rows| rows.rows.iter().map(|l| l.time).collect())
            .unwrap_or_default()
    }

    /// Static rows of `entity`, in logging order.
    pub fn static_rows(&self, entity: &EntityPath) -> Vec<RowHandle> {
        self.entities
            .get(entity)
            .map(|e| {
                e.static_rows
                    .iter()
                    .filter_map(|l| self.handle(l, None))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every row of `entity` in logging (row id) order — decode order for
    /// video samples. Each handle holds its chunk: for a long entity under a
    /// memory budget, list [`row_refs_in_log_order`](Self::row_refs_in_log_order)
    /// instead.
    pub fn rows_in_log_order(&self, entity: &EntityPath) -> Vec<RowHandle> {
        self.row_refs_in_log_order(entity)
            .into_iter()
            .filter_map(|r| self.row(r))
            .collect()
    }

    /// Where every row of `entity` is, in logging (row id) order, without
    /// reading dropped chunks.
    pub fn row_refs_in_log_order(&self, entity: &EntityPath) -> Vec<RowRef> {
        let Some(e) = self.entities.get(entity) else {
            return Vec::new();
        };
        let mut out: Vec<RowRef> = e.row_refs.clone();
        out.sort_by_key(|r| r.row_id);
        out
    }
}

/// Adds rows to a list sorted by (time, row id). Rows of a stream arrive
/// nearly in order (B-frames reach back a few frames), so only the part of
/// the list the new rows reach back into is merged, not the whole list
/// re-sorted: a live stream's insert stays O(chunk), not O(stream).
fn insert_sorted(list: &mut Vec<RowLoc>, new: Vec<RowLoc>) {
    debug_assert!(new.is_sorted());
    let Some(first) = new.first() else {
        return;
    };
    let at = list.partition_point(|l| l < first);
    if at == list.len() {
        list.extend(new);
        return;
    }
    let tail = list.split_off(at);
    list.reserve(tail.len() + new.len());
    let (mut a, mut b) = (tail.into_iter().peekable(), new.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if x <= y { a.next() } else { b.next() };
        list.extend(next);
    }
    list.extend(a);
    list.extend(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(time: i64, row_id: u64) -> RowLoc {
        RowLoc {
            time,
            row_id,
            chunk: 0,
            row: 0,
        }
    }

    /// `latest_at` on chunks arriving out of time order, with a sparse
    /// component, agrees with looking at every row: the latest (time, row
    /// id) at or before t that sets the component.
    #[test]
    fn latest_at_agrees_with_a_scan_of_every_row() {
        use reel_types::{
            Archetype, PendingRow, RowId, TimeCell, TimePoint, TimelineName, VideoFrameReference,
            VideoStream,
        };
        let entity = EntityPath::parse("cam").unwrap();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut store = Store::new();
        // (time, row id, sets the reference)
        let mut all = Vec::new();
        for c in 0..200i64 {
            let rows: Vec<PendingRow> = (0..1 + next() % 4)
                .map(|_| {
                    let time = c * 3 - (next() % 10) as i64;
                    let sparse = next() % 7 == 0;
                    let mut tp = TimePoint::default();
                    tp.insert(TimelineName::new("t").unwrap(), TimeCell::sequence(time));
                    let mut cells = VideoStream::from_sample(vec![1u8]).unwrap().to_cells();
                    if sparse {
                        cells.extend(VideoFrameReference::new(time).to_cells());
                    }
                    let row_id = RowId::new();
                    all.push((time, row_id.0, sparse));
                    PendingRow {
                        row_id,
                        timepoint: tp,
                        cells,
                    }
                })
                .collect();
            store.insert(Chunk::from_rows(entity.clone(), &rows).unwrap());
        }
        for t in -20..620 {
            for (component, sparse_only) in [
                (&VideoStream::SAMPLE, false),
                (&VideoFrameReference::TIMESTAMP, true),
            ] {
                let expected = all
                    .iter()
                    .filter(|(time, _, sparse)| *time <= t && (*sparse || !sparse_only))
                    .max_by_key(|(time, id, _)| (*time, *id))
                    .map(|(time, id, _)| (*time, *id));
                let got = store
                    .latest_at(&entity, "t", t, component)
                    .map(|h| (h.time.unwrap().value, h.row_id.0));
                assert_eq!(got, expected, "t={t} {component}");
            }
        }
    }

    /// Merging agrees with sorting everything, for runs that reach back
    /// any distance (including before the first row) or not at all.
    #[test]
    fn insert_sorted_agrees_with_a_full_sort() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut list, mut all) = (Vec::new(), Vec::new());
        for round in 0..300u64 {
            let base = round as i64 * 10;
            let mut run: Vec<RowLoc> = (0..next() % 8)
                .map(|i| loc(base - (next() % 40) as i64, round * 100 + i))
                .collect();
            run.sort_unstable();
            all.extend(run.iter().copied());
            insert_sorted(&mut list, run);
            let mut expected = all.clone();
            expected.sort_unstable();
            assert_eq!(list, expected, "round {round}");
        }
    }
}
