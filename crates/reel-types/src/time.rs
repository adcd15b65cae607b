//! Timelines: the several clocks a row can be placed on.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arrow_schema::{DataType, TimeUnit};

use crate::{DataError, DataResult};

/// What the integers on a timeline count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeType {
    /// A sequence number, e.g. a frame index.
    Sequence,
    /// Nanoseconds since an arbitrary start (e.g. since the program started).
    DurationNs,
    /// Nanoseconds since the Unix epoch (wall-clock time, UTC).
    TimestampNs,
}

impl TimeType {
    /// The Arrow type a timeline column of this kind is stored as.
    ///
    /// Using Arrow's own duration and timestamp types (rather than plain
    /// `Int64` plus metadata) lets any Arrow reader show times correctly.
    pub fn arrow_type(self) -> DataType {
        match self {
            TimeType::Sequence => DataType::Int64,
            TimeType::DurationNs => DataType::Duration(TimeUnit::Nanosecond),
            TimeType::TimestampNs => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        }
    }

    /// The inverse of [`TimeType::arrow_type`].
    pub fn from_arrow_type(dt: &DataType) -> Option<Self> {
        match dt {
            DataType::Int64 => Some(TimeType::Sequence),
            DataType::Duration(TimeUnit::Nanosecond) => Some(TimeType::DurationNs),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => Some(TimeType::TimestampNs),
            _ => None,
        }
    }

    /// Stable lowercase name used in indexes and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            TimeType::Sequence => "sequence",
            TimeType::DurationNs => "duration_ns",
            TimeType::TimestampNs => "timestamp_ns",
        }
    }

    /// The inverse of [`TimeType::name`].
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Sequence, Self::DurationNs, Self::TimestampNs]
            .into_iter()
            .find(|t| t.name() == s)
    }

    /// Formats a value of this type for people: `#42`, `12.500s`, or an ISO-8601 UTC time.
    pub fn format_value(self, value: i64) -> String {
        match self {
            TimeType::Sequence => format!("#{value}"),
            TimeType::DurationNs => format_duration_ns(value),
            TimeType::TimestampNs => format_timestamp_ns(value),
        }
    }
}

/// A time in ns for people: `6.683333333s`, `2s`, `-0.5s` (seconds, no
/// trailing zeros), the form `reel` reads on its command line.
pub fn seconds(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    let frac = format!("{:09}", abs % 1_000_000_000);
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{sign}{}{dot}{frac}s", abs / 1_000_000_000)
}

fn format_duration_ns(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    format!("{sign}{}.{:09}s", abs / 1_000_000_000, abs % 1_000_000_000)
}

/// ISO-8601 UTC with nanoseconds, from civil-from-days arithmetic (no date crate needed for this one format).
fn format_timestamp_ns(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// The name of a timeline, e.g. `frame` or `time`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimelineName(String);

impl TimelineName {
    /// Validates a name: non-empty, and not starting with `reel:` (reserved for
    /// the chunk's own columns).
    pub fn new(name: impl Into<String>) -> DataResult<Self> {
        let name = name.into();
        let reason = if name.is_empty() {
            Some("a timeline needs a name")
        } else if name.starts_with("reel:") {
            Some("names starting with 'reel:' are reserved")
        } else {
            None
        };
        match reason {
            Some(r) => Err(DataError::InvalidTimelineName {
                name,
                reason: r.into(),
            }),
            None => Ok(Self(name)),
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TimelineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A timeline: a name and what its values count.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeline {
    /// Its name.
    pub name: TimelineName,
    /// What its values count.
    pub typ: TimeType,
}

/// One value on one timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeCell {
    /// What the value counts.
    pub typ: TimeType,
    /// The value: a sequence number or nanoseconds.
    pub value: i64,
}

impl TimeCell {
    /// A sequence number.
    pub fn sequence(value: i64) -> Self {
        Self {
            typ: TimeType::Sequence,
            value,
        }
    }

    /// A duration since some start; saturates beyond ±292 years.
    pub fn duration(d: Duration) -> Self {
        Self::duration_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// A duration in seconds.
    pub fn duration_secs(secs: f64) -> Self {
        Self::duration_nanos((secs * 1e9).round() as i64)
    }

    /// A duration in nanoseconds.
    pub fn duration_nanos(ns: i64) -> Self {
        Self {
            typ: TimeType::DurationNs,
            value: ns,
        }
    }

    /// A wall-clock time.
    pub fn timestamp(t: SystemTime) -> Self {
        let ns = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        };
        Self::timestamp_nanos(ns)
    }

    /// Nanoseconds since the Unix epoch.
    pub fn timestamp_nanos(ns: i64) -> Self {
        Self {
            typ: TimeType::TimestampNs,
            value: ns,
        }
    }
}

impl From<Duration> for TimeCell {
    fn from(d: Duration) -> Self {
        Self::duration(d)
    }
}

impl From<SystemTime> for TimeCell {
    fn from(t: SystemTime) -> Self {
        Self::timestamp(t)
    }
}

impl fmt::Display for TimeCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.typ.format_value(self.value))
    }
}

