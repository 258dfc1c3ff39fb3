//! Phase timings for performance work: `CLM_TIMINGS=1 clm rfm …` prints how long each phase
//! took on stderr. Silent (and nearly free) otherwise.

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
}

impl Stopwatch {
    /// Starts timing the phases of `scope` (a short name such as "load").
    pub fn start(scope: &'static str) -> Stopwatch {
        let now = Instant::now();
        Stopwatch {
            scope,
            started: now,
            last: now,
        }
    }

    /// Ends a phase: prints `timing: scope/phase 1.234 s (total 5.678 s)` when timings are on.
    pub fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        if enabled() {
            let secs = (now - self.last).as_secs_f64();
            let total = (now - self.started).as_secs_f64();
            eprintln!(
                "timing: {}/{phase} {secs:.3} s (total {total:.3} s)",
                self.scope
            );
        }
        self.last = now;
    }
}
