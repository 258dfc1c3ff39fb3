//! `clm lifecycle`: where each customer is in the relationship, and how lapsed ones left.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::analysis::lifecycle::{
    classify, customer_rows, lapse_window, log_left_out, stage_summary, transition_matrix,
    transitions,
};
use crate::commands::opening::read_histories;
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::features::lifecycle::LifecycleWindows;
use crate::output::OutputArgs;
use crate::output::{
    Log, Report, Stopwatch, emit, format_day, format_from_extension, render_table, write_table_to,
};
use crate::segment::lifecycle::StageTable;

/// Relationship stage per customer, and how each lapsed relationship ended.
///
/// Stages are exploration, formation, stability, decline and lapsed; the exit pattern of a
/// lapsed customer is early abort, mid-way, early exit or long-term. Stages come from each
/// customer's own rhythm (median days between purchases), how overdue they are against it,
/// and the trend of their purchase rate (the last --trend-days against the time before),
/// through a rule table (first match wins; --rules FILE for your own). A customer with no
/// purchase in the lapse window is lapsed; the window defaults to a high quantile of all
/// inter-purchase gaps and is shown. See docs/lifecycle.md.
///
/// Per-customer columns: customer_id, stage, exit_pattern, tenure_days, purchases,
/// recency_days, rhythm_days, trend, action.
///
/// Examples:
///   clm lifecycle fixtures/transactions.csv
///   clm lifecycle orders.parquet --compare 90d --transitions moves.csv -o stages.csv
///   clm lifecycle orders.csv --lapse-days 180 --rules my-stages.toml
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct LifecycleArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Days without a purchase after which a customer is lapsed (default: the rule table's
    /// quantile, 90 %, of all gaps between purchase days).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub lapse_days: Option<u32>,

    /// Length of the recent window of the trend (default: the lapse window).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub trend_days: Option<u32>,

    /// Stage table (TOML: lapse_quantile, long_term_days, [[rule]] stage with optional
    /// purchases, tenure_days, overdue, trend ranges { min, max }).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Also compare with the stages this long before the as-of date (e.g. 90d, 13w): a
    /// transition matrix of customers and their revenue in between.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_days)]
    pub compare: Option<i32>,

    /// Write the transition matrix of --compare as rows (from_stage, to_stage, customers,
    /// revenue) to this file.
    #[arg(long, value_name = "FILE", requires = "compare")]
    pub transitions: Option<PathBuf>,
}

/// A duration in days from `90d`, `13w` or a bare number of days.
fn parse_duration_days(text: &str) -> Result<i32, String> {
    let text = text.trim();
    let (number, unit) = match text.strip_suffix(['d', 'w']) {
        Some(number) => (number, if text.ends_with('w') { 7 } else { 1 }),
        None => (text, 1),
    };
    match number.parse::<i32>() {
        Ok(n) if n > 0 && n <= 100_000 => Ok(n * unit),
        _ => Err(format!(
            "'{text}' is not a duration such as 90d or 13w (days or weeks)"
        )),
    }
}

/// Runs `clm lifecycle`.
pub fn run(args: LifecycleArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("lifecycle");
    let table = load_stage_table(args.rules.as_ref())?;
    if let Some(path) = &args.transitions {
        format_from_extension(path)?;
    }
    let reads = [Some(args.input.input.as_path())];
    crate::output::check_outputs(&args.output, &[args.transitions.as_deref()], &reads)?;
    let (histories, source, last_day) = read_histories(&args.input, &log, &mut timer)?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let (lapse_days, lapse_note) =
        lapse_window(&histories, as_of, &table, args.lapse_days, &source)?;
    let windows = LifecycleWindows {
        lapse_days,
        trend_days: args.trend_days.map_or(lapse_days, |d| d as i32),
    };
    let now = classify(&histories, as_of, &table, windows, true);
    let customers = now.iter().flatten().count();
    if customers == 0 {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {}",
            format_day(as_of)
        ))
        .into());
    }
    timer.lap("stages");
    log_left_out(&log, &histories, &now, as_of);
    let mut heading = vec![format!(
        "Lifecycle as of {}: {customers} customers; lapsed after {lapse_days} days without a purchase ({lapse_note}); trend over the last {} days against the time before; long-term exit after {} days in stability",
        format_day(as_of),
        windows.trend_days,
        table.long_term_days
    )];
    if let Some(days) = args.compare {
        let before = classify(&histories, as_of - days, &table, windows, false);
        let moves = transitions(&histories, &before, &now, as_of - days, as_of);
        heading.push(format!(
            "Stage on {} (rows) against {} (columns): customers / net revenue in between",
            format_day(as_of - days),
            format_day(as_of)
        ));
        heading.push(render_table(&transition_matrix(&moves)));
        if let Some(path) = &args.transitions {
            write_table_to(Some(path), &moves, format_from_extension(path)?)?;
        }
    }
    let report = Report {
        heading,
        summary: stage_summary(&now),
        rows: customer_rows(&histories.customer_id, &now),
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("output");
    Ok(())
}

fn load_stage_table(path: Option<&PathBuf>) -> Result<StageTable> {
    let Some(path) = path else {
        return Ok(StageTable::default());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read stage table '{name}': {e}")))?;
    Ok(StageTable::from_toml(&text).map_err(|e| ClmError::BadData(format!("{name}: {e}")))?)
}
