//! The footer indexes: where each chunk is, what time it covers, and where
//! the video keyframes are, so a reader can seek without scanning.

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{
    Array, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray, UInt32Array,
    UInt64Array,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Field, Fields, Schema};
use reel_types::{Chunk, EntityPath, TimeType, VideoStream};

/// The time range of a chunk on one timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// Timeline name.
    pub timeline: String,
    /// What the values count.
    pub typ: TimeType,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

/// One chunk in the chunk index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkIndexEntry {
    /// Byte offset of the chunk's frame.
    pub offset: u64,
    /// Bytes of the frame (header, payload, padding).
    pub frame_len: u64,
    /// The chunk's entity.
    pub entity_path: EntityPath,
    /// Rows in the chunk.
    pub num_rows: u64,
    /// Time range per timeline (empty: static chunk).
    pub time_ranges: Vec<TimeRange>,
    /// Component column names.
    pub components: Vec<String>,
}

impl ChunkIndexEntry {
    /// Describes `chunk`, written at `offset` in a frame of `frame_len` bytes.
    pub fn describe(chunk: &Chunk, offset: u64, frame_len: u64) -> Self {
        let time_ranges = chunk
            .timelines()
            .filter_map(|tl| {
                let (min, max) = chunk.time_range(tl.name.as_str())?;
                Some(TimeRange {
                    timeline: tl.name.to_string(),
                    typ: tl.typ,
                    min,
                    max,
                })
            })
            .collect();
        Self {
            offset,
            frame_len,
            entity_path: chunk.entity_path().clone(),
            num_rows: chunk.num_rows() as u64,
            time_ranges,
            components: chunk.components().map(|(d, _)| d.column_name()).collect(),
        }
    }
}

/// One keyframe of a `VideoStream`, on one timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyframeEntry {
    /// The video entity.
    pub entity_path: EntityPath,
    /// Timeline name.
    pub timeline: String,
    /// The keyframe's time on that timeline (its presentation time).
    pub time: i64,
    /// Byte offset of the chunk frame holding it.
    pub chunk_offset: u64,
    /// Row within that chunk.
    pub row: u32,
    /// The row id (decode order).
    pub row_id: u64,
}

impl KeyframeEntry {
    /// Keyframes of `chunk` (rows whose `is_keyframe` is set), one entry per timeline.
    pub fn collect(chunk: &Chunk, chunk_offset: u64) -> Vec<Self> {
        let Some(flags) = chunk
            .component(&VideoStream::IS_KEYFRAME)
            .and_then(|a| a.as_any().downcast_ref::<BooleanArray>())
        else {
            return Vec::new();
        };
        let row_ids = chunk.row_ids();
        let mut out = Vec::new();
        for tl in chunk.timelines() {
            let Some((_, values)) = chunk.timeline_values(tl.name.as_str()) else {
                continue;
            };
            for (row, time) in values.iter().enumerate() {
                if let Some(time) = time
                    && flags.is_valid(row)
                    && flags.value(row)
                {
                    out.push(Self {
                        entity_path: chunk.entity_path().clone(),
                        timeline: tl.name.to_string(),
                        time: *time,
                        chunk_offset,
                        row: row as u32,
                        row_id: row_ids.get(row).copied().unwrap_or_default(),
                    });
                }
            }
        }
        out
    }
}

/// The footer of a cleanly closed recording.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordingIndex {
    /// Every chunk, in file order.
    pub chunks: Vec<ChunkIndexEntry>,
    /// Every explicitly flagged keyframe, sorted by entity, timeline, time.
    pub keyframes: Vec<KeyframeEntry>,
}

