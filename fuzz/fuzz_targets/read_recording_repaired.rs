//! Like `read_recording`, but first repairs every CRC the input's frames
//! carry, so the fuzzer gets past the checksums into what they protect:
//! the Arrow IPC decoder, the chunk layout checks, the footer index parser
//! and the archetype readers. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_store::format::{FILE_HEADER_LEN, FRAME_HEADER_LEN, FRAME_SYNC, align};

#[path = "shared.rs"]
mod shared;

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

fuzz_target!(|data: &[u8]| {
    let mut data = data.to_vec();
    repair(&mut data);
    shared::exercise_recording(&data);
});
