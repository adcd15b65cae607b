//! Like `read_recording`, but first repairs every CRC the input's frames
//! carry, so the fuzzer gets past the checksums into what they protect:
//! the Arrow IPC decoder, the chunk layout checks, the footer index parser
//! and the archetype readers. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_store::format::{FILE_HEADER_LEN, FRAME_HEADER_LEN, FRAME_SYNC, align};
use reel_store::{RecordingReader, Store};
use reel_types::{Archetype, AssetVideo, EncodedImage, Image, VideoFrameReference, VideoStream};

fn repair(data: &mut [u8]) {
    if data.len() < FILE_HEADER_LEN {
        return;
    }
    let crc = crc32fast::hash(&data[..12]);
    data[12..16].copy_from_slice(&crc.to_le_bytes());
    let mut pos = FILE_HEADER_LEN;
    while pos.saturating_add(FRAME_HEADER_LEN) <= data.len() {
        data[pos..pos + 4].copy_from_slice(&FRAME_SYNC);
        let len = u64::from_le_bytes(data[pos + 8..pos + 16].try_into().unwrap());
        let start = pos + FRAME_HEADER_LEN;
        let end = start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX)).min(data.len());
        let pcrc = crc32fast::hash(&data[start..end]);
        data[pos + 16..pos + 20].copy_from_slice(&pcrc.to_le_bytes());
        let hcrc = crc32fast::hash(&data[pos..pos + 20]);
        data[pos + 20..pos + 24].copy_from_slice(&hcrc.to_le_bytes());
        pos = align((start as u64).saturating_add(len)) as usize;
    }
}

/// libFuzzer's hook aborts on every panic, even one the code under test
/// catches on purpose (reel wraps third-party parsers in `catch_unwind` and
/// turns their panics into errors). A quiet hook keeps that behaviour
/// observable: a panic that escapes reel's API still aborts the run,
/// because `fuzz_target!` treats an unwinding target as a crash.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fuzz_target!(|data: &[u8]| {
    quiet_panics();
    let mut data = data.to_vec();
    repair(&mut data);
    let Ok(mut reader) = RecordingReader::from_bytes(&data, "fuzz") else {
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
    }
    let entities: Vec<_> = store.entities().cloned().collect();
    for e in entities {
        let _ = store.entity_info(&e);
        let _ = store.range(&e, "frame", i64::MIN, i64::MAX);
        let _ = store.latest_at(&e, "frame", 0, &VideoStream::SAMPLE);
    }
});
