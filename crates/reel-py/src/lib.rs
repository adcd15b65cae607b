//! reel's Python extension, `reel._reel`: the Rust side of `import reel`.
//!
//! Design decisions:
//! - **Thin**: the Rerun-shaped API (archetype classes, `rr.init`,
//!   `rr.log`, keyword handling, numpy dtype and shape checks) is Python in
//!   `python/reel/`; this module only moves bytes into reel's SDK and frames
//!   out of its decoders, so the Python side stays readable and its errors
//!   are Python exceptions raised before any Rust runs.
//! - **The GIL is released** while reel logs, encodes or decodes: the
//!   caller's other threads (a camera loop, a data loader) keep running.
//! - **Errors are exceptions, never aborts**: every SDK, decode and I/O
//!   error becomes `ValueError` (bad input) or `RuntimeError` (the rest),
//!   with reel's message naming the file and entity.

mod reading;
mod recording;

use pyo3::prelude::*;

/// The `reel._reel` module.
#[pymodule]
fn _reel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<recording::Recording>()?;
    m.add_class::<reading::Reader>()?;
    m.add_class::<reading::FrameIter>()?;
    m.add_class::<recording::VideoEncoder>()?;
    m.add_function(wrap_pyfunction!(recording::frame_timestamps_nanos, m)?)?;
    m.add_function(wrap_pyfunction!(recording::compress_jpeg, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
