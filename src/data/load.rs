//! Loading a transaction export (CSV, CSV.gz, TSV, Parquet or CSV on stdin) into the canonical
//! frame, with one clear error naming file, row, column and value for anything unreadable.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;

use super::columns::{AmountSource, ColumnMap, ColumnOverrides, map_columns};
use super::dates::{Detected, detect_format, has_time};
use super::placeholders::{Exclusion, exclude_customers, read_exclude_ids};
use crate::cli::{InputArgs, InputFormat, ReturnsPolicy};
use crate::error::ClmError;
use crate::output::Stopwatch;

/// Canonical column names of the loaded frame.
pub const CUSTOMER: &str = "customer_id";
/// Transaction day as days since 1970-01-01 (Int32).
pub const DAY: &str = "day";
/// Net amount (Float64).
pub const AMOUNT: &str = "amount";
/// True for returns and cancellations under `--returns net` (Boolean).
pub const IS_RETURN: &str = "is_return";
/// Order or invoice id (String), present when the export has one.
pub const ORDER: &str = "order_id";

/// Values read to detect the date format and float-written ids.
const SAMPLE_ROWS: usize = 1000;

/// Runs a query on polars' streaming engine, which reads and aggregates in parallel batches and
/// stops reading once a `limit` is met. (`LazyFrame::collect` runs the in-memory engine in Rust,
/// which reads a whole file even for a 1000-row sample; Python polars streams by default.)
pub fn collect_streaming(query: LazyFrame) -> PolarsResult<DataFrame> {
    // A query with one output (no `collect_all`) always gives a single frame.
    Ok(query
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single())
}

/// Rows left out by a stated policy, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub rows: usize,
    pub reason: String,
}

/// A loaded export: the canonical frame and what was done to get it.
pub struct Transactions {
    /// Columns `customer_id, day, amount, is_return[, order_id]`, one row per input row kept.
    pub frame: DataFrame,
    /// The input's name for messages.
    pub source: String,
    /// Which source columns were used.
    pub columns: ColumnMap,
    /// Rows skipped by policy.
    pub skipped: Vec<Skipped>,
    /// Rows that are returns or cancellations (kept and netted, dropped, or kept as purchases).
    pub return_rows: usize,
    /// What `--exclude-ids` left out (nothing when it was not given).
    pub exclusion: Exclusion,
    /// Rows whose customer id had whitespace around it, trimmed (`"A "` is `"A"`).
    pub trimmed_ids: usize,
}

impl Transactions {
    /// Whether frequency can count distinct orders.
    pub fn has_orders(&self) -> bool {
        self.columns.order.is_some()
    }

    /// The last transaction day in the data.
    pub fn last_day(&self) -> Option<i32> {
        self.frame.column(DAY).ok()?.i32().ok()?.max()
    }

    /// The frame's columns as plain vectors, for per-row work in Rust.
    pub fn row_columns(&self) -> Result<RowColumns<'_>> {
        let bad = |e: PolarsError| ClmError::BadData(format!("{}: {e}", self.source));
        let column = |name: &str| self.frame.column(name).map_err(bad);
        // Validation rejected null ids, days and amounts (and returns are filled), so the
        // values are read without their validity masks.
        let strings = |name: &str| -> Result<Vec<Option<&str>>> {
            Ok(column(name)?.str().map_err(bad)?.iter().collect())
        };
        let customer = column(CUSTOMER)?.str().map_err(bad)?;
        let day = column(DAY)?.i32().map_err(bad)?;
        let amount = column(AMOUNT)?.f64().map_err(bad)?;
        let is_return = column(IS_RETURN)?.bool().map_err(bad)?;
        // The four columns are copied side by side on the thread pool.
        let ((customer, day), (amount, is_return)) = rayon::join(
            || {
                rayon::join(
                    || {
                        customer
                            .downcast_iter()
                            .flat_map(|chunk| chunk.values_iter())
                            .collect()
                    },
                    || {
                        day.downcast_iter()
                            .flat_map(|chunk| chunk.values().iter().copied())
                            .collect()
                    },
                )
            },
            || {
                rayon::join(
                    || {
                        amount
                            .downcast_iter()
                            .flat_map(|chunk| chunk.values().iter().copied())
                            .collect()
                    },
                    || {
                        is_return
                            .downcast_iter()
                            .flat_map(|chunk| chunk.values().iter())
                            .collect()
                    },
                )
            },
        );
        Ok(RowColumns {
            customer,
            day,
            amount,
            is_return,
            order: if self.has_orders() {
                Some(strings(ORDER)?)
            } else {
                None
            },
        })
    }
}

