//! Chunks: the unit of storage and transport.
//!
//! A chunk is one Arrow [`RecordBatch`] holding rows of one entity:
//! a `reel:row_id` column, one column per timeline, one per component.
//! The same batch is what the file stores and what a network peer will
//! receive; `docs/FORMAT.md` specifies the layout.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arrow_array::{
    Array, ArrayRef, DurationNanosecondArray, Int64Array, LargeBinaryArray, RecordBatch,
    RecordBatchOptions, TimestampNanosecondArray, UInt64Array, new_null_array,
};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::component::RowView;
use crate::recycled;
use crate::{
    ComponentCell, ComponentColumn, ComponentDescriptor, DataError, DataResult, EntityPath,
    TimeColumn, TimePoint, TimeType, Timeline, TimelineName,
};

/// Schema metadata key holding the entity path.
pub const META_ENTITY_PATH: &str = "reel:entity_path";
/// Field metadata key saying what a column is: `row_id`, `timeline` or `component`.
pub const META_KIND: &str = "reel:kind";
/// Field metadata key of a component's archetype.
pub const META_ARCHETYPE: &str = "reel:archetype";
/// Field metadata key of a component's field name.
pub const META_FIELD: &str = "reel:field";
/// Name of the row-id column.
pub const ROW_ID_COLUMN: &str = "reel:row_id";

/// Identifies a row across the recording; increases in logging order.
///
/// The value is nanoseconds since the Unix epoch at logging time, bumped to
/// stay strictly increasing within a process. Row order is what decode order
/// of video samples is based on, so it must never go backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowId(pub u64);

impl RowId {
    /// A fresh id, larger than every id made before in this process.
    pub fn new() -> Self {
        static LAST: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut last = LAST.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Self(next),
                Err(actual) => last = actual,
            }
        }
    }

    /// `n` consecutive fresh ids.
    pub fn new_many(n: usize) -> Vec<Self> {
        (0..n).map(|_| Self::new()).collect()
    }
}

impl Default for RowId {
    fn default() -> Self {
        Self::new()
    }
}

/// A row not yet in a chunk: what `log` produces.
#[derive(Clone, Debug)]
pub struct PendingRow {
    /// Its id.
    pub row_id: RowId,
    /// Where it sits on each timeline (empty: static).
    pub timepoint: TimePoint,
    /// Its component values, one-row arrays.
    pub cells: Vec<ComponentCell>,
}

impl PendingRow {
    /// Approximate bytes of its component data, for batching thresholds.
    pub fn heap_size(&self) -> usize {
        self.cells
            .iter()
            .map(|(_, a)| a.get_array_memory_size())
            .sum()
    }
}

/// Rows of one entity in one Arrow record batch.
#[derive(Clone, Debug)]
pub struct Chunk {
    entity_path: EntityPath,
    batch: RecordBatch,
    timelines: Vec<(Timeline, usize)>,
    components: Vec<(ComponentDescriptor, usize)>,
}

impl PartialEq for Chunk {
    fn eq(&self, other: &Self) -> bool {
        self.entity_path == other.entity_path && self.batch == other.batch
    }
}

