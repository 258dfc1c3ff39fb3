//! Reading a per-customer summary file (`docs/summary.md`, version 1) written by `clm summary`,
//! by the SQL of `clm sql`, or by any engine: CSV, CSV.gz, TSV, Parquet, or CSV on stdin. The
//! columns are read typed by polars (`summary_typed`); a file with a bad cell is read again by
//! the side-table reader the survey uses ([`RowReader`]), so a bad cell is one error naming
//! file, row and column, as everywhere.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

use super::customers::CustomerRows;
use super::dates::day_number;
use super::load::gunzip_if_compressed;
use super::table::{
    RawTable, RowReader, cannot_read, check_is_file, delimited_reader, format_of, open_delimited,
    parquet_headers, read_headers, read_table_as, table_from_bytes,
};
use crate::data::options::InputFormat;
use crate::error::ClmError;
use crate::output::PackedText;

/// The schema version this build reads.
pub const SUMMARY_VERSION: i64 = 1;

/// What an analysis reads: the transactions, or their per-customer summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputKind {
    /// One row per transaction.
    Transactions,
    /// The per-customer summary of docs/summary.md (`clm summary` writes it); for clv also
    /// x,t_x,T or frequency,recency,periods rows (detected by their columns).
    Summary,
}

/// One customer's numbers at one cut-off `c`: their rows dated on or before `c` (one row of
/// the summary file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// First and last purchase day (days since 1970-01-01); `None` when every row is a return.
    pub first_day: Option<i32>,
    pub last_day: Option<i32>,
    /// Distinct purchase days.
    pub purchase_days: u32,
    /// Distinct orders among the purchase rows (a row without an order id counts its day).
    pub orders: u32,
    /// Rows, and the rows that are returns.
    pub rows: u32,
    pub return_rows: u32,
    /// Net total of all rows.
    pub revenue: f64,
    /// Sum of the day totals of the purchase days after the first.
    pub repeat_revenue: f64,
    /// Net total of the rows in `(c − 91, c]` and in `(c − 182, c − 91]`.
    pub revenue_last_quarter: f64,
    pub revenue_prior_quarter: f64,
    /// Sum over consecutive purchase days of the squared gap in days.
    pub gap_square_sum: f64,
}

/// The rows of a summary file, checked (one per customer and cut-off, every customer present at
/// the latest cut-off) and grouped by customer.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRecords {
    /// The file's name for messages.
    pub source: String,
    /// The distinct customer ids, sorted.
    pub customer_id: PackedText,
    /// The distinct cut-offs, latest first.
    pub cutoffs: Vec<i32>,
    /// `at[k][c]`: customer `c`'s row at `cutoffs[k]`; `None` when the file has none.
    pub at: Vec<Vec<Option<CustomerSummary>>>,
}

/// The columns of version 1, in the order `clm summary` writes them.
pub const SUMMARY_COLUMNS: [&str; 14] = [
    "summary_version",
    "customer_id",
    "cutoff",
    "first_day",
    "last_day",
    "purchase_days",
    "orders",
    "rows",
    "return_rows",
    "revenue",
    "repeat_revenue",
    "revenue_last_quarter",
    "revenue_prior_quarter",
    "gap_square_sum",
];

/// Reads and checks a summary file (`-` for CSV on stdin).
pub fn read_summary(path: &Path) -> Result<SummaryRecords, ClmError> {
    SummaryFile::open(path, "summary")?.read()
}

/// A side file opened for reading as a summary: a Parquet file, a delimited file on disk, or
/// delimited text held in memory (standard input, a pipe, or a file after gunzipping), which
/// can then be read more than once.
pub struct SummaryFile {
    /// The file's name for messages.
    pub source: String,
    /// What the file is called in messages ("summary", "input").
    kind: String,
    pub(crate) bytes: SummaryBytes,
}

pub(crate) enum SummaryBytes {
    Parquet(PathBuf),
    File(PathBuf, InputFormat),
    Memory(Vec<u8>, InputFormat),
}

