//! How a transaction export is read and the date it is read as of: the option groups of the
//! loader, defined here beside it and flattened into each transaction subcommand.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// How to read a transaction export: the file, its format and columns, and the cleaning
/// policies.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Transaction file: .csv, .csv.gz, .tsv, .parquet, or - for CSV on stdin.
    pub input: PathBuf,

    /// Input format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,

    #[command(flatten)]
    pub columns: ColumnArgs,

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

/// Which columns hold the customer, date, amount and order, and how dates are written: one
/// definition for the analyses (which detect what is not given) and `clm sql` (which cannot see
/// the table and takes fixed names).
#[derive(Debug, Clone, Default, Args)]
pub struct ColumnArgs {
    /// Column holding the customer id (default: detected, e.g. CustomerID, customer_id,
    /// user_id; customer_id for clm sql).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub customer_col: Option<String>,

    /// Column holding the transaction date (default: detected, e.g. InvoiceDate, order_date,
    /// date; date for clm sql).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub date_col: Option<String>,

    /// Column holding the net amount (default: detected, e.g. amount, revenue, sales; else
    /// Quantity × UnitPrice; amount for clm sql, unless --quantity-col and --price-col).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub amount_col: Option<String>,

    /// Column holding the order or invoice id (default: detected, e.g. InvoiceNo, order_id;
    /// none for clm sql). Frequency counts distinct orders when present, else distinct
    /// purchase days; without it only negative amounts are returns.
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub order_col: Option<String>,

    /// Date format in strftime syntax, e.g. %d/%m/%Y (default: detected: ISO dates and
    /// datetimes, YYYYMMDD, YYYY/MM/DD; clm sql casts the column to a date, which reads dates,
    /// timestamps and ISO text).
    #[arg(long, value_name = "FORMAT", help_heading = "Columns")]
    pub date_format: Option<String>,
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

/// The date the analysis looks from.
#[derive(Debug, Clone, Args)]
pub struct AsOfArgs {
    /// Analysis date (YYYY-MM-DD or "today"); later transactions are ignored.
    /// Default: the date of the last transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}
