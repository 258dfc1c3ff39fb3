//! Errors the caller must tell apart, each with its documented exit code.

use thiserror::Error;

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for anything not covered below.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for a usage error (bad flag or flag value).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a model that is not good enough for the threshold asked (`--min-auc`).
pub const EXIT_QUALITY: i32 = 3;
/// Exit code for bad input data (sysexits `EX_DATAERR`).
pub const EXIT_DATA: i32 = 65;
/// Exit code for a missing or unreadable input (sysexits `EX_NOINPUT`).
pub const EXIT_NO_INPUT: i32 = 66;
/// Exit code for an output that cannot be created (sysexits `EX_CANTCREAT`).
pub const EXIT_CANT_CREATE: i32 = 73;

/// A failure whose kind decides the exit code.
#[derive(Debug, Error)]
pub enum ClmError {
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// The input was read but its content is wrong.
    #[error("{0}")]
    BadData(String),
    /// The input file is missing or cannot be read.
    #[error("{0}")]
    InputMissing(String),
    /// The output cannot be created or written.
    #[error("{0}")]
    Output(String),
    /// A model was fitted but is below the quality the user asked for.
    #[error("{0}")]
    Quality(String),
}

impl ClmError {
    /// The process exit code for this kind of failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            ClmError::Usage(_) => EXIT_USAGE,
            ClmError::BadData(_) => EXIT_DATA,
            ClmError::InputMissing(_) => EXIT_NO_INPUT,
            ClmError::Output(_) => EXIT_CANT_CREATE,
            ClmError::Quality(_) => EXIT_QUALITY,
        }
    }
}

/// The exit code for any error: the first `ClmError` in its chain decides, a broken pipe is success.
pub fn exit_code_for(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if let Some(clm) = cause.downcast_ref::<ClmError>() {
            return clm.exit_code();
        }
        let io = cause.downcast_ref::<std::io::Error>().or_else(|| {
            match cause.downcast_ref::<csv::Error>()?.kind() {
                csv::ErrorKind::Io(io) => Some(io),
                _ => None,
            }
        });
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
            return EXIT_OK;
        }
    }
    EXIT_FAILURE
}
