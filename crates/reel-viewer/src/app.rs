//! The viewer's window: entity tree, grid of views, selection panel and
//! time panel, over any [`Recording`].

use std::sync::{Arc, Mutex};

use eframe::egui::{self, Rect, vec2};

use crate::gpu::{SharedRenderer, YuvRenderer};
use crate::host::Host;
use crate::layout::grid;
use crate::recording::{Recording, SampleMark};
use crate::time::{TimeCursor, TimelineSummary, WhenBehind, frames_passed};
use crate::time_panel::{self, TimePanelInput};
use crate::view::ViewState;

/// Where the cursor starts.
#[derive(Clone, Debug, PartialEq)]
pub enum StartAt {
    /// Seconds on the first duration or timestamp timeline (a timestamp
    /// timeline counts from its first row).
    Seconds(f64),
    /// A value on a named timeline.
    Sequence {
        /// The timeline.
        timeline: String,
        /// The value.
        value: i64,
    },
}

/// What the window looked like once every view had its picture: for tests
/// and documentation screenshots.
pub struct Settled {
    /// The window's pixels.
    pub image: Arc<egui::ColorImage>,
    /// Each view: its entity, the picture's rectangle in the image's pixels
    /// (`None`: nothing drawn), and the error it shows.
    pub views: Vec<(String, Option<[f32; 4]>, Option<String>)>,
    /// Messages shown above the views (files that did not open, damage skipped).
    pub messages: Vec<String>,
}

/// Called once with [`Settled`].
pub type SettledHook = Box<dyn FnOnce(Settled) + Send>;

/// How playing went (`ViewerOptions::play_for`): for benchmarks.
#[derive(Clone, Debug, Default)]
pub struct PlaybackReport {
    /// Wall-clock seconds played.
    pub seconds: f64,
    /// Time of every UI frame while playing, in ms.
    pub frame_ms: Vec<f32>,
    /// Seconds the clock waited for a visible view's frame.
    pub waited_seconds: f64,
    /// Each video view: entity, frames due, frames shown.
    pub views: Vec<(String, u64, u64)>,
    /// The cursor's moves, (from, to] each.
    played: Vec<(i64, i64)>,
    /// With `step_back`: time of each UI frame that stepped one frame back
    /// after playing, in ms.
    pub back_frame_ms: Vec<f32>,
    /// Of those steps, how many had every video view's exact frame at once
    /// (from the cache, no decoding waited for).
    pub back_exact: u64,
}

/// Called once with the [`PlaybackReport`].
pub type ReportHook = Box<dyn FnOnce(PlaybackReport) + Send>;

/// Options of the window.
#[derive(Default)]
pub struct ViewerOptions {
    /// Where the cursor starts.
    pub start: Option<StartAt>,
    /// Only entities whose path starts with this.
    pub entity: Option<String>,
    /// Follow the live edge of files still being written.
    pub follow: bool,
    /// Take a screenshot once every view is settled, hand it over and
    /// close the window.
    pub when_settled: Option<SettledHook>,
    /// Once every view shows its first picture, play for this many seconds,
    /// report how it went and close the window.
    pub play_for: Option<(f64, ReportHook)>,
    /// What playing does when decoding falls behind.
    pub when_behind: WhenBehind,
    /// After `play_for`, step back one frame per UI frame ([`BACK_STEPS`]
    /// times) through the frames just played, and report those frames too.
    pub step_back: bool,
}

/// Frames stepped back after playing, with [`ViewerOptions::step_back`].
pub const BACK_STEPS: u32 = 60;

/// The viewer.
pub struct ViewerApp {
    pub(crate) recordings: Vec<Box<dyn Recording>>,
    pub(crate) views: Vec<ViewState>,
    cursor: TimeCursor,
    pub(crate) renderer: SharedRenderer,
    options: ViewerOptions,
    host: Option<Box<dyn Host>>,
    /// The file dialog is up.
    choosing_files: bool,
    /// Errors of files that did not open, shown until dismissed.
    messages: Vec<String>,
    maximized: Option<usize>,
    pub(crate) selected: Option<usize>,
    started: bool,
    settled_frames: u32,
    screenshot_requested: bool,
    /// UI frame times (s), newest last, for the status line.
    frame_times: std::collections::VecDeque<f32>,
    marks: Option<(String, usize, Arc<Vec<i64>>)>,
    /// When the last UI frame began (s, egui's clock).
    last_frame: Option<f64>,
    /// While playing for a report: when it began, and what was measured.
    measuring: Option<(f64, PlaybackReport)>,
    /// Steps back still to take after playing (`step_back`).
    stepping: Option<u32>,
}