impl RowColumns<'_> {
    /// Rows dated after `day` (days since 1970-01-01).
    pub fn rows_after(&self, day: i32) -> usize {
        self.day.iter().filter(|&&d| d > day).count()
    }
}

/// The canonical columns of [`Transactions`], one entry per row.
pub struct RowColumns<'a> {
    pub customer: Vec<&'a str>,
    /// Days since 1970-01-01.
    pub day: Vec<i32>,
    pub amount: Vec<f64>,
    pub is_return: Vec<bool>,
    /// Order ids, when the export has them (`None` in a row without one).
    pub order: Option<Vec<Option<&'a str>>>,
}

/// Where the bytes come from: the file itself, or a temporary copy of stdin or of a
/// decompressed `.gz` (removed when the source is dropped).
enum Source {
    Path(String),
    Temp(crate::cleanup::TempFile),
}

impl Source {
    fn path(&self) -> String {
        match self {
            Source::Path(path) => path.clone(),
            Source::Temp(file) => file.path().display().to_string(),
        }
    }
}

/// Reads and validates the export named by `args`.
pub fn load_transactions(args: &InputArgs) -> Result<Transactions> {
    let name = args.input.display().to_string();
    let exclude_ids = read_exclude_ids(&args.exclude_ids)?;
    let (source, format) = open(&args.input, args.input_format)?;
    let headers = read_headers(&name, &source, format)?;
    let overrides = ColumnOverrides {
        customer: args.customer_col.clone(),
        date: args.date_col.clone(),
        amount: args.amount_col.clone(),
        order: args.order_col.clone(),
    };
    let columns = map_columns(&name, &headers, &overrides)?;
    let reader = Reader {
        name: name.clone(),
        source,
        format,
        columns: columns.clone(),
    };
    reader.load(args, &exclude_ids)
}

fn open(path: &Path, format: Option<InputFormat>) -> Result<(Source, InputFormat)> {
    let name = path.display().to_string();
    if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| ClmError::InputMissing(format!("cannot read standard input: {e}")))?;
        let bytes = gunzip_if_compressed(&name, bytes)?;
        return Ok((non_empty(&name, bytes)?, format.unwrap_or(InputFormat::Csv)));
    }
    let meta = std::fs::metadata(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
    if meta.is_dir() {
        return Err(
            ClmError::InputMissing(format!("input '{name}' is a folder, not a file")).into(),
        );
    }
    if meta.len() == 0 {
        return Err(ClmError::BadData(format!("{name}: the file is empty")).into());
    }
    let lower = name.to_lowercase();
    let inner = lower.strip_suffix(".gz").unwrap_or(&lower);
    let format = format.unwrap_or(if inner.ends_with(".parquet") || inner.ends_with(".pq") {
        InputFormat::Parquet
    } else if inner.ends_with(".tsv") || inner.ends_with(".tab") {
        InputFormat::Tsv
    } else {
        InputFormat::Csv
    });
    if lower.ends_with(".gz") {
        let bytes = std::fs::read(path)
            .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
        let bytes = gunzip_if_compressed(&name, bytes)?;
        return Ok((non_empty(&name, bytes)?, format));
    }
    Ok((Source::Path(name), format))
}

fn gunzip_if_compressed(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| ClmError::BadData(format!("{name}: not a valid gzip stream: {e}")))?;
    Ok(out)
}

fn non_empty(name: &str, bytes: Vec<u8>) -> Result<Source> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ClmError::BadData(format!("{name}: the input is empty")).into());
    }
    let mut file = crate::cleanup::TempFile::new()
        .map_err(|e| ClmError::InputMissing(format!("{name}: cannot buffer the input: {e}")))?;
    std::io::Write::write_all(file.as_file_mut(), &bytes)
        .map_err(|e| ClmError::InputMissing(format!("{name}: cannot buffer the input: {e}")))?;
    Ok(Source::Temp(file))
}

fn separator(format: InputFormat) -> u8 {
    if format == InputFormat::Tsv {
        b'\t'
    } else {
        b','
    }
}

