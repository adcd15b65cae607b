//! Logging: a recording written to a file, fed by the Python archetypes.

use std::path::PathBuf;

use std::ptr::NonNull;
use std::sync::Arc;

use arrow_buffer::Buffer;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use reel_sdk::{
    AssetVideo, AssetVideoExt, EncodedImage, EntityPath, Image, RecordingStream,
    RecordingStreamBuilder, TimeCell, VideoCodec, VideoFrameReference, VideoStream,
};
use reel_types::Blob;
use reel_types::{Archetype, ImageFormat, PixelLayout, TimeColumn, TimeType};

/// Keeps a Python `bytes` object alive for as long as reel's buffer over
/// its contents (a chunk waiting in the batcher, say). `bytes` never
/// change, so sharing them is safe; dropping the last reference without
/// the GIL is deferred by PyO3 to the next time it is held.
struct PyBytesOwner(#[allow(dead_code)] Py<PyBytes>);

// The owner is never read, only dropped (which PyO3 defers to a thread
// holding the GIL): no state of it can be seen half-changed after a panic.
impl std::panic::RefUnwindSafe for PyBytesOwner {}

/// reel's `Blob` over the contents of `bytes`, without copying them.
fn blob_of(bytes: &Bound<'_, PyBytes>) -> Blob {
    let data = bytes.as_bytes();
    let Some(ptr) = NonNull::new(data.as_ptr().cast_mut()) else {
        return Blob::from(Vec::new());
    };
    let owner = Arc::new(PyBytesOwner(bytes.clone().unbind()));
    // SAFETY: `ptr` points at `data.len()` bytes of an immutable `bytes`
    // object that `owner` keeps alive as long as the buffer exists.
    let buffer = unsafe { Buffer::from_custom_allocation(ptr, data.len(), owner) };
    Blob::from_buffer(buffer)
}

/// The `Image` of `width` x `height` in `layout` (reel's storage name:
/// "RGB_U8", "NV12", …) over `data`, its size checked; errors name `entity`.
fn image_of(
    entity: &str,
    data: &Bound<'_, PyBytes>,
    width: u32,
    height: u32,
    layout: &str,
) -> PyResult<Image> {
    let layout = PixelLayout::from_storage_name(layout).map_err(value_err)?;
    let format = ImageFormat {
        width,
        height,
        layout,
    };
    Image::try_new(blob_of(data), format).map_err(|e| value_err(format!("{entity}: {e}")))
}

/// The names Python gives the time types.
const TIME_KINDS: [(&str, TimeType); 3] = [
    ("sequence", TimeType::Sequence),
    ("duration", TimeType::DurationNs),
    ("timestamp", TimeType::TimestampNs),
];

/// The time type Python names "sequence", "duration" or "timestamp".
fn time_type(kind: &str) -> PyResult<TimeType> {
    TIME_KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, typ)| *typ)
        .ok_or_else(|| value_err(format!("unknown time kind {kind:?}")))
}

