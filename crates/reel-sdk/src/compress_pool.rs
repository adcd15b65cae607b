//! JPEG compression on a pool of worker threads, so the caller keeps
//! logging while frames are compressed.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use reel_encode::compress_jpeg;
use reel_types::{Archetype, EntityPath, Image, PendingRow};

use crate::SdkError;
use crate::batcher::{Command, SharedError};

/// Jobs submitted but not yet handed to the batcher.
#[derive(Default)]
struct InFlight {
    count: Mutex<usize>,
    done: Condvar,
}

pub(crate) struct Job {
    pub path: EntityPath,
    pub row: PendingRow,
    pub image: Image,
    pub quality: u8,
}

/// Workers that compress images and hand the rows to the batcher.
pub(crate) struct CompressPool {
    tx: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    in_flight: Arc<InFlight>,
}

impl CompressPool {
    /// Workers send finished rows straight to the batcher (`batcher`), not
    /// through a `RecordingStream`, so the pool does not keep the stream alive.
    pub(crate) fn start(batcher: SyncSender<Command>, error: SharedError) -> Self {
        let in_flight = Arc::new(InFlight::default());
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (tx, rx) = mpsc::sync_channel::<Job>(threads * 4);
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..threads)
            .filter_map(|i| {
                let rx: Arc<Mutex<Receiver<Job>>> = rx.clone();
                let batcher = batcher.clone();
                let error = error.clone();
                let in_flight = in_flight.clone();
                std::thread::Builder::new()
                    .name(format!("reel-jpeg-{i}"))
                    .spawn(move || {
                        loop {
                            let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                            let Ok(job) = job else { return };
                            let result = compress_jpeg(&job.image, job.quality)
                                .map_err(|e| SdkError::Encode(e.to_string()))
                                .and_then(|jpeg| {
                                    let mut row = job.row;
                                    row.cells = jpeg.to_cells();
                                    batcher
                                        .send(Command::Row(job.path, row))
                                        .map_err(|_| SdkError::Closed)
                                });
                            if let Err(e) = result {
                                let mut slot = error.lock().unwrap_or_else(PoisonError::into_inner);
                                slot.get_or_insert(e.to_string());
                            }
                            let mut n = in_flight
                                .count
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner);
                            *n = n.saturating_sub(1);
                            in_flight.done.notify_all();
                        }
                    })
                    .ok()
            })
            .collect();
        Self {
            tx: Some(tx),
            workers,
            in_flight,
        }
    }

    pub(crate) fn submit(&self, job: Job) -> Result<(), SdkError> {
        *self
            .in_flight
            .count
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        let sent = self
            .tx
            .as_ref()
            .ok_or(SdkError::Closed)
            .and_then(|tx| tx.send(job).map_err(|_| SdkError::Closed));
        if sent.is_err() {
            let mut n = self
                .in_flight
                .count
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *n = n.saturating_sub(1);
        }
        sent
    }

    /// Blocks until every submitted image reached the batcher.
    pub(crate) fn wait_idle(&self) {
        let mut n = self
            .in_flight
            .count
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *n > 0 {
            n = self
                .in_flight
                .done
                .wait(n)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits until every submitted image has been compressed and sent on.
    pub(crate) fn shutdown(&mut self) {
        self.tx.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
