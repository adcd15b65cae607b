//! The one rule for which timeline an entity is shown on, and times of rows.

use reel_store::{EntityInfo, RowHandle};
use reel_types::{TimeType, Timeline};

/// The timeline an entity is read on when none is named: its first
/// duration or timestamp timeline by name (video has a clock), else its
/// first sequence timeline. Every reader (`reel frame`, `export-mp4`, the
/// viewer) uses this rule, so one recording plays the same everywhere.
pub fn default_timeline(info: &EntityInfo) -> Option<Timeline> {
    pick_default(info.timelines.iter().map(|t| &t.timeline), |t| t.typ).cloned()
}

/// The rule of [`default_timeline`] over any list of timelines sorted by
/// name (the store's entity info, or the footer index's time ranges).
pub(crate) fn pick_default<T>(
    timelines: impl IntoIterator<Item = T>,
    typ: impl Fn(&T) -> TimeType,
) -> Option<T> {
    let mut first = None;
    for t in timelines {
        if typ(&t) != TimeType::Sequence {
            return Some(t);
        }
        first.get_or_insert(t);
    }
    first
}

/// The row's value on `timeline`, if it is on it.
pub fn time_on(row: &RowHandle, timeline: &str) -> Option<i64> {
    row.chunk.time_at(timeline, row.row)
}
