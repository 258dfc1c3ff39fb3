//! Per-customer summaries computed from the canonical transaction frame.

pub mod btyd;
pub mod churn;
pub mod churn_reasons;
pub mod cohorts;
pub mod lifecycle;
pub mod loyalty;
pub mod retention;
pub mod rfm;

use crate::output::{Log, counted, format_day};

/// The notes on what an as-of date leaves out, the same in every command: rows dated after it
/// (`rows_fate`: "ignored", or why they are kept apart) and customers with only returns up to
/// it (`returns_fate`: "left out", or what becomes of them).
pub fn log_as_of_notes(
    log: &Log,
    as_of: i32,
    (rows_after, rows_fate): (usize, &str),
    (returns_only, returns_fate): (usize, &str),
) {
    if rows_after > 0 {
        log.note(format!(
            "{} dated after the as-of date {} {rows_fate}",
            counted(rows_after, "row"),
            format_day(as_of)
        ));
    }
    if returns_only > 0 {
        log.note(format!(
            "{} with only returns up to the as-of date {returns_fate}",
            counted(returns_only, "customer")
        ));
    }
}