fn read_headers(name: &str, source: &Source, format: InputFormat) -> Result<Vec<String>> {
    if format == InputFormat::Parquet {
        let schema = scan_parquet(name, source)?
            .collect_schema()
            .map_err(|e| ClmError::BadData(format!("{name}: not a readable Parquet file: {e}")))?;
        return Ok(schema.iter_names().map(|n| n.to_string()).collect());
    }
    let record = delimited_reader(name, source, format)?
        .headers()
        .cloned()
        .map_err(|e| ClmError::BadData(format!("{name}: cannot read the header line: {e}")))?;
    let headers: Vec<String> = record
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ClmError::BadData(format!("{name}: the header line is empty")).into());
    }
    Ok(headers)
}

/// A `csv` reader on a delimited export, with the loader's settings (its separator; rows may
/// have more or fewer fields than the header).
fn delimited_reader(
    name: &str,
    source: &Source,
    format: InputFormat,
) -> Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(source.path())
        .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(separator(format))
        .flexible(true)
        .from_reader(file))
}

fn scan_parquet(name: &str, source: &Source) -> Result<LazyFrame> {
    LazyFrame::scan_parquet(PlRefPath::new(source.path()), ScanArgsParquet::default())
        .map_err(|e| ClmError::BadData(format!("{name}: not a readable Parquet file: {e}")).into())
}

/// One export with its columns mapped, ready to be read.
struct Reader {
    name: String,
    source: Source,
    format: InputFormat,
    columns: ColumnMap,
}

impl Reader {
    /// A lazy scan of the needed columns, every CSV column read as text except `numeric` ones.
    fn scan(&self, numeric: &[String]) -> Result<LazyFrame> {
        let needed: Vec<Expr> = self.columns.source_columns().iter().map(col).collect();
        if self.format == InputFormat::Parquet {
            return Ok(scan_parquet(&self.name, &self.source)?.select(needed));
        }
        let schema: Schema = numeric
            .iter()
            .map(|n| Field::new(n.as_str().into(), DataType::Float64))
            .collect();
        let lf = LazyCsvReader::new(PlRefPath::new(self.source.path()))
            .with_has_header(true)
            .with_separator(separator(self.format))
            .with_infer_schema_length(Some(0))
            .with_dtype_overwrite(Some(Arc::new(schema)))
            .finish()
            .map_err(|e| ClmError::BadData(format!("{}: cannot read as CSV: {e}", self.name)))?;
        Ok(lf.select(needed))
    }

    fn amount_columns(&self) -> Vec<String> {
        match &self.columns.amount {
            AmountSource::Column(name) => vec![name.clone()],
            AmountSource::QuantityTimesPrice { quantity, price } => {
                vec![quantity.clone(), price.clone()]
            }
        }
    }

    fn load(&self, args: &InputArgs, exclude_ids: &[String]) -> Result<Transactions> {
        let mut timer = Stopwatch::start("load");
        let lf = self.scan(&self.amount_columns())?;
        let schema = lf.clone().collect_schema().map_err(|e| self.bad(e))?;
        timer.lap("schema");
        let day = self.day_expr(&lf, &schema, args.date_format.as_deref())?;
        timer.lap("date format");
        let (customer, float_ids) = self.customer_expr(&lf)?;
        // The ids to leave out are compared with the ids as loaded: `0.0` names customer `0`
        // when the export writes every id as a float.
        let exclude_ids: Vec<String> = exclude_ids
            .iter()
            .map(|id| match float_written_id(id) {
                Some(digits) if float_ids => digits.to_string(),
                _ => id.clone(),
            })
            .collect();
        timer.lap("id sample");
        let amount = match &self.columns.amount {
            AmountSource::Column(name) => col(name).cast(DataType::Float64),
            AmountSource::QuantityTimesPrice { quantity, price } => {
                col(quantity).cast(DataType::Float64) * col(price).cast(DataType::Float64)
            }
        };
        let mut is_return = amount.clone().lt(lit(0.0));
        if let Some(order) = &self.columns.order {
            is_return = is_return.or(col(order)
                .cast(DataType::String)
                .str()
                .starts_with(lit("C"))
                .fill_null(lit(false)));
        }
        let mut select = vec![
            customer.alias(CUSTOMER),
            day.alias(DAY),
            amount.alias(AMOUNT),
            is_return.fill_null(lit(false)).alias(IS_RETURN),
        ];
        if let Some(order) = &self.columns.order {
            select.push(col(order).cast(DataType::String).alias(ORDER));
        }
        let frame = match collect_streaming(lf.select(select)) {
            Ok(frame) => frame,
            Err(e) => return Err(self.diagnose_read_error(e)),
        };
        timer.lap("read");
        let tx = self.validate(frame, args, &exclude_ids);
        timer.lap("validate");
        tx
    }

