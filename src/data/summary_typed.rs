//! The fast path of reading a per-customer summary: polars' typed readers (CSV with a schema,
//! Parquet with a projection) and the columns converted in parallel straight into the grouped
//! records, without holding every cell as text.
//!
//! It takes exactly what the side-table reader takes and reads it to the same values: numbers
//! are parsed to the nearest float by both, and text cells (ids, dates, Parquet columns of
//! other types) go through the same parsing functions. Whatever it cannot take so (a file
//! polars will not read, an empty or malformed cell, a broken rule, a repeated row) makes it
//! give up, and the caller reads the file again with the side-table reader, which names the
//! first bad cell; so the messages are the same too.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use rayon::prelude::*;

use super::customers::CustomerRows;
use super::dates::day_number;
use super::delimited::{detect_delimiter, first_line};
use super::load::float_written_id;
use super::summary::{
    CustomerSummary, SUMMARY_COLUMNS, SUMMARY_VERSION, SummaryBytes, SummaryFile, SummaryRecords,
    amount_of, broken_rule, day_of, distinct_cutoffs, row_problem, rows_by_cutoff, whole_number,
    whole_of,
};
use crate::data::options::InputFormat;
use crate::output::Stopwatch;

/// The summary read typed, or `None` when the side-table reader must read it (see the module
/// comment).
pub(crate) fn read(file: &SummaryFile) -> Option<SummaryRecords> {
    let mut timer = Stopwatch::start("summary read");
    let mut frame = frame(file).ok()?;
    timer.lap("polars");
    if frame.height() == 0 {
        return None;
    }
    let mut take = |name: &str| frame.drop_in_place(name).ok();
    let version = counts(&take("summary_version")?)?;
    if version.par_iter().any(|&v| i64::from(v) != SUMMARY_VERSION) {
        return None;
    }
    let id_column = take("customer_id")?.cast(&DataType::String).ok()?;
    let cutoff: Vec<i32> = days(&take("cutoff")?)?
        .into_par_iter()
        .collect::<Option<_>>()?;
    let columns = Columns {
        first_day: days(&take("first_day")?)?,
        last_day: days(&take("last_day")?)?,
        purchase_days: counts(&take("purchase_days")?)?,
        orders: counts(&take("orders")?)?,
        rows: counts(&take("rows")?)?,
        return_rows: counts(&take("return_rows")?)?,
        revenue: amounts(&take("revenue")?)?,
        repeat_revenue: amounts(&take("repeat_revenue")?)?,
        revenue_last_quarter: amounts(&take("revenue_last_quarter")?)?,
        revenue_prior_quarter: amounts(&take("revenue_prior_quarter")?)?,
        gap_square_sum: amounts(&take("gap_square_sum")?)?,
    };
    drop(frame);
    timer.lap("convert");
    let ids = customer_ids(id_column.str().ok()?)?;
    // `clm summary` writes customers in id order: then no sort is needed.
    let customers = CustomerRows::from_sorted(&ids).unwrap_or_else(|| CustomerRows::new(&ids));
    drop(ids);
    drop(id_column);
    timer.lap("group");
    if row_problem(&customers, &cutoff).is_some() {
        return None;
    }
    let at = rows_by_cutoff(&customers, &cutoff, |row| {
        let summary = columns.summary(row);
        broken_rule(&summary, cutoff[row])
            .is_none()
            .then_some(summary)
    })?;
    timer.lap("records");
    Some(SummaryRecords {
        source: file.source.clone(),
        customer_id: customers.ids,
        cutoffs: distinct_cutoffs(&cutoff),
        at,
    })
}

/// The summary's columns, typed, one value per row of the file.
struct Columns {
    first_day: Vec<Option<i32>>,
    last_day: Vec<Option<i32>>,
    purchase_days: Vec<u32>,
    orders: Vec<u32>,
    rows: Vec<u32>,
    return_rows: Vec<u32>,
    revenue: Vec<f64>,
    repeat_revenue: Vec<f64>,
    revenue_last_quarter: Vec<f64>,
    revenue_prior_quarter: Vec<f64>,
    gap_square_sum: Vec<f64>,
}

