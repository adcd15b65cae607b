//! The time cursor: which timeline drives the views, where on it, and how
//! playing moves it. No UI here, so it is tested on its own.

use reel_types::TimeType;

/// A timeline of the open recordings, with the span their rows cover.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineSummary {
    /// Its name (`frame`, `time`, …).
    pub name: String,
    /// Sequence, duration or timestamp.
    pub typ: TimeType,
    /// Earliest time of a row.
    pub min: i64,
    /// Latest time of a row.
    pub max: i64,
}

impl TimelineSummary {
    /// Adds this span to `all`: merged into the timeline of the same name,
    /// or appended.
    pub fn merge_into(self, all: &mut Vec<TimelineSummary>) {
        match all.iter_mut().find(|a| a.name == self.name) {
            Some(a) => {
                a.min = a.min.min(self.min);
                a.max = a.max.max(self.max);
            }
            None => all.push(self),
        }
    }

    /// `t` as this timeline shows it: `#12`, `1.250s`, a date.
    pub fn format(&self, t: i64) -> String {
        match self.typ {
            // Milliseconds are what a person scrubbing reads.
            TimeType::DurationNs => format!("{:.3}s", t as f64 / 1e9),
            other => other.format_value(t),
        }
    }
}

/// Rate at which playing steps a sequence timeline (Rerun's default).
pub const SEQUENCE_FPS: f64 = 30.0;

/// What playing does when a view's exact frame is not decoded yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenBehind {
    /// The clock waits ("buffering"): every frame is shown.
    #[default]
    Wait,
    /// The clock goes on; frames that were due but never shown are counted.
    Skip,
}

/// Where the views are on which timeline, and whether it moves.
#[derive(Clone, Debug)]
pub struct TimeCursor {
    /// The timeline that drives the views.
    pub timeline: Option<TimelineSummary>,
    /// The cursor's time on it.
    pub time: i64,
    /// Playing (else paused).
    pub playing: bool,
    /// 0.25x – 4x.
    pub speed: f64,
    /// Back to the start at the end.
    pub looping: bool,
    /// What playing does when decoding falls behind.
    pub when_behind: WhenBehind,
    /// The part of the timeline the time panel shows (zoom and pan), as
    /// `(start, end)`; `None`: all of it.
    pub shown: Option<(f64, f64)>,
    /// Time not yet moved by (sub-unit steps of a slow or sequence clock).
    carry: f64,
}

impl Default for TimeCursor {
    fn default() -> Self {
        Self {
            timeline: None,
            time: 0,
            playing: false,
            speed: 1.0,
            looping: true,
            when_behind: WhenBehind::Wait,
            shown: None,
            carry: 0.0,
        }
    }
}

impl TimeCursor {
    /// Drives the views with `timeline`, the cursor at its start unless it
    /// is already inside it.
    pub fn set_timeline(&mut self, timeline: TimelineSummary) {
        let same = self
            .timeline
            .as_ref()
            .is_some_and(|t| t.name == timeline.name);
        if !same || self.time < timeline.min || self.time > timeline.max {
            self.time = timeline.min;
            self.shown = None;
        }
        self.timeline = Some(timeline);
        self.carry = 0.0;
    }

    /// The driving timeline's span (the row times may have grown: a
    /// followed file).
    pub fn update_span(&mut self, min: i64, max: i64) {
        if let Some(t) = &mut self.timeline {
            t.min = min;
            t.max = max;
        }
    }

    /// Sets the cursor (clamped to the timeline).
    pub fn seek(&mut self, t: i64) {
        self.time = match &self.timeline {
            Some(tl) => t.clamp(tl.min, tl.max),
            None => t,
        };
        self.carry = 0.0;
    }

    /// Time units per second of wall-clock time at 1x.
    fn units_per_second(&self) -> f64 {
        match self.timeline.as_ref().map(|t| t.typ) {
            Some(TimeType::Sequence) => SEQUENCE_FPS,
            _ => 1e9,
        }
    }

    /// Moves the cursor by `seconds` of wall-clock time if playing. At the
    /// end it loops or pauses. Returns whether the time changed.
    pub fn advance(&mut self, seconds: f64) -> bool {
        let Some(tl) = &self.timeline else {
            return false;
        };
        if !self.playing {
            return false;
        }
        let (min, max) = (tl.min, tl.max);
        self.carry += seconds * self.speed * self.units_per_second();
        let step = self.carry.floor();
        if step < 1.0 {
            return false;
        }
        self.carry -= step;
        let next = self.time.saturating_add(step as i64);
        if next > max {
            if self.looping && max > min {
                self.time = min;
            } else {
                self.time = max;
                self.playing = false;
            }
        } else {
            self.time = next;
        }
        true
    }

