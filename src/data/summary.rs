//! Reading a per-customer summary file (`docs/summary.md`, version 1) written by `clm summary`,
//! by the SQL of `clm sql`, or by any engine: CSV, CSV.gz, TSV, Parquet, or CSV on stdin. The
//! cells are read by the side-table reader the survey uses ([`RowReader`]), so a bad cell is
//! one error naming file, row and column, as everywhere.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::dates::day_number;
use super::table::{RawTable, RowReader, read_table};
use crate::error::ClmError;

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

/// The rows of a summary file, checked: one per customer and cut-off, and every customer
/// present at the latest cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRecords {
    /// The file's name for messages.
    pub source: String,
    pub customer_id: Vec<String>,
    pub cutoff: Vec<i32>,
    pub summary: Vec<CustomerSummary>,
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

/// Reads and checks a summary file (`-` for CSV on stdin) with the side-table reader.
pub fn read_summary(path: &Path) -> Result<SummaryRecords, ClmError> {
    let source = path.display().to_string();
    summary_records(&source, &read_table(path, "summary")?)
}

/// The summary records of a table already read (CSV, TSV, gzip, Parquet or standard input).
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
    check_rows(&reader, &customer_id, &cutoff)?;
    Ok(SummaryRecords {
        source: source.to_string(),
        customer_id,
        cutoff,
        summary,
    })
}

/// One row per customer and cut-off, and every customer at the latest cut-off (a customer
/// with a row on or before an earlier cut-off has one on or before a later one).
fn check_rows(reader: &RowReader, ids: &[String], cutoff: &[i32]) -> Result<(), ClmError> {
    let Some(&latest) = cutoff.iter().max() else {
        return Ok(());
    };
    let mut first_row: HashMap<(&str, i32), usize> = HashMap::with_capacity(ids.len());
    for (row, (id, &c)) in ids.iter().zip(cutoff).enumerate() {
        if let Some(first) = first_row.insert((id.as_str(), c), row) {
            return Err(reader.bad_cell(
                row,
                "cutoff",
                format!(
                    "customer '{id}' already has a row for the cut-off {} ({})",
                    crate::output::format_day(c),
                    reader.row_label(first)
                ),
            ));
        }
    }
    for (row, (id, &c)) in ids.iter().zip(cutoff).enumerate() {
        if c != latest && !first_row.contains_key(&(id.as_str(), latest)) {
            return Err(reader.bad_cell(
                row,
                "cutoff",
                format!(
                    "customer '{id}' has no row for the latest cut-off {}: every customer with a row on or before an earlier cut-off needs one",
                    crate::output::format_day(latest)
                ),
            ));
        }
    }
    Ok(())
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
        // Engines may write a count as 3.0.
        let value = text.parse::<i64>().ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && v.abs() < 9e15)
                .map(|v| v as i64)
        });
        value.ok_or_else(|| {
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
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                self.reader
                    .bad_cell(row, column, format!("'{text}' is not a number"))
            })
    }

    /// A date `YYYY-MM-DD` (a datetime's time of day is dropped); `None` for an empty cell.
    fn day(&self, row: usize, column: &str) -> Result<Option<i32>, ClmError> {
        let Some(text) = self.text(row, column) else {
            return Ok(None);
        };
        let date = text.get(..10).unwrap_or(text);
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(|d| Some(day_number(d)))
            .map_err(|_| {
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
        self.check(row, &s)?;
        Ok(s)
    }

    /// The rules that tie the columns together, each naming the column that breaks it.
    fn check(&self, row: usize, s: &CustomerSummary) -> Result<(), ClmError> {
        let bad = |column: &str, what: &str| Err(self.reader.bad_cell(row, column, what.into()));
        let cutoff = self.required_day(row, "cutoff")?;
        match (s.first_day, s.last_day) {
            (Some(first), Some(last)) => {
                if last < first {
                    return bad("last_day", "the last purchase day is before the first");
                }
                if last > cutoff {
                    return bad("last_day", "the last purchase day is after the cut-off");
                }
                if s.purchase_days == 0 {
                    return bad("purchase_days", "0 purchase days but a first purchase day");
                }
            }
            (None, None) if s.purchase_days > 0 => {
                return bad("first_day", "empty, but purchase_days is more than 0");
            }
            (None, None) => {}
            (Some(_), None) => return bad("last_day", "empty, but first_day is not"),
            (None, Some(_)) => return bad("first_day", "empty, but last_day is not"),
        }
        if s.rows == 0 {
            return bad(
                "rows",
                "a customer's row needs at least one transaction row",
            );
        }
        if s.return_rows > s.rows {
            return bad("return_rows", "more return rows than rows");
        }
        if s.purchase_days > 0 && s.orders == 0 {
            return bad("orders", "0 orders but purchase days");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(records.customer_id, ["A", "R"]);
        let a = records.summary[0];
        assert_eq!((a.purchase_days, a.orders, a.rows), (2, 3, 4));
        assert_eq!(a.repeat_revenue, 3.25);
        assert_eq!(records.summary[1].first_day, None);
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
}
