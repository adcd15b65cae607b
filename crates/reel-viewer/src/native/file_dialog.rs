//! The open-file dialog, drawn with egui inside the window: a folder
//! listing (recordings and video files; every file on request) and a path
//! field to type or paste into.
//!
//! Why our own: `rfd` (Rerun's choice) shows the desktop's dialog through
//! the XDG portal, a D-Bus service that is missing under Xvfb, over SSH X
//! forwarding and in containers, or through GTK, a system library at build
//! time; `egui-file-dialog` follows egui a release behind (0.15 is built on
//! egui 0.36, reel on 0.37). A listing and a path field work wherever the
//! window does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use eframe::egui;

/// What the viewer opens, by extension (anything opens by its path too).
const OPENS: [&str; 8] = ["reel", "mp4", "mov", "m4v", "mkv", "webm", "ivf", "m4s"];

struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
    bytes: u64,
}

/// The dialog's state between frames.
pub struct FileDialog {
    dir: PathBuf,
    typed: String,
    entries: Vec<Entry>,
    listed: Option<PathBuf>,
    every_file: bool,
    chosen: BTreeSet<PathBuf>,
    error: Option<String>,
}

impl Default for FileDialog {
    fn default() -> Self {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        Self {
            typed: dir.display().to_string(),
            dir,
            entries: Vec::new(),
            listed: None,
            every_file: false,
            chosen: BTreeSet::new(),
            error: None,
        }
    }
}

fn opens(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| OPENS.contains(&e.to_ascii_lowercase().as_str()))
}

impl FileDialog {
    fn go_to(&mut self, dir: PathBuf) {
        self.typed = dir.display().to_string();
        self.dir = dir;
        self.listed = None;
        self.chosen.clear();
    }

    /// Reads the folder once per visit (and when the filter changes).
    fn list(&mut self) {
        if self.listed.as_deref() == Some(&self.dir) {
            return;
        }
        self.listed = Some(self.dir.clone());
        self.entries.clear();
        self.error = None;
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(format!("{}: {e}", self.dir.display()));
                return;
            }
        };
        for item in read.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = item.path();
            // Follows symbolic links: a link to a folder is a folder.
            let meta = std::fs::metadata(&path).ok();
            let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
            if !is_dir && !self.every_file && !opens(&path) {
                continue;
            }
            let bytes = meta.map_or(0, |m| m.len());
            self.entries.push(Entry {
                name,
                path,
                is_dir,
                bytes,
            });
        }
        self.entries
            .sort_by(|a, b| (!a.is_dir, &a.name).cmp(&(!b.is_dir, &b.name)));
    }

    /// Draws the dialog while `showing`; returns the files chosen.
    pub fn show(&mut self, ctx: &egui::Context, showing: &mut bool) -> Vec<PathBuf> {
        if !*showing {
            return Vec::new();
        }
        self.list();
        let mut open_now: Vec<PathBuf> = Vec::new();
        let mut go: Option<PathBuf> = None;
        let mut close = false;
        egui::Window::new("Open files")
            .collapsible(false)
            .default_size([560.0, 420.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Up").on_hover_text("the parent folder").clicked() {
                        go = self.dir.parent().map(Path::to_path_buf);
                    }
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut self.typed)
                            .desired_width(f32::INFINITY)
                            .hint_text("a folder or a file: type or paste its path, Enter"),
                    );
                    if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        let typed = PathBuf::from(self.typed.trim());
                        if typed.is_dir() {
                            go = Some(typed);
                        } else {
                            open_now.push(typed);
                        }
                    }
                });
                if let Some(e) = &self.error {
                    ui.colored_label(egui::Color32::from_rgb(255, 160, 160), e);
                }
                egui::ScrollArea::vertical()
                    .max_height(320.0)
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        for entry in &self.entries {
                            let text = if entry.is_dir {
                                format!("{}/", entry.name)
                            } else {
                                format!("{}   {:.1} MB", entry.name, entry.bytes as f64 / 1e6)
                            };
                            let chosen = self.chosen.contains(&entry.path);
                            let row = ui.selectable_label(chosen, text);
                            if entry.is_dir {
                                if row.clicked() {
                                    go = Some(entry.path.clone());
                                }
                            } else if row.double_clicked() {
                                open_now.push(entry.path.clone());
                            } else if row.clicked() {
                                if chosen {
                                    self.chosen.remove(&entry.path);
                                } else {
                                    self.chosen.insert(entry.path.clone());
                                }
                            }
                        }
                        if self.entries.is_empty() && self.error.is_none() {
                            ui.weak("no recordings or video files here");
                        }
                    });
                ui.separator();
                ui.horizontal(|ui| {
                    let n = self.chosen.len();
                    if ui
                        .add_enabled(n > 0, egui::Button::new(format!("Open {n} file(s)")))
                        .clicked()
                    {
                        open_now.extend(self.chosen.iter().cloned());
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                    if ui.checkbox(&mut self.every_file, "every file").changed() {
                        self.listed = None;
                    }
                    ui.weak("click: choose · double-click: open");
                });
            });
        if let Some(dir) = go {
            self.go_to(dir);
        }
        if !open_now.is_empty() || close || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            *showing = false;
            self.chosen.clear();
        }
        open_now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_shows_folders_first_then_what_opens() {
        let dir = std::env::temp_dir().join(format!("reel-file-dialog-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("takes")).unwrap();
        for f in ["b.MP4", "a.reel", "notes.txt", ".hidden.mp4"] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        let mut dialog = FileDialog::default();
        dialog.go_to(dir.clone());
        dialog.list();
        let names: Vec<_> = dialog.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["takes", "a.reel", "b.MP4"]);
        dialog.every_file = true;
        dialog.listed = None;
        dialog.list();
        let names: Vec<_> = dialog.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["takes", "a.reel", "b.MP4", "notes.txt"]);
        dialog.go_to(dir.join("missing"));
        dialog.list();
        assert!(dialog.error.as_deref().unwrap().contains("missing"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
