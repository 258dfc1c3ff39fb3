//! `clm rfm`: recency, frequency and monetary scores and named segments per customer.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::commands::opening::read_rfm_measures;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::data::summary::InputKind;
use crate::error::ClmError;
use crate::features::rfm::{Monetary, RfmMeasures};
use crate::output::OutputArgs;
use crate::output::{Log, Report, Stopwatch, Table, Values, counted, emit, format_day};
use crate::segment::rfm::{SegmentTable, quantile_scores, r_rfm_scores};

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

/// How measures become scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scoring {
    /// Bins as even as ties allow; frequency counts orders (or purchase days).
    Quantile,
    /// The R package `rfm` (`rfm_table_order`): its breakpoints (type-7 quantiles plus one),
    /// and its frequency, which counts rows.
    RRfm,
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
        args.input_kind,
        args.as_of.as_of.as_deref(),
        args.monetary,
        &log,
        &mut timer,
    )?;
    if measures.rows_after_as_of > 0 {
        log.note(format!(
            "{} dated after the as-of date {} ignored",
            counted(measures.rows_after_as_of, "row"),
            format_day(as_of)
        ));
    }
    if measures.returns_only_customers > 0 {
        log.note(format!(
            "{} with only returns up to the as-of date left out",
            counted(measures.returns_only_customers, "customer")
        ));
    }
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

/// Scores, segments and the summary table.
pub fn rfm_report(
    measures: RfmMeasures,
    table: &SegmentTable,
    bins: u32,
    as_of: i32,
    scoring: Scoring,
) -> Report {
    let days: Vec<f64> = measures.recency_days.iter().map(|&d| d as f64).collect();
    let frequency: Vec<f64> = measures.frequency.iter().map(|&f| f64::from(f)).collect();
    let (r, f, m) = match scoring {
        Scoring::Quantile => {
            let recency: Vec<f64> = days.iter().map(|d| -d).collect();
            (
                quantile_scores(&recency, bins),
                quantile_scores(&frequency, bins),
                quantile_scores(&measures.monetary, bins),
            )
        }
        // R bins recency days upwards and reverses the score: fewest days, highest score.
        Scoring::RRfm => (
            r_rfm_scores(&days, bins)
                .iter()
                .map(|s| bins + 1 - s)
                .collect(),
            r_rfm_scores(&frequency, bins),
            r_rfm_scores(&measures.monetary, bins),
        ),
    };
    let segment: Vec<u32> = (0..r.len())
        .map(|i| table.assign(r[i], f[i], m[i]) as u32)
        .collect();
    let summary = segment_summary(&measures, &segment, table, bins);
    let scored = match scoring {
        Scoring::Quantile => "",
        Scoring::RRfm => "; scored as the R package rfm, frequency = rows",
    };
    let heading = vec![format!(
        "RFM as of {}: {}, {bins} bins (recency in days; monetary = net spend{scored})",
        format_day(as_of),
        counted(measures.customer_id.len(), "customer")
    )];

    // Score codes and segment names repeat: one label each, and a code per customer.
    let score_code = |i: usize| ((r[i] - 1) * bins + (f[i] - 1)) * bins + (m[i] - 1);
    let scores = |s: &[u32]| Values::Int(s.iter().map(|&x| i64::from(x)).collect());
    let rows = Table::default()
        .with("customer_id", Values::PackedText(measures.customer_id))
        .with("recency_days", Values::Int(measures.recency_days))
        .with(
            "frequency",
            Values::Int(measures.frequency.iter().map(|&x| i64::from(x)).collect()),
        )
        .with("monetary", Values::Float(measures.monetary, 2))
        .with("r", scores(&r))
        .with("f", scores(&f))
        .with("m", scores(&m))
        .with(
            "rfm",
            Values::Labels {
                labels: score_labels(bins),
                codes: (0..r.len()).map(score_code).collect(),
            },
        )
        .with(
            "segment",
            Values::Labels {
                labels: table.names().iter().map(|n| n.to_string()).collect(),
                codes: segment,
            },
        );
    Report {
        heading,
        summary,
        rows,
    }
}

/// Every score code ("111" … "555", or "1-1-1" … with 10 or more bins), in the order
/// `((r - 1) × bins + f - 1) × bins + m - 1`.
fn score_labels(bins: u32) -> Vec<String> {
    let mut labels = Vec::with_capacity((bins * bins * bins) as usize);
    for r in 1..=bins {
        for f in 1..=bins {
            for m in 1..=bins {
                labels.push(if bins < 10 {
                    format!("{r}{f}{m}")
                } else {
                    format!("{r}-{f}-{m}")
                });
            }
        }
    }
    labels
}

/// One row per segment of the table, empty ones included (so runs compare row by row); Others
/// only when the table leaves some scores to it or a customer landed there.
fn segment_summary(
    measures: &RfmMeasures,
    segment: &[u32],
    table: &SegmentTable,
    bins: u32,
) -> Table {
    let groups = table.rules.len() + 1;
    let mut customers = vec![0usize; groups];
    let (mut recency, mut frequency, mut monetary) =
        (vec![0.0; groups], vec![0.0; groups], vec![0.0; groups]);
    for (i, &s) in segment.iter().enumerate() {
        let s = s as usize;
        customers[s] += 1;
        recency[s] += measures.recency_days[i] as f64;
        frequency[s] += f64::from(measures.frequency[i]);
        monetary[s] += measures.monetary[i];
    }
    let total_customers = segment.len() as f64;
    let total_revenue: f64 = monetary.iter().sum();
    let others = table.rules.len();
    let others_reachable = table.cells_owned(bins)[others] > 0 || customers[others] > 0;
    let present: Vec<usize> = (0..groups)
        .filter(|&g| g < others || others_reachable)
        .collect();
    let mean = |sums: &[f64]| {
        present
            .iter()
            // An empty segment has no mean: NaN, written as an empty cell.
            .map(|&g| sums[g] / customers[g] as f64)
            .collect()
    };
    let names = table.names();
    let actions = table.actions();
    Table::default()
        .with(
            "segment",
            Values::Text(present.iter().map(|&g| names[g].to_string()).collect()),
        )
        .with(
            "customers",
            Values::Int(present.iter().map(|&g| customers[g] as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(
                present
                    .iter()
                    .map(|&g| 100.0 * customers[g] as f64 / total_customers.max(1.0))
                    .collect(),
                1,
            ),
        )
        .with("mean_recency_days", Values::Float(mean(&recency), 1))
        .with("mean_frequency", Values::Float(mean(&frequency), 2))
        .with("mean_monetary", Values::Float(mean(&monetary), 2))
        .with(
            "revenue_share_pct",
            Values::Float(
                present
                    .iter()
                    .map(|&g| {
                        if total_revenue != 0.0 {
                            100.0 * monetary[g] / total_revenue
                        } else {
                            0.0
                        }
                    })
                    .collect(),
                1,
            ),
        )
        .with(
            "action",
            Values::Text(present.iter().map(|&g| actions[g].to_string()).collect()),
        )
}
