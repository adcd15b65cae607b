//! Writes the small recordings the `read_recording` fuzz target starts from.
//!
//! `cargo run -p reel-store --example write_fuzz_seeds -- fuzz/seeds/read_recording`

use std::path::PathBuf;

use reel_store::{Compression, RecordingWriter};
use reel_types::{
    Archetype, Chunk, EntityPath, Image, PendingRow, RowId, TimeCell, TimePoint, TimelineName,
    VideoCodec, VideoFrameReference, VideoStream,
};

fn rows(n: i64, make: impl Fn(i64) -> Vec<reel_types::ComponentCell>) -> Vec<PendingRow> {
    (0..n)
        .map(|i| {
            let mut tp = TimePoint::default();
            tp.insert(TimelineName::new("frame").unwrap(), TimeCell::sequence(i));
            tp.insert(
                TimelineName::new("time").unwrap(),
                TimeCell::duration_nanos(i * 40_000_000),
            );
            PendingRow {
                row_id: RowId::new(),
                timepoint: tp,
                cells: make(i),
            }
        })
        .collect()
}

fn recording(compression: Compression, finish: bool) -> Vec<u8> {
    let mut w = RecordingWriter::new(Vec::new(), "seed".into(), compression).unwrap();
    let video = EntityPath::parse("cam/video").unwrap();
    let codec = PendingRow {
        row_id: RowId::new(),
        timepoint: TimePoint::default(),
        cells: VideoStream::new(VideoCodec::H264).to_cells(),
    };
    w.append_chunk(&Chunk::from_rows(video.clone(), &[codec]).unwrap())
        .unwrap();
    let samples = rows(6, |i| {
        VideoStream::from_sample(vec![0, 0, 0, 1, 0x65, i as u8])
            .unwrap()
            .with_keyframe(i % 3 == 0)
            .with_timestamps_ns(i * 40, i * 40 - 40)
            .to_cells()
    });
    w.append_chunk(&Chunk::from_rows(video, &samples).unwrap())
        .unwrap();
    let images = rows(2, |i| {
        Image::from_rgb8(vec![i as u8; 4 * 3 * 3], [4, 3])
            .unwrap()
            .to_cells()
    });
    w.append_chunk(&Chunk::from_rows(EntityPath::parse("cam/image").unwrap(), &images).unwrap())
        .unwrap();
    let refs = rows(3, |i| VideoFrameReference::new(i * 40).to_cells());
    w.append_chunk(&Chunk::from_rows(EntityPath::parse("cam/refs").unwrap(), &refs).unwrap())
        .unwrap();
    if finish {
        w.finish().unwrap()
    } else {
        // Without the footer, as after a crash.
        let mut bytes = w.finish().unwrap();
        let cut = bytes.len() - 200;
        bytes.truncate(cut);
        bytes
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds/read_recording".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("clean_lz4.reel", recording(Compression::Lz4, true)),
        ("clean_off.reel", recording(Compression::Off, true)),
        ("clean_zstd.reel", recording(Compression::Zstd(1), true)),
        ("cut_short.reel", recording(Compression::Lz4, false)),
    ] {
        std::fs::write(dir.join(name), &bytes).unwrap();
        println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
    }
}