    /// To the next (`forward`) or previous of `times` (sorted) from the
    /// cursor: one frame forward or back.
    pub fn step(&mut self, times: &[i64], forward: bool) {
        self.playing = false;
        let target = if forward {
            times
                .get(times.partition_point(|t| *t <= self.time))
                .copied()
        } else {
            // The frame shown is the latest ≤ cursor; back is the one before.
            let shown = times.partition_point(|t| *t <= self.time);
            shown.checked_sub(2).map(|i| times[i])
        };
        if let Some(t) = target {
            self.seek(t);
        }
    }

    /// To the start or the end.
    pub fn home(&mut self, end: bool) {
        if let Some(tl) = &self.timeline {
            let t = if end { tl.max } else { tl.min };
            self.seek(t);
        }
    }

    /// The visible part of the timeline as (start, end).
    pub fn visible(&self) -> Option<(f64, f64)> {
        let tl = self.timeline.as_ref()?;
        Some(
            self.shown
                .unwrap_or((tl.min as f64, tl.max.max(tl.min + 1) as f64)),
        )
    }

    /// Zooms the visible part by `factor` (< 1: in) around `center`.
    pub fn zoom(&mut self, factor: f64, center: f64) {
        let Some((a, b)) = self.visible() else {
            return;
        };
        let width = ((b - a) * factor).max(1.0);
        let left = (center - a) / (b - a);
        let start = center - width * left;
        self.shown = Some((start, start + width));
    }

    /// Pans the visible part by `delta` time units.
    pub fn pan(&mut self, delta: f64) {
        if let Some((a, b)) = self.visible() {
            self.shown = Some((a + delta, b + delta));
        }
    }
}

/// How many of `times` (sorted) the cursor passed going from `from` to
/// `to`: those in `(from, to]`, or, when it looped (`to < from`), those
/// after `from` and those up to `to`.
pub fn frames_passed(times: &[i64], from: i64, to: i64) -> u64 {
    let upto = |t: i64| times.partition_point(|x| *x <= t) as u64;
    if to >= from {
        upto(to) - upto(from)
    } else {
        (times.len() as u64 - upto(from)) + upto(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duration(min: i64, max: i64) -> TimelineSummary {
        TimelineSummary {
            name: "time".into(),
            typ: TimeType::DurationNs,
            min,
            max,
        }
    }

    #[test]
    fn playing_moves_by_wall_clock_times_speed_and_loops() {
        let mut c = TimeCursor::default();
        c.set_timeline(duration(0, 2_000_000_000));
        assert!(!c.advance(0.5), "paused");
        c.playing = true;
        c.speed = 2.0;
        assert!(c.advance(0.5));
        assert_eq!(c.time, 1_000_000_000);
        c.advance(0.6);
        assert_eq!(c.time, 0, "looped at the end");
        c.looping = false;
        c.seek(1_900_000_000);
        c.advance(1.0);
        assert_eq!((c.time, c.playing), (2_000_000_000, false));
    }

    #[test]
    fn a_sequence_plays_at_thirty_per_second_and_steps_by_rows() {
        let mut c = TimeCursor::default();
        c.set_timeline(TimelineSummary {
            name: "frame".into(),
            typ: TimeType::Sequence,
            min: 0,
            max: 100,
        });
        c.playing = true;
        c.speed = 0.25;
        c.advance(0.1); // 0.75 frames: not yet
        assert_eq!(c.time, 0);
        c.advance(0.1);
        assert_eq!(c.time, 1);
        let times = [0, 10, 20, 30];
        c.seek(15);
        c.step(&times, true);
        assert_eq!(c.time, 20);
        c.step(&times, false);
        assert_eq!(c.time, 10);
        c.step(&times, false);
        assert_eq!(c.time, 0);
        c.step(&times, false);
        assert_eq!(c.time, 0, "nothing before the first row");
        c.home(true);
        assert_eq!(c.time, 100);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_pointer() {
        let mut c = TimeCursor::default();
        c.set_timeline(duration(0, 1000));
        c.zoom(0.5, 250.0);
        let (a, b) = c.visible().unwrap();
        assert_eq!((a, b), (125.0, 625.0));
        c.pan(-25.0);
        assert_eq!(c.visible().unwrap(), (100.0, 600.0));
    }

    #[test]
    fn frames_passed_counts_forward_and_across_a_loop() {
        let times = [0, 10, 20, 30];
        assert_eq!(frames_passed(&times, 0, 20), 2);
        assert_eq!(frames_passed(&times, 5, 5), 0);
        // Looped from 25 to the end and on to 10: 30, then 0 and 10.
        assert_eq!(frames_passed(&times, 25, 10), 3);
    }
}
