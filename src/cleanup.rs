//! Temporary files removed when a signal (SIGINT, SIGTERM, SIGHUP) stops the run.
//!
//! A temporary file is normally removed when its owner drops it; a signal ends the process
//! without running destructors, which left a half-written `.clm-XXXXXX.tmp` beside the output
//! and a decompressed copy of a `.gz` input in `$TMPDIR`. Every such file is listed here while
//! it exists, and [`install_signal_handlers`] removes the listed files before exiting with
//! 128 + the signal number, as a shell reports a process killed by that signal.

use std::io;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};

/// The temporary files that exist now, by registration number.
static TEMPORARY_FILES: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
/// The next registration number.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Removes the listed temporary files and exits with 128 + n on SIGINT, SIGTERM and SIGHUP.
///
/// The signals are received by `signal-hook` on a thread of its own, so the removal runs as
/// ordinary code rather than inside a signal handler (where almost nothing is safe to call).
pub fn install_signal_handlers() -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("clm-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_all();
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

/// Removes every listed file; the list stays locked, so no file is renamed into place
/// (see [`Registration::hold`]) or newly listed while the process exits.
fn remove_all() {
    let files = TEMPORARY_FILES.lock().unwrap_or_else(|e| e.into_inner());
    for (_, path) in files.iter() {
        let _ = std::fs::remove_file(path);
    }
    // The lock is kept until the process exits.
    std::mem::forget(files);
}

/// A path listed for removal on a signal; dropping it takes the path off the list.
#[derive(Debug)]
struct Registration(u64);

impl Registration {
    /// Lists `path` for removal on a signal.
    fn new(path: &Path) -> Registration {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        TEMPORARY_FILES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, path.to_path_buf()));
        Registration(id)
    }

    /// Runs `step` (renaming the file into place) while no signal can remove listed files, so
    /// a signal either finds the temporary file or finds it already renamed, never a half-way.
    fn hold<T>(&self, step: impl FnOnce() -> T) -> T {
        let _files = TEMPORARY_FILES.lock().unwrap_or_else(|e| e.into_inner());
        step()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut files = TEMPORARY_FILES.lock().unwrap_or_else(|e| e.into_inner());
        files.retain(|(id, _)| *id != self.0);
    }
}

/// A temporary file, removed when dropped or when a signal stops the run.
#[derive(Debug)]
pub struct TempFile {
    // Declared first, so dropped (and the file removed) before it leaves the list.
    file: tempfile::NamedTempFile,
    registration: Registration,
}

impl TempFile {
    /// Creates an empty temporary file in `$TMPDIR`.
    pub fn new() -> io::Result<TempFile> {
        Ok(TempFile::listed(tempfile::NamedTempFile::new()?))
    }

    /// Creates an empty temporary file in `dir` as `builder` says (name, permissions).
    pub fn in_dir(builder: &tempfile::Builder, dir: &Path) -> io::Result<TempFile> {
        Ok(TempFile::listed(builder.tempfile_in(dir)?))
    }

    fn listed(file: tempfile::NamedTempFile) -> TempFile {
        let registration = Registration::new(file.path());
        TempFile { file, registration }
    }

    /// Renames the file to `target`, replacing it, while no signal can remove it half-way.
    /// On failure the temporary file is removed before it leaves the list.
    pub fn persist(self, target: &Path) -> io::Result<()> {
        let TempFile { file, registration } = self;
        registration.hold(|| file.persist(target).map(drop).map_err(|e| e.error))
    }
}

impl Deref for TempFile {
    type Target = tempfile::NamedTempFile;

    fn deref(&self) -> &Self::Target {
        &self.file
    }
}

impl DerefMut for TempFile {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(path: &Path) -> bool {
        TEMPORARY_FILES
            .lock()
            .unwrap()
            .iter()
            .any(|(_, p)| p == path)
    }

    #[test]
    fn a_temporary_file_is_listed_while_it_exists() {
        let file = TempFile::new().unwrap();
        let path = file.path().to_path_buf();
        assert!(path.exists());
        assert!(listed(&path));
        drop(file);
        assert!(!path.exists());
        assert!(!listed(&path));
    }
}