impl RecordingIndex {
    /// The chunks needed to decode the frame of video `entity` shown at `t`
    /// on `timeline`: those holding the group of pictures from the last
    /// keyframe at or before `t` to the next keyframe, plus the entity's
    /// chunks not on that timeline (static rows such as the codec), as
    /// file offsets. `None` when no keyframe at or before `t` is indexed
    /// (keyframes not flagged when logged): then read every chunk.
    ///
    /// A keyframe's time is its presentation time; in a closed group of
    /// pictures every frame after it in decode order shows at or after it
    /// and before the next keyframe, so the frame shown at `t` and all it
    /// refers to lie in `[keyframe, next keyframe)`.
    pub fn chunks_for_frame_at(
        &self,
        entity: &EntityPath,
        timeline: &str,
        t: i64,
    ) -> Option<Vec<u64>> {
        let keys: Vec<i64> = self
            .keyframes
            .iter()
            .filter(|k| &k.entity_path == entity && k.timeline == timeline)
            .map(|k| k.time)
            .collect();
        let at = keys.partition_point(|k| *k <= t).checked_sub(1)?;
        let (from, until) = (keys[at], keys.get(at + 1).copied().unwrap_or(i64::MAX));
        Some(
            self.chunks
                .iter()
                .filter(|c| &c.entity_path == entity)
                .filter(
                    |c| match c.time_ranges.iter().find(|r| r.timeline == timeline) {
                        Some(r) => r.max >= from && r.min < until,
                        None => true,
                    },
                )
                .map(|c| c.offset)
                .collect(),
        )
    }
}

