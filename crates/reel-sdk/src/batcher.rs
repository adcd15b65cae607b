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

pub(crate) fn run(rx: Receiver<Command>, mut sink: Box<dyn Sink>, config: BatcherConfig, error: SharedError) {
    let mut groups: HashMap<GroupKey, Group> = HashMap::new();
    let fail = |e: String| {
        let mut slot = error.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(e);
    };
    let emit = |sink: &mut Box<dyn Sink>, key: &GroupKey, group: Group| -> Result<(), String> {
        let chunk = Chunk::from_rows(key.entity.clone(), &group.rows).map_err(|e| e.to_string())?;
        sink.write_chunk(&chunk)
    };
    loop {
        let timeout = groups
            .values()
            .map(|g| (g.since + config.max_age).saturating_duration_since(Instant::now()))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(timeout) {
            Ok(Command::Row(entity, row)) => {
                let key = GroupKey {
                    entity,
                    timelines: row
                        .timepoint
                        .iter()
                        .map(|(n, c)| (n.to_string(), c.typ))
                        .collect(),
                    components: row.cells.iter().map(|(d, _)| d.clone()).collect(),
                };
                let group = groups.entry(key.clone()).or_insert_with(|| Group {
                    rows: Vec::new(),
                    bytes: 0,
                    since: Instant::now(),
                });
                group.bytes += row.heap_size();
                group.rows.push(row);
                if group.bytes >= config.max_bytes || group.rows.len() >= config.max_rows {
                    if let Some(group) = groups.remove(&key) {
                        if let Err(e) = emit(&mut sink, &key, group) {
                            fail(e);
                        }
                    }
                }
            }
            Ok(Command::Chunk(chunk)) => {
                // Earlier rows of the same entity go first, keeping file order = log order.
                let keys: Vec<GroupKey> = groups
                    .keys()
                    .filter(|k| &k.entity == chunk.entity_path())
                    .cloned()
                    .collect();
                for key in keys {
                    if let Some(group) = groups.remove(&key) {
                        if let Err(e) = emit(&mut sink, &key, group) {
                            fail(e);
                        }
                    }
                }
                if let Err(e) = sink.write_chunk(&chunk) {
                    fail(e);
                }
            }
            Ok(Command::Flush(ack)) => {
                let mut result = Ok(());
                for (key, group) in drain_in_log_order(&mut groups) {
                    if let Err(e) = emit(&mut sink, &key, group) {
                        fail(e.clone());
                        result = Err(e);
                    }
                }
                if let Err(e) = sink.flush(false) {
                    fail(e.clone());
                    result = Err(e);
                }
                let _ = ack.send(result);
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let due: Vec<GroupKey> = groups
                    .iter()
                    .filter(|(_, g)| now >= g.since + config.max_age)
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in due {
                    if let Some(group) = groups.remove(&key) {
                        if let Err(e) = emit(&mut sink, &key, group) {
                            fail(e);
                        }
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                for (key, group) in drain_in_log_order(&mut groups) {
                    if let Err(e) = emit(&mut sink, &key, group) {
                        fail(e);
                    }
                }
                if let Err(e) = sink.flush(true) {
                    fail(e);
                }
                return;
            }
        }
    }
}

/// All pending groups, oldest first row first.
fn drain_in_log_order(groups: &mut HashMap<GroupKey, Group>) -> Vec<(GroupKey, Group)> {
    let mut all: Vec<(GroupKey, Group)> = groups.drain().collect();
    all.sort_by_key(|(_, g)| g.rows.first().map(|r| r.row_id));
    all
}