    fn bad(&self, e: PolarsError) -> anyhow::Error {
        ClmError::BadData(format!("{}: {e}", self.name)).into()
    }

    /// Customer ids as text; ids written as floats (`17850.0`) lose the `.0` when all do
    /// (the flag says whether they did; whitespace around an id is trimmed later, in
    /// [`trim_customer_ids`]).
    fn customer_expr(&self, lf: &LazyFrame) -> Result<(Expr, bool)> {
        let id = col(&self.columns.customer).cast(DataType::String);
        let sample = self.sample(lf, &self.columns.customer)?;
        let sample: Vec<&str> = sample
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let float_ids = !sample.is_empty() && sample.iter().all(|v| float_written_id(v).is_some());
        Ok(if float_ids {
            (id.str().replace(lit(r"\.0(\s*)$"), lit("$1"), false), true)
        } else {
            (id, false)
        })
    }

    /// The first non-empty values of a column, as text.
    fn sample(&self, lf: &LazyFrame, column: &str) -> Result<Vec<String>> {
        if self.format != InputFormat::Parquet {
            return self.sample_delimited(column);
        }
        let first_values = lf
            .clone()
            .select([col(column).cast(DataType::String)])
            .filter(col(column).is_not_null())
            .limit(SAMPLE_ROWS as u32);
        let df = collect_streaming(first_values).map_err(|e| self.bad(e))?;
        let values = df
            .column(column)
            .and_then(|c| c.str().cloned())
            .map_err(|e| self.bad(e))?;
        Ok(values.iter().flatten().map(str::to_string).collect())
    }

