//! Entity path parsing: never panics, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reel_types::EntityPath;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(path) = EntityPath::parse(s) {
        let again = EntityPath::parse(&path.to_string()).expect("display output parses");
        assert_eq!(again, path);
    }
});