impl Columns {
    fn summary(&self, row: usize) -> CustomerSummary {
        CustomerSummary {
            first_day: self.first_day[row],
            last_day: self.last_day[row],
            purchase_days: self.purchase_days[row],
            orders: self.orders[row],
            rows: self.rows[row],
            return_rows: self.return_rows[row],
            revenue: self.revenue[row],
            repeat_revenue: self.repeat_revenue[row],
            revenue_last_quarter: self.revenue_last_quarter[row],
            revenue_prior_quarter: self.revenue_prior_quarter[row],
            gap_square_sum: self.gap_square_sum[row],
        }
    }
}

/// The summary's columns as polars reads them: numbers as floats (a count may be written
/// `3.0`), the rest as text; a Parquet file's as stored.
fn frame(file: &SummaryFile) -> PolarsResult<DataFrame> {
    match &file.bytes {
        SummaryBytes::Parquet(path) => {
            let columns = SUMMARY_COLUMNS.iter().map(|c| c.to_string()).collect();
            ParquetReader::new(std::fs::File::open(path)?)
                .with_columns(Some(columns))
                .finish()
        }
        SummaryBytes::File(path, format) => {
            let header = first_line(std::fs::File::open(path)?, 1 << 20)?;
            csv_options(&header, *format)
                .try_into_reader_with_file_path(Some(Path::new(path).to_path_buf()))?
                .finish()
        }
        SummaryBytes::Memory(bytes, format) => {
            let header = first_line(bytes.as_slice(), 1 << 20)?;
            csv_options(&header, *format)
                .into_reader_with_file_handle(Cursor::new(bytes.as_slice()))
                .finish()
        }
    }
}

/// The columns whose cells are text (ids and dates); the others are numbers.
const TEXT_COLUMNS: [&str; 4] = ["customer_id", "cutoff", "first_day", "last_day"];

/// The side-table reader's settings: the delimiter the header line uses, rows with more fields
/// than the header read up to the header's.
fn csv_options(header_line: &[u8], format: InputFormat) -> CsvReadOptions {
    let own = if format == InputFormat::Tsv {
        b'\t'
    } else {
        b','
    };
    let delimiter = detect_delimiter(header_line, own);
    let numeric: Schema = SUMMARY_COLUMNS
        .iter()
        .filter(|name| !TEXT_COLUMNS.contains(name))
        .map(|name| Field::new((*name).into(), DataType::Float64))
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_schema_overwrite(Some(Arc::new(numeric)))
        .with_columns(Some(SUMMARY_COLUMNS.iter().map(|c| (*c).into()).collect()))
        .map_parse_options(|options| {
            options
                .with_separator(delimiter)
                .with_truncate_ragged_lines(true)
        })
}

/// A column's cells in the form they are converted from.
enum Cells {
    /// Floats, from numbers of any width (exact up to 2^53, beyond any count).
    Numbers(Float64Chunked),
    /// Days since 1970-01-01, from a date column.
    Days(Int32Chunked),
    /// Anything else, as the side-table reader sees it: text.
    Text(StringChunked),
}

impl Cells {
    fn of(column: &Column, dates: bool) -> Option<Cells> {
        let dtype = column.dtype();
        let as_text = || {
            Some(Cells::Text(
                column.cast(&DataType::String).ok()?.str().ok()?.clone(),
            ))
        };
        if dates {
            return match dtype {
                DataType::Date => Some(Cells::Days(column.date().ok()?.physical().clone())),
                _ => as_text(),
            };
        }
        // A 32-bit float becomes text as the side-table reader reads it: its shortest digits,
        // then parsed as a 64-bit float.
        if dtype == &DataType::Float64 || dtype.is_integer() {
            let floats = column.cast(&DataType::Float64).ok()?;
            return Some(Cells::Numbers(floats.f64().ok()?.clone()));
        }
        as_text()
    }

