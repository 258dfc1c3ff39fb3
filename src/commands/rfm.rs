//! `clm rfm`: recency, frequency and monetary scores and named segments per customer.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

pub use crate::analysis::rfm::Scoring;
use crate::analysis::rfm::rfm_report;
use crate::commands::opening::read_rfm_measures;
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::data::summary::InputKind;
use crate::error::ClmError;
use crate::features::log_as_of_notes;
use crate::features::rfm::Monetary;
use crate::output::OutputArgs;
use crate::output::{Log, Stopwatch, emit, format_day};
use crate::segment::rfm::SegmentTable;

/// Score each customer 1–N on recency, frequency and monetary value, and name their segment.
///
/// Recency is the number of days from the last purchase to the as-of date (most recent scores
/// highest); frequency the number of distinct orders (or purchase days without an order
/// column); monetary the net spend. Scores are quantiles with ties kept together (the highest
/// value scores top). Segments come from the default table (ten segments, Champions … Lost, that
/// cover every score; see docs/rfm.md), the R package's table with --scoring r-rfm, or --segments.
///
/// Examples:
///   clm rfm fixtures/transactions.csv
///   clm rfm orders.parquet --as-of 2025-06-30 -o rfm.csv
///   clm rfm export.csv --customer-col "Customer ID" --date-col InvoiceDate --amount-col Revenue | head
///   cat export.csv.gz | clm rfm - --format json
///   clm summary orders.csv -o summary.csv && clm rfm summary.csv --input-kind summary
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RfmArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Number of score bins per measure.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(2..=20))]
    pub bins: u32,

    /// Monetary value: total net spend or mean spend per order.
    #[arg(long, value_enum, default_value_t = Monetary::Total)]
    pub monetary: Monetary,

    /// Segment table (TOML with [[segment]] name/r/f/m/action, or CSV segment,r,f,m,action).
    #[arg(long, value_name = "FILE")]
    pub segments: Option<PathBuf>,

    /// How measures become scores: even quantile bins, or exactly as the R package `rfm`
    /// (with its segment table, unless --segments is given).
    #[arg(long, value_enum, default_value_t = Scoring::Quantile)]
    pub scoring: Scoring,

    /// What the input holds: transactions, or their per-customer summary (clm summary,
    /// docs/summary.md).
    #[arg(long, value_enum, default_value_t = InputKind::Transactions)]
    pub input_kind: InputKind,
}

/// Runs `clm rfm`.
pub fn run(args: RfmArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("rfm");
    let reads = [Some(args.input.input.as_path()), args.segments.as_deref()];
    crate::output::check_outputs(&args.output, &[], &reads)?;
    let table = load_segment_table(args.segments.as_ref(), args.bins, args.scoring)?;
    for name in unreachable_segments(&table, args.bins) {
        log.note(format!(
            "segment '{name}' can never be assigned: earlier rules take all its scores"
        ));
    }
    let (mut measures, source, as_of) = read_rfm_measures(
        &args.input,
        &args.memory,
        args.input_kind,
        args.as_of.as_of.as_deref(),
        args.monetary,
        &log,
        &mut timer,
    )?;
    log_as_of_notes(
        &log,
        as_of,
        (measures.rows_after_as_of, "ignored"),
        (measures.returns_only_customers, "left out"),
    );
    if measures.customer_id.is_empty() {
        return Err(ClmError::BadData(format!(
            "{}: no purchases on or before {}",
            source,
            format_day(as_of)
        ))
        .into());
    }
    if args.scoring == Scoring::RRfm {
        measures.frequency = std::mem::take(&mut measures.rows);
    }
    let report = rfm_report(measures, &table, args.bins, as_of, args.scoring);
    timer.lap("scores");
    let inputs = [args.input.input.as_path()];
    emit(&report, &args.output, &inputs)?;
    timer.lap("output");
    Ok(())
}

fn load_segment_table(path: Option<&PathBuf>, bins: u32, scoring: Scoring) -> Result<SegmentTable> {
    let Some(path) = path else {
        let table = match scoring {
            Scoring::Quantile => SegmentTable::default(),
            Scoring::RRfm => SegmentTable::r_rfm(),
        };
        table.check_bins(bins).map_err(|e| {
            ClmError::Usage(format!("the built-in segment table needs --bins 5: {e}"))
        })?;
        return Ok(table);
    };
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read segment table '{name}': {e}")))?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let table = if is_toml {
        SegmentTable::from_toml(&text)
    } else {
        SegmentTable::from_csv(&text)
    }
    .map_err(|e| ClmError::BadData(format!("{name}: {e}")))?;
    table
        .check_bins(bins)
        .map_err(|e| ClmError::BadData(format!("{name}: {e}")))?;
    Ok(table)
}

/// Names of a user's segments that no score reaches (the R package's own table, which has
/// three, is used as published and not reported).
fn unreachable_segments(table: &SegmentTable, bins: u32) -> Vec<String> {
    if *table == SegmentTable::r_rfm() {
        return Vec::new();
    }
    let owned = table.cells_owned(bins);
    table
        .rules
        .iter()
        .zip(&owned)
        .filter(|(_, cells)| **cells == 0)
        .map(|(rule, _)| rule.name.clone())
        .collect()
}
