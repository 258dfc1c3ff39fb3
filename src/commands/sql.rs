//! `clm sql`: the SQL that computes the per-customer summary where the data lives.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::data::dates::{check_format, resolve_as_of};
use crate::data::options::{AsOfArgs, ColumnArgs, ReturnsPolicy};
use crate::data::placeholders::read_exclude_ids;
use crate::error::ClmError;
use crate::features::sql::{AmountColumns, AsOf, Dialect, SourceTable, SummaryQuery, summary_sql};

/// Print the SQL that computes the per-customer summary (docs/summary.md) from a transaction
/// table, for DuckDB, Spark, BigQuery, Postgres or Snowflake.
///
/// The engine does the heavy group-by over the rows where they live; export its result (CSV or
/// Parquet) and give it to the analysis with --input-kind summary. The SQL applies the same row
/// rules as the analyses (docs/input.md): ids trimmed and a spreadsheet's .0 dropped, rows
/// without an id left out, --exclude-ids, returns per --returns, calendar days. Columns have no
/// detection here: name them (defaults: customer_id, date, amount). See docs/scale.md.
///
/// Examples:
///   clm sql clv --dialect spark --table sales.tx --customer-col cust --date-col ts --amount-col net --as-of 2025-06-30
///   clm sql churn --dialect bigquery --table shop.orders --horizon 13w -o summary.sql
///   clm sql rfm --dialect postgres --table sales.orders --order-col invoice --exclude-ids 0,guest > rfm.sql
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SqlArgs {
    /// The analysis the summary is for: rfm, clv and loyalty need one cut-off (the as-of
    /// date), churn three (as-of, as-of − horizon, as-of − 2 × horizon).
    #[arg(value_enum)]
    pub analysis: SummaryFor,

    /// SQL dialect of the engine that runs the query.
    #[arg(long, value_enum)]
    pub dialect: Dialect,

    /// The transaction table, e.g. tx, sales.tx or project.dataset.tx (each part is quoted).
    #[arg(long, value_name = "NAME")]
    pub table: String,

    #[command(flatten)]
    pub columns: ColumnArgs,

    /// Column holding the quantity: the amount is quantity × price.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Columns",
        requires = "price_col",
        conflicts_with = "amount_col"
    )]
    pub quantity_col: Option<String>,

    /// Column holding the unit price: the amount is quantity × price.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Columns",
        requires = "quantity_col",
        conflicts_with = "amount_col"
    )]
    pub price_col: Option<String>,

    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// Churn horizon: the cut-offs are as-of, as-of − N and as-of − 2N days; also 13w, 3m, 1y.
    /// Only for churn (default 90, as clm churn).
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true, value_parser = crate::commands::days_between(1, 3650))]
    pub horizon: Option<u32>,

    /// Returns (negative amounts, orders starting with C): net them against the customer's
    /// spend without counting them as purchases, drop them, or keep them as ordinary rows.
    #[arg(long, value_enum, default_value_t = ReturnsPolicy::Net)]
    pub returns: ReturnsPolicy,

    /// Leave out the rows of these customer ids: a comma-separated list (--exclude-ids 0,guest)
    /// or @FILE with one id per line. Repeatable.
    #[arg(long, value_name = "IDS|@FILE")]
    pub exclude_ids: Vec<String>,

    /// Write the SQL to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The analyses a summary can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFor {
    /// RFM scores and segments (one cut-off).
    Rfm,
    /// Customer lifetime value (one cut-off).
    Clv,
    /// Churn scores (three cut-offs).
    Churn,
    /// The loyalty matrix (one cut-off).
    Loyalty,
}

/// The columns the SQL reads when they are not named (it cannot look at the table to detect
/// them, as the analyses do).
const CUSTOMER_COLUMN: &str = "customer_id";
const DATE_COLUMN: &str = "date";
const AMOUNT_COLUMN: &str = "amount";

/// `clm churn`'s default horizon in days.
const CHURN_HORIZON_DAYS: u32 = 90;

/// Runs `clm sql`.
pub fn run(args: SqlArgs, _quiet: bool) -> Result<()> {
    let query = summary_query(&args)?;
    let sql = summary_sql(&query, args.dialect).map_err(|e| ClmError::Usage(e.0))?;
    let Some(output) = args.output.as_deref() else {
        return write_stdout(&sql);
    };
    let exclude_files: Vec<&Path> = args
        .exclude_ids
        .iter()
        .filter_map(|value| value.strip_prefix('@'))
        .map(Path::new)
        .collect();
    if exclude_files.iter().any(|file| same_file(file, output)) {
        return Err(ClmError::Usage(format!(
            "refusing to overwrite the input file '{}' with the output",
            output.display()
        ))
        .into());
    }
    if crate::output::standard_stream(output).is_some() {
        return write_stdout(&sql);
    }
    crate::output::write_atomically(output, |out| Ok(out.write_all(sql.as_bytes())?))
}

fn write_stdout(sql: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(sql.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The summary the arguments ask for.
fn summary_query(args: &SqlArgs) -> Result<SummaryQuery> {
    let columns = &args.columns;
    if let Some(format) = &columns.date_format {
        check_format(format).map_err(|e| {
            ClmError::Usage(format!(
                "--date-format '{format}' is not a valid format: {e}"
            ))
        })?;
    }
    let churn_horizon = match (args.analysis, args.horizon) {
        (SummaryFor::Churn, horizon) => Some(horizon.unwrap_or(CHURN_HORIZON_DAYS)),
        (_, None) => None,
        (_, Some(_)) => {
            return Err(ClmError::Usage(
                "--horizon sets churn's cut-offs; the summary for rfm, clv and loyalty has one \
                 cut-off, the as-of date: leave --horizon out"
                    .into(),
            )
            .into());
        }
    };
    let as_of = match args.as_of.as_of.as_deref().map(str::trim) {
        None => AsOf::LastDate,
        Some("today") => AsOf::Today,
        Some(text) => AsOf::Day(resolve_as_of(Some(text), 0)?),
    };
    let amount = match (&columns.amount_col, &args.quantity_col, &args.price_col) {
        (_, Some(quantity), Some(price)) => AmountColumns::QuantityTimesPrice {
            quantity: quantity.clone(),
            price: price.clone(),
        },
        (Some(amount), _, _) => AmountColumns::Amount(amount.clone()),
        _ => AmountColumns::Amount(AMOUNT_COLUMN.into()),
    };
    Ok(SummaryQuery {
        source: SourceTable {
            table: args.table.clone(),
            customer: columns
                .customer_col
                .as_deref()
                .unwrap_or(CUSTOMER_COLUMN)
                .into(),
            date: columns.date_col.as_deref().unwrap_or(DATE_COLUMN).into(),
            amount,
            order: columns.order_col.clone(),
            date_format: columns.date_format.clone(),
        },
        returns: args.returns,
        exclude_ids: read_exclude_ids(&args.exclude_ids)?,
        as_of,
        churn_horizon,
    })
}

/// Whether two paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
