//! `clm cohorts`: acquisition cohorts and how they keep buying, period by period.

use anyhow::Result;
use clap::Args;

use crate::commands::opening::read_histories;
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::features::cohorts::{Cohorts, Metric, Observed, Period, cohorts};
use crate::output::OutputArgs;
use crate::output::{Log, Report, Stopwatch, Table, Values, emit, format_day};

/// Acquisition cohorts: retention and revenue by period of first purchase.
///
/// Customers are grouped by the period of their first purchase (rows: the month, week or
/// quarter) and followed period by period (columns: periods since acquisition, 0 = the
/// acquisition period): retention, revenue, revenue per acquired customer. A cell whose period
/// has not ended by the as-of date is empty, never 0 %: the data do not observe it fully yet.
/// The last row, "all", averages each column over the cohorts that observed it.
///
/// On a terminal the matrix of --metric is shown; -o (or a pipe) gets one row per cell with
/// every metric (cohort, period_index, period_start, status, cohort_size, customers_active,
/// retention_pct, revenue, revenue_retention_pct, cumulative_revenue_per_customer); --summary
/// writes the matrix instead.
///
/// Examples:
///   clm cohorts fixtures/online_retail_sample.csv
///   clm cohorts orders.parquet --period week --metric revenue-retention
///   clm cohorts export.csv --as-of 2025-06-30 -o cohort_cells.csv
///   clm cohorts export.csv --metric cumulative-revenue --summary -o matrix.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CohortsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Length of a cohort and of a column: calendar months, ISO weeks (Monday to Sunday) or
    /// calendar quarters.
    #[arg(long, value_enum, default_value_t = Period::Month)]
    pub period: Period,

    /// The matrix shown on a terminal and written by --summary.
    #[arg(long, value_enum, default_value_t = Metric::Retention)]
    pub metric: Metric,
}

/// Runs `clm cohorts`.
pub fn run(args: CohortsArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("cohorts");
    let (histories, source, last_day) = read_histories(&args.input, &log, &mut timer)?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let cohorts = cohorts(&histories, args.period, as_of).ok_or_else(|| {
        ClmError::BadData(format!(
            "{source}: no purchases on or before {}",
            format_day(as_of)
        ))
    })?;
    drop(histories);
    timer.lap("cohorts");
    log_cohort_notes(&log, &cohorts, last_day);
    let report = Report {
        heading: heading(&cohorts, args.metric),
        summary: cohorts.wide_table(args.metric),
        rows: cell_rows(&cohorts),
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("output");
    Ok(())
}

/// What was left out, and an as-of date the data may not reach.
fn log_cohort_notes(log: &Log, cohorts: &Cohorts, last_day: i32) {
    if cohorts.rows_after_as_of > 0 {
        log.note(format!(
            "{} rows dated after the as-of date {} ignored",
            cohorts.rows_after_as_of,
            format_day(cohorts.as_of)
        ));
    }
    if cohorts.returns_only_customers > 0 {
        log.note(format!(
            "{} customers with only returns up to the as-of date are in no cohort",
            cohorts.returns_only_customers
        ));
    }
    if cohorts.rows_before_first_purchase > 0 {
        log.note(format!(
            "{} return rows dated before the customer's first purchase are in no cell",
            cohorts.rows_before_first_purchase
        ));
    }
    if cohorts.as_of > last_day {
        log.note(format!(
            "the as-of date {} is after the last transaction ({}): periods up to it are taken as fully observed",
            format_day(cohorts.as_of),
            format_day(last_day)
        ));
    }
}

/// The lines above the matrix: what the figures are, the as-of date and the partial cells.
fn heading(cohorts: &Cohorts, metric: Metric) -> Vec<String> {
    let period = cohorts.period;
    let customers: u64 = cohorts.size.iter().sum();
    let mut lines = vec![
        format!(
            "Cohorts by {} of first purchase, as of {}: {customers} customers in {} cohorts",
            period.name(),
            format_day(cohorts.as_of),
            cohorts.len()
        ),
        format!(
            "{}: {}; column k = {}s since acquisition",
            metric.column(),
            metric.description(),
            period.name()
        ),
    ];
    lines.push(match cohorts.partial_period() {
        Some(number) => format!(
            "Empty cells are not fully observed: {} {} ends after the as-of date, so it is partial in every cohort (the diagonal), and later columns are not observed yet",
            period.name(),
            period.label(number)
        ),
        None => format!(
            "Every {} up to the as-of date has ended: no cell is partial; empty cells come after the as-of date",
            period.name()
        ),
    });
    lines.push(
        "Row \"all\": each column over only the cohorts that observed it (ratios weighted by cohort size, or by acquisition revenue for revenue retention)"
            .to_string(),
    );
    // A long tail of columns seen by the oldest cohort alone is that cohort, not an average.
    let observing = cohorts.observing_cohorts();
    if cohorts.len() > 1
        && let Some(k) = observing.iter().position(|&n| n <= 1)
        && observing[k] == 1
    {
        lines.push(format!(
            "Row \"all\" rests on a single cohort from column {k} on"
        ));
    }
    lines
}

/// One row per cohort and period since acquisition up to the as-of date, with every metric;
/// partial cells have a status and no figures.
fn cell_rows(cohorts: &Cohorts) -> Table {
    let cells: Vec<(usize, usize)> = (0..cohorts.len())
        .flat_map(|c| (0..cohorts.columns).map(move |k| (c, k)))
        .filter(|&(c, k)| cohorts.observed(c, k) != Observed::Not)
        .collect();
    let period = cohorts.period;
    let mut table = Table::default()
        .with(
            "cohort",
            Values::Text(
                cells
                    .iter()
                    .map(|&(c, _)| period.label(cohorts.cohort[c]))
                    .collect(),
            ),
        )
        .with(
            "period_index",
            Values::Int(cells.iter().map(|&(_, k)| k as i64).collect()),
        )
        .with(
            "period_start",
            Values::Date(
                cells
                    .iter()
                    .map(|&(c, k)| period.first_day(cohorts.cohort[c] + k as i32))
                    .collect(),
            ),
        )
        .with(
            "status",
            Values::Text(
                cells
                    .iter()
                    .map(|&(c, k)| cohorts.observed(c, k).name().to_string())
                    .collect(),
            ),
        )
        .with(
            "cohort_size",
            Values::Int(cells.iter().map(|&(c, _)| cohorts.size[c] as i64).collect()),
        );
    for metric in Metric::ALL {
        let matrix = cohorts.matrix(metric);
        let values = cells
            .iter()
            .map(|&(c, k)| matrix[c * cohorts.columns + k])
            .collect();
        table = table.with(metric.column(), Values::Float(values, metric.decimals()));
    }
    table
}