/// The name Python gives `typ` (see [`time_type`]).
pub(crate) fn time_kind_name(typ: TimeType) -> &'static str {
    TIME_KINDS
        .iter()
        .find(|(_, t)| *t == typ)
        .map_or("sequence", |(name, _)| name)
}

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn runtime_err(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// A recording being written to `path` (temp + rename is the SDK's).
#[pyclass(module = "reel._reel")]
pub struct Recording {
    stream: Option<RecordingStream>,
    path: PathBuf,
    /// Image formats logged on their own, per entity (`set_image_format`).
    formats: std::sync::Mutex<std::collections::HashMap<String, ImageFormat>>,
}

impl Recording {
    fn stream(&self) -> PyResult<&RecordingStream> {
        self.stream.as_ref().ok_or_else(|| {
            runtime_err(format!(
                "{}: the recording is closed; open a new one to log more",
                self.path.display()
            ))
        })
    }

    /// Rows at once: `n` values in each index and component column.
    fn send(
        &self,
        py: Python<'_>,
        entity: &str,
        indexes: Vec<(String, String, Vec<i64>)>,
        n: usize,
        components: Vec<reel_types::ComponentColumn>,
    ) -> PyResult<()> {
        let stream = self.stream()?;
        EntityPath::parse(entity).map_err(value_err)?;
        let mut columns = Vec::new();
        for (name, kind, values) in indexes {
            if values.len() != n {
                return Err(value_err(format!(
                    "{entity}: index {name} has {} values, the columns {n}",
                    values.len()
                )));
            }
            columns.push(TimeColumn::new(name, time_type(&kind)?, values).map_err(value_err)?);
        }
        py.detach(|| stream.send_columns(entity, columns, components))
            .map_err(|e| runtime_err(format!("{entity}: {e}")))
    }

    /// Logs `archetype` at `entity` with the GIL released.
    fn log_any<A: Archetype + Send + Sync>(
        &self,
        py: Python<'_>,
        entity: &str,
        archetype: A,
        is_static: bool,
    ) -> PyResult<()> {
        let stream = self.stream()?;
        // A bad path is the caller's mistake: ValueError, before logging.
        EntityPath::parse(entity).map_err(value_err)?;
        py.detach(|| {
            if is_static {
                stream.log_static(entity, &archetype)
            } else {
                stream.log(entity, &archetype)
            }
        })
        .map_err(|e| runtime_err(format!("{entity}: {e}")))
    }
}

#[pymethods]
impl Recording {
    /// A recording of `application_id` written to `path`.
    #[new]
    fn new(py: Python<'_>, application_id: &str, path: PathBuf) -> PyResult<Self> {
        let stream = py
            .detach(|| RecordingStreamBuilder::new(application_id).save(&path))
            .map_err(|e| runtime_err(format!("{}: {e}", path.display())))?;
        Ok(Self {
            stream: Some(stream),
            path,
            formats: Default::default(),
        })
    }

    /// The file it writes.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Sets this thread's time: `kind` is "sequence", "duration" or
    /// "timestamp" (the last two in nanoseconds).
    fn set_time(&self, timeline: &str, kind: &str, value: i64) -> PyResult<()> {
        let cell = TimeCell {
            typ: time_type(kind)?,
            value,
        };
        self.stream()?.set_time(timeline, cell);
        Ok(())
    }

    /// Stops using `timeline` for rows logged after this call.
    fn disable_timeline(&self, timeline: &str) -> PyResult<()> {
        self.stream()?.disable_timeline(timeline);
        Ok(())
    }

    /// Clears this thread's time.
    fn reset_time(&self) -> PyResult<()> {
        self.stream()?.reset_time();
        Ok(())
    }

    /// An `Image` of `width` x `height` in `layout` ("RGB_U8", "L_U16",
    /// "NV12", …; reel's storage names), from a bytes-like buffer.
    #[pyo3(signature = (entity, data, width, height, layout, is_static=false))]
    #[allow(clippy::too_many_arguments)] // the Python signature's keywords
    fn log_image(
        &self,
        py: Python<'_>,
        entity: &str,
        data: &Bound<'_, PyBytes>,
        width: u32,
        height: u32,
        layout: &str,
        is_static: bool,
    ) -> PyResult<()> {
        let image = image_of(entity, data, width, height, layout)?;
        self.log_any(py, entity, image, is_static)
    }

    /// A JPEG `EncodedImage` of raw pixels, compressed on reel's pool of
    /// worker threads (the row keeps its place and its time); the call
    /// returns once the job is queued. Static rows are compressed here.
    #[pyo3(signature = (entity, data, width, height, layout, quality, is_static=false))]
    #[allow(clippy::too_many_arguments)] // the Python signature's keywords
    fn log_compressed(
        &self,
        py: Python<'_>,
        entity: &str,
        data: &Bound<'_, PyBytes>,
        width: u32,
        height: u32,
        layout: &str,
        quality: u8,
        is_static: bool,
    ) -> PyResult<()> {
        let image = image_of(entity, data, width, height, layout)?;
        if is_static {
            let jpeg = py
                .detach(|| reel_sdk::compress_jpeg(&image, quality))
                .map_err(|e| value_err(format!("{entity}: {e}")))?;
            return self.log_any(py, entity, jpeg, true);
        }
        let stream = self.stream()?;
        EntityPath::parse(entity).map_err(value_err)?;
        py.detach(|| stream.log_compressed(entity, &image, quality))
            .map_err(|e| value_err(format!("{entity}: {e}")))
    }

    /// An `EncodedImage` (JPEG, PNG): its bytes and, if known, media type.
    #[pyo3(signature = (entity, contents, media_type=None, is_static=false))]
    fn log_encoded_image(
        &self,
        py: Python<'_>,
        entity: &str,
        contents: &Bound<'_, PyBytes>,
        media_type: Option<&str>,
        is_static: bool,
    ) -> PyResult<()> {
        let image = match media_type {
            Some(m) => EncodedImage::from_bytes_with_media_type(blob_of(contents), m),
            None => EncodedImage::from_bytes(blob_of(contents)),
        }
        .map_err(|e| value_err(format!("{entity}: {e}")))?;
        self.log_any(py, entity, image, is_static)
    }

    /// An `AssetVideo`: a whole video file's bytes.
    #[pyo3(signature = (entity, contents, media_type=None, is_static=true))]
    fn log_asset_video(
        &self,
        py: Python<'_>,
        entity: &str,
        contents: &[u8],
        media_type: Option<&str>,
        is_static: bool,
    ) -> PyResult<()> {
        let asset = asset(contents, media_type).map_err(|e| value_err(format!("{entity}: {e}")))?;
        self.log_any(py, entity, asset, is_static)
    }

    /// A `VideoFrameReference` at `timestamp_ns` of video time, into the
    /// video at `video_reference` (default: the entity's own).
    #[pyo3(signature = (entity, timestamp_ns, video_reference=None, is_static=false))]
    fn log_frame_reference(
        &self,
        py: Python<'_>,
        entity: &str,
        timestamp_ns: i64,
        video_reference: Option<&str>,
        is_static: bool,
    ) -> PyResult<()> {
        let mut reference = VideoFrameReference::new(timestamp_ns);
        if let Some(v) = video_reference {
            reference = reference.with_video_reference(EntityPath::parse(v).map_err(value_err)?);
        }
        self.log_any(py, entity, reference, is_static)
    }

    /// A `VideoStream` row: its codec (usually static), a sample, or both.
    #[pyo3(signature = (entity, codec=None, sample=None, is_keyframe=None, pts_ns=None, dts_ns=None, is_static=false))]
    #[allow(clippy::too_many_arguments)] // the Python signature's keywords
    fn log_video_stream(
        &self,
        py: Python<'_>,
        entity: &str,
        codec: Option<&str>,
        sample: Option<Bound<'_, PyBytes>>,
        is_keyframe: Option<bool>,
        pts_ns: Option<i64>,
        dts_ns: Option<i64>,
        is_static: bool,
    ) -> PyResult<()> {
        let codec = codec
            .map(VideoCodec::from_name)
            .transpose()
            .map_err(value_err)?;
        let has_sample = sample.is_some();
        let mut row = match (sample, codec) {
            (Some(s), _) => VideoStream::from_sample(blob_of(&s))
                .map_err(|e| value_err(format!("{entity}: {e}")))?,
            (None, Some(c)) => VideoStream::new(c),
            (None, None) => {
                return Err(value_err(format!(
                    "{entity}: a VideoStream needs a codec or a sample"
                )));
            }
        };
        if let (Some(c), true) = (codec, has_sample) {
            row = row.with_codec(c);
        }
        if let Some(k) = is_keyframe {
            row = row.with_keyframe(k);
        }
        match (pts_ns, dts_ns) {
            (Some(p), d) => row = row.with_timestamps_ns(p, d.unwrap_or(p)),
            (None, Some(_)) => {
                return Err(value_err(format!("{entity}: a DTS needs a PTS")));
            }
            (None, None) => {}
        }
        self.log_any(py, entity, row, is_static)
    }

    /// `VideoFrameReference` rows, one per value of `timestamps_ns`, at the
    /// times of `indexes` ((timeline, kind, values) as in `set_time`):
    /// `rr.send_columns` with `VideoFrameReference.columns_nanos`.
    fn send_frame_references(
        &self,
        py: Python<'_>,
        entity: &str,
        indexes: Vec<(String, String, Vec<i64>)>,
        timestamps_ns: Vec<i64>,
    ) -> PyResult<()> {
        let columns = VideoFrameReference::columns_from_nanos(&timestamps_ns);
        self.send(py, entity, indexes, timestamps_ns.len(), columns)
    }

    /// Remembers the format of `entity`'s images for `send_images` without
    /// one (Rerun logs it once, statically, with `Image.from_fields`).
    fn set_image_format(
        &self,
        entity: &str,
        width: u32,
        height: u32,
        layout: &str,
    ) -> PyResult<()> {
        let layout = PixelLayout::from_storage_name(layout).map_err(value_err)?;
        self.formats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                entity.to_owned(),
                ImageFormat {
                    width,
                    height,
                    layout,
                },
            );
        Ok(())
    }

    /// `Image` rows, one per buffer, at the times of `indexes`, in
    /// `format` (width, height, layout) or the one remembered for `entity`.
    #[pyo3(signature = (entity, indexes, buffers, format=None))]
    fn send_images(
        &self,
        py: Python<'_>,
        entity: &str,
        indexes: Vec<(String, String, Vec<i64>)>,
        buffers: Vec<Bound<'_, PyBytes>>,
        format: Option<(u32, u32, String)>,
    ) -> PyResult<()> {
        let format = match format {
            Some((width, height, layout)) => ImageFormat {
                width,
                height,
                layout: PixelLayout::from_storage_name(&layout).map_err(value_err)?,
            },
            None => *self
                .formats
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(entity)
                .ok_or_else(|| {
                    value_err(format!(
                        "{entity}: Image.columns needs format=, or a format logged first \
                         with rr.Image.from_fields(format=...)"
                    ))
                })?,
        };
        let blobs: Vec<Blob> = buffers.iter().map(blob_of).collect();
        let columns =
            Image::columns_from(&blobs, format).map_err(|e| value_err(format!("{entity}: {e}")))?;
        self.send(py, entity, indexes, blobs.len(), columns)
    }

    /// `VideoStream` rows, one per sample, at the times of `indexes`:
    /// `rr.send_columns` with `VideoStream.columns(sample=...)`.
    fn send_video_samples(
        &self,
        py: Python<'_>,
        entity: &str,
        indexes: Vec<(String, String, Vec<i64>)>,
        samples: Vec<Bound<'_, PyBytes>>,
    ) -> PyResult<()> {
        let blobs: Vec<Blob> = samples.iter().map(blob_of).collect();
        let columns = VideoStream::columns_from_samples(&blobs);
        self.send(py, entity, indexes, blobs.len(), columns)
    }

    /// Writes what is buffered to the file.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let stream = self.stream()?;
        py.detach(|| stream.flush()).map_err(runtime_err)
    }

    /// Flushes and closes the file (with its index); logging after raises.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(stream) = self.stream.take() {
            py.detach(|| {
                let flushed = stream.flush();
                drop(stream);
                flushed
            })
            .map_err(runtime_err)?;
        }
        Ok(())
    }
}