impl SummaryFile {
    /// Opens `path` (`-` for standard input) in the format its name says; `kind` names the
    /// file in messages ("summary", "input"). Compressed and streamed text is read into memory.
    pub fn open(path: &Path, kind: &str) -> Result<SummaryFile, ClmError> {
        let source = path.display().to_string();
        let format = format_of(&source);
        let bytes = if source == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| cannot_read(kind, &source, &e))?;
            SummaryBytes::Memory(gunzip_if_compressed(&source, bytes)?, format)
        } else {
            check_is_file(path, &source, kind)?;
            if format == InputFormat::Parquet {
                SummaryBytes::Parquet(path.to_path_buf())
            } else if must_buffer(path).map_err(|e| cannot_read(kind, &source, &e))? {
                let bytes = std::fs::read(path).map_err(|e| cannot_read(kind, &source, &e))?;
                SummaryBytes::Memory(gunzip_if_compressed(&source, bytes)?, format)
            } else {
                SummaryBytes::File(path.to_path_buf(), format)
            }
        };
        Ok(SummaryFile {
            source,
            kind: kind.to_string(),
            bytes,
        })
    }

    /// The column names, as the side-table reader reads them.
    pub fn headers(&self) -> Result<Vec<String>, ClmError> {
        match &self.bytes {
            SummaryBytes::Parquet(path) => parquet_headers(path, &self.source),
            SummaryBytes::File(path, format) => {
                let mut reader = open_delimited(path, &self.source, *format, &self.kind)?;
                read_headers(&self.source, &mut reader)
            }
            SummaryBytes::Memory(bytes, format) => {
                let mut reader = delimited_reader(&self.source, Box::new(&bytes[..]), *format)?;
                read_headers(&self.source, &mut reader)
            }
        }
    }

    /// Every cell as text, read by the side-table reader.
    pub(crate) fn raw_table(&self) -> Result<RawTable, ClmError> {
        match &self.bytes {
            SummaryBytes::Parquet(path) => {
                read_table_as(path, &self.source, InputFormat::Parquet, &self.kind)
            }
            SummaryBytes::File(path, format) => {
                read_table_as(path, &self.source, *format, &self.kind)
            }
            SummaryBytes::Memory(bytes, format) => table_from_bytes(&self.source, bytes, *format),
        }
    }

    /// Reads and checks the summary. The columns are read typed by polars and converted in
    /// parallel; a file that reader cannot take as it is, or any bad cell, is read again by the
    /// side-table reader, which names the first bad cell (or reads what polars would not, such
    /// as padded numbers), so both give the same records and the same messages.
    pub fn read(&self) -> Result<SummaryRecords, ClmError> {
        if let Some(records) = super::summary_typed::read(self) {
            return Ok(records);
        }
        // The first refused row alone, when the side-table reader names a cell in it.
        if let Some(row) = super::summary_typed::first_refused_row(self) {
            summary_records(&self.source, &row?)?;
        }
        summary_records(&self.source, &self.raw_table()?)
    }
}

/// Whether a delimited file must be read into memory: gzip (told by its bytes), or a pipe or
/// device that can be read only once.
fn must_buffer(path: &Path) -> std::io::Result<bool> {
    if !std::fs::metadata(path)?.is_file() {
        return Ok(true);
    }
    let mut magic = [0u8; 2];
    let read = std::fs::File::open(path)?.read(&mut magic)?;
    Ok(read == 2 && magic == [0x1f, 0x8b])
}