impl ViewerApp {
    /// A window over `recordings`; `host` opens files dropped on it or
    /// chosen, and has settings of its own.
    pub fn new(
        recordings: Vec<Box<dyn Recording>>,
        options: ViewerOptions,
        host: Option<Box<dyn Host>>,
    ) -> Self {
        let mut app = Self {
            recordings: Vec::new(),
            views: Vec::new(),
            cursor: TimeCursor::default(),
            renderer: Arc::new(Mutex::new(YuvRenderer::default())),
            options,
            host,
            // Nothing to show yet: ask for files at once.
            choosing_files: recordings.is_empty(),
            messages: Vec::new(),
            maximized: None,
            selected: None,
            started: false,
            settled_frames: 0,
            screenshot_requested: false,
            frame_times: Default::default(),
            marks: None,
            measuring: None,
            stepping: None,
            last_frame: None,
        };
        app.cursor.when_behind = app.options.when_behind;
        for r in recordings {
            app.add_recording(r);
        }
        app
    }

    /// Shows `message` above the views until dismissed.
    pub fn report(&mut self, message: String) {
        self.messages.push(message);
    }

    fn add_recording(&mut self, recording: Box<dyn Recording>) {
        self.recordings.push(recording);
        self.sync_views();
        self.marks = None;
        if self.cursor.timeline.is_none() {
            self.started = false;
        }
    }

    /// A view for every entity that has none yet (entities appear as a
    /// recording finishes loading, or as a followed file grows); messages
    /// the recordings have for the user.
    fn sync_views(&mut self) {
        for (ri, r) in self.recordings.iter_mut().enumerate() {
            for (i, e) in r.entities().iter().enumerate() {
                let known = self
                    .views
                    .iter()
                    .any(|v| v.recording == ri && v.entity == i);
                let wanted = self
                    .options
                    .entity
                    .as_ref()
                    .is_none_or(|prefix| e.path.starts_with(prefix.as_str()));
                if !known && wanted {
                    let key = format!("{ri}#{}:{}", r.name(), e.path);
                    self.views.push(ViewState::new(ri, i, key));
                }
            }
            for m in r.take_messages() {
                self.messages.push(format!("{}: {m}", r.name()));
            }
        }
        // The first video is selected: its facts and GOP strip show at once.
        if self.selected.is_none() {
            self.selected = self
                .views
                .iter()
                .position(|v| {
                    self.recordings[v.recording].entities()[v.entity]
                        .kind
                        .is_video()
                })
                .or((!self.views.is_empty()).then_some(0));
        }
    }

    /// Every timeline, spans merged across recordings by name.
    fn timelines(&self) -> Vec<TimelineSummary> {
        let mut all: Vec<TimelineSummary> = Vec::new();
        for r in &self.recordings {
            for t in r.timelines() {
                t.merge_into(&mut all);
            }
        }
        all
    }