fn asset(contents: &[u8], media_type: Option<&str>) -> Result<AssetVideo, reel_types::DataError> {
    match media_type {
        Some(m) => AssetVideo::from_bytes_with_media_type(contents.to_vec(), m),
        None => AssetVideo::from_bytes(contents.to_vec()),
    }
}

/// The presentation times of a video file's frames, in nanoseconds, sorted
/// (`AssetVideo.read_frame_timestamps_nanos`).
#[pyfunction]
#[pyo3(signature = (contents, media_type=None))]
pub fn frame_timestamps_nanos(
    py: Python<'_>,
    contents: &[u8],
    media_type: Option<&str>,
) -> PyResult<Vec<i64>> {
    let asset = asset(contents, media_type).map_err(value_err)?;
    py.detach(|| asset.read_frame_timestamps_nanos())
        .map_err(value_err)
}

/// JPEG bytes of an image (`Image.compress`): reel's encoder at `quality`.
#[pyfunction]
pub fn compress_jpeg<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    width: u32,
    height: u32,
    layout: &str,
    quality: u8,
) -> PyResult<Bound<'py, PyBytes>> {
    let image = image_of("Image.compress", data, width, height, layout)?;
    let jpeg = py
        .detach(|| reel_sdk::compress_jpeg(&image, quality))
        .map_err(value_err)?;
    Ok(PyBytes::new(py, jpeg.blob().as_slice()))
}

