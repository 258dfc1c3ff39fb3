//! `clm summary`: the per-customer summary of `docs/summary.md`, the table every analysis can
//! read back with `--input-kind summary`.

use anyhow::Result;
use clap::Args;

use crate::analysis::churn::cutoffs_read;
use crate::commands::opening::{read_transactions, stream_summaries};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::error::ClmError;
use crate::features::summary::{SUMMARY_VERSION, Summaries};
use crate::output::OutputArgs;
use crate::output::{Log, Report, Stopwatch, Table, Values, counted, emit, format_day};

/// Write the per-customer summary (docs/summary.md): one row per customer and cut-off.
///
/// Each row holds what the analyses need from a customer's transactions on or before the
/// cut-off: first and last purchase day, purchase days, orders, rows, returns, revenue, repeat
/// revenue, the last two quarters' revenue and the squared gaps between purchase days. rfm,
/// clv, churn and loyalty read it with --input-kind summary and give the same output as from
/// the transactions. One cut-off (the as-of date) serves rfm, clv and loyalty; churn needs
/// --horizon, which adds the cut-offs churn reads: as-of − horizon and as-of − 2 × horizon
/// (with an --as-of before the last transaction, the back-test's cut-offs after it too).
///
/// Examples:
///   clm summary fixtures/transactions.csv -o summary.csv
///   clm summary orders.parquet --horizon 90d -o summary.parquet
///   clm summary orders.csv -o s.csv && clm rfm s.csv --input-kind summary
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Churn horizon: also summarise at the cut-offs clm churn --horizon trains and
    /// back-tests on (as-of − horizon, as-of − 2 × horizon). Days, or 13w, 3m, 1y.
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true, value_parser = crate::commands::days_between(1, 3650))]
    pub horizon: Option<u32>,
}

/// Runs `clm summary`.
pub fn run(args: SummaryArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("summary");
    crate::output::check_outputs(&args.output, &[], &[Some(args.input.input.as_path())])?;
    let cutoffs_of = |last_day| {
        let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
        let cutoffs = match args.horizon {
            None => vec![as_of],
            Some(h) => cutoffs_read(as_of, last_day, h as i32),
        };
        Ok((as_of, cutoffs))
    };
    let (summaries, source, as_of, after) =
        match stream_summaries(&args.input, &args.memory, cutoffs_of, &log, &mut timer)? {
            Some(s) => (s.summaries, s.source, s.as_of, s.rows_after_as_of),
            None => summarise_whole(&args, cutoffs_of, &log, &mut timer)?,
        };
    if after > 0 {
        log.note(format!(
            "{} dated after the as-of date {} left out",
            counted(after, "row"),
            format_day(as_of)
        ));
    }
    if summaries.is_empty() {
        return Err(ClmError::BadData(format!(
            "{}: no transactions on or before {}",
            source,
            format_day(as_of)
        ))
        .into());
    }
    let report = Report {
        heading: vec![format!(
            "Per-customer summary (version {SUMMARY_VERSION}, docs/summary.md): {} at {}",
            counted(summaries.len(), "customer"),
            counted(summaries.cutoffs.len(), "cut-off"),
        )],
        summary: cutoff_table(&summaries),
        rows: summaries.to_table(),
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("output");
    Ok(())
}

/// The summary of the transactions read whole, with the name of the source, the as-of date
/// and the rows after it.
fn summarise_whole(
    args: &SummaryArgs,
    cutoffs_of: impl FnOnce(i32) -> Result<(i32, Vec<i32>)>,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Summaries, String, i32, usize)> {
    let (tx, last_day) = read_transactions(&args.input, log, timer)?;
    let (as_of, cutoffs) = cutoffs_of(last_day)?;
    let spinner = log.spinner("summarising customers");
    let rows = tx.row_columns()?;
    let after = rows.rows_after(as_of);
    let summaries = Summaries::from_owned_rows(rows, &cutoffs);
    drop(spinner);
    timer.lap("summary");
    Ok((summaries, tx.source.clone(), as_of, after))
}

/// One line per cut-off: customers, buyers among them, and revenue.
fn cutoff_table(summaries: &Summaries) -> Table {
    let (mut customers, mut buyers, mut revenue) = (Vec::new(), Vec::new(), Vec::new());
    for &cutoff in &summaries.cutoffs {
        let at = summaries.at(cutoff).unwrap_or_default();
        let present = at.iter().flatten();
        customers.push(present.clone().count() as i64);
        buyers.push(present.clone().filter(|s| s.purchase_days > 0).count() as i64);
        revenue.push(present.map(|s| s.revenue).sum());
    }
    Table::default()
        .with("cutoff", Values::Date(summaries.cutoffs.clone()))
        .with("customers", Values::Int(customers))
        .with("buyers", Values::Int(buyers))
        .with("revenue", Values::Float(revenue, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_horizon_adds_the_cutoffs_churn_reads() {
        // As-of at the last day: as-of, as-of − h, as-of − 2h.
        assert_eq!(cutoffs_read(1000, 1000, 90), vec![1000, 910, 820]);
        // An earlier as-of date: the back-test's labels run one horizon past it.
        assert_eq!(cutoffs_read(500, 1000, 90), vec![590, 500, 410]);
        assert_eq!(cutoffs_read(950, 1000, 90), vec![1000, 950, 910, 860, 820]);
    }
}
