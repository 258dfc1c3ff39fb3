//! Command-line definitions. Option groups shared by several subcommands (input, column
//! mapping, as-of date, output) are defined once here and flattened into each subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{
    churn::ChurnArgs, clv::ClvArgs, cohorts::CohortsArgs, lifecycle::LifecycleArgs,
    loyalty::LoyaltyArgs, retention::RetentionArgs, rfm::RfmArgs, simulate::SimulateArgs,
};

/// Customer analytics from transaction exports: RFM segments, the loyalty matrix, CLV and churn.
///
/// Every analysis reads a transaction export (CSV, CSV.gz, Parquet or CSV on stdin), maps its
/// columns to customer id, date and amount, and writes a table: a pretty summary on a terminal,
/// CSV when piped, or any format with --format / -o.
///
/// Exit codes: 0 success, 1 other failure, 2 usage error, 3 model below the quality asked
/// (churn --min-auc), 65 bad input data, 66 input missing or unreadable, 73 output cannot be
/// created.
#[derive(Debug, Parser)]
#[command(name = "clm", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Print nothing on stderr except errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show every column in terminal tables, however wide (by default a table wider than the
    /// terminal hides its action column and wraps text between words).
    #[arg(long, global = true)]
    pub wide: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; each one's help text (with examples) is the doc comment of its `Args`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Rfm(RfmArgs),
    Loyalty(LoyaltyArgs),
    Clv(ClvArgs),
    Churn(ChurnArgs),
    Cohorts(CohortsArgs),
    Lifecycle(LifecycleArgs),
    Retention(RetentionArgs),
    Simulate(SimulateArgs),
}

/// Where the transactions come from.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Transaction file: .csv, .csv.gz, .tsv, .parquet, or - for CSV on stdin.
    pub input: PathBuf,

    /// Input format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,

    /// Column holding the customer id (default: detected, e.g. CustomerID, customer_id, user_id).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub customer_col: Option<String>,

    /// Column holding the transaction date (default: detected, e.g. InvoiceDate, order_date, date).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub date_col: Option<String>,

    /// Column holding the net amount (default: detected, e.g. amount, revenue, sales; else
    /// Quantity × UnitPrice).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub amount_col: Option<String>,

    /// Column holding the order or invoice id (default: detected, e.g. InvoiceNo, order_id).
    /// Frequency counts distinct orders when present, else distinct purchase days.
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub order_col: Option<String>,

    /// Date format in strftime syntax, e.g. %d/%m/%Y (default: detected: ISO dates and
    /// datetimes, YYYYMMDD, YYYY/MM/DD).
    #[arg(long, value_name = "FORMAT", help_heading = "Columns")]
    pub date_format: Option<String>,

    /// Field delimiter of a delimited export: one character, or `tab` (default: the one the
    /// header line uses among `,` `;` tab `|`, else `,`, or tab for .tsv).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,

    /// Amounts are written with a decimal comma, `1.234,50` (dots and spaces group thousands).
    #[arg(long)]
    pub decimal_comma: bool,

    /// Returns (negative amounts, invoices starting with C): net them against the customer's
    /// spend without counting them as purchases, drop them, or keep them as ordinary rows.
    #[arg(long, value_enum, default_value_t = ReturnsPolicy::Net)]
    pub returns: ReturnsPolicy,

    /// Skip rows whose customer id is empty (they are counted and reported) instead of failing.
    #[arg(long)]
    pub skip_missing_ids: bool,

    /// Leave out the rows of these customer ids, e.g. placeholders for guests or unknown
    /// customers: a comma-separated list (--exclude-ids 0,guest) or @FILE with one id per line.
    /// Repeatable. The rows left out are counted on stderr. Nothing is left out by default.
    #[arg(long, value_name = "IDS|@FILE")]
    pub exclude_ids: Vec<String>,
}

/// A `--delimiter` value: one ASCII character other than a quote or line break, or `tab`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [byte] if byte.is_ascii() && !matches!(byte, b'"' | b'\n' | b'\r') => Ok(*byte),
            _ => Err(format!(
                "'{text}' is not one character; give e.g. ';', '|' or tab"
            )),
        },
    }
}

/// The date the analysis looks from.
#[derive(Debug, Clone, Args)]
pub struct AsOfArgs {
    /// Analysis date (YYYY-MM-DD or "today"); later transactions are ignored.
    /// Default: the date of the last transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// Where and how results are written.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write per-customer rows to this file (atomically); format from the extension
    /// (.csv .tsv .json .jsonl .parquet .xlsx) unless --format is given.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format. Default: table on a terminal, CSV when piped, or from -o's extension.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the summary table in the chosen format instead of per-customer rows.
    #[arg(long)]
    pub summary: bool,
}

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Comma-separated values (optionally gzip-compressed).
    Csv,
    /// Tab-separated values.
    Tsv,
    /// Apache Parquet.
    Parquet,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Pretty table for a terminal.
    Table,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Excel workbook: the per-customer rows and the summary, one sheet each.
    Xlsx,
}

/// What to do with returns and cancellations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReturnsPolicy {
    /// Subtract them from the customer's spend; they are not purchases.
    Net,
    /// Ignore them entirely.
    Drop,
    /// Treat them as ordinary transactions.
    Keep,
}

/// A value parser for a whole number of at least `min`: a negative number is refused with the
/// range (with `allow_negative_numbers`), not taken for a flag or refused as "invalid digit".
pub fn at_least<T: TryFrom<i128>>(
    min: i128,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let number: i128 = text
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a whole number"))?;
        if number < min {
            return Err(format!("must be {min} or more, got {number}"));
        }
        T::try_from(number).map_err(|_| format!("{number} is too large"))
    }
}