/// The summary records of a table already read as text (CSV, TSV, gzip, Parquet or standard
/// input), checked cell by cell: the first bad cell is the error.
pub(crate) fn summary_records(source: &str, raw: &RawTable) -> Result<SummaryRecords, ClmError> {
    let missing: Vec<&str> = SUMMARY_COLUMNS
        .iter()
        .copied()
        .filter(|name| !raw.headers.iter().any(|h| h == name))
        .collect();
    if !missing.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: a summary (docs/summary.md, version {SUMMARY_VERSION}) needs the column{} {}; \
             the file has {}. Make one with: clm summary TRANSACTIONS -o summary.csv",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            raw.headers.join(", ")
        )));
    }
    let reader = RowReader { source, raw };
    let cells = Cells { reader: &reader };
    let customer_id = reader.customer_ids("customer_id")?;
    let rows = customer_id.len();
    for row in 0..rows {
        let version = cells.integer(row, "summary_version")?;
        if version != SUMMARY_VERSION {
            return Err(reader.bad_cell(
                row,
                "summary_version",
                format!(
                    "version {version}: this clm reads version {SUMMARY_VERSION}; make the summary again with this clm (clm summary) or its clm sql"
                ),
            ));
        }
    }
    let mut cutoff = Vec::with_capacity(rows);
    let mut summary = Vec::with_capacity(rows);
    for row in 0..rows {
        cutoff.push(cells.required_day(row, "cutoff")?);
        summary.push(cells.summary(row)?);
    }
    let ids: Vec<&str> = customer_id.iter().map(String::as_str).collect();
    let customers = CustomerRows::new(&ids);
    if let Some(problem) = row_problem(&customers, &cutoff) {
        return Err(problem.error(&reader, &ids, &cutoff));
    }
    let at =
        rows_by_cutoff(&customers, &cutoff, |row| Some(summary[row])).expect("every row was read");
    Ok(SummaryRecords {
        source: source.to_string(),
        customer_id: customers.ids,
        cutoffs: distinct_cutoffs(&cutoff),
        at,
    })
}

/// The distinct cut-offs, latest first.
pub(crate) fn distinct_cutoffs(cutoff: &[i32]) -> Vec<i32> {
    let mut cutoffs = cutoff.to_vec();
    cutoffs.par_sort_unstable_by(|a, b| b.cmp(a));
    cutoffs.dedup();
    cutoffs
}

/// Every customer's row at each cut-off (latest first), from `summary` of a row; `None` when
/// `summary` refuses a row. Rows are checked by [`row_problem`] first.
pub(crate) fn rows_by_cutoff(
    customers: &CustomerRows,
    cutoff: &[i32],
    summary: impl Fn(usize) -> Option<CustomerSummary> + Sync,
) -> Option<Vec<Vec<Option<CustomerSummary>>>> {
    distinct_cutoffs(cutoff)
        .into_iter()
        .map(|at| {
            (0..customers.customers())
                .into_par_iter()
                .map(|c| {
                    let row = customers
                        .rows_of(c)
                        .iter()
                        .map(|&row| row as usize)
                        .find(|&row| cutoff[row] == at);
                    match row {
                        Some(row) => summary(row).map(Some),
                        None => Some(None),
                    }
                })
                .collect()
        })
        .collect()
}

/// What breaks "one row per customer and cut-off, and every customer at the latest cut-off",
/// at the first row (in file order) that breaks it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RowProblem {
    /// The row repeats the customer's cut-off of an earlier row.
    Repeated { row: usize, first: usize },
    /// The customer of the row has no row at the latest cut-off.
    NoLatest { row: usize, latest: i32 },
}

impl RowProblem {
    fn error(self, reader: &RowReader, ids: &[&str], cutoff: &[i32]) -> ClmError {
        match self {
            RowProblem::Repeated { row, first } => reader.bad_cell(
                row,
                "cutoff",
                format!(
                    "customer '{}' already has a row for the cut-off {} ({})",
                    ids[row],
                    crate::output::format_day(cutoff[row]),
                    reader.row_label(first)
                ),
            ),
            RowProblem::NoLatest { row, latest } => reader.bad_cell(
                row,
                "cutoff",
                format!(
                    "customer '{}' has no row for the latest cut-off {}: every customer with a row on or before an earlier cut-off needs one",
                    ids[row],
                    crate::output::format_day(latest)
                ),
            ),
        }
    }
}

