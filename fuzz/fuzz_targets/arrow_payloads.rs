//! Builds a well-formed recording (valid header, frames and CRCs, a trailer
//! pointing at its index frames) around fuzzed Arrow IPC payloads, so every
//! input reaches the Arrow decoder, the chunk layout checks and the index
//! parsers rather than stopping at a checksum. The first byte picks where
//! the payload goes: a chunk, the chunk index or the keyframe index; the
//! other frames hold the same bytes. Must never panic: third-party panics
//! are fenced by `reel_types::guard` and reported as skipped frames; any
//! other panic (reel's own code) aborts the run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_store::format::{FrameKind, encode_file_header, encode_frame_header, encode_trailer, padding};

#[path = "shared.rs"]
mod shared;

fn push_frame(file: &mut Vec<u8>, kind: FrameKind, payload: &[u8]) -> u64 {
    let at = file.len() as u64;
    file.extend_from_slice(&encode_frame_header(kind, payload));
    file.extend_from_slice(payload);
    file.resize(file.len() + padding(payload.len() as u64), 0);
    at
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let mut file = encode_file_header().to_vec();
    let kinds = [FrameKind::Chunk, FrameKind::ChunkIndex, FrameKind::KeyframeIndex];
    let first = kinds[usize::from(selector) % kinds.len()];
    push_frame(&mut file, first, payload);
    let chunk_index = push_frame(&mut file, FrameKind::ChunkIndex, payload);
    let keyframe_index = push_frame(&mut file, FrameKind::KeyframeIndex, payload);
    push_frame(&mut file, FrameKind::Trailer, &encode_trailer(chunk_index, keyframe_index));
    shared::exercise_recording(&file);
});
