//! A value made on a thread of its own, asked for without waiting: the UI
//! thread starts the work and polls it on later frames.

use std::sync::mpsc::{self, Receiver, TryRecvError};

/// The result of work running on its own thread.
pub(super) struct Background<T>(Receiver<T>);

impl<T: Send + 'static> Background<T> {
    /// Runs `make` on a thread named `name`; an error (in words) if no
    /// thread could be made.
    pub fn spawn(name: &str, make: impl FnOnce() -> T + Send + 'static) -> Result<Self, String> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _ = tx.send(make());
            })
            .map_err(|e| format!("no thread for {name}: {e}"))?;
        Ok(Self(rx))
    }

    /// `None` while the work runs; then its value, or `Err` if the thread
    /// ended without one (it panicked).
    pub fn poll(&self) -> Option<Result<T, ()>> {
        match self.0.try_recv() {
            Ok(value) => Some(Ok(value)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(())),
        }
    }
}