fn time_range_fields() -> Fields {
    Fields::from(vec![
        Field::new("timeline", DataType::Utf8, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("min", DataType::Int64, false),
        Field::new("max", DataType::Int64, false),
    ])
}

/// Encodes the chunk index as a record batch (layout in `docs/FORMAT.md`).
pub fn chunk_index_batch(entries: &[ChunkIndexEntry]) -> RecordBatch {
    let ranges: Vec<&TimeRange> = entries.iter().flat_map(|e| &e.time_ranges).collect();
    let range_items = StructArray::new(
        time_range_fields(),
        vec![
            Arc::new(StringArray::from_iter_values(
                ranges.iter().map(|r| &r.timeline),
            )),
            Arc::new(StringArray::from_iter_values(
                ranges.iter().map(|r| r.typ.name()),
            )),
            Arc::new(Int64Array::from_iter_values(ranges.iter().map(|r| r.min))),
            Arc::new(Int64Array::from_iter_values(ranges.iter().map(|r| r.max))),
        ],
        None,
    );
    let range_field = Arc::new(Field::new_struct("item", time_range_fields(), true));
    let time_ranges = ListArray::new(
        range_field,
        OffsetBuffer::from_lengths(entries.iter().map(|e| e.time_ranges.len())),
        Arc::new(range_items),
        None,
    );
    let names: Vec<&String> = entries.iter().flat_map(|e| &e.components).collect();
    let names = StringArray::from_iter_values(names);
    let components = ListArray::new(
        Arc::new(Field::new("item", DataType::Utf8, true)),
        OffsetBuffer::from_lengths(entries.iter().map(|e| e.components.len())),
        Arc::new(names),
        None,
    );
    let schema = Schema::new(vec![
        Field::new("offset", DataType::UInt64, false),
        Field::new("frame_len", DataType::UInt64, false),
        Field::new("entity_path", DataType::Utf8, false),
        Field::new("num_rows", DataType::UInt64, false),
        Field::new("is_static", DataType::Boolean, false),
        Field::new("time_ranges", time_ranges.data_type().clone(), false),
        Field::new("components", components.data_type().clone(), false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(UInt64Array::from_iter_values(
                entries.iter().map(|e| e.offset),
            )),
            Arc::new(UInt64Array::from_iter_values(
                entries.iter().map(|e| e.frame_len),
            )),
            Arc::new(StringArray::from_iter_values(
                entries.iter().map(|e| e.entity_path.to_string()),
            )),
            Arc::new(UInt64Array::from_iter_values(
                entries.iter().map(|e| e.num_rows),
            )),
            Arc::new(BooleanArray::from_iter(
                entries.iter().map(|e| Some(e.time_ranges.is_empty())),
            )),
            Arc::new(time_ranges),
            Arc::new(components),
        ],
    )
    .expect("chunk index columns are built with matching types and lengths")
}

/// Encodes the keyframe index as a record batch.
pub fn keyframe_index_batch(entries: &[KeyframeEntry]) -> RecordBatch {
    let mut entity = StringBuilder::new();
    let mut timeline = StringBuilder::new();
    let mut time = Int64Builder::new();
    let mut chunk_offset = UInt64Builder::new();
    let mut row = UInt32Builder::new();
    let mut row_id = UInt64Builder::new();
    for e in entries {
        entity.append_value(e.entity_path.to_string());
        timeline.append_value(&e.timeline);
        time.append_value(e.time);
        chunk_offset.append_value(e.chunk_offset);
        row.append_value(e.row);
        row_id.append_value(e.row_id);
    }
    let schema = Schema::new(vec![
        Field::new("entity_path", DataType::Utf8, false),
        Field::new("timeline", DataType::Utf8, false),
        Field::new("time", DataType::Int64, false),
        Field::new("chunk_offset", DataType::UInt64, false),
        Field::new("row", DataType::UInt32, false),
        Field::new("row_id", DataType::UInt64, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(entity.finish()),
            Arc::new(timeline.finish()),
            Arc::new(time.finish()),
            Arc::new(chunk_offset.finish()),
            Arc::new(row.finish()),
            Arc::new(row_id.finish()),
        ],
    )
    .expect("keyframe index columns are built with matching types and lengths")
}

fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| format!("index column {name} missing or of the wrong type"))
}

/// Decodes a chunk index batch.
pub fn parse_chunk_index(batch: &RecordBatch) -> Result<Vec<ChunkIndexEntry>, String> {
    let offset = col::<UInt64Array>(batch, "offset")?;
    let frame_len = col::<UInt64Array>(batch, "frame_len")?;
    let entity = col::<StringArray>(batch, "entity_path")?;
    let rows = col::<UInt64Array>(batch, "num_rows")?;
    let ranges = col::<ListArray>(batch, "time_ranges")?;
    let comps = col::<ListArray>(batch, "components")?;
    let mut out = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let r = ranges.value(i);
        let r = r
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or("time_ranges items are not structs")?;
        let names = r
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or("bad timeline")?;
        let types = r
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or("bad type")?;
        let mins = r
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or("bad min")?;
        let maxs = r
            .column(3)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or("bad max")?;
        let mut time_ranges = Vec::new();
        for j in 0..r.len() {
            time_ranges.push(TimeRange {
                timeline: names.value(j).to_owned(),
                typ: TimeType::from_name(types.value(j))
                    .ok_or_else(|| format!("unknown time type {}", types.value(j)))?,
                min: mins.value(j),
                max: maxs.value(j),
            });
        }
        let c = comps.value(i);
        let c = c
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or("bad components")?;
        out.push(ChunkIndexEntry {
            offset: offset.value(i),
            frame_len: frame_len.value(i),
            entity_path: EntityPath::parse(entity.value(i)).map_err(|e| e.to_string())?,
            num_rows: rows.value(i),
            time_ranges,
            components: c.iter().flatten().map(str::to_owned).collect(),
        });
    }
    Ok(out)
}

/// Decodes a keyframe index batch.
pub fn parse_keyframe_index(batch: &RecordBatch) -> Result<Vec<KeyframeEntry>, String> {
    let entity = col::<StringArray>(batch, "entity_path")?;
    let timeline = col::<StringArray>(batch, "timeline")?;
    let time = col::<Int64Array>(batch, "time")?;
    let chunk_offset = col::<UInt64Array>(batch, "chunk_offset")?;
    let row = col::<UInt32Array>(batch, "row")?;
    let row_id = col::<UInt64Array>(batch, "row_id")?;
    (0..batch.num_rows())
        .map(|i| {
            Ok(KeyframeEntry {
                entity_path: EntityPath::parse(entity.value(i)).map_err(|e| e.to_string())?,
                timeline: timeline.value(i).to_owned(),
                time: time.value(i),
                chunk_offset: chunk_offset.value(i),
                row: row.value(i),
                row_id: row_id.value(i),
            })
        })
        .collect()
}
