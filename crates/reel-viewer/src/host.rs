//! What the platform around the viewer provides: opening files (dropped,
//! or chosen in a dialog) and settings of its own (where FFmpeg is). The
//! window asks through this trait, so it stays the same on every target:
//! natively files come from disk ([`crate::native::NativeHost`]); a web
//! build will take them from the browser.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::recording::Recording;

/// The platform's side of the window.
pub trait Host {
    /// Opens a file by path (dropped on the window, or chosen).
    fn open(&mut self, path: &Path) -> Result<Box<dyn Recording>, String>;

    /// Shows the file dialog while `showing` (the host clears it when the
    /// user is done); returns the files chosen this frame.
    fn file_dialog(&mut self, ctx: &egui::Context, showing: &mut bool) -> Vec<PathBuf>;

    /// Draws the host's settings. Returns true when the open files must
    /// open again for a change to apply (a decoder found at a new path).
    fn settings_ui(&mut self, ui: &mut egui::Ui) -> bool;

    /// Every file opened so far, opened again (after a settings change).
    fn reopen_all(&mut self) -> Vec<Result<Box<dyn Recording>, String>>;
}
