//! The side panels: the entity tree and the selection's facts.

use eframe::egui;

use crate::app::ViewerApp;
use crate::recording::EntityKind;

impl ViewerApp {
    pub(crate) fn entity_tree(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Entities");
            if self.can_open_files()
                && ui
                    .button("Open…")
                    .on_hover_text("Open recordings or video files (Ctrl+O); or drop them here")
                    .clicked()
            {
                self.choose_files();
            }
        });
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (ri, r) in self.recordings.iter().enumerate() {
                ui.label(egui::RichText::new(r.name()).strong());
                for (vi, v) in self.views.iter().enumerate() {
                    if v.recording != ri {
                        continue;
                    }
                    let e = &r.entities()[v.entity];
                    let text = format!("{}  {}  {}", e.path, e.kind.name(), e.details);
                    if ui
                        .selectable_label(self.selected == Some(vi), text)
                        .clicked()
                    {
                        self.selected = Some(vi);
                    }
                }
            }
            if self.recordings.is_empty() {
                ui.label(
                    "Drop a recording (.reel) or a video file (MP4, MOV, MKV, WebM, IVF) here.",
                );
            }
        });
    }

    pub(crate) fn selection_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading("Selection");
        let Some(vi) = self.selected.filter(|v| *v < self.views.len()) else {
            ui.label("Click a view or an entity.");
            return;
        };
        let (ri, ei) = (self.views[vi].recording, self.views[vi].entity);
        let details = self.recordings[ri].details(ei);
        let kind = self.recordings[ri].entities()[ei].kind;
        egui::Grid::new("details").striped(true).show(ui, |ui| {
            for (k, v) in details {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
            let v = &self.views[vi];
            if kind.is_video() {
                ui.label("frames shown");
                ui.label(v.shown.to_string());
                ui.end_row();
                ui.label("due while playing");
                ui.label(v.due.to_string());
                ui.end_row();
                ui.label("skipped while playing");
                ui.label(v.dropped().to_string());
                ui.end_row();
            }
        });
        if matches!(kind, EntityKind::Image) {
            let v = &mut self.views[vi];
            let mut on = v.range.is_some();
            ui.checkbox(&mut on, "value range for 16-bit / float gray");
            if on {
                let range = v.range.get_or_insert(crate::picture::ValueRange {
                    min: 0.0,
                    max: 65535.0,
                });
                ui.add(egui::DragValue::new(&mut range.min).prefix("black "));
                ui.add(egui::DragValue::new(&mut range.max).prefix("white "));
            } else {
                v.range = None;
            }
        }
        let v = &mut self.views[vi];
        ui.checkbox(&mut v.one_to_one, "1:1 pixels (double-click a view: fit)");
    }

    /// Memory held against each budget, each settable (MB).
    pub(crate) fn memory_panel(&mut self, ui: &mut egui::Ui) {
        ui.separator();
        ui.strong("Memory");
        let mut changes: Vec<(String, usize)> = Vec::new();
        let mut shared_seen = Vec::new();
        egui::Grid::new("memory").show(ui, |ui| {
            for r in &self.recordings {
                for b in r.budgets() {
                    if b.shared {
                        if shared_seen.contains(&b.name) {
                            continue;
                        }
                        shared_seen.push(b.name.clone());
                        ui.label(&b.name);
                    } else {
                        ui.label(format!("{} ({})", b.name, r.name()));
                    }
                    ui.label(format!("{:.0} MB of", b.used as f64 / 1e6));
                    let mut mb = (b.limit.min(1 << 40) >> 20) as u64;
                    let edit = ui.add(
                        egui::DragValue::new(&mut mb)
                            .suffix(" MiB")
                            .range(16..=65536),
                    );
                    if edit.changed() {
                        changes.push((b.name.clone(), (mb as usize) << 20));
                    }
                    ui.end_row();
                }
            }
            let r = self.renderer.lock().unwrap_or_else(|e| e.into_inner());
            ui.label("GPU plane textures");
            ui.label(format!("{:.0} MB", r.texture_bytes as f64 / 1e6));
            ui.end_row();
        });
        for (name, bytes) in changes {
            for r in &mut self.recordings {
                r.set_budget(&name, bytes);
            }
        }
    }
}
