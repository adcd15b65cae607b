//! Reading back: a recording's entities, and the frame an entity shows at
//! a time, decoded by reel and handed over as a numpy array.

use std::path::PathBuf;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use reel_query::frames::{At, recording_frames};
use reel_sdk::{EntityPath, Store};

/// A recording opened for reading.
#[pyclass(module = "reel._reel")]
pub struct Reader {
    path: PathBuf,
    entities: Vec<String>,
}

#[pymethods]
impl Reader {
    /// Opens `path` (a `.reel` recording) and lists its entities.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let entities = py
            .detach(|| {
                Store::load(&path)
                    .map(|(store, _)| store.entities().map(|e| e.to_string()).collect::<Vec<_>>())
            })
            .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))?;
        Ok(Self { path, entities })
    }

    /// The entity paths, sorted.
    fn entities(&self) -> Vec<String> {
        let mut e = self.entities.clone();
        e.sort();
        e
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
        let path = EntityPath::parse(entity).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let at = At::Time {
            timeline,
            ns: (seconds * 1e9).round() as i64,
        };
        let file = self.path.clone();
        let decoded = py.detach(|| -> Result<_, String> {
            let mut frames = recording_frames(&file, &path, &at).map_err(|e| e.to_string())?;
            let t = frames.t;
            let frame = frames.frames.frame_at(t).map_err(|e| e.to_string())?;
            Ok(frame.map(|f| (f.width, f.height, f.to_rgb8())))
        });
        let decoded = decoded.map_err(|e| {
            PyRuntimeError::new_err(format!("{}: {entity}: {e}", self.path.display()))
        })?;
        let Some((w, h, rgb)) = decoded else {
            return Ok(None);
        };
        let array = PyArray1::from_vec(py, rgb).reshape([h as usize, w as usize, 3])?;
        Ok(Some(array.into_any()))
    }
}
