//! `RecordingStream`: the handle programs log through.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use reel_store::{Compression, RecordingWriter};
use reel_types::{
    Archetype, Chunk, ComponentColumn, DataError, EntityPath, PendingRow, RowId, TimeCell,
    TimeColumn, TimePoint, TimelineName,
};

use crate::batcher::{self, BatcherConfig, Command, SharedError};
use crate::sink::{FileSink, MemorySink, MemorySinkStorage, Sink};
use crate::{SdkError, SdkResult};

/// Configures and opens a [`RecordingStream`].
#[derive(Clone, Debug)]
pub struct RecordingStreamBuilder {
    application_id: String,
    batcher: BatcherConfig,
    compression: Compression,
}

impl RecordingStreamBuilder {
    /// A builder for the application `application_id` (shown by tools).
    pub fn new(application_id: impl Into<String>) -> Self {
        Self {
            application_id: application_id.into(),
            batcher: BatcherConfig::default(),
            compression: Compression::default(),
        }
    }

    /// How rows are grouped into chunks.
    pub fn batcher_config(mut self, config: BatcherConfig) -> Self {
        self.batcher = config;
        self
    }

    /// Compression of chunk bodies in the file (default LZ4).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Logs to a new recording file at `path` (replacing an existing one).
    pub fn save(self, path: impl AsRef<Path>) -> SdkResult<RecordingStream> {
        let writer = RecordingWriter::create(path, self.compression)?;
        Ok(self.start(Box::new(FileSink::new(writer)?)))
    }

    /// Logs to memory; the storage gives the chunks back.
    pub fn memory(self) -> SdkResult<(RecordingStream, MemorySinkStorage)> {
        let storage = MemorySinkStorage::default();
        let stream = self.start(Box::new(MemorySink(storage.clone())));
        Ok((stream, storage))
    }

    fn start(self, sink: Box<dyn Sink>) -> RecordingStream {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let (tx, rx) = mpsc::sync_channel(self.batcher.queue_rows.max(1));
        let error: SharedError = Arc::new(Mutex::new(None));
        let config = self.batcher.clone();
        let thread_error = error.clone();
        let worker = std::thread::Builder::new()
            .name("reel-batcher".into())
            .spawn(move || batcher::run(rx, sink, config, thread_error))
            .ok();
        RecordingStream {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                application_id: self.application_id,
                tx: Mutex::new(Some(tx)),
                worker: Mutex::new(worker),
                error,
                #[cfg(feature = "encoders")]
                compress_pool: std::sync::OnceLock::new(),
            }),
        }
    }
}

struct Inner {
    id: u64,
    application_id: String,
    tx: Mutex<Option<SyncSender<Command>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    error: SharedError,
    #[cfg(feature = "encoders")]
    compress_pool: std::sync::OnceLock<Mutex<crate::compress_pool::CompressPool>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Images still being compressed go to the batcher before it closes.
        #[cfg(feature = "encoders")]
        if let Some(pool) = self.compress_pool.get() {
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .shutdown();
        }
        // Closing the channel makes the batcher flush, finish the file and exit.
        self.tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(worker) = self
            .worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = worker.join();
        }
    }
}

/// The time of the next rows, per thread and per stream, as in Rerun: each
/// thread sets its own times, so threads logging concurrently don't race.
#[derive(Default)]
struct ThreadTime {
    timepoint: TimePoint,
    error: Option<DataError>,
}

thread_local! {
    static TIMES: RefCell<HashMap<u64, ThreadTime>> = RefCell::new(HashMap::new());
}

/// Logs data to a recording. Cheap to clone; `Send + Sync`; all clones
/// share one background batcher. Dropping the last clone flushes and closes
/// the recording (writing its index).
///
/// ```
/// # fn main() -> Result<(), reel_sdk::SdkError> {
/// use reel_sdk::{Image, RecordingStreamBuilder};
/// let (rec, storage) = RecordingStreamBuilder::new("example").memory()?;
/// rec.set_time_sequence("frame", 0);
/// rec.log("camera/front", &Image::from_rgb8(vec![0u8; 4 * 3 * 3], [4, 3])?)?;
/// rec.flush()?;
/// assert_eq!(storage.chunks().len(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RecordingStream {
    inner: Arc<Inner>,
}

impl RecordingStream {
    /// The application id given to the builder.
    pub fn application_id(&self) -> &str {
        &self.inner.application_id
    }

    fn with_time<T>(&self, f: impl FnOnce(&mut ThreadTime) -> T) -> T {
        TIMES.with(|t| f(t.borrow_mut().entry(self.inner.id).or_default()))
    }

    /// Sets this thread's time on `timeline` (duration, wall-clock, or
    /// [`TimeCell`]) for rows logged after this call.
    pub fn set_time(&self, timeline: &str, time: impl Into<TimeCell>) {
        let cell = time.into();
        self.with_time(|t| match TimelineName::new(timeline) {
            Ok(name) => t.timepoint.insert(name, cell),
            Err(e) => t.error = Some(e),
        });
    }

    /// Sets a sequence timeline, e.g. a frame number.
    pub fn set_time_sequence(&self, timeline: &str, value: i64) {
        self.set_time(timeline, TimeCell::sequence(value));
    }