    /// [`Reader::sample`] of a delimited file, read directly: polars would count the lines of
    /// the whole file first.
    fn sample_delimited(&self, column: &str) -> Result<Vec<String>> {
        let cannot = |e: &dyn std::fmt::Display| {
            ClmError::BadData(format!("{}: cannot read as CSV: {e}", self.name))
        };
        let mut reader = delimited_reader(&self.name, &self.source, self.format)?;
        let headers = reader.headers().map_err(|e| cannot(&e))?;
        let Some(index) = headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == column)
        else {
            return Ok(Vec::new());
        };
        let mut values = Vec::new();
        // Bytes, not text: an invalid value is reported by the full read, with its row.
        for record in reader.byte_records() {
            let record = record.map_err(|e| cannot(&e))?;
            if let Some(value) = record.get(index).filter(|v| !v.is_empty()) {
                values.push(String::from_utf8_lossy(value).into_owned());
                if values.len() == SAMPLE_ROWS {
                    break;
                }
            }
        }
        Ok(values)
    }

    /// Days since 1970-01-01 from whatever the date column holds.
    fn day_expr(&self, lf: &LazyFrame, schema: &Schema, format: Option<&str>) -> Result<Expr> {
        let name = &self.columns.date;
        let dtype = schema.get(name).cloned().unwrap_or(DataType::String);
        match dtype {
            DataType::Date => return Ok(col(name).cast(DataType::Int32)),
            DataType::Datetime(_, _) => {
                return Ok(col(name).cast(DataType::Date).cast(DataType::Int32));
            }
            _ => {}
        }
        let format = match format {
            Some(f) => f.to_string(),
            None => self.detect_date_format(lf)?,
        };
        let options = StrptimeOptions {
            format: Some(format.as_str().into()),
            strict: false,
            exact: true,
            cache: true,
        };
        let text = col(name).cast(DataType::String).str().strip_chars(lit(" "));
        let date = if has_time(&format) {
            text.str()
                .to_datetime(Some(TimeUnit::Milliseconds), None, options, lit("raise"))
                .cast(DataType::Date)
        } else {
            text.str().to_date(options)
        };
        Ok(date.cast(DataType::Int32))
    }

    fn detect_date_format(&self, lf: &LazyFrame) -> Result<String> {
        let sample = self.sample(lf, &self.columns.date)?;
        let sample: Vec<&str> = sample.iter().map(|s| s.trim()).collect();
        let column = &self.columns.date;
        match detect_format(&sample) {
            Detected::Format(f) => Ok(f.to_string()),
            Detected::Ambiguous(a, b) => Err(ClmError::BadData(format!(
                "{}: dates in column '{column}' such as '{}' read both as {a} and {b}; choose with --date-format",
                self.name,
                sample.first().copied().unwrap_or_default()
            ))
            .into()),
            Detected::Unknown { best: Some(f), .. } => Ok(f.to_string()),
            Detected::Unknown { best: None, first_failure } => Err(ClmError::BadData(format!(
                "{}: column '{column}' does not hold dates in a known format (first value '{first_failure}'); give one with --date-format, e.g. --date-format %d/%m/%Y",
                self.name
            ))
            .into()),
        }
    }

    /// A read failed (most often a number that does not parse): find the first offending row.
    fn diagnose_read_error(&self, error: PolarsError) -> anyhow::Error {
        let Ok(text) = self.scan(&[]) else {
            return self.bad(error);
        };
        for column in self.amount_columns() {
            let parsed = col(&column).cast(DataType::Float64);
            let bad = col(&column).is_not_null().and(parsed.is_null());
            if let Some((row, value)) = self.first_row_where(text.clone(), bad, &column) {
                return ClmError::BadData(format!(
                    "{}: {}, column '{column}': '{value}' is not a number",
                    self.name,
                    self.row_label(row)
                ))
                .into();
            }
        }
        self.bad(error)
    }

    fn first_row_where(
        &self,
        lf: LazyFrame,
        predicate: Expr,
        column: &str,
    ) -> Option<(usize, String)> {
        let first = lf
            .with_row_index("__row", None)
            .filter(predicate)
            .select([col("__row"), col(column).cast(DataType::String)])
            .limit(1);
        let df = collect_streaming(first).ok()?;
        let row = df.column("__row").ok()?.idx().ok()?.get(0)? as usize;
        let value = df
            .column(column)
            .ok()?
            .str()
            .ok()?
            .get(0)
            .unwrap_or_default()
            .to_string();
        Some((row, value))
    }

    /// "row 12 (line 13)" for CSV, where line counts the header; "row 12" otherwise.
    fn row_label(&self, index: usize) -> String {
        if self.format == InputFormat::Parquet {
            format!("row {}", index + 1)
        } else {
            format!("row {} (line {})", index + 1, index + 2)
        }
    }

    /// Rejects empty ids, dates and amounts with the first offending row; applies skip policies.
    fn validate(
        &self,
        mut frame: DataFrame,
        args: &InputArgs,
        exclude_ids: &[String],
    ) -> Result<Transactions> {
        if frame.height() == 0 {
            return Err(ClmError::BadData(format!(
                "{}: the file has a header but no data rows",
                self.name
            ))
            .into());
        }
        let trimmed_ids = trim_customer_ids(&mut frame).map_err(|e| self.bad(e))?;
        self.reject_bad_dates(&frame)?;
        let amount_column = self.amount_columns().join("' × '");
        self.reject_nulls(&frame, AMOUNT, &amount_column, "the amount is empty")?;
        let mut skipped = Vec::new();
        let customer = frame.column(CUSTOMER).map_err(|e| self.bad(e))?;
        let missing_ids = customer.null_count();
        if missing_ids > 0 {
            let customer_missing = customer.is_null();
            if !args.skip_missing_ids {
                let index =
                    first_index(customer_missing.iter().map(|v| v == Some(true))).unwrap_or(0);
                return Err(ClmError::BadData(format!(
                    "{}: {}, column '{}': the customer id is empty ({}); pass --skip-missing-ids to leave them out",
                    self.name,
                    self.row_label(index),
                    self.columns.customer,
                    crate::output::counted(missing_ids, "such row")
                ))
                .into());
            }
            frame = frame.filter(&!&customer_missing).map_err(|e| self.bad(e))?;
            skipped.push(Skipped {
                rows: missing_ids,
                reason: "empty customer id".into(),
            });
        }

        let mut exclusion = Exclusion::default();
        if !exclude_ids.is_empty() {
            (frame, exclusion) = exclude_customers(&frame, exclude_ids).map_err(|e| self.bad(e))?;
            if frame.height() == 0 {
                return Err(ClmError::BadData(format!(
                    "{}: every row belongs to an id given with --exclude-ids",
                    self.name
                ))
                .into());
            }
            if exclusion.rows > 0 {
                skipped.push(Skipped {
                    rows: exclusion.rows,
                    reason: format!(
                        "customer ids given with --exclude-ids: {}",
                        exclusion.found_list()
                    ),
                });
            }
        }

        let returns = frame
            .column(IS_RETURN)
            .and_then(|c| c.bool().cloned())
            .map_err(|e| self.bad(e))?;
        let return_rows = returns.sum().unwrap_or(0) as usize;
        match args.returns {
            ReturnsPolicy::Net => {}
            ReturnsPolicy::Drop => {
                frame = frame.filter(&!&returns).map_err(|e| self.bad(e))?;
                if return_rows > 0 {
                    skipped.push(Skipped {
                        rows: return_rows,
                        reason: "returns and cancellations (--returns drop)".into(),
                    });
                }
            }
            ReturnsPolicy::Keep => {
                let kept = Column::new(IS_RETURN.into(), vec![false; frame.height()]);
                frame.with_column(kept).map_err(|e| self.bad(e))?;
            }
        }
        Ok(Transactions {
            frame,
            source: self.name.clone(),
            columns: self.columns.clone(),
            skipped,
            return_rows,
            exclusion,
            trimmed_ids,
        })
    }

    /// Dates that do not parse, then empty dates. Without either (the usual case) this costs
    /// one null count; otherwise the date column is read again as text to tell them apart.
    fn reject_bad_dates(&self, frame: &DataFrame) -> Result<()> {
        let day = frame.column(DAY).map_err(|e| self.bad(e))?;
        if day.null_count() == 0 {
            return Ok(());
        }
        let date_column = &self.columns.date;
        let raw = self
            .scan(&[])?
            .select([col(date_column).cast(DataType::String)]);
        let raw = collect_streaming(raw).map_err(|e| self.bad(e))?;
        let raw = raw
            .column(date_column)
            .and_then(|c| c.str().cloned())
            .map_err(|e| self.bad(e))?;
        let unparsed = day.is_null() & raw.is_not_null();
        if let Some(index) = first_index(unparsed.iter().map(|v| v == Some(true))) {
            let value = raw.get(index).unwrap_or_default();
            return Err(ClmError::BadData(format!(
                "{}: {}, column '{date_column}': '{value}' is not a date in the expected format; give one with --date-format",
                self.name,
                self.row_label(index)
            ))
            .into());
        }
        self.reject_nulls(frame, DAY, date_column, "the date is empty")
    }

    fn reject_nulls(
        &self,
        frame: &DataFrame,
        canonical: &str,
        source_column: &str,
        what: &str,
    ) -> Result<()> {
        let column = frame.column(canonical).map_err(|e| self.bad(e))?;
        if column.null_count() == 0 {
            return Ok(());
        }
        let missing = column.is_null();
        if let Some(index) = first_index(missing.iter().map(|v| v == Some(true))) {
            return Err(ClmError::BadData(format!(
                "{}: {}, column '{source_column}': {what}",
                self.name,
                self.row_label(index)
            ))
            .into());
        }
        Ok(())
    }
}