/// One row per customer and cut-off, and every customer at the latest cut-off (a customer
/// with a row on or before an earlier cut-off has one on or before a later one). Repeated rows
/// are looked for first; each problem is reported at its first row in file order.
pub(crate) fn row_problem(customers: &CustomerRows, cutoff: &[i32]) -> Option<RowProblem> {
    let latest = cutoff.par_iter().copied().max()?;
    let rows_of = |c: usize| customers.rows_of(c).iter().map(|&row| row as usize);
    let repeated = (0..customers.customers())
        .into_par_iter()
        .filter_map(|c| {
            let rows: Vec<usize> = rows_of(c).collect();
            rows.iter().enumerate().find_map(|(j, &row)| {
                let first = rows[..j].iter().find(|&&r| cutoff[r] == cutoff[row])?;
                Some(RowProblem::Repeated { row, first: *first })
            })
        })
        .min_by_key(|problem| match problem {
            RowProblem::Repeated { row, .. } | RowProblem::NoLatest { row, .. } => *row,
        });
    if repeated.is_some() {
        return repeated;
    }
    (0..customers.customers())
        .into_par_iter()
        .filter(|&c| !rows_of(c).any(|row| cutoff[row] == latest))
        .filter_map(|c| rows_of(c).next())
        .min()
        .map(|row| RowProblem::NoLatest { row, latest })
}

/// A whole number as a count is written: `3`, or `3.0` as engines may write it.
pub(crate) fn whole_number(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(whole_of))
}

/// The whole number a float holds, when it holds one that an `i64` keeps exactly.
pub(crate) fn whole_of(value: f64) -> Option<i64> {
    (value.fract() == 0.0 && value.abs() < 9e15).then_some(value as i64)
}

