//! Pieces the fuzz targets share.
#![allow(dead_code)]

use reel_store::{RecordingReader, Store};
use reel_types::{Archetype, AssetVideo, EncodedImage, Image, VideoFrameReference, VideoStream};

/// Reads `data` as a recording the way tools do: scan, index, indexed
/// chunks, every archetype of every row, and the store's queries.
pub fn exercise_recording(data: &[u8]) {
    let Ok(mut reader) = RecordingReader::from_bytes(data, "fuzz") else {
        return;
    };
    let mut store = Store::new();
    let _ = reader.scan(|_, chunk| store.insert(chunk));
    if let Ok(Some(index)) = reader.read_index() {
        for entry in index.chunks.iter().take(64) {
            let _ = reader.read_chunk_at(entry.offset);
        }
    }
    for chunk in store.chunks() {
        for row in 0..chunk.num_rows() {
            let Some(view) = chunk.row(row) else { continue };
            let _ = Image::from_row(&view);
            let _ = EncodedImage::from_row(&view);
            let _ = AssetVideo::from_row(&view);
            let _ = VideoFrameReference::from_row(&view);
            let _ = VideoStream::from_row(&view);
        }
        for tl in chunk.timelines() {
            let _ = chunk.time_range(tl.name.as_str());
            for row in 0..chunk.num_rows().min(64) {
                let _ = chunk.time_at(tl.name.as_str(), row);
            }
        }
    }
    let entities: Vec<_> = store.entities().cloned().collect();
    for e in entities {
        let _ = store.entity_info(&e);
        let _ = store.range(&e, "frame", i64::MIN, i64::MAX);
        let _ = store.latest_at(&e, "frame", 0, &VideoStream::SAMPLE);
        let _ = store.rows_in_log_order(&e);
        for r in store.row_refs_in_log_order(&e).into_iter().take(64) {
            let _ = store.row(r);
        }
    }
}
