//! A store following a recording that is still being written, under a
//! memory budget: refreshes pick up the chunks appended since, the oldest
//! chunks leave memory, and every row still reads back as written.

use reel_store::{Compression, RecordingWriter, Store};
use reel_types::{
    Archetype, Chunk, EntityPath, PendingRow, RowId, TimeCell, TimePoint, TimelineName, VideoStream,
};

/// A chunk of 8 rows at frames `first..first + 8`, each sample 64 KiB of
/// its frame number.
fn chunk(first: i64) -> Chunk {
    let rows: Vec<PendingRow> = (first..first + 8)
        .map(|f| {
            let mut tp = TimePoint::default();
            tp.insert(TimelineName::new("frame").unwrap(), TimeCell::sequence(f));
            PendingRow {
                row_id: RowId::new(),
                timepoint: tp,
                cells: VideoStream::from_sample(vec![f as u8; 64 << 10])
                    .unwrap()
                    .to_cells(),
            }
        })
        .collect();
    Chunk::from_rows(EntityPath::parse("cam").unwrap(), &rows).unwrap()
}

#[test]
fn a_store_follows_a_growing_recording_within_its_budget() {
    let dir = std::env::temp_dir().join(format!("reel-follow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("live.reel");
    let mut writer = RecordingWriter::create(&path, Compression::Off).unwrap();
    for c in 0..2 {
        writer.append_chunk(&chunk(c * 8)).unwrap();
    }
    let budget = 1 << 20; // two chunks of 8 x 64 KiB
    let (mut store, _) = Store::load_with_budget(&path, Some(budget)).unwrap();
    let entity = EntityPath::parse("cam").unwrap();
    for c in 2..10 {
        writer.append_chunk(&chunk(c * 8)).unwrap();
        let report = store.refresh().unwrap();
        assert_eq!(report.chunks, 1, "chunk {c}");
        assert!(store.memory().resident_bytes <= budget + (600 << 10));
    }
    // Nothing new: nothing read.
    assert_eq!(store.refresh().unwrap().chunks, 0);
    let memory = store.memory();
    assert!(memory.evicted_chunks >= 7, "{memory:?}");
    // Every frame reads back, the dropped ones read again from the file.
    for f in 0..80i64 {
        let row = store
            .latest_at(&entity, "frame", f, &VideoStream::SAMPLE)
            .unwrap_or_else(|| panic!("frame {f}"));
        assert_eq!(row.time.unwrap().value, f);
        let sample = row.get::<VideoStream>().unwrap().unwrap().sample.unwrap();
        assert!(sample.as_slice().iter().all(|b| *b == f as u8), "frame {f}");
    }
    assert!(store.memory().reloads > 0);
    drop(writer);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_read_in_parts_holds_what_a_whole_load_holds() {
    let dir = std::env::temp_dir().join(format!("reel-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("crashed.reel");
    let mut writer = RecordingWriter::create(&path, Compression::Off).unwrap();
    for c in 0..10 {
        writer.append_chunk(&chunk(c * 8)).unwrap();
    }
    // The writer "crashes": no footer, so a reader has to scan.
    std::mem::forget(writer);
    let (whole, whole_report) = Store::load(&path).unwrap();
    assert!(!whole_report.clean_close);
    let mut store = Store::attach(&path, None).unwrap();
    assert_eq!(store.chunk_count(), 0, "nothing is read by attaching");
    let mut parts = 0;
    loop {
        // About one chunk (8 x 64 KiB) per part.
        let report = store.refresh_part(400 << 10).unwrap();
        assert!(report.chunks <= 2, "{report:?}");
        parts += 1;
        if !report.more {
            break;
        }
    }
    assert!(parts >= 5, "{parts} parts");
    assert_eq!(store.chunk_count(), whole.chunk_count());
    let entity = EntityPath::parse("cam").unwrap();
    assert_eq!(store.times(&entity, "frame"), whole.times(&entity, "frame"));
    assert_eq!(store.times(&entity, "frame").len(), 80);
    let _ = std::fs::remove_dir_all(&dir);
}
