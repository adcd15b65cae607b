//! The time panel: play controls, the timeline with a mark per logged row
//! (drag to scrub, wheel to zoom, shift-wheel or drag with the right button
//! to pan), and the GOP strip of the selected video entity.

use eframe::egui::{self, Align2, Color32, FontId, Rect, Sense, Stroke, pos2, vec2};

use crate::recording::SampleMark;
use crate::time::{TimeCursor, TimelineSummary, WhenBehind};

/// What the panel shows besides the cursor.
pub struct TimePanelInput<'a> {
    /// Every timeline of the open recordings.
    pub timelines: &'a [TimelineSummary],
    /// Sorted times of every row on the driving timeline.
    pub marks: &'a [i64],
    /// The selected video entity's samples (GOP strip), with its name.
    pub samples: Option<(&'a str, &'a [SampleMark])>,
    /// "buffering", dropped frames and such.
    pub status: String,
}

/// Draws the panel; changes the cursor as the user asks.
pub fn show(ui: &mut egui::Ui, cursor: &mut TimeCursor, input: &TimePanelInput<'_>) {
    ui.horizontal(|ui| {
        let play = if cursor.playing { "Pause" } else { "Play" };
        if ui
            .button(play)
            .on_hover_text("Play / pause (space)")
            .clicked()
        {
            cursor.playing = !cursor.playing;
        }
        if ui.button("|<").on_hover_text("Start (home)").clicked() {
            cursor.home(false);
        }
        if ui.button("<").on_hover_text("One frame back (←)").clicked() {
            cursor.step(input.marks, false);
        }
        if ui.button(">").on_hover_text("One frame forward (→)").clicked() {
            cursor.step(input.marks, true);
        }
        if ui.button(">|").on_hover_text("End (end)").clicked() {
            cursor.home(true);
        }
        ui.checkbox(&mut cursor.looping, "loop");
        egui::ComboBox::from_id_salt("speed")
            .selected_text(format!("{}x", cursor.speed))
            .width(60.0)
            .show_ui(ui, |ui| {
                for s in [0.25, 0.5, 1.0, 2.0, 4.0] {
                    ui.selectable_value(&mut cursor.speed, s, format!("{s}x"));
                }
            });
        let current = cursor.timeline.as_ref().map(|t| t.name.clone());
        egui::ComboBox::from_id_salt("timeline")
            .selected_text(current.clone().unwrap_or_else(|| "no timeline".into()))
            .show_ui(ui, |ui| {
                for t in input.timelines {
                    if ui
                        .selectable_label(current.as_deref() == Some(t.name.as_str()), &t.name)
                        .clicked()
                    {
                        cursor.set_timeline(t.clone());
                    }
                }
            })
            .response
            .on_hover_text("The timeline that drives the views");
        egui::ComboBox::from_id_salt("behind")
            .selected_text(match cursor.when_behind {
                WhenBehind::Wait => "wait for frames",
                WhenBehind::Skip => "skip late frames",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut cursor.when_behind, WhenBehind::Wait, "wait for frames");
                ui.selectable_value(&mut cursor.when_behind, WhenBehind::Skip, "skip late frames");
            })
            .response
            .on_hover_text("When decoding falls behind while playing: the clock waits, or late frames are skipped and counted");
        if let Some(tl) = &cursor.timeline {
            ui.monospace(tl.format(cursor.time));
        }
        ui.label(&input.status);
    });
    timeline_strip(ui, cursor, input.marks, 28.0);
    if let Some((name, samples)) = input.samples {
        gop_strip(ui, cursor, name, samples);
    }
}

/// x of time `t` in `rect` for the visible span.
fn x_of(rect: Rect, (a, b): (f64, f64), t: f64) -> f32 {
    rect.left() + ((t - a) / (b - a)) as f32 * rect.width()
}

fn time_of(rect: Rect, (a, b): (f64, f64), x: f32) -> f64 {
    a + f64::from((x - rect.left()) / rect.width()) * (b - a)
}