    /// Every cell converted by `number`, `day` or `text` (a trimmed cell, `None` when empty),
    /// chunk by chunk in parallel; `None` when any cell is refused.
    fn convert<T: Send>(
        &self,
        number: impl Fn(f64) -> Option<T> + Sync,
        day: impl Fn(Option<i32>) -> Option<T> + Sync,
        text: impl Fn(Option<&str>) -> Option<T> + Sync,
    ) -> Option<Vec<T>> {
        let parts: Vec<Vec<T>> = match self {
            Cells::Numbers(floats) => {
                if floats.null_count() > 0 {
                    return None;
                }
                let chunks: Vec<_> = floats.downcast_iter().collect();
                chunks
                    .into_par_iter()
                    .map(|chunk| chunk.values().iter().map(|&v| number(v)).collect())
                    .collect::<Option<_>>()?
            }
            Cells::Days(days) => {
                let chunks: Vec<_> = days.downcast_iter().collect();
                chunks
                    .into_par_iter()
                    .map(|chunk| chunk.iter().map(|d| day(d.copied())).collect())
                    .collect::<Option<_>>()?
            }
            Cells::Text(texts) => {
                let chunks: Vec<_> = texts.downcast_iter().collect();
                chunks
                    .into_par_iter()
                    .map(|chunk| chunk.iter().map(|t| text(trimmed(t))).collect())
                    .collect::<Option<_>>()?
            }
        };
        Some(parts.into_iter().flatten().collect())
    }
}

/// A cell as the side-table reader keeps it: without surrounding whitespace, `None` when empty.
fn trimmed(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|t| !t.is_empty())
}

fn counts(column: &Column) -> Option<Vec<u32>> {
    let count = |value: i64| u32::try_from(value).ok();
    Cells::of(column, false)?.convert(
        |v| count(whole_of(v)?),
        |_| None,
        |t| count(whole_number(t?)?),
    )
}

fn amounts(column: &Column) -> Option<Vec<f64>> {
    Cells::of(column, false)?.convert(|v| v.is_finite().then_some(v), |_| None, |t| amount_of(t?))
}

/// Dates (`None` for an empty cell); a stored date outside the years 1–9999, which text cannot
/// spell as `YYYY-MM-DD`, is refused.
fn days(column: &Column) -> Option<Vec<Option<i32>>> {
    let first = day_number(ymd(1, 1, 1));
    let last = day_number(ymd(9999, 12, 31));
    Cells::of(column, true)?.convert(
        |_| None,
        |d| match d {
            None => Some(None),
            Some(d) => (first..=last).contains(&d).then_some(Some(d)),
        },
        |t| match t {
            None => Some(None),
            Some(t) => day_of(t).map(Some),
        },
    )
}