impl Chunk {
    /// Builds a chunk from rows. Rows may differ in timelines and components;
    /// missing values become nulls. A timeline or component logged with two
    /// different types is an error.
    pub fn from_rows(entity_path: EntityPath, rows: &[PendingRow]) -> DataResult<Self> {
        let n = rows.len();
        let row_ids: Vec<RowId> = rows.iter().map(|r| r.row_id).collect();

        let mut timelines: Vec<Timeline> = Vec::new();
        for row in rows {
            for tl in row.timepoint.timelines() {
                match timelines.iter().find(|t| t.name == tl.name) {
                    Some(t) if t.typ != tl.typ => {
                        return Err(DataError::MalformedChunk(format!(
                            "timeline {} of entity {entity_path} is used as both {} and {}",
                            tl.name,
                            t.typ.name(),
                            tl.typ.name()
                        )));
                    }
                    Some(_) => {}
                    None => timelines.push(tl),
                }
            }
        }
        timelines.sort();
        let time_arrays: Vec<(Timeline, ArrayRef)> = timelines
            .into_iter()
            .map(|tl| {
                let values: Vec<Option<i64>> = rows
                    .iter()
                    .map(|r| r.timepoint.get(tl.name.as_str()).map(|c| c.value))
                    .collect();
                let array = time_array(tl.typ, values);
                (tl, array)
            })
            .collect();

        let mut order: Vec<(ComponentDescriptor, DataType)> = Vec::new();
        for row in rows {
            for (desc, array) in &row.cells {
                match order.iter().find(|(d, _)| d == desc) {
                    Some((_, dt)) if dt != array.data_type() => {
                        return Err(DataError::MalformedChunk(format!(
                            "component {desc} of entity {entity_path} is logged as both {dt} and {}",
                            array.data_type()
                        )));
                    }
                    Some(_) => {}
                    None => order.push((desc.clone(), array.data_type().clone())),
                }
            }
        }
        let mut components = Vec::with_capacity(order.len());
        for (desc, dt) in order {
            let nulls = new_null_array(&dt, 1);
            let parts: Vec<&dyn Array> = rows
                .iter()
                .map(|r| {
                    r.cells
                        .iter()
                        .find(|(d, _)| *d == desc)
                        .map(|(_, a)| a.as_ref())
                        .unwrap_or(nulls.as_ref())
                })
                .collect();
            let array = if parts.is_empty() {
                new_null_array(&dt, 0)
            } else if let Some(bytes) = concat_large_binary(&parts) {
                bytes
            } else {
                arrow_select::concat::concat(&parts)
                    .map_err(|e| DataError::MalformedChunk(format!("{desc}: {e}")))?
            };
            components.push((desc, array));
        }
        Self::assemble(entity_path, &row_ids, time_arrays, components, n)
    }

    /// Builds a chunk from whole columns (`send_columns`): every column must
    /// have one value per row id.
    pub fn from_columns(
        entity_path: EntityPath,
        row_ids: &[RowId],
        time_columns: Vec<TimeColumn>,
        components: Vec<ComponentColumn>,
    ) -> DataResult<Self> {
        let n = row_ids.len();
        let mut time_arrays = Vec::new();
        for col in time_columns {
            if col.values.len() != n {
                return Err(DataError::ColumnLengthMismatch {
                    column: col.timeline.name.to_string(),
                    expected: n,
                    actual: col.values.len(),
                });
            }
            let array = time_array(col.timeline.typ, col.values.into_iter().map(Some).collect());
            time_arrays.push((col.timeline, array));
        }
        time_arrays.sort_by(|a, b| a.0.cmp(&b.0));
        for w in time_arrays.windows(2) {
            if w[0].0.name == w[1].0.name {
                return Err(DataError::MalformedChunk(format!(
                    "timeline {} given twice",
                    w[0].0.name
                )));
            }
        }
        for (desc, array) in &components {
            if array.len() != n {
                return Err(DataError::ColumnLengthMismatch {
                    column: desc.column_name(),
                    expected: n,
                    actual: array.len(),
                });
            }
        }
        Self::assemble(entity_path, row_ids, time_arrays, components, n)
    }

