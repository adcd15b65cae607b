//! A fence around third-party parsers fed with outside bytes.
//!
//! reel's own parsers return errors on bad input. Some field crates it
//! builds on (arrow-ipc, the MP4 box and EBML parsers) assert on malformed
//! data instead. reel checks what it can before calling them; what still
//! trips an assertion must become an error about the *file* — a damaged
//! chunk skipped and reported, a video file refused — not a crash, and not a
//! "thread 'main' panicked" message with a backtrace in front of a user.
//!
//! [`third_party`] runs such a call under `catch_unwind` and, while it runs,
//! routes this thread's panic report into the returned error instead of
//! stderr. Every other panic still reaches the previous hook (the default
//! one, or libFuzzer's, which turns it into a crash): only calls wrapped here
//! are fenced, so a fuzz target still fails on a panic in reel's own code.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};
use std::sync::Once;

thread_local! {
    /// How many [`third_party`] calls this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The report of the last fenced panic on this thread.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `call` (a third-party parser on outside bytes); a panic inside it
/// becomes `Err` with a one-line reason naming the crate and its message.
pub fn third_party<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(call));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|_| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| "a third-party parser failed on malformed data".into())
    })
}

/// Whether this thread is inside [`third_party`] now: a panic hook installed
/// after reel's (a test's, say) calls the previous hook when this holds, so
/// the fence keeps working.
pub fn fenced() -> bool {
    DEPTH.with(Cell::get) > 0
}

/// Installs the hook that sends fenced panics to [`third_party`]'s error.
/// Done on first use, wrapping whatever hook is there then.
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if fenced() {
                CAUGHT.with(|c| *c.borrow_mut() = Some(one_line(info)));
            } else {
                previous(info);
            }
        }));
    });
}

/// "arrow-buffer: buffer not large enough (…)": the crate (from the panic's
/// source path, version dropped) and the first line of its message.
fn one_line(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into());
    let message = message.lines().next().unwrap_or_default().to_string();
    let krate = info.location().and_then(|l| crate_of(l.file()));
    match krate {
        Some(k) => format!("{k}: {message}"),
        None => message,
    }
}

/// The crate name in a registry path like `…/arrow-ipc-59.3.2/src/reader.rs`.
fn crate_of(file: &str) -> Option<String> {
    let dir = file
        .split(['/', '\\'])
        .rev()
        .skip_while(|p| *p != "src")
        .nth(1)?;
    let (name, version) = dir.rsplit_once('-')?;
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fenced_panic_becomes_an_error_and_a_value_passes_through() {
        assert_eq!(third_party(|| 7), Ok(7));
        let err = third_party(|| -> u8 { panic!("bad {} bytes\nmore", 3) }).unwrap_err();
        assert_eq!(err, "bad 3 bytes");
        // The hook stays usable for the next call.
        assert!(third_party(|| panic!("again")).is_err());
    }

    #[test]
    fn crate_names_come_from_registry_paths() {
        assert_eq!(
            crate_of("/r/index.crates.io-1949/arrow-ipc-59.3.2/src/reader.rs").as_deref(),
            Some("arrow-ipc")
        );
        assert_eq!(crate_of("crates/reel-types/src/guard.rs"), None);
    }
}
