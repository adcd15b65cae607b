//! The desktop's side of the window: files from disk, the file dialog,
//! and the saved FFmpeg settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;
use reel_decode::FrameServer;

use super::file_dialog::FileDialog;
use super::settings::Settings;
use crate::host::Host;
use crate::recording::Recording;

/// Files from disk on reel's frame server.
pub struct NativeHost {
    server: Arc<FrameServer>,
    follow: bool,
    /// Every path opened, for opening again after a settings change.
    opened: Vec<PathBuf>,
    dialog: FileDialog,
    saved: Settings,
    edited: Settings,
    status: Option<String>,
}

impl NativeHost {
    /// A host opening files on `server`; `settings` are those applied at start.
    pub fn new(server: Arc<FrameServer>, follow: bool, settings: Settings) -> Self {
        Self {
            server,
            follow,
            opened: Vec::new(),
            dialog: FileDialog::default(),
            edited: settings.clone(),
            saved: settings,
            status: None,
        }
    }
}

fn path_field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str, env: &str) {
    ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    );
    if std::env::var_os(env).is_some() {
        ui.weak(format!("{env} is set and wins over this"));
    }
}

impl Host for NativeHost {
    fn open(&mut self, path: &Path) -> Result<Box<dyn Recording>, String> {
        let r = super::open(path, &self.server, self.follow)?;
        if !self.opened.iter().any(|p| p == path) {
            self.opened.push(path.to_path_buf());
        }
        Ok(r)
    }

    fn file_dialog(&mut self, ctx: &egui::Context, showing: &mut bool) -> Vec<PathBuf> {
        self.dialog.show(ctx, showing)
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) -> bool {
        path_field(
            ui,
            "ffmpeg program",
            &mut self.edited.ffmpeg,
            "ffmpeg on PATH",
            "REEL_FFMPEG",
        );
        path_field(
            ui,
            "FFmpeg's libavcodec library",
            &mut self.edited.libavcodec,
            "the installed FFmpeg's",
            "REEL_LIBAVCODEC",
        );
        let loaded = match reel_decode::libav::version() {
            Ok(v) => format!("libavcodec {v} loaded"),
            Err(e) => format!("libavcodec not loaded: {e}"),
        };
        ui.weak(loaded);
        let mut reopen = false;
        let changed = self.edited != self.saved;
        if ui
            .add_enabled(changed, egui::Button::new("Save and reopen files"))
            .clicked()
        {
            self.edited.apply();
            self.status = Some(match self.edited.save() {
                Ok(path) => format!("saved to {}", path.display()),
                Err(e) => format!("applied for this run, not saved: {e}"),
            });
            self.saved = self.edited.clone();
            reopen = true;
        }
        if let Some(s) = &self.status {
            ui.weak(s);
        }
        reopen
    }

    fn reopen_all(&mut self) -> Vec<Result<Box<dyn Recording>, String>> {
        let paths = self.opened.clone();
        paths.iter().map(|p| self.open(p)).collect()
    }
}
