//! Loading only what a question needs from a recording file.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

use reel_store::{RecordingIndex, RecordingReader, Store};
use reel_types::{EntityPath, TimeType};

use crate::QueryResult;
use crate::timeline::pick_default;

/// A store of just the chunks of a recording that one question needs.
pub struct PartialLoad {
    /// The chunks read.
    pub store: Store,
    /// The timeline the question was asked on.
    pub timeline: String,
    /// Chunks read, of how many in the file.
    pub chunks_read: usize,
    /// Chunks in the file.
    pub chunks_total: usize,
}

/// For a `VideoStream` entity of a cleanly closed recording: a store of just
/// the chunks that decode the frame at `t` on `timeline` (default: the
/// entity's first duration or timestamp timeline), found with the footer's
/// keyframe index. `None` (read everything) without a footer index, for
/// other archetypes, or when the stream's keyframes were not flagged.
pub fn load_for_frame_at(
    path: &Path,
    entity: &EntityPath,
    timeline: Option<&str>,
    t: i64,
) -> QueryResult<Option<PartialLoad>> {
    let mut reader = RecordingReader::open(path)?;
    let Some(index) = reader.read_index()? else {
        return Ok(None);
    };
    load_for_frame_at_indexed(&mut reader, &index, entity, timeline, t)
}

/// As [`load_for_frame_at`], with the file's footer index read already (a
/// viewer reads it once, not for each group of pictures it previews).
pub fn load_for_frame_at_indexed<R: Read + Seek>(
    reader: &mut RecordingReader<R>,
    index: &RecordingIndex,
    entity: &EntityPath,
    timeline: Option<&str>,
    t: i64,
) -> QueryResult<Option<PartialLoad>> {
    let mine: Vec<_> = index
        .chunks
        .iter()
        .filter(|c| &c.entity_path == entity)
        .collect();
    if !mine
        .iter()
        .any(|c| c.components.iter().any(|n| n.starts_with("VideoStream:")))
    {
        return Ok(None);
    }
    // The rule of `default_timeline`, from the index instead of a store.
    let timelines: BTreeMap<&str, TimeType> = mine
        .iter()
        .flat_map(|c| c.time_ranges.iter().map(|r| (r.timeline.as_str(), r.typ)))
        .collect();
    let Some(name) = timeline
        .map(str::to_owned)
        .or_else(|| pick_default(timelines, |(_, typ)| *typ).map(|(n, _)| n.to_owned()))
    else {
        return Ok(None);
    };
    let Some(offsets) = index.chunks_for_frame_at(entity, &name, t) else {
        return Ok(None);
    };
    let chunks = offsets
        .iter()
        .map(|o| reader.read_chunk_at(*o))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(PartialLoad {
        store: Store::from_chunks(chunks),
        timeline: name,
        chunks_read: offsets.len(),
        chunks_total: index.chunks.len(),
    }))
}