fn ymd(year: i32, month: u32, day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

/// The customer ids as the side-table reader reads them: trimmed, and without the `.0` of ids
/// written as floats when every id has one. An empty id, or one holding a quote (where CSV
/// readers may disagree), is refused.
fn customer_ids(ids: &StringChunked) -> Option<Vec<&str>> {
    let chunks: Vec<_> = ids.downcast_iter().collect();
    let parts: Vec<Vec<&str>> = chunks
        .into_par_iter()
        .map(|chunk| {
            chunk
                .iter()
                .map(|id| trimmed(id).filter(|id| !id.contains('"')))
                .collect()
        })
        .collect::<Option<_>>()?;
    let mut ids: Vec<&str> = parts.into_iter().flatten().collect();
    if ids.par_iter().all(|id| float_written_id(id).is_some()) {
        ids.par_iter_mut()
            .for_each(|id| *id = float_written_id(id).unwrap_or(id));
    }
    Some(ids)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::data::summary::summary_records;
    use crate::error::ClmError;

    /// The file read by the typed reader and by the side-table reader.
    fn both(
        name: &str,
        bytes: &[u8],
    ) -> (Option<SummaryRecords>, Result<SummaryRecords, ClmError>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let file = SummaryFile::open(&path, "summary").unwrap();
        let typed = read(&file);
        let text = file
            .raw_table()
            .and_then(|raw| summary_records(&file.source, &raw));
        assert_eq!(
            file.read().map_err(|e| e.to_string()),
            text.as_ref().map(Clone::clone).map_err(|e| e.to_string()),
            "{name}: what SummaryFile::read gives"
        );
        (typed, text)
    }

    const HEADER: &str = "summary_version,customer_id,cutoff,first_day,last_day,purchase_days,orders,rows,return_rows,revenue,repeat_revenue,revenue_last_quarter,revenue_prior_quarter,gap_square_sum";

    /// Two cut-offs out of order, a returns-only customer, amounts in full.
    const ROWS: [&str; 4] = [
        "1,B,2025-03-31,2025-01-10,2025-03-02,3,3,5,1,14.299999999999999,4,14.299999999999999,0,2501",
        "1,A,2025-06-30,2025-01-01,2025-06-01,2,3,4,1,10.5,3.25,3.25,0,22201",
        "1,R,2025-06-30,,,0,0,1,1,-5,0,-5,0,0",
        "1,B,2025-06-30,2025-01-10,2025-05-30,4,4,6,1,21.8,11.5,7.5,4,6922",
    ];

    fn csv(header: &str, rows: &[String], end: &str) -> Vec<u8> {
        let mut text = header.to_string() + end;
        for row in rows {
            text += row;
            text += end;
        }
        text.into_bytes()
    }

    fn rows(edit: impl Fn(&str) -> String) -> Vec<String> {
        ROWS.iter().map(|row| edit(row)).collect()
    }

    #[test]
    fn the_typed_reader_reads_what_the_text_reader_reads() {
        let plain = rows(str::to_string);
        let gzip = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&csv(HEADER, &plain, "\n")).unwrap();
            encoder.finish().unwrap()
        };
        let quoted = rows(|row| row.replacen(",B,", ",\"B\",", 1).replace(",4,", ",\"4\","));
        let variants: Vec<(&str, &str, Vec<u8>)> = vec![
            ("plain", "s.csv", csv(HEADER, &plain, "\n")),
            ("CRLF", "s.csv", csv(HEADER, &plain, "\r\n")),
            (
                "a byte-order mark",
                "s.csv",
                csv(&format!("\u{feff}{HEADER}"), &plain, "\n"),
            ),
            ("gzip", "s.csv.gz", gzip),
            (
                "semicolons",
                "s.csv",
                csv(
                    &HEADER.replace(',', ";"),
                    &rows(|r| r.replace(',', ";")),
                    "\n",
                ),
            ),
            (
                "tabs",
                "s.tsv",
                csv(
                    &HEADER.replace(',', "\t"),
                    &rows(|r| r.replace(',', "\t")),
                    "\n",
                ),
            ),
            ("quoted cells", "s.csv", csv(HEADER, &quoted, "\n")),
            (
                "an extra column",
                "s.csv",
                csv(&format!("{HEADER},note"), &rows(|r| format!("{r},x")), "\n"),
            ),
            (
                "counts written as floats",
                "s.csv",
                csv(HEADER, &rows(|r| r.replace(",3,", ",3.0,")), "\n"),
            ),
            (
                "datetimes",
                "s.csv",
                csv(HEADER, &rows(|r| r.replace("-30,", "-30 00:00:00,")), "\n"),
            ),
            (
                "ids written as floats",
                "s.csv",
                csv(
                    HEADER,
                    &rows(|r| {
                        r.replacen(",A,", ",17.0,", 1)
                            .replacen(",B,", ",18.0,", 1)
                            .replacen(",R,", ",19.0,", 1)
                    }),
                    "\n",
                ),
            ),
            (
                "padded ids and dates",
                "s.csv",
                csv(
                    HEADER,
                    &rows(|r| {
                        r.replacen(",B,", ", B ,", 1)
                            .replacen(",2025-06-30,", ",2025-06-30 ,", 1)
                    }),
                    "\n",
                ),
            ),
        ];
        for (what, name, bytes) in variants {
            let (typed, text) = both(name, &bytes);
            let text = text.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(typed.as_ref(), Some(&text), "{what}");
            assert_eq!(text.customer_id.len(), 3, "{what}");
            assert_eq!(text.cutoffs.len(), 2, "{what}");
        }
    }

    #[test]
    fn what_the_typed_reader_refuses_the_text_reader_reads_or_names() {
        let cases: Vec<(&str, Vec<String>, Option<&str>)> = vec![
            (
                "a padded count",
                rows(|r| r.replacen(",5,1,", ",5 ,1,", 1)),
                None,
            ),
            (
                "an empty amount",
                rows(|r| r.replace(",3.25,0,", ",,0,")),
                Some("row 2 (line 3), column 'revenue_last_quarter': '' is not a number"),
            ),
            (
                "a later version",
                rows(|r| r.replacen("1,R", "2,R", 1)),
                Some("row 3 (line 4), column 'summary_version': version 2"),
            ),
            (
                "a day-first date",
                rows(|r| r.replacen("2025-01-01", "01/01/2025", 1)),
                Some("row 2 (line 3), column 'first_day': '01/01/2025' is not a date"),
            ),
            (
                "a repeated row",
                [rows(str::to_string), vec![ROWS[1].to_string()]].concat(),
                Some(
                    "row 5 (line 6), column 'cutoff': customer 'A' already has a row for the cut-off 2025-06-30 (row 2 (line 3))",
                ),
            ),
            (
                "a customer missing at the latest cut-off",
                rows(|r| r.replacen("1,B,2025-06-30", "1,C,2025-06-30", 1)),
                Some(
                    "row 1 (line 2), column 'cutoff': customer 'B' has no row for the latest cut-off 2025-06-30",
                ),
            ),
            (
                "a broken rule",
                rows(|r| r.replacen(",2,3,4,1,", ",2,3,4,5,", 1)),
                Some("row 2 (line 3), column 'return_rows': more return rows than rows"),
            ),
        ];
        for (what, rows, error) in cases {
            let (typed, text) = both("s.csv", &csv(HEADER, &rows, "\n"));
            assert_eq!(typed, None, "{what}");
            match error {
                None => assert_eq!(text.unwrap().customer_id.len(), 3, "{what}"),
                Some(error) => {
                    let message = text.unwrap_err().to_string();
                    assert!(message.contains(error), "{what}: {message}");
                }
            }
        }
    }

    #[test]
    fn parquet_columns_of_any_type_read_as_their_text_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.parquet");
        let day = |text: &str| day_of(text).unwrap();
        let dates = |name: &str, days: &[Option<i32>]| {
            Series::new(name.into(), days)
                .cast(&DataType::Date)
                .unwrap()
                .into_column()
        };
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("summary_version".into(), [1i32, 1]),
            Column::new("customer_id".into(), [17850i64, 12]),
            dates("cutoff", &[Some(day("2025-06-30")); 2]),
            dates("first_day", &[Some(day("2025-01-01")), None]),
            Column::new("last_day".into(), [Some("2025-06-01 10:00:00"), None]),
            Column::new("purchase_days".into(), [2u32, 0]),
            Column::new("orders".into(), [3.0f64, 0.0]),
            Column::new("rows".into(), ["4", "1"]),
            Column::new("return_rows".into(), [1i32, 1]),
            Column::new("revenue".into(), [10.1f32, -5.0]),
            Column::new("repeat_revenue".into(), [3.25f64, 0.0]),
            Column::new("revenue_last_quarter".into(), [3.25f64, -5.0]),
            Column::new("revenue_prior_quarter".into(), [0i64, 0]),
            Column::new("gap_square_sum".into(), [22201u64, 0]),
        ])
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let file = SummaryFile::open(&path, "summary").unwrap();
        let typed = read(&file).expect("read typed");
        let text = summary_records(&file.source, &file.raw_table().unwrap()).unwrap();
        assert_eq!(typed, text);
        assert_eq!(
            typed.customer_id.iter().collect::<Vec<_>>(),
            ["12", "17850"]
        );
        let a = typed.at[0][1].unwrap();
        assert_eq!(a.last_day, Some(day("2025-06-01")));
        assert_eq!((a.orders, a.rows), (3, 4));
        // A 32-bit 10.1 is read as its shortest digits, as the text reader reads it.
        assert_eq!(a.revenue, 10.1);
    }
}