    /// Sets a duration timeline in seconds.
    pub fn set_duration_secs(&self, timeline: &str, secs: f64) {
        self.set_time(timeline, TimeCell::duration_secs(secs));
    }

    /// Removes a timeline from this thread's time.
    pub fn disable_timeline(&self, timeline: &str) {
        self.with_time(|t| t.timepoint.remove(timeline));
    }

    /// Clears all of this thread's timelines.
    pub fn reset_time(&self) {
        self.with_time(|t| *t = ThreadTime::default());
    }

    fn check_failed(&self) -> SdkResult<()> {
        match &*self
            .inner
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(e) => Err(SdkError::Sink(e.clone())),
            None => Ok(()),
        }
    }

    /// The batcher's channel, if the stream is open and has not failed.
    fn batcher(&self) -> SdkResult<SyncSender<Command>> {
        self.check_failed()?;
        self.inner
            .tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(SdkError::Closed)
    }

    fn send(&self, cmd: Command) -> SdkResult<()> {
        self.batcher()?.send(cmd).map_err(|_| SdkError::Closed)
    }

    /// This thread's current time (an error if a timeline name was invalid).
    pub(crate) fn current_timepoint(&self) -> SdkResult<TimePoint> {
        Ok(self.with_time(|t| match t.error.take() {
            Some(e) => Err(e),
            None => Ok(t.timepoint.clone()),
        })?)
    }

    /// Logs `archetype` to `path` at this thread's current time.
    pub fn log<A: Archetype>(
        &self,
        path: impl TryInto<EntityPath, Error = DataError>,
        archetype: &A,
    ) -> SdkResult<()> {
        let timepoint = self.current_timepoint()?;
        self.log_at(path.try_into()?, timepoint, archetype)
    }

    /// Logs `archetype` to `path` as static data: valid at all times, on no timeline.
    pub fn log_static<A: Archetype>(
        &self,
        path: impl TryInto<EntityPath, Error = DataError>,
        archetype: &A,
    ) -> SdkResult<()> {
        self.log_at(path.try_into()?, TimePoint::default(), archetype)
    }

    /// Logs at an explicit time, leaving this thread's time untouched.
    pub(crate) fn log_at<A: Archetype>(
        &self,
        path: EntityPath,
        timepoint: TimePoint,
        archetype: &A,
    ) -> SdkResult<()> {
        let cells = archetype.to_cells();
        if cells.is_empty() {
            return Err(DataError::Empty {
                what: "archetype (no component set)",
            }
            .into());
        }
        let row = PendingRow {
            row_id: RowId::new(),
            timepoint,
            cells,
        };
        self.send(Command::Row(path, row))
    }

    /// Logs many rows at once: one value per row in every time column and
    /// every component column (e.g. thousands of `VideoFrameReference`s).
    /// The rows skip the batcher and become one chunk.
    pub fn send_columns(
        &self,
        path: impl TryInto<EntityPath, Error = DataError>,
        time_columns: impl IntoIterator<Item = TimeColumn>,
        components: impl IntoIterator<Item = ComponentColumn>,
    ) -> SdkResult<()> {
        let path = path.try_into()?;
        let time_columns: Vec<TimeColumn> = time_columns.into_iter().collect();
        let components: Vec<ComponentColumn> = components.into_iter().collect();
        let n = components
            .first()
            .map(|(_, a)| a.len())
            .or_else(|| time_columns.first().map(|c| c.values.len()))
            .unwrap_or(0);
        let row_ids = RowId::new_many(n);
        let chunk = Chunk::from_columns(path, &row_ids, time_columns, components)?;
        self.send(Command::Chunk(chunk))
    }

    /// Logs `image` as a JPEG `EncodedImage` at this thread's current time,
    /// compressed on a pool of worker threads so this call returns at once
    /// (the row keeps its place in logging order). Input errors (layout,
    /// quality) are reported here; `flush` waits for the compression.
    #[cfg(feature = "encoders")]
    pub fn log_compressed(
        &self,
        path: impl TryInto<EntityPath, Error = DataError>,
        image: &reel_types::Image,
        quality: u8,
    ) -> SdkResult<()> {
        reel_encode::check_jpeg_input(image, quality)
            .map_err(|e| SdkError::Encode(e.to_string()))?;
        let path = path.try_into()?;
        let timepoint = self.current_timepoint()?;
        let batcher = self.batcher()?;
        let pool = self.inner.compress_pool.get_or_init(|| {
            Mutex::new(crate::compress_pool::CompressPool::start(
                batcher,
                self.inner.error.clone(),
            ))
        });
        pool.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .submit(crate::compress_pool::Job {
                path,
                row: PendingRow {
                    row_id: RowId::new(),
                    timepoint,
                    cells: Vec::new(),
                },
                image: image.clone(),
                quality,
            })
    }

    /// Writes every row logged so far and waits until the sink has them.
    pub fn flush(&self) -> SdkResult<()> {
        #[cfg(feature = "encoders")]
        if let Some(pool) = self.inner.compress_pool.get() {
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .wait_idle();
        }
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        self.send(Command::Flush(ack_tx))?;
        match ack_rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SdkError::Sink(e)),
            Err(_) => Err(SdkError::Closed),
        }
    }
}