/// A finite amount.
pub(crate) fn amount_of(text: &str) -> Option<f64> {
    short_decimal(text.as_bytes())
        .or_else(|| text.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// `[-]digits[.digits]` with few enough digits to be read exactly as `parse::<f64>` reads it,
/// but without its general machinery (a summary has tens of millions of amounts): an integer
/// of at most 2^53 and a power of ten of at most 10^22 are both exact doubles, so their
/// quotient, rounded once, is the correctly rounded value of the decimal (Clinger's fast path).
/// `None` for anything else, which the general parser then reads.
fn short_decimal(text: &[u8]) -> Option<f64> {
    const POWERS_OF_TEN: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    const MAX_DIGITS: usize = 19; // 10^19 - 1 fits a u64
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mut mantissa, mut digits, mut decimals, mut point) = (0u64, 0usize, 0usize, false);
    for &byte in text {
        match byte {
            b'0'..=b'9' if digits < MAX_DIGITS => {
                mantissa = 10 * mantissa + u64::from(byte - b'0');
                digits += 1;
                decimals += usize::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if digits == 0 || mantissa > 1 << 53 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN.get(decimals)?;
    Some(if negative { -value } else { value })
}

/// A date `YYYY-MM-DD` (a datetime's time of day is dropped), as days since 1970-01-01.
pub(crate) fn day_of(text: &str) -> Option<i32> {
    let date = text.get(..10).unwrap_or(text);
    if let Some(day) = super::dates::iso_day(date.as_bytes()) {
        return Some(day);
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .map(day_number)
}

/// The rule a summary row breaks, as (column, what); `None` for a good row.
pub(crate) fn broken_rule(
    s: &CustomerSummary,
    cutoff: i32,
) -> Option<(&'static str, &'static str)> {
    match (s.first_day, s.last_day) {
        (Some(first), Some(last)) => {
            if last < first {
                return Some(("last_day", "the last purchase day is before the first"));
            }
            if last > cutoff {
                return Some(("last_day", "the last purchase day is after the cut-off"));
            }
            if s.purchase_days == 0 {
                return Some(("purchase_days", "0 purchase days but a first purchase day"));
            }
        }
        (None, None) if s.purchase_days > 0 => {
            return Some(("first_day", "empty, but purchase_days is more than 0"));
        }
        (None, None) => {}
        (Some(_), None) => return Some(("last_day", "empty, but first_day is not")),
        (None, Some(_)) => return Some(("first_day", "empty, but last_day is not")),
    }
    if s.rows == 0 {
        return Some((
            "rows",
            "a customer's row needs at least one transaction row",
        ));
    }
    if s.return_rows > s.rows {
        return Some(("return_rows", "more return rows than rows"));
    }
    if s.purchase_days > 0 && s.orders == 0 {
        return Some(("orders", "0 orders but purchase days"));
    }
    None
}

/// Typed cells of a summary row.
struct Cells<'a> {
    reader: &'a RowReader<'a>,
}

impl Cells<'_> {
    fn text(&self, row: usize, column: &str) -> Option<&str> {
        self.reader.column(column)[row].as_deref()
    }

    fn integer(&self, row: usize, column: &str) -> Result<i64, ClmError> {
        let text = self.text(row, column).unwrap_or_default();
        whole_number(text).ok_or_else(|| {
            self.reader
                .bad_cell(row, column, format!("'{text}' is not a whole number"))
        })
    }

    fn count(&self, row: usize, column: &str) -> Result<u32, ClmError> {
        let value = self.integer(row, column)?;
        u32::try_from(value).map_err(|_| {
            self.reader
                .bad_cell(row, column, format!("{value} is not a count (0 or more)"))
        })
    }

    fn amount(&self, row: usize, column: &str) -> Result<f64, ClmError> {
        let text = self.text(row, column).unwrap_or_default();
        amount_of(text).ok_or_else(|| {
            self.reader
                .bad_cell(row, column, format!("'{text}' is not a number"))
        })
    }

    /// A date (see [`day_of`]); `None` for an empty cell.
    fn day(&self, row: usize, column: &str) -> Result<Option<i32>, ClmError> {
        let Some(text) = self.text(row, column) else {
            return Ok(None);
        };
        day_of(text).map(Some).ok_or_else(|| {
            self.reader.bad_cell(
                row,
                column,
                format!("'{text}' is not a date like 2025-06-30"),
            )
        })
    }

    fn required_day(&self, row: usize, column: &str) -> Result<i32, ClmError> {
        self.day(row, column)?.ok_or_else(|| {
            self.reader
                .bad_cell(row, column, "the date is empty".into())
        })
    }

    fn summary(&self, row: usize) -> Result<CustomerSummary, ClmError> {
        let s = CustomerSummary {
            first_day: self.day(row, "first_day")?,
            last_day: self.day(row, "last_day")?,
            purchase_days: self.count(row, "purchase_days")?,
            orders: self.count(row, "orders")?,
            rows: self.count(row, "rows")?,
            return_rows: self.count(row, "return_rows")?,
            revenue: self.amount(row, "revenue")?,
            repeat_revenue: self.amount(row, "repeat_revenue")?,
            revenue_last_quarter: self.amount(row, "revenue_last_quarter")?,
            revenue_prior_quarter: self.amount(row, "revenue_prior_quarter")?,
            gap_square_sum: self.amount(row, "gap_square_sum")?,
        };
        let cutoff = self.required_day(row, "cutoff")?;
        match broken_rule(&s, cutoff) {
            Some((column, what)) => Err(self.reader.bad_cell(row, column, what.into())),
            None => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn read(name: &str, text: &str) -> Result<SummaryRecords, ClmError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_summary(&path)
    }

    const HEADER: &str = "summary_version,customer_id,cutoff,first_day,last_day,purchase_days,orders,rows,return_rows,revenue,repeat_revenue,revenue_last_quarter,revenue_prior_quarter,gap_square_sum\n";

    #[test]
    fn reads_rows_and_empty_days() {
        let text = format!(
            "{HEADER}1,A,2025-06-30,2025-01-01,2025-06-01,2,3,4,1,10.5,3.25,3.25,0,22201\n\
             1,R,2025-06-30,,,0,0,1,1,-5,0,-5,0,0\n"
        );
        let records = read("s.csv", &text).unwrap();
        assert_eq!(records.customer_id.iter().collect::<Vec<_>>(), ["A", "R"]);
        assert_eq!(records.cutoffs, [day_of("2025-06-30").unwrap()]);
        let a = records.at[0][0].unwrap();
        assert_eq!((a.purchase_days, a.orders, a.rows), (2, 3, 4));
        assert_eq!(a.repeat_revenue, 3.25);
        assert_eq!(records.at[0][1].unwrap().first_day, None);
    }

    #[test]
    fn errors_name_row_and_column() {
        let err = read("s.csv", "customer_id,x\nA,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("summary_version") && err.contains("clm summary"),
            "{err}"
        );
        let row = "1,A,2025-06-30,2025-01-01,2025-06-01,2,3,4,1,10.5,3.25,3.25,0,22201\n";
        let err = read("s.csv", &format!("{HEADER}{}", row.replacen('1', "2", 1)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 1 (line 2), column 'summary_version'"),
            "{err}"
        );
        let err = read("s.csv", &format!("{HEADER}{}", row.replace("10.5", "ten")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 'revenue': 'ten' is not a number"),
            "{err}"
        );
        // A delimiter inside an unquoted value shifts every column after it: refused, while
        // an empty field past the header (a trailing delimiter) is not.
        let shifted = row.replace("10.5", "10,5").replace(",A,", ",B,");
        let err = read("s.csv", &format!("{HEADER}{row}{shifted}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2 (line 3) has a value in field 15")
                && err.contains("'gap_square_sum' is the last"),
            "{err}"
        );
        let trailing = row.replace('\n', ",\n");
        assert!(read("s.csv", &format!("{HEADER}{trailing}")).is_ok());
        let err = read("s.csv", &format!("{HEADER}{row}{row}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2 (line 3), column 'cutoff'") && err.contains("row 1"),
            "{err}"
        );
        let early = row.replace("2025-06-30", "2025-06-15");
        let other = "1,B,2025-06-30,2025-01-01,2025-01-01,1,1,1,0,1,0,0,1,0\n";
        let err = read("s.csv", &format!("{HEADER}{other}{early}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no row for the latest cut-off 2025-06-30"),
            "{err}"
        );
        let err = read(
            "s.csv",
            &format!("{HEADER}{}", row.replace(",2,3,", ",0,3,")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("column 'purchase_days'"), "{err}");
    }

    proptest! {
        #[test]
        fn short_decimals_read_as_the_general_parser_reads_them(
            sign in prop::sample::select(vec!["", "-", "+"]),
            whole in "[0-9]{0,12}",
            point in prop::bool::ANY,
            fraction in "[0-9]{0,10}",
        ) {
            let text = format!("{sign}{whole}{}{fraction}", if point { "." } else { "" });
            let general = text.parse::<f64>().ok().filter(|v| v.is_finite());
            prop_assert_eq!(amount_of(&text).map(f64::to_bits), general.map(f64::to_bits), "{}", text);
        }
    }

    #[test]
    fn amounts_near_the_fast_paths_limits_read_as_the_general_parser_reads_them() {
        for text in [
            "9007199254740992",
            "9007199254740993",
            "900719925474099.3",
            "0.1234567890123456789",
            "644.8000000000001",
            "1234567890123456789012",
            "0.0000000000000000000001",
            "-0.0",
            "5.",
            ".5",
            ".",
            "-",
            "1e3",
            "inf",
            "1..2",
        ] {
            let general = text.parse::<f64>().ok().filter(|v| v.is_finite());
            assert_eq!(
                amount_of(text).map(f64::to_bits),
                general.map(f64::to_bits),
                "{text}"
            );
        }
    }
}