fn timeline_strip(ui: &mut egui::Ui, cursor: &mut TimeCursor, marks: &[i64], height: f32) {
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(30));
    let Some(span) = cursor.visible() else {
        return;
    };
    // Wheel: zoom around the pointer; shift-wheel or secondary drag: pan.
    if response.hovered() {
        let (scroll, shift) = ui.input(|i| (i.smooth_scroll_delta, i.modifiers.shift));
        let amount = if scroll.y != 0.0 { scroll.y } else { scroll.x };
        if amount != 0.0 {
            if shift || scroll.x != 0.0 {
                cursor.pan(-f64::from(amount / rect.width()) * (span.1 - span.0));
            } else if let Some(p) = response.hover_pos() {
                cursor.zoom(f64::from((-amount / 200.0).exp()), time_of(rect, span, p.x));
            }
        }
    }
    if response.dragged_by(egui::PointerButton::Secondary) {
        cursor.pan(-f64::from(response.drag_delta().x / rect.width()) * (span.1 - span.0));
    } else if (response.dragged_by(egui::PointerButton::Primary) || response.clicked())
        && let Some(p) = response.interact_pointer_pos()
    {
        // Scrub: the cursor follows the pointer.
        cursor.seek(time_of(rect, span, p.x).round() as i64);
    }
    let span = cursor.visible().unwrap_or(span);
    // One mark per pixel column at most.
    let mut last_x = f32::NEG_INFINITY;
    let start = marks.partition_point(|t| (*t as f64) < span.0);
    for &t in &marks[start..] {
        if t as f64 > span.1 {
            break;
        }
        let x = x_of(rect, span, t as f64);
        if x - last_x >= 1.0 {
            painter.line_segment(
                [pos2(x, rect.bottom() - 8.0), pos2(x, rect.bottom())],
                Stroke::new(1.0, Color32::from_gray(140)),
            );
            last_x = x;
        }
    }
    let x = x_of(rect, span, cursor.time as f64);
    painter.line_segment(
        [pos2(x, rect.top()), pos2(x, rect.bottom())],
        Stroke::new(2.0, Color32::from_rgb(255, 200, 60)),
    );
    if let Some(tl) = &cursor.timeline {
        painter.text(
            rect.left_top() + vec2(4.0, 2.0),
            Align2::LEFT_TOP,
            tl.format(span.0.round() as i64),
            FontId::monospace(10.0),
            Color32::from_gray(170),
        );
        painter.text(
            rect.right_top() + vec2(-4.0, 2.0),
            Align2::RIGHT_TOP,
            tl.format(span.1.round() as i64),
            FontId::monospace(10.0),
            Color32::from_gray(170),
        );
    }
}

/// Samples on the time axis: keyframes tall and orange, reordered
/// (B-)frames blue, others gray; the height of a bar grows with its bytes.
fn gop_strip(ui: &mut egui::Ui, cursor: &mut TimeCursor, name: &str, samples: &[SampleMark]) {
    let (rect, response) =
        ui.allocate_exact_size(vec2(ui.available_width(), 34.0), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(24));
    let Some(span) = cursor.visible() else {
        return;
    };
    if (response.dragged_by(egui::PointerButton::Primary) || response.clicked())
        && let Some(p) = response.interact_pointer_pos()
    {
        cursor.seek(time_of(rect, span, p.x).round() as i64);
    }
    let largest = samples.iter().map(|s| s.bytes).max().unwrap_or(1).max(1) as f32;
    let start = samples.partition_point(|s| (s.time as f64) < span.0);
    let mut last_x = f32::NEG_INFINITY;
    for s in &samples[start..] {
        if s.time as f64 > span.1 {
            break;
        }
        let x = x_of(rect, span, s.time as f64);
        // Keyframes always drawn; others one per pixel column.
        if !s.keyframe && x - last_x < 1.0 {
            continue;
        }
        last_x = x;
        let h = 6.0 + (s.bytes as f32 / largest).sqrt() * (rect.height() - 8.0);
        let color = if s.keyframe {
            Color32::from_rgb(255, 150, 40)
        } else if s.reordered {
            Color32::from_rgb(90, 150, 255)
        } else {
            Color32::from_gray(150)
        };
        painter.line_segment(
            [
                pos2(x, rect.bottom()),
                pos2(x, rect.bottom() - h.min(rect.height())),
            ],
            Stroke::new(if s.keyframe { 2.0 } else { 1.0 }, color),
        );
    }
    let x = x_of(rect, span, cursor.time as f64);
    painter.line_segment(
        [pos2(x, rect.top()), pos2(x, rect.bottom())],
        Stroke::new(1.0, Color32::from_rgb(255, 200, 60)),
    );
    painter.text(
        rect.left_top() + vec2(4.0, 2.0),
        Align2::LEFT_TOP,
        format!("{name}: keyframes orange, B-frames blue, height = sample size"),
        FontId::proportional(10.0),
        Color32::from_gray(170),
    );
}