/// Where one row sits on each of its timelines. Empty means static.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimePoint(BTreeMap<TimelineName, TimeCell>);

impl TimePoint {
    /// Places the row at `cell` on `timeline`, replacing an earlier value.
    pub fn insert(&mut self, timeline: TimelineName, cell: TimeCell) {
        self.0.insert(timeline, cell);
    }

    /// Removes a timeline.
    pub fn remove(&mut self, timeline: &str) {
        self.0.retain(|k, _| k.as_str() != timeline);
    }

    /// Whether the row is static (on no timeline).
    pub fn is_static(&self) -> bool {
        self.0.is_empty()
    }

    /// The timelines and values, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&TimelineName, &TimeCell)> {
        self.0.iter()
    }

    /// The value on one timeline.
    pub fn get(&self, timeline: &str) -> Option<TimeCell> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == timeline)
            .map(|(_, v)| *v)
    }

    /// The timelines (name and type) of this point, sorted by name.
    pub fn timelines(&self) -> Vec<Timeline> {
        self.0
            .iter()
            .map(|(name, cell)| Timeline {
                name: name.clone(),
                typ: cell.typ,
            })
            .collect()
    }
}

/// Many values on one timeline, for columnar logging (`send_columns`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeColumn {
    /// The timeline.
    pub timeline: Timeline,
    /// One value per row.
    pub values: Vec<i64>,
}

impl TimeColumn {
    /// A column of sequence numbers.
    pub fn new_sequence(name: impl Into<String>, values: impl Into<Vec<i64>>) -> DataResult<Self> {
        Self::new(name, TimeType::Sequence, values)
    }

    /// A column of durations in nanoseconds.
    pub fn new_duration_nanos(
        name: impl Into<String>,
        values: impl Into<Vec<i64>>,
    ) -> DataResult<Self> {
        Self::new(name, TimeType::DurationNs, values)
    }

    /// A column of wall-clock times in nanoseconds since the Unix epoch.
    pub fn new_timestamp_nanos(
        name: impl Into<String>,
        values: impl Into<Vec<i64>>,
    ) -> DataResult<Self> {
        Self::new(name, TimeType::TimestampNs, values)
    }

    /// A column of any type.
    pub fn new(
        name: impl Into<String>,
        typ: TimeType,
        values: impl Into<Vec<i64>>,
    ) -> DataResult<Self> {
        Ok(Self {
            timeline: Timeline {
                name: TimelineName::new(name)?,
                typ,
            },
            values: values.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(TimeCell::sequence(42).to_string(), "#42");
        assert_eq!(TimeCell::duration_secs(12.5).to_string(), "12.500000000s");
        assert_eq!(TimeCell::duration_nanos(-1).to_string(), "-0.000000001s");
        assert_eq!(
            TimeCell::timestamp_nanos(1_700_000_000_123_456_789).to_string(),
            "2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(
            TimeCell::timestamp_nanos(-1).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
    }

    #[test]
    fn timeline_names_are_checked() {
        assert!(TimelineName::new("").is_err());
        assert!(TimelineName::new("reel:row_id").is_err());
        assert!(TimelineName::new("frame").is_ok());
    }

    #[test]
    fn arrow_types_round_trip() {
        for t in [
            TimeType::Sequence,
            TimeType::DurationNs,
            TimeType::TimestampNs,
        ] {
            assert_eq!(TimeType::from_arrow_type(&t.arrow_type()), Some(t));
            assert_eq!(TimeType::from_name(t.name()), Some(t));
        }
    }
}