    fn assemble(
        entity_path: EntityPath,
        row_ids: &[RowId],
        time_arrays: Vec<(Timeline, ArrayRef)>,
        components: Vec<ComponentColumn>,
        n: usize,
    ) -> DataResult<Self> {
        let mut fields = Vec::with_capacity(1 + time_arrays.len() + components.len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
        fields.push(
            Field::new(ROW_ID_COLUMN, DataType::UInt64, false).with_metadata(kind_meta("row_id")),
        );
        arrays.push(Arc::new(UInt64Array::from_iter_values(
            row_ids.iter().map(|r| r.0),
        )));
        for (tl, array) in time_arrays {
            fields.push(
                Field::new(tl.name.as_str(), tl.typ.arrow_type(), true)
                    .with_metadata(kind_meta("timeline")),
            );
            arrays.push(array);
        }
        for (desc, array) in components {
            let mut meta = kind_meta("component");
            meta.insert(META_ARCHETYPE.into(), desc.archetype.to_string());
            meta.insert(META_FIELD.into(), desc.field.to_string());
            fields.push(
                Field::new(desc.column_name(), array.data_type().clone(), true).with_metadata(meta),
            );
            arrays.push(array);
        }
        let schema: SchemaRef = Arc::new(Schema::new_with_metadata(
            fields,
            HashMap::from([(META_ENTITY_PATH.to_owned(), entity_path.to_string())]),
        ));
        let batch = RecordBatch::try_new_with_options(
            schema,
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(|e| DataError::MalformedChunk(format!("entity {entity_path}: {e}")))?;
        Self::from_record_batch(batch)
    }

    /// Wraps a record batch read from a file or the wire, checking that it
    /// follows the chunk layout.
    pub fn from_record_batch(batch: RecordBatch) -> DataResult<Self> {
        let bad = |m: String| DataError::MalformedChunk(m);
        let schema = batch.schema();
        let path = schema
            .metadata()
            .get(META_ENTITY_PATH)
            .ok_or_else(|| bad(format!("schema metadata lacks {META_ENTITY_PATH}")))?;
        let entity_path = EntityPath::parse(path)?;
        let mut timelines = Vec::new();
        let mut components = Vec::new();
        let mut has_row_id = false;
        for (i, field) in schema.fields().iter().enumerate() {
            let kind = field.metadata().get(META_KIND).map(String::as_str);
            match kind {
                Some("row_id") => {
                    if field.name() != ROW_ID_COLUMN || field.data_type() != &DataType::UInt64 {
                        return Err(bad(format!(
                            "entity {entity_path}: row id column must be {ROW_ID_COLUMN}: UInt64"
                        )));
                    }
                    if batch.column(i).null_count() > 0 {
                        return Err(bad(format!("entity {entity_path}: null row id")));
                    }
                    has_row_id = true;
                }
                Some("timeline") => {
                    let typ = TimeType::from_arrow_type(field.data_type()).ok_or_else(|| {
                        bad(format!(
                            "entity {entity_path}: timeline {} has type {}",
                            field.name(),
                            field.data_type()
                        ))
                    })?;
                    let name = TimelineName::new(field.name().clone())?;
                    timelines.push((Timeline { name, typ }, i));
                }
                Some("component") => {
                    let desc = match (
                        field.metadata().get(META_ARCHETYPE),
                        field.metadata().get(META_FIELD),
                    ) {
                        (Some(a), Some(f)) => ComponentDescriptor {
                            archetype: a.clone().into(),
                            field: f.clone().into(),
                        },
                        _ => ComponentDescriptor::from_column_name(field.name()).ok_or_else(
                            || {
                                bad(format!(
                                    "entity {entity_path}: component column {} has no archetype",
                                    field.name()
                                ))
                            },
                        )?,
                    };
                    components.push((desc, i));
                }
                // Columns of kinds a newer writer added are kept but not interpreted.
                _ => {}
            }
        }
        if !has_row_id {
            return Err(bad(format!(
                "entity {entity_path}: no {ROW_ID_COLUMN} column"
            )));
        }
        Ok(Self {
            entity_path,
            batch,
            timelines,
            components,
        })
    }

    /// The entity all rows belong to.
    pub fn entity_path(&self) -> &EntityPath {
        &self.entity_path
    }

    /// The Arrow batch, as stored.
    pub fn record_batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Whether the chunk has no timeline (its rows are static).
    pub fn is_static(&self) -> bool {
        self.timelines.is_empty()
    }

    /// Row ids, in row order.
    pub fn row_ids(&self) -> &[u64] {
        self.batch
            .column(self.row_id_index())
            .as_any()
            .downcast_ref::<UInt64Array>()
            .map(|a| a.values().as_ref())
            .unwrap_or(&[])
    }

    fn row_id_index(&self) -> usize {
        self.batch
            .schema()
            .index_of(ROW_ID_COLUMN)
            .unwrap_or_default()
    }

    /// The timelines of this chunk.
    pub fn timelines(&self) -> impl Iterator<Item = &Timeline> {
        self.timelines.iter().map(|(t, _)| t)
    }

    /// The values on one timeline (`None` where a row is not on it).
    pub fn timeline_values(&self, name: &str) -> Option<(TimeType, Vec<Option<i64>>)> {
        let (tl, i) = self
            .timelines
            .iter()
            .find(|(t, _)| t.name.as_str() == name)?;
        let array = self.batch.column(*i);
        let data = array.to_data();
        let raw = Int64Array::from(
            data.into_builder()
                .data_type(DataType::Int64)
                .build()
                .ok()?,
        );
        Some((tl.typ, raw.iter().collect()))
    }

    /// The value of one row on one timeline (`None` where the row is not on
    /// it): a lookup, not a column build, for callers that go row by row.
    pub fn time_at(&self, name: &str, row: usize) -> Option<i64> {
        let (_, i) = self
            .timelines
            .iter()
            .find(|(t, _)| t.name.as_str() == name)?;
        let array = self.batch.column(*i);
        if row >= array.len() || array.is_null(row) {
            return None;
        }
        let any = array.as_any();
        match array.data_type() {
            DataType::Int64 => any.downcast_ref::<Int64Array>().map(|a| a.value(row)),
            DataType::Duration(_) => any
                .downcast_ref::<DurationNanosecondArray>()
                .map(|a| a.value(row)),
            DataType::Timestamp(..) => any
                .downcast_ref::<TimestampNanosecondArray>()
                .map(|a| a.value(row)),
            _ => None,
        }
    }

    /// Smallest and largest value on a timeline.
    pub fn time_range(&self, name: &str) -> Option<(i64, i64)> {
        let (_, values) = self.timeline_values(name)?;
        let mut it = values.into_iter().flatten();
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }

    /// The component columns.
    pub fn components(&self) -> impl Iterator<Item = (&ComponentDescriptor, &ArrayRef)> {
        self.components
            .iter()
            .map(|(d, i)| (d, self.batch.column(*i)))
    }

    /// One component column.
    pub fn component(&self, desc: &ComponentDescriptor) -> Option<&ArrayRef> {
        self.components
            .iter()
            .find(|(d, _)| d == desc)
            .map(|(_, i)| self.batch.column(*i))
    }

    /// Archetype names present, in column order, without repeats.
    pub fn archetypes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (d, _) in &self.components {
            if !out.contains(&d.archetype.as_ref()) {
                out.push(d.archetype.as_ref());
            }
        }
        out
    }

    /// A view of one row; `None` past the end.
    pub fn row(&self, row: usize) -> Option<RowView<'_>> {
        (row < self.num_rows()).then_some(RowView { chunk: self, row })
    }