/// The digits of an id written as a float (`17850.0` → `17850`), else `None`.
fn float_written_id(id: &str) -> Option<&str> {
    id.strip_suffix(".0")
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Trims the whitespace around customer ids, the survey's rule too (the files are joined on
/// the id, and `A` and `A ` are one customer); an id of only whitespace becomes empty (null).
/// Returns how many non-empty ids were trimmed. Clean ids (the usual case) cost one read-only
/// pass over the first and last character of each id.
fn trim_customer_ids(frame: &mut DataFrame) -> PolarsResult<usize> {
    let ids = frame.column(CUSTOMER)?.str()?;
    let padded =
        |id: &str| id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace);
    if !ids.iter().flatten().any(padded) {
        return Ok(0);
    }
    let trimmed_ids = ids
        .iter()
        .flatten()
        .filter(|id| padded(id) && !id.trim().is_empty())
        .count();
    let trimmed: StringChunked = ids
        .iter()
        .map(|id| id.map(str::trim).filter(|id| !id.is_empty()))
        .collect();
    frame.with_column(trimmed.with_name(CUSTOMER.into()).into_column())?;
    Ok(trimmed_ids)
}

fn first_index(flags: impl Iterator<Item = bool>) -> Option<usize> {
    flags.into_iter().position(|f| f)
}
