//! Phase timings for performance work: `CLM_TIMINGS=1 clm rfm …` prints how long each phase
//! took, how many pages of fresh memory it touched and the CPU time it used (on all threads:
//! CPU / wall is how well it ran in parallel), on stderr. Silent (and nearly free) otherwise.

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
    /// The process's usage at the last lap.
    usage: Usage,
}

impl Stopwatch {
    /// Starts timing the phases of `scope` (a short name such as "load").
    pub fn start(scope: &'static str) -> Stopwatch {
        let now = Instant::now();
        Stopwatch {
            scope,
            started: now,
            last: now,
            usage: Usage::now(),
        }
    }

    /// Ends a phase: prints `timing: scope/phase 1.234 s (total 5.678 s; 1234 page faults;
    /// cpu 2.345 s)` when timings are on.
    pub fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        if enabled() {
            let secs = (now - self.last).as_secs_f64();
            let total = (now - self.started).as_secs_f64();
            let usage = Usage::now();
            eprintln!(
                "timing: {}/{phase} {secs:.3} s (total {total:.3} s; {} page faults; cpu {:.3} s)",
                self.scope,
                usage.faults.saturating_sub(self.usage.faults),
                usage.cpu_secs - self.usage.cpu_secs,
            );
            self.usage = usage;
        }
        self.last = now;
    }
}

/// What the process has used so far, when timings are on (zero where it cannot tell).
#[derive(Clone, Copy, Default)]
struct Usage {
    /// Page faults: each a page of memory touched for the first time, which the kernel zeroes
    /// or reads in.
    faults: u64,
    /// CPU time of all threads, user and system.
    cpu_secs: f64,
}

impl Usage {
    fn now() -> Usage {
        if !enabled() {
            return Usage::default();
        }
        #[cfg(unix)]
        {
            let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
            // SAFETY: `getrusage` fills the struct it is given; on failure it is left zeroed.
            let usage = unsafe {
                libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
                usage.assume_init()
            };
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
            Usage {
                faults: (usage.ru_minflt + usage.ru_majflt) as u64,
                cpu_secs: secs(usage.ru_utime) + secs(usage.ru_stime),
            }
        }
        #[cfg(not(unix))]
        Usage::default()
    }
}