/// Encodes numpy frames to H.264 or AV1 and logs each sample as a
/// `VideoStream` row at the thread's time when its frame was given.
/// Unsendable: the encoder stays on the Python thread that made it.
#[pyclass(module = "reel._reel", unsendable)]
pub struct VideoEncoder {
    encoder: Option<reel_sdk::VideoStreamEncoder>,
    entity: String,
    /// Samples logged by an encoder that finished.
    finished_with: u64,
}

#[pymethods]
impl VideoEncoder {
    /// An encoder logging to `entity` of `recording`.
    #[new]
    #[pyo3(signature = (recording, entity, codec, quality=75, keyframe_interval=60, fps=30.0, bitrate=None))]
    fn new(
        recording: &Recording,
        entity: &str,
        codec: &str,
        quality: u8,
        keyframe_interval: u32,
        fps: f32,
        bitrate: Option<u32>,
    ) -> PyResult<Self> {
        let codec = VideoCodec::from_name(codec).map_err(value_err)?;
        let mut settings = reel_sdk::EncoderSettings::new(codec);
        settings.quality = quality;
        settings.keyframe_interval = keyframe_interval;
        settings.fps = fps;
        settings.bitrate = bitrate;
        let encoder = reel_sdk::VideoStreamEncoder::new(recording.stream()?, entity, settings)
            .map_err(|e| value_err(format!("{entity}: {e}")))?;
        Ok(Self {
            encoder: Some(encoder),
            entity: entity.to_owned(),
            finished_with: 0,
        })
    }

    /// Encodes one frame (`layout`: RGB_U8, RGBA_U8, BGR_U8, BGRA_U8,
    /// L_U8, NV12 or I420) at the thread's current time.
    fn encode(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyBytes>,
        width: u32,
        height: u32,
        layout: &str,
    ) -> PyResult<()> {
        let entity = self.entity.clone();
        let encoder = self
            .encoder
            .as_mut()
            .ok_or_else(|| runtime_err(format!("{entity}: the encoder is finished")))?;
        let image = image_of(&entity, data, width, height, layout)?;
        py.detach(|| encoder.encode(&image))
            .map_err(|e| value_err(format!("{entity}: {e}")))
    }

    /// Samples logged so far.
    #[getter]
    fn samples_logged(&self) -> u64 {
        self.encoder
            .as_ref()
            .map_or(self.finished_with, |e| e.samples_logged())
    }

    /// Logs the frames the encoder still holds; encoding after raises.
    fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(encoder) = self.encoder.take() {
            let entity = self.entity.clone();
            self.finished_with = py
                .detach(|| encoder.finish())
                .map_err(|e| runtime_err(format!("{entity}: {e}")))?;
        }
        Ok(())
    }
}
