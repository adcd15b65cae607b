//! Any bytes given to the recording reader: scan, read the index, read
//! every indexed chunk, and query the rows. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    shared::exercise_recording(data);
});