    /// Puts the cursor where the options say, once there is a timeline.
    fn start(&mut self, timelines: &[TimelineSummary]) {
        if self.started || timelines.is_empty() {
            return;
        }
        // A recording still being read may not reach the start time yet:
        // the cursor waits for it rather than stopping short of it.
        let loading = self.recordings.iter().any(|r| r.loading());
        let reached = |tl: &TimelineSummary, t: i64| !loading || t <= tl.max;
        let non_sequence = || {
            timelines
                .iter()
                .find(|t| t.typ != reel_types::TimeType::Sequence)
        };
        match &self.options.start {
            Some(StartAt::Seconds(s)) => {
                if let Some(tl) = non_sequence().or(timelines.first()) {
                    let t = match tl.typ {
                        reel_types::TimeType::Sequence => s.round() as i64,
                        reel_types::TimeType::TimestampNs => tl.min + (s * 1e9).round() as i64,
                        reel_types::TimeType::DurationNs => (s * 1e9).round() as i64,
                    };
                    if !reached(tl, t) {
                        return;
                    }
                    self.cursor.set_timeline(tl.clone());
                    self.cursor.seek(t);
                }
            }
            Some(StartAt::Sequence { timeline, value }) => {
                match timelines.iter().find(|t| &t.name == timeline) {
                    Some(tl) if !reached(tl, *value) => return,
                    Some(tl) => {
                        self.cursor.set_timeline(tl.clone());
                        self.cursor.seek(*value);
                    }
                    None if loading => return,
                    None => self.messages.push(format!(
                        "no timeline {timeline} (timelines: {})",
                        timelines
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
            None => {
                // A duration/timestamp clock plays in real time; else the first.
                if let Some(tl) = non_sequence().or(timelines.first()) {
                    self.cursor.set_timeline(tl.clone());
                }
                if self.options.follow {
                    self.cursor.home(true);
                }
            }
        }
        self.started = true;
    }

    /// Sorted times of every row of every view on the driving timeline.
    fn marks(&mut self) -> Arc<Vec<i64>> {
        let Some(name) = self.cursor.timeline.as_ref().map(|t| t.name.clone()) else {
            return Arc::default();
        };
        let generation = self.recordings.len();
        if let Some((n, g, m)) = &self.marks
            && *n == name
            && *g == generation
        {
            return m.clone();
        }
        let mut all = Vec::new();
        for v in &self.views {
            let r = &mut self.recordings[v.recording];
            if r.entities()[v.entity].timelines.contains(&name) {
                all.extend(r.times(v.entity, &name).iter().copied());
            }
        }
        all.sort_unstable();
        all.dedup();
        let marks = Arc::new(all);
        self.marks = Some((name, generation, marks.clone()));
        marks
    }

    fn handle_keys(&mut self, ctx: &egui::Context, marks: &[i64]) {
        // Keys go to the time panel unless a text field has focus.
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        ctx.input(|i| {
            if i.key_pressed(egui::Key::Space) {
                self.cursor.playing = !self.cursor.playing;
            }
            if i.key_pressed(egui::Key::ArrowRight) {
                self.cursor.step(marks, true);
            }
            if i.key_pressed(egui::Key::ArrowLeft) {
                self.cursor.step(marks, false);
            }
            if i.key_pressed(egui::Key::Home) {
                self.cursor.home(false);
            }
            if i.key_pressed(egui::Key::End) {
                self.cursor.home(true);
            }
            if i.key_pressed(egui::Key::Escape) {
                self.maximized = None;
            }
        });
    }

    /// Asks every view's recording for its picture at the cursor.
    fn request_pictures(&mut self, now: f64) {
        let Some(tl) = self.cursor.timeline.clone() else {
            return;
        };
        let lookahead = self.cursor.playing.then_some(match tl.typ {
            reel_types::TimeType::Sequence => 30,
            _ => 1_000_000_000,
        });
        for (i, v) in self.views.iter_mut().enumerate() {
            let visible = self.maximized.is_none_or(|m| m == i);
            let r = &mut self.recordings[v.recording];
            let entity = &r.entities()[v.entity];
            let reply = if entity.timelines.contains(&tl.name) {
                r.request(
                    v.entity,
                    &tl.name,
                    self.cursor.time,
                    lookahead,
                    visible,
                    v.range,
                )
            } else {
                crate::recording::PictureReply {
                    error: Some(format!(
                        "not on timeline {} (on: {})",
                        tl.name,
                        entity.timelines.join(", ")
                    )),
                    ..Default::default()
                }
            };
            v.update(reply, now);
        }
    }

    /// Moves the clock if playing: it waits while a visible video view's
    /// frame is not decoded yet (or goes on and counts the frames skipped).
    /// Returns the state for the status line, and whether it waited.
    fn play(&mut self, dt: f64) -> (Option<String>, bool) {
        for v in &mut self.views {
            v.count_shown();
        }
        if !self.cursor.playing {
            return (None, false);
        }
        let behind = self
            .views
            .iter()
            .enumerate()
            .filter(|(i, _)| self.maximized.is_none_or(|m| m == *i))
            .any(|(_, v)| v.reply.pending && !v.reply.exact);
        if behind && self.cursor.when_behind == WhenBehind::Wait {
            return (Some("buffering".into()), true);
        }
        let status = behind.then(|| "behind: skipping late frames".to_owned());
        let before = self.cursor.time;
        if self.cursor.advance(dt)
            && let Some(tl) = self.cursor.timeline.clone()
        {
            let after = self.cursor.time;
            if let Some((_, report)) = &mut self.measuring {
                report.played.push((before, after));
            }
            for v in &mut self.views {
                let r = &mut self.recordings[v.recording];
                let e = &r.entities()[v.entity];
                if !e.kind.is_video() || !e.timelines.contains(&tl.name) {
                    continue;
                }
                // The view's frames whose time the cursor passed.
                v.due += frames_passed(&r.times(v.entity, &tl.name), before, after);
            }
        }
        (status, false)
    }

    /// With `play_for`: starts playing once every view is settled, records
    /// each UI frame, and after the time given (and the steps back, with
    /// `step_back`) reports and closes.
    fn measure_playback(
        &mut self,
        ctx: &egui::Context,
        now: f64,
        dt: f64,
        waited: bool,
        marks: &[i64],
    ) {
        let Some((seconds, _)) = &self.options.play_for else {
            return;
        };
        let seconds = *seconds;
        let Some((start, report)) = &mut self.measuring else {
            if self.started && self.views.iter().all(ViewState::settled) {
                self.cursor.playing = true;
                for v in &mut self.views {
                    v.shown = 0;
                    v.due = 0;
                }
                self.measuring = Some((now, PlaybackReport::default()));
            }
            return;
        };
        if let Some(left) = self.stepping {
            if left < BACK_STEPS {
                // The step taken last frame: its frame time, and whether
                // every video view had its exact picture at once.
                report.back_frame_ms.push((dt * 1000.0) as f32);
                let exact = self
                    .views
                    .iter()
                    .filter(|v| v.reply.picture.is_some() || v.reply.pending)
                    .all(|v| v.reply.exact && !v.reply.pending);
                report.back_exact += u64::from(exact);
            }
            if left == 0 {
                self.finish_measuring(ctx);
            } else {
                self.cursor.step(marks, false);
                self.stepping = Some(left - 1);
            }
            return;
        }
        report.frame_ms.push((dt * 1000.0) as f32);
        if waited {
            report.waited_seconds += dt;
        }
        if now - *start < seconds {
            return;
        }
        report.seconds = now - *start;
        self.count_due();
        if self.options.step_back {
            self.cursor.playing = false;
            self.stepping = Some(BACK_STEPS);
        } else {
            self.finish_measuring(ctx);
        }
    }

    /// Frames due and shown per video view, counted with the times known
    /// now (a recording still loading did not know them all).
    fn count_due(&mut self) {
        let Some((_, report)) = &mut self.measuring else {
            return;
        };
        let timeline = self.cursor.timeline.as_ref().map(|t| t.name.clone());
        for v in &self.views {
            let r = &mut self.recordings[v.recording];
            let e = &r.entities()[v.entity];
            if !e.kind.is_video() {
                continue;
            }
            let path = e.path.clone();
            let times = timeline
                .as_deref()
                .map(|t| r.times(v.entity, t))
                .unwrap_or_default();
            let due = report
                .played
                .iter()
                .map(|&(a, b)| frames_passed(&times, a, b))
                .sum();
            report.views.push((path, due, v.shown));
        }
    }

    /// Hands the report over and closes the window.
    fn finish_measuring(&mut self, ctx: &egui::Context) {
        let report = self.measuring.take().map(|(_, r)| r).unwrap_or_default();
        if let Some((_, hook)) = self.options.play_for.take() {
            hook(report);
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    fn views_grid(&mut self, ui: &mut egui::Ui, now: f64) {
        let area = ui.available_rect_before_wrap();
        let shown: Vec<usize> = match self.maximized {
            Some(m) if m < self.views.len() => vec![m],
            _ => (0..self.views.len()).collect(),
        };
        let aspect = shown
            .iter()
            .find_map(|i| self.views[*i].reply.picture.as_ref())
            .map(|p| {
                let [w, h] = p.size();
                w as f32 / h.max(1) as f32
            })
            .unwrap_or(16.0 / 9.0);
        let (cols, rows) = grid(shown.len(), aspect, area.width(), area.height());
        let cell = vec2(area.width() / cols as f32, area.height() / rows as f32);
        for (n, &vi) in shown.iter().enumerate() {
            let (c, r) = (n % cols, n / cols);
            let rect =
                Rect::from_min_size(area.min + vec2(c as f32 * cell.x, r as f32 * cell.y), cell)
                    .shrink(2.0);
            let label = {
                let v = &self.views[vi];
                let rec = &self.recordings[v.recording];
                let e = &rec.entities()[v.entity];
                if self.recordings.len() > 1 {
                    format!("{} {}", rec.name(), e.path)
                } else {
                    e.path.clone()
                }
            };
            let response = self.views[vi].show(ui, rect, &self.renderer, now, &label);
            if response.clicked() {
                self.selected = Some(vi);
            }
            // Maximise / restore from the title bar's corner.
            let button = Rect::from_min_size(rect.right_top() + vec2(-46.0, 0.0), vec2(44.0, 18.0));
            let text = if self.maximized.is_some() {
                "all"
            } else {
                "max"
            };
            if ui.put(button, egui::Button::new(text).small()).clicked() {
                self.maximized = if self.maximized.is_some() {
                    None
                } else {
                    Some(vi)
                };
            }
        }
        ui.allocate_rect(area, egui::Sense::hover());
    }

    pub(crate) fn can_open_files(&self) -> bool {
        self.host.is_some()
    }

    pub(crate) fn choose_files(&mut self) {
        self.choosing_files = true;
    }

    /// Files dropped on the window or chosen in the file dialog (Ctrl+O).
    fn open_files(&mut self, ctx: &egui::Context) {
        // On the web a dropped file has no path; it will open from its bytes.
        let mut paths: Vec<_> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
            self.choosing_files = true;
        }
        if let Some(host) = self.host.as_mut() {
            paths.extend(host.file_dialog(ctx, &mut self.choosing_files));
        }
        for path in paths {
            match self.host.as_mut() {
                Some(host) => match host.open(&path) {
                    Ok(r) => self.add_recording(r),
                    Err(e) => self.messages.push(e),
                },
                None => self
                    .messages
                    .push(format!("{}: this viewer cannot open files", path.display())),
            }
        }
    }

    /// The host's settings; after a change that needs it, every file
    /// opens again (views rebuilt, the cursor kept).
    fn settings_panel(&mut self, ui: &mut egui::Ui) {
        let Some(host) = self.host.as_mut() else {
            return;
        };
        ui.separator();
        let reopen = egui::CollapsingHeader::new("Settings")
            .show(ui, |ui| host.settings_ui(ui))
            .body_returned
            .unwrap_or(false);
        if reopen {
            let again = host.reopen_all();
            self.recordings.clear();
            self.views.clear();
            self.selected = None;
            self.maximized = None;
            self.marks = None;
            for r in again {
                match r {
                    Ok(r) => self.add_recording(r),
                    Err(e) => self.messages.push(e),
                }
            }
        }
    }

    /// Once every view is settled for a few frames: the screenshot hook.
    fn check_settled(&mut self, ctx: &egui::Context) {
        if self.options.when_settled.is_none() || self.screenshot_requested {
            return;
        }
        // Nothing to show (no timeline) is settled too: the messages say why.
        let nothing = self.cursor.timeline.is_none()
            && self.timelines().is_empty()
            && !self.recordings.iter().any(|r| r.loading());
        let settled = (self.started || nothing) && self.views.iter().all(ViewState::settled);
        self.settled_frames = if settled { self.settled_frames + 1 } else { 0 };
        // A few frames: textures uploaded and drawn, layout stable.
        if self.settled_frames < 3 {
            return;
        }
        self.screenshot_requested = true;
        let ppp = ctx.pixels_per_point();
        let views: Vec<_> = self
            .views
            .iter()
            .map(|v| {
                let rect = v.picture_rect.and_then(|r| {
                    v.view_rect.map(|clip| {
                        let r = r.intersect(clip);
                        [r.min.x * ppp, r.min.y * ppp, r.max.x * ppp, r.max.y * ppp]
                    })
                });
                let path = self.recordings[v.recording].entities()[v.entity]
                    .path
                    .clone();
                (path, rect, v.reply.error.clone())
            })
            .collect();
        let hook = self.options.when_settled.take();
        let ctx2 = ctx.clone();
        let messages = self.messages.clone();
        ctx.request_screenshot(move |image| {
            if let Some(hook) = hook {
                hook(Settled {
                    image,
                    views,
                    messages,
                });
            }
            ctx2.send_viewport_cmd(egui::ViewportCommand::Close);
            ctx2.request_repaint();
        });
        ctx.request_repaint();
    }
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // The clock moves by the wall-clock time between frames (egui's
        // `stable_dt` is a prediction, clamped to 1/60 s: slower frames
        // would slow the video down). A stall longer than 0.25 s is not
        // caught up at once.
        let now = ctx.input(|i| i.time);
        let frame_time = self.last_frame.map_or(0.0, |last| (now - last).max(0.0));
        let dt = frame_time.min(0.25);
        self.last_frame = Some(now);
        self.frame_times.push_back(dt as f32);
        if self.frame_times.len() > 120 {
            self.frame_times.pop_front();
        }
        self.open_files(&ctx);
        {
            let mut grew = false;
            for r in &mut self.recordings {
                grew |= r.refresh();
            }
            self.sync_views();
            if grew {
                self.marks = None;
                let at_edge = self
                    .cursor
                    .timeline
                    .as_ref()
                    .is_some_and(|t| self.cursor.time >= t.max);
                let timelines = self.timelines();
                if let Some(t) = self
                    .cursor
                    .timeline
                    .as_ref()
                    .and_then(|c| timelines.iter().find(|t| t.name == c.name))
                {
                    self.cursor.update_span(t.min, t.max);
                    if self.options.follow && at_edge {
                        self.cursor.home(true);
                    }
                }
            }
        }
        let timelines = self.timelines();
        self.start(&timelines);
        let marks = self.marks();
        self.handle_keys(&ctx, &marks);
        let (status, waited) = self.play(dt);
        self.measure_playback(&ctx, now, frame_time, waited, &marks);
        self.request_pictures(now);

        let samples: Option<(String, Arc<Vec<SampleMark>>)> = self.selected.and_then(|vi| {
            let v = self.views.get(vi)?;
            let tl = self.cursor.timeline.as_ref()?.name.clone();
            let r = &mut self.recordings[v.recording];
            let e = &r.entities()[v.entity];
            if !(e.kind.is_video() && e.timelines.contains(&tl)) {
                return None;
            }
            let name = e.path.clone();
            Some((name, r.samples(v.entity, &tl)))
        });
        let mut sorted: Vec<f32> = self.frame_times.iter().copied().collect();
        sorted.sort_by(f32::total_cmp);
        let p50 = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0) * 1000.0;
        let status = format!("{}  UI frame {p50:.1} ms", status.unwrap_or_default());
        egui::Panel::bottom("time").show(ui, |ui| {
            time_panel::show(
                ui,
                &mut self.cursor,
                &TimePanelInput {
                    timelines: &timelines,
                    marks: &marks,
                    samples: samples.as_ref().map(|(n, s)| (n.as_str(), s.as_slice())),
                    status,
                },
            );
        });
        egui::Panel::left("entities")
            .default_size(260.0)
            .resizable(true)
            .show(ui, |ui| self.entity_tree(ui));
        egui::Panel::right("selection")
            .default_size(260.0)
            .resizable(true)
            .show(ui, |ui| {
                self.selection_panel(ui);
                self.memory_panel(ui);
                self.settings_panel(ui);
            });
        if !self.messages.is_empty() {
            egui::Panel::top("messages").show(ui, |ui| {
                let mut dismiss = false;
                for m in &self.messages {
                    ui.colored_label(egui::Color32::from_rgb(255, 160, 160), m);
                }
                if ui.button("dismiss").clicked() {
                    dismiss = true;
                }
                if dismiss {
                    self.messages.clear();
                }
            });
        }
        egui::CentralPanel::no_frame().show(ui, |ui| self.views_grid(ui, now));
        self.check_settled(&ctx);
        // Keep painting while anything moves or waits.
        if self.cursor.playing
            || self.stepping.is_some()
            || self.views.iter().any(|v| v.reply.pending)
        {
            ctx.request_repaint();
        } else {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
    }
}
