//! Store insertion and `latest_at` on a B-frame stream: rows arrive in
//! decode order, so their presentation times go back and forth.
//!
//! `cargo bench -p reel-store --bench store_queries` prints, for 10,000
//! rows inserted one chunk per row (a live stream) and 32 rows per chunk
//! (a recording), the insertion time, and `latest_at` at 10,000 random
//! times for a component on every row and for one on every 300th row.

use std::hint::black_box;
use std::time::Instant;

use reel_store::Store;
use reel_types::{
    Archetype, Chunk, EntityPath, PendingRow, RowId, TimeCell, TimePoint, TimelineName,
    VideoFrameReference, VideoStream,
};

const ROWS: usize = 10_000;
const FRAME_NS: i64 = 33_333_333;

/// Presentation index of the sample at decode index `i` in IBBP groups
/// (I0 P3 B1 B2 P6 B4 B5 …): each P before the two Bs shown before it.
fn presentation_index(i: usize) -> i64 {
    let i = i as i64;
    match i % 3 {
        0 if i == 0 => 0,
        0 => i - 2,
        1 => i + 2,
        _ => i - 1,
    }
}

fn rows() -> Vec<PendingRow> {
    (0..ROWS)
        .map(|i| {
            let mut tp = TimePoint::default();
            tp.insert(
                TimelineName::new("time").unwrap(),
                TimeCell::duration_nanos(presentation_index(i) * FRAME_NS),
            );
            let mut cells = VideoStream::from_sample(vec![i as u8; 16])
                .unwrap()
                .with_keyframe(i % 30 == 0)
                .to_cells();
            if i % 300 == 0 {
                cells.extend(VideoFrameReference::new(i as i64).to_cells());
            }
            PendingRow {
                row_id: RowId::new(),
                timepoint: tp,
                cells,
            }
        })
        .collect()
}

fn chunks(rows: &[PendingRow], per_chunk: usize) -> Vec<Chunk> {
    let entity = EntityPath::parse("camera").unwrap();
    rows.chunks(per_chunk)
        .map(|r| Chunk::from_rows(entity.clone(), r).unwrap())
        .collect()
}

/// Random times over the stream, reproducible (xorshift).
fn times(n: usize) -> Vec<i64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % (ROWS as u64 * FRAME_NS as u64)) as i64
        })
        .collect()
}

fn main() {
    let rows = rows();
    let entity = EntityPath::parse("camera").unwrap();
    let queries = times(10_000);
    println!("store: {ROWS} B-frame rows (IBBP, presentation times out of order)");
    println!(
        "{:<22} {:>12} {:>22} {:>22}",
        "chunks", "insert ms", "latest_at every row", "latest_at 1 in 300"
    );
    for per_chunk in [1, 32] {
        let chunks = chunks(&rows, per_chunk);
        let mut best = [f64::MAX; 3];
        for _ in 0..3 {
            let started = Instant::now();
            let store = Store::from_chunks(chunks.iter().cloned());
            best[0] = best[0].min(started.elapsed().as_secs_f64() * 1e3);
            for (slot, component) in [
                (1, &VideoStream::SAMPLE),
                (2, &VideoFrameReference::TIMESTAMP),
            ] {
                let started = Instant::now();
                let mut found = 0;
                for &t in &queries {
                    found += usize::from(
                        black_box(store.latest_at(&entity, "time", t, component)).is_some(),
                    );
                }
                assert!(found > queries.len() / 2);
                best[slot] =
                    best[slot].min(started.elapsed().as_secs_f64() * 1e9 / queries.len() as f64);
            }
        }
        println!(
            "{:<22} {:>12.1} {:>19.0} ns {:>19.0} ns",
            format!("{} rows per chunk", per_chunk),
            best[0],
            best[1],
            best[2]
        );
    }
}
