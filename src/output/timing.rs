//! Phase timings for performance work: `CLM_TIMINGS=1 clm rfm …` prints how long each phase
//! took, and how many pages of fresh memory it touched, on stderr. Silent (and nearly free)
//! otherwise.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether `CLM_TIMINGS` is set to anything but `0` or empty (read once).
fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("CLM_TIMINGS").is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Measures consecutive phases: each [`Stopwatch::lap`] prints the time since the previous one.
pub struct Stopwatch {
    scope: &'static str,
    started: Instant,
    last: Instant,
    /// The process's page faults at the last lap.
    faults: u64,
}

impl Stopwatch {
    /// Starts timing the phases of `scope` (a short name such as "load").
    pub fn start(scope: &'static str) -> Stopwatch {
        let now = Instant::now();
        Stopwatch {
            scope,
            started: now,
            last: now,
            faults: page_faults(),
        }
    }

    /// Ends a phase: prints `timing: scope/phase 1.234 s (total 5.678 s; 1234 page faults)`
    /// when timings are on.
    pub fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        if enabled() {
            let secs = (now - self.last).as_secs_f64();
            let total = (now - self.started).as_secs_f64();
            let faults = page_faults();
            eprintln!(
                "timing: {}/{phase} {secs:.3} s (total {total:.3} s; {} page faults)",
                self.scope,
                faults.saturating_sub(self.faults)
            );
            self.faults = faults;
        }
        self.last = now;
    }
}

/// The page faults of the process so far (each a page of memory touched for the first time,
/// which the kernel zeroes or reads in), when timings are on; 0 where it cannot tell.
fn page_faults() -> u64 {
    if !enabled() {
        return 0;
    }
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` fills the struct it is given; on failure it is left zeroed.
        let usage = unsafe {
            libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
            usage.assume_init()
        };
        (usage.ru_minflt + usage.ru_majflt) as u64
    }
    #[cfg(not(unix))]
    0
}
