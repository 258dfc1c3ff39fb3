//! Loading a transaction export (CSV, CSV.gz, TSV, Parquet or CSV on stdin) into the canonical
//! frame, with one clear error naming file, row, column and value for anything unreadable.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use super::columns::{AmountSource, ColumnMap, ColumnOverrides, map_columns};
use super::convert::{self, DateText};
use super::dates::{Detected, check_format, detect_format, has_time, parse_date};
use super::delimited;
use super::options::{InputArgs, InputFormat, ReturnsPolicy};
use super::placeholders::{Exclusion, exclude_customers, read_exclude_ids};
use super::plain_text;
use crate::error::ClmError;
use crate::output::Stopwatch;

mod batches;
mod plain;
use batches::Part;
pub use batches::{LoadStats, load_in_batches};

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
        // A column in one piece is borrowed (the quick reader's days and amounts); the others
        // are copied side by side on the thread pool.
        fn values<T: PolarsNumericType>(column: &ChunkedArray<T>) -> Cow<'_, [T::Native]> {
            match column.cont_slice() {
                Ok(values) => Cow::Borrowed(values),
                Err(_) => column
                    .downcast_iter()
                    .flat_map(|chunk| chunk.values().iter().copied())
                    .collect(),
            }
        }
        let ((customer, day), (amount, is_return)) = rayon::join(
            || rayon::join(|| texts(customer), || values(day)),
            || {
                rayon::join(
                    || values(amount),
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

/// The values of a text column without nulls, copied chunk by chunk on the thread pool, each
/// chunk straight into its place.
fn texts(column: &StringChunked) -> Vec<&str> {
    let rows = column.len();
    let mut out = Vec::with_capacity(rows);
    let slots = &mut out.spare_capacity_mut()[..rows];
    let (parts, rest) = parts_of(slots, column.chunk_lengths());
    assert!(rest.is_empty(), "a column's chunks hold all of its rows");
    let parts: Vec<_> = column.downcast_iter().zip(parts).collect();
    parts.into_par_iter().for_each(|(chunk, part)| {
        for (slot, value) in part.iter_mut().zip(chunk.values_iter()) {
            slot.write(value);
        }
    });
    // SAFETY: the chunks' parts cover every slot (checked above), and each chunk wrote one
    // value into every slot of its part.
    unsafe { out.set_len(rows) };
    out
}

/// `column` cut into consecutive parts of `lengths`, and what is left after them.
fn parts_of<T>(
    column: &mut [T],
    lengths: impl IntoIterator<Item = usize>,
) -> (Vec<&mut [T]>, &mut [T]) {
    let mut rest = column;
    let parts = lengths
        .into_iter()
        .map(|length| {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut(length);
            rest = tail;
            part
        })
        .collect();
    (parts, rest)
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
    /// Days since 1970-01-01 (borrowed from the loaded frame when it holds them in one piece).
    pub day: Cow<'a, [i32]>,
    pub amount: Cow<'a, [f64]>,
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
    let (reader, exclude_ids) = open_reader(args)?;
    reader.load(args, &exclude_ids)
}

/// The export named by `args` opened, its columns mapped, and the ids of `--exclude-ids`.
fn open_reader(args: &InputArgs) -> Result<(Reader, Vec<String>)> {
    if let Some(format) = &args.columns.date_format {
        check_format(format).map_err(|e| {
            ClmError::Usage(format!(
                "--date-format '{format}' is not a valid format: {e}"
            ))
        })?;
    }
    let name = args.input.display().to_string();
    let exclude_ids = read_exclude_ids(&args.exclude_ids)?;
    let (source, format) = open(&args.input, args.input_format)?;
    let delimiter = choose_delimiter(&name, &source, format, args.delimiter)?;
    let headers = read_headers(&name, &source, format, delimiter)?;
    let overrides = ColumnOverrides {
        customer: args.columns.customer_col.clone(),
        date: args.columns.date_col.clone(),
        amount: args.columns.amount_col.clone(),
        order: args.columns.order_col.clone(),
    };
    let columns = map_columns(&name, &headers, &overrides)?;
    let reader = Reader {
        part: None,
        name: name.clone(),
        source,
        format,
        delimiter,
        decimal_comma: args.decimal_comma,
        columns: columns.clone(),
    };
    Ok((reader, exclude_ids))
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
    let lower = name.to_lowercase();
    let inner = lower.strip_suffix(".gz").unwrap_or(&lower);
    let format = format.unwrap_or(if inner.ends_with(".parquet") || inner.ends_with(".pq") {
        InputFormat::Parquet
    } else if inner.ends_with(".tsv") || inner.ends_with(".tab") {
        InputFormat::Tsv
    } else {
        InputFormat::Csv
    });
    if !meta.is_file() {
        // A pipe, FIFO or character device (`<(…)`, /dev/stdin, /dev/fd/N) reports no length and
        // can be read only once: buffer it as standard input is.
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
        let bytes = gunzip_if_compressed(&name, bytes)?;
        return Ok((non_empty(&name, bytes)?, format));
    }
    if meta.len() == 0 {
        return Err(ClmError::BadData(format!("{name}: the file is empty")).into());
    }
    if lower.ends_with(".gz") {
        return Ok((spool_gzip(&name, path)?, format));
    }
    Ok((Source::Path(name), format))
}

/// A `.gz` file decompressed into a temporary file as it is read, so that an export larger
/// than memory can be read in batches; a file named `.gz` that is not compressed is read as
/// it is.
fn spool_gzip(name: &str, path: &Path) -> Result<Source> {
    let cannot =
        |e: std::io::Error| ClmError::InputMissing(format!("cannot read input file '{name}': {e}"));
    let mut magic = Vec::with_capacity(2);
    std::fs::File::open(path)
        .and_then(|file| file.take(2).read_to_end(&mut magic))
        .map_err(cannot)?;
    if magic != [0x1f, 0x8b] {
        let bytes = std::fs::read(path).map_err(cannot)?;
        return non_empty(name, bytes);
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut spool = crate::cleanup::TempFile::new()
        .map_err(|e| ClmError::InputMissing(format!("{name}: cannot buffer the input: {e}")))?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut blank = true;
    loop {
        let read = decoder
            .read(&mut buffer)
            .map_err(|e| ClmError::BadData(format!("{name}: not a valid gzip stream: {e}")))?;
        if read == 0 {
            break;
        }
        blank = blank && buffer[..read].iter().all(|b| b.is_ascii_whitespace());
        std::io::Write::write_all(spool.as_file_mut(), &buffer[..read])
            .map_err(|e| ClmError::InputMissing(format!("{name}: cannot buffer the input: {e}")))?;
    }
    if blank {
        return Err(ClmError::BadData(format!("{name}: the input is empty")).into());
    }
    Ok(Source::Temp(spool))
}

/// The bytes, gunzipped when they are gzip (told by their first two bytes).
pub(crate) fn gunzip_if_compressed(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ClmError> {
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

/// The field delimiter: `--delimiter`, else the one the header line uses (`,` `;` tab `|`),
/// else the format's own.
fn choose_delimiter(
    name: &str,
    source: &Source,
    format: InputFormat,
    flag: Option<u8>,
) -> Result<u8> {
    if format == InputFormat::Parquet {
        return Ok(separator(format));
    }
    if let Some(delimiter) = flag {
        return Ok(delimiter);
    }
    let header_line = std::fs::File::open(source.path())
        .and_then(|file| delimited::first_line(file, 1 << 20))
        .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
    Ok(delimited::detect_delimiter(&header_line, separator(format)))
}

fn read_headers(
    name: &str,
    source: &Source,
    format: InputFormat,
    delimiter: u8,
) -> Result<Vec<String>> {
    if format == InputFormat::Parquet {
        let schema = parquet_schema(name, source)?;
        return Ok(schema.iter_names().map(|n| n.to_string()).collect());
    }
    let record = delimited_reader(name, source, delimiter)?
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
    // A quote left open in the header takes the rows after it into a column name.
    if let Some(column) = headers.iter().position(|h| h.contains(['\n', '\r'])) {
        return Err(ClmError::BadData(format!(
            "{name}: line 1, column {}: the quoted column name '{}' runs over several lines: is a quote left open?",
            column + 1,
            delimited::shown(&headers[column])
        ))
        .into());
    }
    Ok(headers)
}

/// A `csv` reader on a delimited export, with the loader's settings (its delimiter; rows may
/// have more or fewer fields than the header, which [`delimited::first_problem`] reports).
fn delimited_reader(
    name: &str,
    source: &Source,
    delimiter: u8,
) -> Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(source.path())
        .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(file))
}

/// The schema stored in a Parquet file's footer.
fn parquet_schema(name: &str, source: &Source) -> Result<Schema> {
    let file = std::fs::File::open(source.path())
        .map_err(|e| ClmError::InputMissing(format!("cannot read input file '{name}': {e}")))?;
    let schema = ParquetReader::new(file).schema().map_err(|e| {
        ClmError::BadData(format!(
            "{name}: not a readable Parquet file: {}",
            one_line(&e.to_string())
        ))
    })?;
    Ok(Schema::from_arrow_schema(&schema))
}

/// What the samples of an export decide for all of its rows.
struct Prepared {
    schema: Schema,
    /// The date format and whether the user gave it; `None` for a date or datetime column.
    date_text: Option<(String, bool)>,
    /// Whether ids are written as floats (`17850.0`).
    float_ids: bool,
    /// The `--exclude-ids` as the loaded ids are written.
    exclude_ids: Vec<String>,
}

/// One export with its columns mapped, ready to be read.
struct Reader {
    /// The batch this reader reads, when the export is read in batches; `None`: the whole export.
    part: Option<Part>,
    name: String,
    source: Source,
    format: InputFormat,
    /// Field delimiter of a delimited export.
    delimiter: u8,
    /// Amounts are written `1.234,50`: `.` groups thousands, `,` marks the decimals.
    decimal_comma: bool,
    columns: ColumnMap,
}

impl Reader {
    /// The types the needed columns are read as: a delimited export's are text, except amounts
    /// (read as numbers unless written with a decimal comma); a Parquet file's are stored.
    fn schema(&self) -> Result<Schema> {
        if self.format == InputFormat::Parquet {
            return parquet_schema(&self.name, &self.source);
        }
        let numeric = self.amount_columns();
        Ok(self
            .columns
            .source_columns()
            .into_iter()
            .map(|name| {
                let dtype = match !self.decimal_comma && numeric.contains(&name) {
                    true => DataType::Float64,
                    false => DataType::String,
                };
                Field::new(name.into(), dtype)
            })
            .collect())
    }

    /// The needed columns, with the types of [`Reader::schema`].
    fn read(&self, schema: &Schema) -> PolarsResult<DataFrame> {
        let columns = self.columns.source_columns();
        if self.format == InputFormat::Parquet {
            return self.read_parquet(&columns);
        }
        let numeric: Vec<String> = schema
            .iter()
            .filter(|(_, dtype)| **dtype == DataType::Float64)
            .map(|(name, _)| name.to_string())
            .collect();
        self.read_delimited(&columns, &numeric)
    }

    /// `columns` as written: text for a delimited export, the stored types for Parquet.
    fn read_as_written(&self, columns: &[String]) -> PolarsResult<DataFrame> {
        match self.format {
            InputFormat::Parquet => self.read_parquet(columns),
            _ => self.read_delimited(columns, &[]),
        }
    }

    /// `columns` of a delimited export, as text except the `numeric` ones.
    fn read_delimited(&self, columns: &[String], numeric: &[String]) -> PolarsResult<DataFrame> {
        let numeric: Schema = numeric
            .iter()
            .map(|n| Field::new(n.as_str().into(), DataType::Float64))
            .collect();
        let options = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_schema_overwrite(Some(Arc::new(numeric)))
            .with_columns(Some(columns.iter().map(|c| c.as_str().into()).collect()))
            .map_parse_options(|options| options.with_separator(self.delimiter));
        match self.part.as_ref().and_then(|part| part.lines.as_deref()) {
            Some(lines) => options
                .into_reader_with_file_handle(std::io::Cursor::new(lines))
                .finish(),
            None => options
                .try_into_reader_with_file_path(Some(self.source.path().into()))?
                .finish(),
        }
    }

    /// `columns` of a Parquet file (only their column chunks are read).
    fn read_parquet(&self, columns: &[String]) -> PolarsResult<DataFrame> {
        let file = std::fs::File::open(self.source.path())?;
        ParquetReader::new(file)
            .with_columns(Some(columns.to_vec()))
            .with_slice(self.part.as_ref().and_then(|part| part.parquet_rows))
            .finish()
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
        self.load_by(args, exclude_ids, true)
    }

    /// [`Reader::load`], by the quick reader of plain text when `plain` allows and it can.
    fn load_by(
        &self,
        args: &InputArgs,
        exclude_ids: &[String],
        plain: bool,
    ) -> Result<Transactions> {
        let mut timer = Stopwatch::start("load");
        let schema = self.schema()?;
        self.reject_nested_columns(&schema)?;
        timer.lap("schema");
        // A Parquet file is read first and sampled in memory; a delimited export is sampled
        // from its first lines.
        let parquet = match self.format {
            InputFormat::Parquet => Some(
                self.read(&schema)
                    .map_err(|e| self.diagnose_read_error(e))?,
            ),
            _ => None,
        };
        let prepared = self.prepare(schema, parquet.as_ref(), args, exclude_ids)?;
        timer.lap("samples");
        if plain
            && parquet.is_none()
            && let Some(frame) = self.read_plain(&prepared)
        {
            timer.lap("plain read");
            return self.validate(frame, args, &prepared.exclude_ids);
        }
        let raw = match parquet {
            Some(frame) => frame,
            None => self.read_delimited_checked(&prepared.schema)?,
        };
        timer.lap("read");
        let tx = self.convert(raw, &prepared, args);
        timer.lap("convert and validate");
        tx
    }

    /// What the samples decide for the whole export (from the `parquet` frame read, else from
    /// the delimited file's first lines): the date format and whether ids are written as floats.
    fn prepare(
        &self,
        schema: Schema,
        parquet: Option<&DataFrame>,
        args: &InputArgs,
        exclude_ids: &[String],
    ) -> Result<Prepared> {
        let date_text = self.date_text(parquet, &schema, args.columns.date_format.as_deref())?;
        let float_ids = self.float_ids(parquet)?;
        // The ids to leave out are compared with the ids as loaded: `0.0` names customer `0`
        // when the export writes every id as a float.
        let exclude_ids: Vec<String> = exclude_ids
            .iter()
            .map(|id| match float_written_id(id) {
                Some(digits) if float_ids => digits.to_string(),
                _ => id.clone(),
            })
            .collect();
        Ok(Prepared {
            schema,
            date_text,
            float_ids,
            exclude_ids,
        })
    }

    /// The columns as read, converted to the canonical frame and validated.
    fn convert(
        &self,
        raw: DataFrame,
        prepared: &Prepared,
        args: &InputArgs,
    ) -> Result<Transactions> {
        let date_text = prepared
            .date_text
            .as_ref()
            .map(|(format, from_user)| DateText {
                format,
                // A date format given for datetimes (`%m/%d/%Y` on `12/1/2010 8:26`): the time
                // of day is dropped, as for every datetime. (A detected format fits the values
                // as they are.)
                drop_time_of_day: *from_user && !has_time(format),
                has_time: has_time(format),
            });
        let frame = self
            .canonical(&raw, date_text.as_ref(), prepared.float_ids)
            .map_err(|e| self.bad(e))?;
        drop(raw);
        self.validate(frame, args, &prepared.exclude_ids)
    }

    /// The canonical frame read by the quick reader of plain text ([`plain`]), when the
    /// export is plain and its values are written as that reader converts them: ISO dates, ids
    /// not written as floats, amounts without a decimal comma.
    fn read_plain(&self, prepared: &Prepared) -> Option<DataFrame> {
        let iso_dates =
            matches!(&prepared.date_text, Some((format, false)) if format == convert::ISO_DATE);
        if !iso_dates || prepared.float_ids || self.decimal_comma {
            return None;
        }
        let text = match self.part.as_ref().map(|part| part.lines.as_deref()) {
            Some(Some(lines)) => plain_text::Text::Held(lines),
            Some(None) => return None,
            None => plain_text::Text::mapped(Path::new(&self.source.path()))?,
        };
        plain::canonical_frame(&text, self.delimiter, &self.columns)
    }

    /// Whether this reader reads the end of the export (the whole of it, or its last batch).
    fn reads_the_end(&self) -> bool {
        self.part.as_ref().is_none_or(|part| part.last)
    }

    /// Reads a delimited export with polars while its structure is checked on another thread
    /// (polars lets ragged rows and open quotes through).
    fn read_delimited_checked(&self, schema: &Schema) -> Result<DataFrame> {
        let (frame, structure) = std::thread::scope(|scope| {
            let structure = scope.spawn(|| self.check_structure());
            let frame = self.read(schema);
            (frame, structure.join())
        });
        match structure {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        frame.map_err(|e| self.diagnose_read_error(e))
    }

    /// The canonical columns `customer_id, day, amount, is_return[, order_id]` from the columns
    /// as read, converted side by side on the thread pool.
    fn canonical(
        &self,
        raw: &DataFrame,
        date_text: Option<&DateText>,
        float_ids: bool,
    ) -> PolarsResult<DataFrame> {
        let column = |name: &str| raw.column(name);
        let (customer, (day, amount)) = rayon::join(
            || self.customer_ids(column(&self.columns.customer)?, float_ids),
            || {
                rayon::join(
                    || convert::days(column(&self.columns.date)?, date_text),
                    || self.amounts(raw),
                )
            },
        );
        let amount = amount?;
        let order = match &self.columns.order {
            Some(order) => Some(column(order)?.cast(&DataType::String)?),
            None => None,
        };
        let order_text = order.as_ref().map(|o| o.str()).transpose()?;
        let is_return = convert::return_flags(amount.f64()?, order_text);
        let mut columns = vec![
            customer?.with_name(CUSTOMER.into()).into_column(),
            day?.with_name(DAY.into()).into_column(),
            amount.with_name(AMOUNT.into()).into_column(),
            is_return.with_name(IS_RETURN.into()).into_column(),
        ];
        if let Some(order) = order {
            columns.push(
                order
                    .take_materialized_series()
                    .with_name(ORDER.into())
                    .into_column(),
            );
        }
        DataFrame::new(raw.height(), columns)
    }

    /// Customer ids as text, without the `.0` of float-written ids when `float_ids`.
    fn customer_ids(&self, ids: &Column, float_ids: bool) -> PolarsResult<Series> {
        let ids = ids.as_materialized_series().cast(&DataType::String)?;
        if !float_ids {
            return Ok(ids);
        }
        Ok(convert::without_float_suffixes(ids.str()?).into_series())
    }

    /// The amount of each row: its column, or quantity × price.
    fn amounts(&self, raw: &DataFrame) -> PolarsResult<Series> {
        let number = |name: &str| convert::numbers(raw.column(name)?, self.decimal_comma);
        match &self.columns.amount {
            AmountSource::Column(name) => number(name),
            AmountSource::QuantityTimesPrice { quantity, price } => {
                let (quantity, price) = rayon::join(|| number(quantity), || number(price));
                &quantity? * &price?
            }
        }
    }

    fn bad(&self, e: PolarsError) -> anyhow::Error {
        ClmError::BadData(format!("{}: {}", self.name, one_line(&e.to_string()))).into()
    }

    /// Rejects a needed Parquet column that holds lists, structs or bytes: one value per row is needed.
    fn reject_nested_columns(&self, schema: &Schema) -> Result<()> {
        for name in self.columns.source_columns() {
            let Some(dtype) = schema.get(&name) else {
                continue;
            };
            if dtype.is_nested() || matches!(dtype, DataType::Binary | DataType::BinaryOffset) {
                return Err(ClmError::BadData(format!(
                    "{}: column '{name}' holds {dtype} values; clm needs one text, number or date per row",
                    self.name
                ))
                .into());
            }
        }
        Ok(())
    }

    /// For a delimited export, the first row whose fields do not match the header, quote left
    /// open, or field that is not UTF-8.
    fn check_structure(&self) -> Result<()> {
        if self.format == InputFormat::Parquet || self.plainly_sound()? {
            return Ok(());
        }
        let reader = delimited_reader(&self.name, &self.source, self.delimiter)?;
        match delimited::first_problem(reader, self.delimiter) {
            Ok(None) => Ok(()),
            Ok(Some(problem)) => Err(ClmError::BadData(format!("{}: {problem}", self.name)).into()),
            Err(e) => Err(ClmError::BadData(format!(
                "{}: cannot read as CSV: {}",
                self.name,
                one_line(&e.to_string())
            ))
            .into()),
        }
    }

    /// Whether the delimited export is sound by a quick count of delimiters per line
    /// ([`delimited::plainly_sound`]); the CSV parser reads it only when it may not be.
    fn plainly_sound(&self) -> Result<bool> {
        let cannot_read = |e: std::io::Error| {
            ClmError::InputMissing(format!("cannot read input file '{}': {e}", self.name))
        };
        let file = std::fs::File::open(self.source.path()).map_err(cannot_read)?;
        Ok(delimited::plainly_sound(file, self.delimiter).map_err(cannot_read)?)
    }

    /// Whether the export writes customer ids as floats (`17850.0`): then they lose the `.0`
    /// (whitespace around an id is trimmed later, in [`trim_customer_ids`]).
    fn float_ids(&self, parquet: Option<&DataFrame>) -> Result<bool> {
        let sample = self.sample(parquet, &self.columns.customer)?;
        let sample: Vec<&str> = sample
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        Ok(!sample.is_empty() && sample.iter().all(|v| float_written_id(v).is_some()))
    }

    /// The first non-empty values of a column, as text.
    fn sample(&self, parquet: Option<&DataFrame>, column: &str) -> Result<Vec<String>> {
        let mut values = Vec::new();
        self.scan_values(parquet, column, Some(SAMPLE_ROWS), |value| {
            values.push(value.to_string());
            false
        })?;
        Ok(values)
    }

    /// Calls `stop` on the column's non-empty values in row order (the first `limit` of them,
    /// or all) until it returns true: from the `parquet` frame already read, else from the
    /// delimited file.
    fn scan_values(
        &self,
        parquet: Option<&DataFrame>,
        column: &str,
        limit: Option<usize>,
        mut stop: impl FnMut(&str) -> bool,
    ) -> Result<()> {
        let Some(frame) = parquet else {
            return self.scan_delimited_values(column, limit, stop);
        };
        let values = frame
            .column(column)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(|e| self.bad(e))?;
        let values = values.str().map_err(|e| self.bad(e))?;
        let values = values.iter().flatten().take(limit.unwrap_or(usize::MAX));
        for value in values {
            if stop(value) {
                break;
            }
        }
        Ok(())
    }

    /// [`Reader::scan_values`] of a delimited file, read directly: polars would read the
    /// whole file first.
    fn scan_delimited_values(
        &self,
        column: &str,
        limit: Option<usize>,
        mut stop: impl FnMut(&str) -> bool,
    ) -> Result<()> {
        let cannot = |e: &dyn std::fmt::Display| {
            ClmError::BadData(format!(
                "{}: cannot read as CSV: {}",
                self.name,
                one_line(&e.to_string())
            ))
        };
        let mut reader = delimited_reader(&self.name, &self.source, self.delimiter)?;
        let headers = reader.headers().map_err(|e| cannot(&e))?;
        let Some(index) = headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == column)
        else {
            return Ok(());
        };
        let mut seen = 0;
        // Bytes, not text: an invalid value is reported by the full read, with its row.
        for record in reader.byte_records() {
            let record = record.map_err(|e| cannot(&e))?;
            if let Some(value) = record.get(index).filter(|v| !v.is_empty()) {
                if stop(&String::from_utf8_lossy(value)) {
                    break;
                }
                seen += 1;
                if limit == Some(seen) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The format the date column is written in, and whether the user gave it; `None` when
    /// the column holds dates or datetimes, not text.
    fn date_text(
        &self,
        parquet: Option<&DataFrame>,
        schema: &Schema,
        format: Option<&str>,
    ) -> Result<Option<(String, bool)>> {
        let dtype = schema.get(&self.columns.date);
        if matches!(dtype, Some(DataType::Date | DataType::Datetime(_, _))) {
            return Ok(None);
        }
        Ok(Some(match format {
            Some(f) => (f.to_string(), true),
            None => (self.detect_date_format(parquet)?, false),
        }))
    }

    fn detect_date_format(&self, parquet: Option<&DataFrame>) -> Result<String> {
        let sample = self.sample(parquet, &self.columns.date)?;
        let sample: Vec<&str> = sample.iter().map(|s| s.trim()).collect();
        let column = &self.columns.date;
        match detect_format(&sample) {
            Detected::Format(f) => Ok(f.to_string()),
            Detected::Ambiguous(a, b) => match self.decide_between(parquet, a, b)? {
                Some(f) => Ok(f.to_string()),
                None => Err(ClmError::BadData(format!(
                    "{}: every date in column '{column}' (such as '{}') reads both as {a} and {b}; choose with --date-format",
                    self.name,
                    delimited::shown(sample.first().copied().unwrap_or_default())
                ))
                .into()),
            },
            Detected::Unknown { best: Some(f), .. } => Ok(f.to_string()),
            Detected::Unknown { best: None, first_failure } => Err(ClmError::BadData(format!(
                "{}: column '{column}' does not hold dates in a known format (first value '{}'); give one with --date-format, e.g. --date-format %d/%m/%Y",
                self.name,
                delimited::shown(&first_failure)
            ))
            .into()),
        }
    }

    /// Day-first or month-first, when the sample fits both: the first value in the whole
    /// column that only one of them reads decides (a sample of December 1st does not).
    fn decide_between(
        &self,
        parquet: Option<&DataFrame>,
        a: &'static str,
        b: &'static str,
    ) -> Result<Option<&'static str>> {
        let mut decided = None;
        self.scan_values(parquet, &self.columns.date, None, |value| {
            let value = value.trim();
            decided = match (
                parse_date(value, a).is_some(),
                parse_date(value, b).is_some(),
            ) {
                (true, false) => Some(a),
                (false, true) => Some(b),
                _ => None,
            };
            decided.is_some()
        })?;
        Ok(decided)
    }

    /// A read failed (most often a number that does not parse): find the first offending row.
    fn diagnose_read_error(&self, error: PolarsError) -> anyhow::Error {
        match self.first_bad_amount() {
            Ok(Some((row, column, value))) => self.not_a_number(row, &column, &value),
            _ => self.bad(error),
        }
    }

    /// The first row whose amount (or quantity or price) is written but is not a number: its
    /// index, column and value as written.
    fn first_bad_amount(&self) -> PolarsResult<Option<(usize, String, String)>> {
        for column in self.amount_columns() {
            let written = self.read_as_written(std::slice::from_ref(&column))?;
            let written = written.column(&column)?;
            let parsed = convert::numbers(written, self.decimal_comma)?;
            let bad = written.is_not_null() & parsed.is_null();
            if let Some(row) = first_index(bad.iter().map(|v| v == Some(true))) {
                let text = written.cast(&DataType::String)?;
                let value = text.str()?.get(row).unwrap_or_default().to_string();
                return Ok(Some((row, column, value)));
            }
        }
        Ok(None)
    }

    /// "row 12 (line 13)" for CSV, where line counts the header; "row 12" otherwise.
    fn row_label(&self, index: usize) -> String {
        let index = index + self.part.as_ref().map_or(0, |part| part.first_row);
        if self.format == InputFormat::Parquet {
            format!("row {}", index + 1)
        } else {
            format!("row {} (line {})", index + 1, index + 2)
        }
    }

    /// Rejects empty ids, dates and amounts with the first offending row; applies skip policies.
    fn validate(
        &self,
        frame: DataFrame,
        args: &InputArgs,
        exclude_ids: &[String],
    ) -> Result<Transactions> {
        let mut skipped = Vec::new();
        let (mut frame, empty_at_end) = match self.reads_the_end() {
            true => self.drop_empty_rows_at_end(frame)?,
            false => (frame, 0),
        };
        if empty_at_end > 0 {
            skipped.push(Skipped {
                rows: empty_at_end,
                reason: "empty rows at the end of the file".into(),
            });
        }
        // A batch may be empty; the whole export may not (checked after the last batch).
        if frame.height() == 0 && self.part.is_none() {
            return Err(ClmError::BadData(format!(
                "{}: the file has a header but no data rows",
                self.name
            ))
            .into());
        }
        let trimmed_ids = trim_customer_ids(&mut frame).map_err(|e| self.bad(e))?;
        self.reject_bad_dates(&frame)?;
        self.reject_bad_amounts(&frame)?;
        let customer = frame.column(CUSTOMER).map_err(|e| self.bad(e))?;
        let missing_ids = customer.null_count();
        if missing_ids > 0 {
            let customer_missing = customer.is_null();
            if !args.skip_missing_ids {
                let index =
                    first_index(customer_missing.iter().map(|v| v == Some(true))).unwrap_or(0);
                match &self.part {
                    None => return Err(self.missing_ids_error(&self.row_label(index), missing_ids)),
                    // Named after the last batch, with the count over the whole export.
                    Some(part) => drop(part.first_missing_id.set(index)),
                }
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
            if frame.height() == 0 && self.part.is_none() {
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

    /// The error for empty customer ids without `--skip-missing-ids`: the first at `row`.
    fn missing_ids_error(&self, row: &str, missing_ids: usize) -> anyhow::Error {
        ClmError::BadData(format!(
            "{}: {row}, column '{}': the customer id is empty ({}); pass --skip-missing-ids to leave them out",
            self.name,
            self.columns.customer,
            crate::output::counted(missing_ids, "such row")
        ))
        .into()
    }

    /// Drops the rows at the end of the file whose every read field is empty: polars reads
    /// trailing blank lines (and spreadsheets write `,,,` rows) as such rows.
    fn drop_empty_rows_at_end(&self, frame: DataFrame) -> Result<(DataFrame, usize)> {
        let empty = |name: &str| -> Result<BooleanChunked> {
            Ok(frame.column(name).map_err(|e| self.bad(e))?.is_null())
        };
        let mut all_empty = empty(CUSTOMER)? & empty(DAY)? & empty(AMOUNT)?;
        if self.columns.order.is_some() {
            all_empty = all_empty & empty(ORDER)?;
        }
        let trailing = all_empty
            .iter()
            .rev()
            .take_while(|v| *v == Some(true))
            .count();
        if trailing == 0 {
            return Ok((frame, 0));
        }
        // A date that does not parse is null too: those rows must be empty in the file.
        let kept = frame.height() - trailing;
        let tail = self
            .read_as_written(&self.columns.source_columns())
            .map_err(|e| self.bad(e))?
            .slice(kept as i64, trailing);
        if tail.columns().iter().any(|c| c.null_count() != c.len()) {
            return Ok((frame, 0));
        }
        Ok((frame.slice(0, kept), trailing))
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
            .read_as_written(std::slice::from_ref(date_column))
            .and_then(|raw| raw.column(date_column)?.cast(&DataType::String))
            .and_then(|raw| raw.str().cloned())
            .map_err(|e| self.bad(e))?;
        // The frame no longer has the empty rows at the end of the file; the text read again does.
        let raw = raw.slice(0, day.len());
        let unparsed = day.is_null() & raw.is_not_null();
        if let Some(index) = first_index(unparsed.iter().map(|v| v == Some(true))) {
            let value = raw.get(index).unwrap_or_default();
            return Err(ClmError::BadData(format!(
                "{}: {}, column '{date_column}': '{}' is not a date in the expected format; give one with --date-format",
                self.name,
                self.row_label(index),
                delimited::shown(value)
            ))
            .into());
        }
        self.reject_nulls(frame, DAY, date_column, "the date is empty")
    }

    /// Amounts that are not numbers, then empty ones, then infinite or NaN ones, and totals too
    /// large to add up (every sum an analysis takes is at most the total of absolute amounts).
    fn reject_bad_amounts(&self, frame: &DataFrame) -> Result<()> {
        let amount = frame.column(AMOUNT).map_err(|e| self.bad(e))?;
        let amount_column = self.amount_columns().join("' × '");
        if amount.null_count() > 0 {
            if let Some((row, column, value)) = self.first_bad_amount().map_err(|e| self.bad(e))? {
                return Err(self.not_a_number(row, &column, &value));
            }
            self.reject_nulls(frame, AMOUNT, &amount_column, "the amount is empty")?;
        }
        let values = amount.f64().map_err(|e| self.bad(e))?;
        let mut total = 0.0_f64;
        let mut largest = (0, 0.0_f64);
        let all = values
            .downcast_iter()
            .flat_map(|chunk| chunk.values().iter());
        for (index, &value) in all.enumerate() {
            if !value.is_finite() {
                return Err(ClmError::BadData(format!(
                    "{}: {}, column '{amount_column}': '{}' is not a finite number",
                    self.name,
                    self.row_label(index),
                    delimited::shown(&self.raw_amount(index).unwrap_or_else(|| value.to_string()))
                ))
                .into());
            }
            total += value.abs();
            if value.abs() > largest.1.abs() {
                largest = (index, value);
            }
        }
        if !total.is_finite() {
            return Err(ClmError::BadData(format!(
                "{}: column '{amount_column}': the amounts add up to more than {:e}, beyond what can be summed (the largest is {:e}, {})",
                self.name,
                f64::MAX,
                largest.1,
                self.row_label(largest.0)
            ))
            .into());
        }
        Ok(())
    }

    /// "'2,55' is not a number", with a pointer to `--decimal-comma` when the value is written so.
    fn not_a_number(&self, row: usize, column: &str, value: &str) -> anyhow::Error {
        let comma_decimals = !self.decimal_comma
            && value.contains(',')
            && value
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'.');
        let hint = if comma_decimals {
            "; pass --decimal-comma for amounts written like 1.234,50"
        } else {
            ""
        };
        ClmError::BadData(format!(
            "{}: {}, column '{column}': '{}' is not a number{hint}",
            self.name,
            self.row_label(row),
            delimited::shown(value)
        ))
        .into()
    }

    /// The amount of row `index` as written in the file, when it comes from one column.
    fn raw_amount(&self, index: usize) -> Option<String> {
        let AmountSource::Column(column) = &self.columns.amount else {
            return None;
        };
        let written = self.read_as_written(std::slice::from_ref(column)).ok()?;
        let written = written.column(column).ok()?.cast(&DataType::String).ok()?;
        let value = written.str().ok()?.get(index)?.to_string();
        Some(value)
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
pub(crate) fn float_written_id(id: &str) -> Option<&str> {
    id.strip_suffix(".0")
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Ids as text of a side table; ids written as floats (`17850.0`) lose the `.0` when all do,
/// as the transactions' ids do.
pub(crate) fn without_float_suffix(ids: &[&str]) -> Vec<String> {
    let float_ids = !ids.is_empty() && ids.iter().all(|id| float_written_id(id).is_some());
    ids.iter()
        .map(|&id| match float_ids {
            true => float_written_id(id).unwrap_or(id).to_string(),
            false => id.to_string(),
        })
        .collect()
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

/// The first line of a library's message, at most 200 characters: polars quotes whole chunks of
/// the input and gives advice for its Python API.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    let cut: String = first.chars().take(200).collect();
    if cut.len() < first.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

fn first_index(flags: impl Iterator<Item = bool>) -> Option<usize> {
    flags.into_iter().position(|f| f)
}
