//! Reading back: a recording's entities, the frames an entity shows
//! (decoded by reel, handed over as numpy arrays), and its rows as a
//! `pyarrow.Table` through the Arrow C data interface (no copy).

use std::path::PathBuf;
use std::sync::Mutex;

use arrow_array::{Array, StructArray};
use arrow_data::ffi::FFI_ArrowArray;
use arrow_schema::ffi::FFI_ArrowSchema;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use reel_decode::FrameSource;
use reel_query::frames::{At, Clock, store_frames};
use reel_sdk::{EntityPath, Store};
use reel_types::VideoFrameReference;

use crate::recording::time_kind_name;

/// Memory for a reader's loaded chunks; older ones are read again when needed.
const STORE_BUDGET: usize = 256 << 20;

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A recording opened for reading.
#[pyclass(module = "reel._reel")]
pub struct Reader {
    path: PathBuf,
    store: Mutex<Store>,
}

impl Reader {
    fn entity(&self, entity: &str) -> PyResult<EntityPath> {
        EntityPath::parse(entity).map_err(value_err)
    }

    fn err(&self, entity: &str, e: impl std::fmt::Display) -> PyErr {
        PyRuntimeError::new_err(format!("{}: {entity}: {e}", self.path.display()))
    }
}

/// An `HxWx3` uint8 array of a decoded frame.
fn rgb_array(py: Python<'_>, (w, h, rgb): (u32, u32, Vec<u8>)) -> PyResult<Bound<'_, PyAny>> {
    Ok(PyArray1::from_vec(py, rgb)
        .reshape([h as usize, w as usize, 3])?
        .into_any())
}

#[pymethods]
impl Reader {
    /// Opens `path` (a `.reel` recording), its chunks under a memory budget.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let store = py
            .detach(|| Store::load_with_budget(&path, Some(STORE_BUDGET)))
            .map_err(|e| value_err(format!("{}: {e}", path.display())))?
            .0;
        Ok(Self {
            path,
            store: Mutex::new(store),
        })
    }

    /// The entity paths, sorted.
    fn entities(&self) -> Vec<String> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut e: Vec<String> = store.entities().map(|e| e.to_string()).collect();
        e.sort();
        e
    }

    /// The timelines, sorted: (name, kind) with kind "sequence",
    /// "duration" or "timestamp".
    fn timelines(&self) -> Vec<(String, String)> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, String)> = store
            .timelines()
            .into_iter()
            .map(|t| (t.name.to_string(), time_kind_name(t.typ).to_owned()))
            .collect();
        out.sort();
        out
    }

    /// The frame `entity` shows at `seconds` on `timeline` (its default
    /// timeline if `None`), as an `HxWx3` uint8 array; `None` before the
    /// first frame.
    #[pyo3(signature = (entity, seconds, timeline=None))]
    fn frame_at<'py>(
        &self,
        py: Python<'py>,
        entity: &str,
        seconds: f64,
        timeline: Option<String>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let path = self.entity(entity)?;
        let at = At::Time {
            timeline,
            ns: (seconds * 1e9).round() as i64,
        };
        let file = self.path.display().to_string();
        let decoded = py.detach(|| -> Result<_, String> {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            let mut frames = store_frames(&store, &path, &at, &file).map_err(|e| e.to_string())?;
            drop(store);
            let frame = frames
                .frames
                .frame_at(frames.t)
                .map_err(|e| e.to_string())?;
            Ok(frame.map(|f| (f.width, f.height, f.to_rgb8())))
        });
        match decoded.map_err(|e| self.err(entity, e))? {
            Some(frame) => Ok(Some(rgb_array(py, frame)?)),
            None => Ok(None),
        }
    }

    /// The frames `entity` shows from `start` to `end` seconds on
    /// `timeline` (default: its own), one per logged row, decoded in order.
    #[pyo3(signature = (entity, start, end, timeline=None))]
    fn frames(
        &self,
        py: Python<'_>,
        entity: &str,
        start: f64,
        end: f64,
        timeline: Option<String>,
    ) -> PyResult<FrameIter> {
        let path = self.entity(entity)?;
        let (start, end) = ((start * 1e9).round() as i64, (end * 1e9).round() as i64);
        let file = self.path.display().to_string();
        let made = py.detach(|| -> Result<FrameIter, String> {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            let at = At::Time {
                timeline: timeline.clone(),
                ns: start,
            };
            let frames = store_frames(&store, &path, &at, &file).map_err(|e| e.to_string())?;
            // Each row in range: its time on the timeline, and the time to
            // look up in the frames (the same for a stream; the referenced
            // video time for frame references).
            let times: Vec<(i64, i64)> = match &frames.clock {
                Clock::Timeline { .. } => frames
                    .frames
                    .frame_times()
                    .into_iter()
                    .filter(|t| (start..=end).contains(t))
                    .map(|t| (t, t))
                    .collect(),
                Clock::Video => {
                    let name = match &timeline {
                        Some(n) => n.clone(),
                        None => store
                            .entity_info(&path)
                            .and_then(|i| reel_query::default_timeline(&i))
                            .map(|t| t.name.to_string())
                            .ok_or("no timeline")?,
                    };
                    store
                        .range(&path, &name, start, end)
                        .iter()
                        .filter_map(|row| {
                            let reference: VideoFrameReference = row.get().ok()??;
                            Some((row.time?.value, reference.timestamp_ns))
                        })
                        .collect()
                }
            };
            // Read in order: throughput (frame threads, and groups of
            // pictures on worker threads side by side) over one-frame latency.
            let mut source = frames.frames;
            if !source.is_open_ended() {
                source.set_low_latency(false);
            }
            Ok(FrameIter {
                source: Mutex::new(source),
                times: times.into_iter(),
            })
        });
        made.map_err(|e| self.err(entity, e))
    }

    /// The rows of `entity` as a `pyarrow.Table` (one record batch per
    /// chunk, handed over through the Arrow C data interface: no copy).
    fn rows<'py>(&self, py: Python<'py>, entity: &str) -> PyResult<Bound<'py, PyAny>> {
        let path = self.entity(entity)?;
        let batches: Vec<StructArray> = {
            let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
            if store.entity_info(&path).is_none() {
                return Err(value_err(format!(
                    "{}: no entity {entity}",
                    self.path.display()
                )));
            }
            let chunks: Vec<_> = store
                .chunks()
                .filter(|c| c.entity_path() == &path)
                .collect();
            chunks
                .iter()
                .map(|c| StructArray::from(c.record_batch().clone()))
                .collect()
        };
        let pyarrow = py.import("pyarrow").map_err(|_| {
            pyo3::exceptions::PyImportError::new_err(
                "rows() hands over a pyarrow.Table: pip install pyarrow",
            )
        })?;
        let record_batch = pyarrow.getattr("RecordBatch")?;
        let mut tables = Vec::new();
        for batch in batches {
            let data = batch.to_data();
            let schema =
                FFI_ArrowSchema::try_from(data.data_type()).map_err(|e| self.err(entity, e))?;
            let mut array = Box::new(FFI_ArrowArray::new(&data));
            let mut schema = Box::new(schema);
            // pyarrow moves the structures' contents out (their release
            // callbacks go with them); the boxes are freed here after.
            let imported = record_batch.call_method1(
                "_import_from_c",
                (
                    &mut *array as *mut FFI_ArrowArray as usize,
                    &mut *schema as *mut FFI_ArrowSchema as usize,
                ),
            )?;
            tables.push(
                pyarrow
                    .getattr("Table")?
                    .call_method1("from_batches", (vec![imported],))?,
            );
        }
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("promote_options", "default")?;
        pyarrow.call_method("concat_tables", (tables,), Some(&kwargs))
    }
}

/// Frames in order with their times (seconds on the timeline).
#[pyclass(module = "reel._reel")]
pub struct FrameIter {
    /// A decoder moves between threads, never shared: the lock says so.
    source: Mutex<FrameSource>,
    times: std::vec::IntoIter<(i64, i64)>,
}

#[pymethods]
impl FrameIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
    ) -> PyResult<Option<(f64, Bound<'py, PyAny>)>> {
        loop {
            let Some((time, t)) = slf.times.next() else {
                return Ok(None);
            };
            let source = &slf.source;
            let decoded = py
                .detach(|| source.lock().unwrap_or_else(|e| e.into_inner()).frame_at(t))
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            if let Some(f) = decoded {
                let frame = (f.width, f.height, f.to_rgb8());
                return Ok(Some((time as f64 / 1e9, rgb_array(py, frame)?)));
            }
        }
    }
}