    /// Bytes of Arrow memory the chunk holds.
    pub fn heap_size(&self) -> usize {
        self.batch.get_array_memory_size()
    }
}

fn kind_meta(kind: &str) -> HashMap<String, String> {
    HashMap::from([(META_KIND.to_owned(), kind.to_owned())])
}

fn time_array(typ: TimeType, values: Vec<Option<i64>>) -> ArrayRef {
    match typ {
        TimeType::Sequence => Arc::new(Int64Array::from(values)),
        TimeType::DurationNs => Arc::new(DurationNanosecondArray::from(values)),
        TimeType::TimestampNs => {
            Arc::new(TimestampNanosecondArray::from(values).with_timezone("UTC"))
        }
    }
}

/// Concatenates byte columns (pixels, samples, files) into memory reused
/// from earlier chunks ([`crate::recycled`]); `None` for other columns.
fn concat_large_binary(parts: &[&dyn Array]) -> Option<ArrayRef> {
    let parts: Vec<&LargeBinaryArray> = parts
        .iter()
        .map(|a| a.as_any().downcast_ref::<LargeBinaryArray>())
        .collect::<Option<_>>()?;
    fn bytes_of(a: &LargeBinaryArray) -> &[u8] {
        let offsets = a.value_offsets();
        &a.value_data()[offsets[0] as usize..offsets[a.len()] as usize]
    }
    let total: usize = parts.iter().map(|a| bytes_of(a).len()).sum();
    let rows: usize = parts.iter().map(|a| a.len()).sum();
    let mut values = recycled::take(total);
    let mut offsets = Vec::with_capacity(rows + 1);
    let mut nulls = NullBufferBuilder::new(rows);
    offsets.push(0i64);
    for part in &parts {
        let base = values.len() as i64 - part.value_offsets()[0];
        offsets.extend(part.value_offsets()[1..].iter().map(|o| o + base));
        match part.nulls() {
            Some(n) => nulls.append_buffer(n),
            None => nulls.append_n_non_nulls(part.len()),
        }
        values.extend_from_slice(bytes_of(part));
    }
    let array = LargeBinaryArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        recycled::into_buffer(values),
        nulls.finish(),
    )
    .ok()?;
    Some(Arc::new(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Archetype, TimeCell, VideoFrameReference};

    /// Byte columns concatenated into reused memory equal Arrow's own
    /// concatenation, with nulls and sliced parts.
    #[test]
    fn byte_columns_concatenate_as_arrow_does() {
        let whole = LargeBinaryArray::from_iter([
            Some(&b"abc"[..]),
            None,
            Some(&b""[..]),
            Some(&b"defgh"[..]),
        ]);
        let plain = LargeBinaryArray::from_iter_values([b"xy", b"zw"]);
        let nulls = new_null_array(&DataType::LargeBinary, 2);
        for parts in [
            vec![&whole as &dyn Array, &plain],
            vec![
                &whole.slice(1, 3) as &dyn Array,
                nulls.as_ref(),
                &plain.slice(1, 1),
            ],
            vec![nulls.as_ref()],
        ] {
            let ours = concat_large_binary(&parts).unwrap();
            let arrows = arrow_select::concat::concat(&parts).unwrap();
            assert_eq!(ours.to_data(), arrows.to_data());
        }
        let ints = Int64Array::from(vec![1]);
        assert!(concat_large_binary(&[&ints as &dyn Array]).is_none());
    }

    /// `time_at` answers as the whole column does, on every timeline type,
    /// where rows are missing from a timeline too.
    #[test]
    fn time_at_agrees_with_the_whole_column() {
        let rows: Vec<PendingRow> = (0..7i64)
            .map(|r| {
                let mut tp = TimePoint::default();
                tp.insert(TimelineName::new("frame").unwrap(), TimeCell::sequence(r));
                if r % 2 == 0 {
                    tp.insert(
                        TimelineName::new("time").unwrap(),
                        TimeCell::duration_nanos(r * 33_000_000),
                    );
                }
                if r % 3 == 0 {
                    tp.insert(
                        TimelineName::new("wall").unwrap(),
                        TimeCell::timestamp_nanos(1_700_000_000_000_000_000 + r),
                    );
                }
                PendingRow {
                    row_id: RowId::new(),
                    timepoint: tp,
                    cells: VideoFrameReference::new(r).to_cells(),
                }
            })
            .collect();
        let chunk = Chunk::from_rows(EntityPath::parse("cam").unwrap(), &rows).unwrap();
        for name in ["frame", "time", "wall"] {
            let (_, column) = chunk.timeline_values(name).unwrap();
            let one_by_one: Vec<_> = (0..7).map(|r| chunk.time_at(name, r)).collect();
            assert_eq!(one_by_one, column, "{name}");
            assert!(column.iter().any(Option::is_some), "{name}");
        }
        assert_eq!(chunk.time_at("time", 1), None);
        assert_eq!(chunk.time_at("time", 99), None);
        assert_eq!(chunk.time_at("nope", 0), None);
    }
}
