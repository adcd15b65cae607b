//! The viewer's settings that outlive a run: where FFmpeg is. Saved as a
//! small JSON file in the user's config folder (`$REEL_CONFIG_DIR`, else
//! `$XDG_CONFIG_HOME/reel`, else `~/.config/reel`), replaced whole (temp +
//! rename) so a crash never leaves half a file. Environment variables
//! (`REEL_FFMPEG`, `REEL_LIBAVCODEC`) still win over saved settings.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What is saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The `ffmpeg` program (empty: `ffmpeg` on `PATH`).
    pub ffmpeg: String,
    /// FFmpeg's libavcodec library (empty: the installed FFmpeg's).
    pub libavcodec: String,
}

/// The settings file's name inside the config folder.
const FILE: &str = "viewer-settings.json";

/// The config folder, if the environment names one.
pub fn config_dir() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("REEL_CONFIG_DIR")
        .or_else(|| var("XDG_CONFIG_HOME").map(|d| d.join("reel")))
        .or_else(|| var("HOME").map(|d| d.join(".config").join("reel")))
}

impl Settings {
    /// The saved settings; defaults when there are none, and with them why
    /// a file that exists could not be read.
    pub fn load() -> (Self, Option<String>) {
        let Some(path) = config_dir().map(|d| d.join(FILE)) else {
            return (Self::default(), None);
        };
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(format!("{}: {e}", path.display()))),
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(s) => (s, None),
                Err(e) => (
                    Self::default(),
                    Some(format!(
                        "{}: not valid settings ({e}); using defaults, saving replaces it",
                        path.display()
                    )),
                ),
            },
        }
    }

    /// Saves the settings; returns the file written.
    pub fn save(&self) -> Result<PathBuf, String> {
        let dir = config_dir().ok_or("no config folder: set HOME or REEL_CONFIG_DIR")?;
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        let text = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// Makes the decoders use these paths (from the next decoder on).
    pub fn apply(&self) {
        reel_decode::ffmpeg::set_ffmpeg_path(Some(self.ffmpeg.clone()));
        reel_decode::libav::set_library_path(Some(self.libavcodec.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_save_and_a_damaged_file_falls_back_to_defaults() {
        let dir = std::env::temp_dir().join(format!("reel-settings-{}", std::process::id()));
        // SAFETY: this crate's only test touching the environment.
        unsafe { std::env::set_var("REEL_CONFIG_DIR", &dir) };
        let s = Settings {
            ffmpeg: "/opt/ffmpeg/bin/ffmpeg".into(),
            libavcodec: String::new(),
        };
        let path = s.save().unwrap();
        assert_eq!(Settings::load(), (s, None));
        std::fs::write(&path, b"{\"ffmpeg\": ").unwrap();
        let (loaded, error) = Settings::load();
        assert_eq!(loaded, Settings::default());
        assert!(error.unwrap().contains("not valid settings"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
