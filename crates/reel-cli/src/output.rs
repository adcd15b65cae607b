//! Writing what the commands produce without losing what was there.
//!
//! - Files: [`PendingFile`] writes to a temporary file beside the output
//!   and renames it over the output only once it is complete, so a failed
//!   command leaves an existing file as it was; an output that is one of
//!   the inputs is refused before anything is written.
//! - Standard output: [`outln!`] reports a failed write instead of
//!   panicking as `println!` does; a closed pipe (`reel print … | head`)
//!   ends the program quietly, as command-line tools do.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Writes one line to standard output (see [`write_line`]).
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))?
    };
}
pub(crate) use outln;

/// Writes a line to standard output (line-buffered: it is out when this
/// returns): `Ok` when written, an error naming the failure otherwise; a
/// reader that went away (EPIPE) ends the program with success, since
/// nobody is left to read the rest.
pub fn write_line(args: std::fmt::Arguments<'_>) -> Result<()> {
    match writeln!(std::io::stdout().lock(), "{args}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("writing to standard output"),
    }
}

/// An output file being written: the command writes [`path`](Self::path)
/// (a temporary file beside the output) and [`commit`](Self::commit)s it
/// over the output when done. Dropped without a commit, the temporary file
/// is removed and the output is untouched.
pub struct PendingFile {
    temp: PathBuf,
    out: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Prepares to write `out`; refuses when `out` is one of `inputs`.
    pub fn new(out: &Path, inputs: &[&Path]) -> Result<Self> {
        for input in inputs {
            if same_file(out, input) {
                bail!(
                    "{} is also the input: writing it would destroy what is read; choose another output",
                    out.display()
                );
            }
        }
        let name = out
            .file_name()
            .with_context(|| format!("{}: not a file name", out.display()))?;
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            bail!(
                "{}: the folder {} does not exist",
                out.display(),
                dir.display()
            );
        }
        let temp_name = format!(".{}.partial-{}", name.to_string_lossy(), std::process::id());
        let temp = dir.map_or_else(|| PathBuf::from(&temp_name), |d| d.join(&temp_name));
        Ok(Self {
            temp,
            out: out.to_owned(),
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Replaces the output with the complete file.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.temp, &self.out).with_context(|| {
            format!(
                "moving the finished file into place as {}",
                self.out.display()
            )
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Whether two paths name the same existing file (also through links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}
