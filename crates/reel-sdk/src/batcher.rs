//! The batcher: a background thread that groups rows into chunks.
//!
//! Rows of one entity with the same timelines and components are collected
//! until the group holds `max_bytes`, `max_rows`, or has waited `max_age`;
//! then they become one chunk and go to the sink. Doing the Arrow
//! concatenation, compression and I/O here keeps `log` cheap on the
//! caller's thread.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reel_types::{Chunk, ComponentDescriptor, EntityPath, PendingRow, TimeType};

use crate::sink::Sink;

/// When the batcher turns pending rows into a chunk.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// Emit a chunk once its rows hold this many bytes.
    pub max_bytes: usize,
    /// Emit a chunk once it has this many rows.
    pub max_rows: usize,
    /// Emit a chunk once its oldest row waited this long (bounds live latency).
    pub max_age: Duration,
    /// Rows that may wait in the channel before `log` blocks (backpressure).
    pub queue_rows: usize,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            max_bytes: 8 << 20,
            max_rows: 4096,
            max_age: Duration::from_millis(100),
            queue_rows: 256,
        }
    }
}

pub(crate) enum Command {
    Row(EntityPath, PendingRow),
    Chunk(Chunk),
    Flush(SyncSender<Result<(), String>>),
}

/// Rows that can share a chunk: same entity, timelines and components.
#[derive(Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    entity: EntityPath,
    timelines: Vec<(String, TimeType)>,
    components: Vec<ComponentDescriptor>,
}

struct Group {
    rows: Vec<PendingRow>,
    bytes: usize,
    since: Instant,
}

pub(crate) type SharedError = Arc<Mutex<Option<String>>>;

struct Batcher {
    groups: HashMap<GroupKey, Group>,
    sink: Box<dyn Sink>,
    error: SharedError,
}

impl Batcher {
    /// Remembers the first failure; `log` reports it from then on.
    fn fail(&self, e: String) {
        let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(e);
    }

    /// Turns one group into a chunk and writes it.
    fn emit(&mut self, key: &GroupKey) -> Result<(), String> {
        let Some(mut group) = self.groups.remove(key) else {
            return Ok(());
        };
        // Rows compressed on a worker pool may arrive out of order.
        if !group.rows.is_sorted_by_key(|r| r.row_id) {
            group.rows.sort_by_key(|r| r.row_id);
        }
        let result = Chunk::from_rows(key.entity.clone(), &group.rows)
            .map_err(|e| e.to_string())
            .and_then(|chunk| self.sink.write_chunk(&chunk));
        if let Err(e) = &result {
            self.fail(e.clone());
        }
        result
    }

    /// Emits the groups `pick` selects, oldest first row first.
    fn emit_where(&mut self, pick: impl Fn(&GroupKey, &Group) -> bool) -> Result<(), String> {
        let mut keys: Vec<(Option<reel_types::RowId>, GroupKey)> = self
            .groups
            .iter()
            .filter(|(k, g)| pick(k, g))
            .map(|(k, g)| (g.rows.first().map(|r| r.row_id), k.clone()))
            .collect();
        keys.sort_by_key(|(first, _)| *first);
        let mut result = Ok(());
        for (_, key) in keys {
            if let Err(e) = self.emit(&key) {
                result = Err(e);
            }
        }
        result
    }

    fn add_row(&mut self, entity: EntityPath, row: PendingRow, config: &BatcherConfig) {
        let key = GroupKey {
            entity,
            timelines: row
                .timepoint
                .iter()
                .map(|(n, c)| (n.to_string(), c.typ))
                .collect(),
            components: row.cells.iter().map(|(d, _)| d.clone()).collect(),
        };
        let group = self.groups.entry(key.clone()).or_insert_with(|| Group {
            rows: Vec::new(),
            bytes: 0,
            since: Instant::now(),
        });
        group.bytes += row.heap_size();
        group.rows.push(row);
        if group.bytes >= config.max_bytes || group.rows.len() >= config.max_rows {
            let _ = self.emit(&key);
        }
    }
}

pub(crate) fn run(
    rx: Receiver<Command>,
    sink: Box<dyn Sink>,
    config: BatcherConfig,
    error: SharedError,
) {
    // Declared first, dropped last: after the sink has written every chunk.
    let _reuse = reel_types::ColumnReuse::start();
    let mut b = Batcher {
        groups: HashMap::new(),
        sink,
        error,
    };
    loop {
        let timeout = b
            .groups
            .values()
            .map(|g| (g.since + config.max_age).saturating_duration_since(Instant::now()))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(timeout) {
            Ok(Command::Row(entity, row)) => {
                b.add_row(entity, row, &config);
                // Rows that never pause never let the wait above time out:
                // a group waits no longer than max_age anyway (a static row
                // logged once must not stay in memory until the end, lost
                // in a crash).
                let now = Instant::now();
                if b.groups.values().any(|g| now >= g.since + config.max_age) {
                    let _ = b.emit_where(|_, g| now >= g.since + config.max_age);
                }
            }
            Ok(Command::Chunk(chunk)) => {
                // Earlier rows of the same entity go first: file order = log order.
                let _ = b.emit_where(|k, _| &k.entity == chunk.entity_path());
                if let Err(e) = b.sink.write_chunk(&chunk) {
                    b.fail(e);
                }
            }
            Ok(Command::Flush(ack)) => {
                let result = b.emit_where(|_, _| true).and_then(|()| b.sink.flush(false));
                if let Err(e) = &result {
                    b.fail(e.clone());
                }
                let _ = ack.send(result);
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let _ = b.emit_where(|_, g| now >= g.since + config.max_age);
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = b.emit_where(|_, _| true);
                if let Err(e) = b.sink.flush(true) {
                    b.fail(e);
                }
                return;
            }
        }
    }
}
