//! Progress of long phases on stderr: a bar when the size of the work is known (rows written,
//! steps of a back-test), a running count when only the unit is (likelihood evaluations of a
//! fit), a spinner when neither is. Drawn only when stderr is a terminal and `--quiet` is not
//! given, so cron logs, pipes and tests get no progress bytes; each display clears itself when
//! dropped. A display started while another runs (a model fit inside a command's "training and
//! scoring") takes the line below it, so the two never write over each other.

use std::io::IsTerminal;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::Log;

/// Cleared by `--quiet` (for code without a [`Log`] at hand, such as the file writers).
static SHOWN: AtomicBool = AtomicBool::new(true);

/// Shows progress (unless `quiet`) when stderr is a terminal; set once from the command line.
pub fn set_progress_shown(shown: bool) {
    SHOWN.store(shown, Ordering::Relaxed);
}

/// Every display on stderr, one line each, so nested ones do not write over each other.
static SCREEN: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

/// Draws `bar` on its own line of `screen`.
fn start_on(screen: &MultiProgress, bar: ProgressBar) -> ProgressBar {
    screen.add(bar)
}

/// Clears `bar` and gives its line back.
fn end_on(screen: &MultiProgress, bar: &ProgressBar) {
    bar.finish_and_clear();
    screen.remove(bar);
}

/// Runs `print` (a message on stderr) with the displays cleared, then draws them again below
/// it, so a note printed during a fit does not land in the middle of a bar.
pub fn above_progress<T>(print: impl FnOnce() -> T) -> T {
    SCREEN.suspend(print)
}

/// A spinner that ticks on its own (for work whose steps come too seldom to animate it),
/// drawn with `template`.
fn ticking(message: &str, template: &str) -> Progress {
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = ProgressBar::new_spinner()
        .with_style(style)
        .with_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    start(bar)
}

fn start(bar: ProgressBar) -> Progress {
    Progress(Some(start_on(&SCREEN, bar)))
}

/// Tables smaller than this are written without a progress bar (they take well under a second).
pub const LARGE_TABLE_ROWS: usize = 500_000;

/// A progress display on stderr, or nothing; see the module documentation.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// No display at all.
    pub fn hidden() -> Progress {
        Progress(None)
    }

    /// A bar of `total` `unit`s (such as rows) under `message`, when progress is shown.
    pub fn bar(message: &str, total: u64, unit: &str) -> Progress {
        if !shown() {
            return Progress::hidden();
        }
        // `wide_msg` takes the room left, so a long message is cut rather than wrapped.
        let template =
            format!("{{wide_msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{elapsed}})");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::new(total)
            .with_style(style)
            .with_message(message.to_string());
        start(bar)
    }

    /// A spinner with a running count of `unit`s under `message`, for work whose total is not
    /// known in advance.
    pub fn counter(message: &str, unit: &str) -> Progress {
        if !shown() {
            return Progress::hidden();
        }
        let template = format!("{{spinner}} {{wide_msg}} {{human_pos}} {unit} ({{elapsed}})");
        ticking(message, &template)
    }

    /// A spinner with the time it has run, for work with no count to show (reading a file).
    pub fn spinner(message: &str) -> Progress {
        if !shown() {
            return Progress::hidden();
        }
        ticking(message, "{spinner} {wide_msg} ({elapsed})")
    }

    /// Advances by `n` units.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// Sets the count of units done.
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    /// Changes the message (the phase under way).
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }

    /// Whether anything is drawn.
    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            end_on(&SCREEN, bar);
        }
    }
}

impl Log {
    /// A progress bar (see [`Progress::bar`]), hidden when this log is quiet.
    pub fn progress(&self, message: &str, total: u64, unit: &str) -> Progress {
        if self.quiet {
            return Progress::hidden();
        }
        Progress::bar(message, total, unit)
    }

    /// A running count (see [`Progress::counter`]), hidden when this log is quiet.
    pub fn counter(&self, message: &str, unit: &str) -> Progress {
        if self.quiet {
            return Progress::hidden();
        }
        Progress::counter(message, unit)
    }
}

/// Whether progress is drawn: not `--quiet`, and stderr is a terminal.
fn shown() -> bool {
    SHOWN.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under `cargo test` stderr is captured or piped, never a terminal: nothing is drawn, and
    /// a quiet log draws nothing anywhere.
    #[test]
    fn nothing_is_drawn_off_a_terminal_or_when_quiet() {
        if std::io::stderr().is_terminal() {
            return;
        }
        assert!(!Progress::bar("writing", 10, "rows").is_shown());
        assert!(!Progress::counter("fitting", "evaluations").is_shown());
        assert!(!Progress::spinner("reading").is_shown());
        let quiet = Log { quiet: true };
        assert!(!quiet.progress("writing", 10, "rows").is_shown());
        assert!(!quiet.counter("fitting", "evaluations").is_shown());
        // Calls on a hidden display do nothing (and do not panic).
        let hidden = Progress::hidden();
        hidden.inc(3);
        hidden.set_position(5);
        hidden.set_message("still hidden");
    }

    /// A terminal that takes every write, so a bar drawn to it is not hidden.
    #[derive(Debug)]
    struct Screen;

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, _: &str) -> std::io::Result<()> {
            Ok(())
        }
        fn write_str(&self, _: &str) -> std::io::Result<()> {
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A display started inside another gets a line of its own: both stay drawn, and the
    /// outer one still is after the inner one ends.
    #[test]
    fn nested_displays_each_keep_a_line() {
        use indicatif::ProgressDrawTarget;
        let screen =
            MultiProgress::with_draw_target(ProgressDrawTarget::term_like(Box::new(Screen)));
        let outer = start_on(&screen, ProgressBar::new(4));
        let inner = start_on(&screen, ProgressBar::new(4));
        assert!(!outer.is_hidden() && !inner.is_hidden());
        inner.inc(2);
        end_on(&screen, &inner);
        assert!(inner.is_finished() && !outer.is_hidden() && !outer.is_finished());
        end_on(&screen, &outer);
        assert!(outer.is_finished());
    }
}
