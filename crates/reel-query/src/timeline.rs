//! The one rule for which timeline an entity is shown on, and times of rows.

use reel_store::{EntityInfo, RowHandle};
use reel_types::{TimeType, Timeline};

/// The timeline an entity is read on when none is named: its first
/// duration or timestamp timeline by name (video has a clock), else its
/// first sequence timeline. Every reader (`reel frame`, `export-mp4`, the
/// viewer) uses this rule, so one recording plays the same everywhere.
pub fn default_timeline(info: &EntityInfo) -> Option<Timeline> {
    info.timelines
        .iter()
        .find(|t| t.timeline.typ != TimeType::Sequence)
        .or(info.timelines.first())
        .map(|t| t.timeline.clone())
}

/// The row's value on `timeline`, if it is on it.
pub fn time_on(row: &RowHandle, timeline: &str) -> Option<i64> {
    row.chunk.time_at(timeline, row.row)
}
