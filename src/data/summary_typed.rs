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
use std::sync::atomic::{AtomicBool, Ordering};

use polars::prelude::*;
use rayon::prelude::*;

use super::customers::CustomerRows;
use super::delimited::{detect_delimiter, first_line};
use super::load::float_written_id;
use super::summary::{
    CustomerSummary, SUMMARY_COLUMNS, SUMMARY_VERSION, SummaryBytes, SummaryFile, SummaryRecords,
    amount_of, broken_rule, day_of, distinct_cutoffs, row_problem, rows_by_cutoff, whole_number,
    whole_of,
};
use super::table::{RawTable, read_parquet_rows};
use crate::data::options::InputFormat;
use crate::error::ClmError;
use crate::output::{PackedText, Stopwatch};

/// The summary read typed, or `None` when the side-table reader must read it (see the module
/// comment).
pub(crate) fn read(file: &SummaryFile) -> Option<SummaryRecords> {
    let mut timer = Stopwatch::start("summary read");
    // Plain text is read without polars; anything else, or a refused cell, goes on below.
    if let Some(plain) = super::summary_plain::PlainCsv::of(file) {
        timer.lap("plain text");
        if let Some(records) = plain.records(&file.source, &mut timer) {
            return Some(records);
        }
    }
    read_with_polars(file, &mut timer)
}

/// [`read`] by polars' readers.
fn read_with_polars(file: &SummaryFile, timer: &mut Stopwatch) -> Option<SummaryRecords> {
    if let SummaryBytes::Parquet(path) = &file.bytes
        && let Some(records) = parquet_in_batches(path, &file.source, PARQUET_BATCH_ROWS, timer)
    {
        return Some(records);
    }
    let frame = frame(file).ok()?;
    timer.lap("polars");
    let mut table = Table::of_frame(frame)?;
    timer.lap("columns");
    let cutoff = table.cutoffs()?;
    let summaries = table.summaries(&cutoff)?;
    table.keep_only_ids();
    timer.lap("convert");
    let distinct = table.distinct_sorted_ids()?;
    let customers = Customers::of(distinct, || table.ids())?;
    drop(table);
    timer.lap("group");
    records(&file.source, (cutoff, summaries), customers, timer)
}

/// The first row of a summary file that the quick readers refuse, as a one-row table of the
/// side-table reader that names the file's row (or that reader's error on the row itself): so a bad cell in a large file is named without
/// reading the whole file as text (9.8 GB and 43 s for 10 million customers). `None` when no
/// row is refused so (the file itself is refused, or it is text with quotes, which only the
/// side-table reader reads as the `csv` reader does).
pub(crate) fn first_refused_row(file: &SummaryFile) -> Option<Result<RawTable, ClmError>> {
    match &file.bytes {
        SummaryBytes::Parquet(path) => {
            let (batches, read) = parquet_batches(path, PARQUET_BATCH_ROWS)?;
            for (first, count) in batches {
                if let Some(row) = read((first, count))?.first_refused_row() {
                    let row = Some((first + row, 1));
                    return Some(read_parquet_rows(path, &file.source, row));
                }
            }
            None
        }
        _ => super::summary_plain::PlainCsv::of(file)?.first_refused_row(&file.source),
    }
}

/// Rows of a Parquet summary read at a time (whole row groups, about this many): a batch's
/// columns are converted and freed before the next is read, so that the file's decoded
/// columns (1.1 GB for 10 million customers) are never all held at once.
const PARQUET_BATCH_ROWS: usize = 1 << 20;

/// A Parquet summary read in batches of whole row groups of about `rows_per_batch` rows, when
/// it has more than one batch and its rows are one per customer in id order (as `clm summary`
/// writes a summary with one cut-off); `None` otherwise, and the whole file is read at once.
fn parquet_in_batches(
    path: &Path,
    source: &str,
    rows_per_batch: usize,
    timer: &mut Stopwatch,
) -> Option<SummaryRecords> {
    let (batches, read) = parquet_batches(path, rows_per_batch)?;
    if batches.len() < 2 {
        return None;
    }
    let rows = batches.iter().map(|(_, count)| count).sum();
    let (mut cutoff, mut summaries) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (mut pieces, mut float_ids) = (Vec::new(), None);
    for batch in batches {
        let table = read(batch)?;
        // Ids written as floats lose the `.0` only when every id in the file has one.
        if *float_ids.get_or_insert(table.float_ids) != table.float_ids {
            return None;
        }
        let start = cutoff.len();
        table.collect_into(&mut cutoff, Table::cutoff_of(&table))?;
        table.summaries_into(&mut summaries, &cutoff[start..])?;
        let batch = table.id_pieces();
        // Rows not in id order are read whole and grouped: known at the first batch, usually.
        if !increasing_after(&batch, pieces.last()) {
            return None;
        }
        pieces.extend(batch);
    }
    timer.lap("polars in batches, convert");
    let distinct = joined_when_increasing(pieces, rows)??;
    timer.lap("group");
    records(
        source,
        (cutoff, summaries),
        Customers::Distinct(distinct),
        timer,
    )
}

/// Whether the ids of `pieces` (see [`packed_ids`]) are all read and increase, from after the
/// last id of the `previous` piece.
fn increasing_after(
    pieces: &[Option<(PackedText, bool)>],
    previous: Option<&Option<(PackedText, bool)>>,
) -> bool {
    let last_of = |ids: &PackedText| ids.len().checked_sub(1).map(|i| ids.get(i).to_string());
    let mut last = previous
        .and_then(|p| p.as_ref())
        .and_then(|(ids, _)| last_of(ids));
    for piece in pieces {
        let Some((ids, increasing)) = piece else {
            return false;
        };
        if ids.is_empty() {
            continue;
        }
        if !increasing || last.as_deref().is_some_and(|last| last >= ids.get(0)) {
            return false;
        }
        last = last_of(ids);
    }
    true
}

/// A Parquet summary's batches of whole row groups of about `rows_per_batch` rows, as (first
/// row, rows), and the reader of a batch's summary columns (the footer is read once).
#[allow(clippy::type_complexity)]
fn parquet_batches(
    path: &Path,
    rows_per_batch: usize,
) -> Option<(
    Vec<(usize, usize)>,
    impl Fn((usize, usize)) -> Option<Table> + '_,
)> {
    let mut reader = ParquetReader::new(std::fs::File::open(path).ok()?);
    let metadata = reader.get_metadata().ok()?.clone();
    let group_rows = metadata.row_groups.iter().map(|group| group.num_rows());
    let batches = batches_of(group_rows, rows_per_batch);
    let columns: Vec<String> = SUMMARY_COLUMNS.iter().map(|c| c.to_string()).collect();
    let read = move |(first, count)| {
        let mut reader = ParquetReader::new(std::fs::File::open(path).ok()?);
        reader.set_metadata(metadata.clone());
        let frame = reader
            .with_columns(Some(columns.clone()))
            .with_slice(Some((first, count)))
            .finish()
            .ok()?;
        Table::of_frame(frame)
    };
    Some((batches, read))
}

/// Consecutive row ranges (first row, rows) of whole groups of `group_rows`, each of at least
/// `rows_per_batch` rows but the last.
fn batches_of(
    group_rows: impl Iterator<Item = usize>,
    rows_per_batch: usize,
) -> Vec<(usize, usize)> {
    let mut batches: Vec<(usize, usize)> = Vec::new();
    let mut first = 0;
    for rows in group_rows {
        match batches.last_mut() {
            Some((_, count)) if *count < rows_per_batch => *count += rows,
            _ => batches.push((first, rows)),
        }
        first += rows;
    }
    batches.retain(|&(_, count)| count > 0);
    batches
}

/// The customers of a summary's rows.
pub(super) enum Customers {
    /// One row each, in id order: the ids.
    Distinct(PackedText),
    /// The rows grouped by customer.
    Grouped(CustomerRows),
}

impl Customers {
    /// The `distinct` ids (one row per customer, in id order), else the rows' `ids` grouped.
    pub(super) fn of<'a>(
        distinct: Option<PackedText>,
        ids: impl FnOnce() -> Option<Vec<&'a str>>,
    ) -> Option<Customers> {
        if let Some(ids) = distinct {
            return Some(Customers::Distinct(ids));
        }
        let ids = ids()?;
        let rows = CustomerRows::from_sorted(&ids).unwrap_or_else(|| CustomerRows::new(&ids));
        Some(Customers::Grouped(rows))
    }
}

/// The records of a summary's rows converted (each row's cut-off and summary) and their
/// `customers`: with distinct customers the rows as they are; else the rows checked and put
/// by customer and cut-off.
pub(super) fn records(
    source: &str,
    (cutoff, summaries): (Vec<i32>, Vec<Option<CustomerSummary>>),
    customers: Customers,
    timer: &mut Stopwatch,
) -> Option<SummaryRecords> {
    let records = match customers {
        Customers::Distinct(ids) => {
            // One row per customer: one cut-off, or a customer missing at the latest (refused).
            let latest = *cutoff.first()?;
            if cutoff.par_iter().any(|&c| c != latest) {
                return None;
            }
            SummaryRecords {
                source: source.to_string(),
                customer_id: ids,
                cutoffs: vec![latest],
                at: vec![summaries],
            }
        }
        Customers::Grouped(customers) => {
            if row_problem(&customers, &cutoff).is_some() {
                return None;
            }
            let at = rows_by_cutoff(&customers, &cutoff, |row| summaries[row])
                .expect("every row was read");
            SummaryRecords {
                source: source.to_string(),
                customer_id: customers.ids,
                cutoffs: distinct_cutoffs(&cutoff),
                at,
            }
        }
    };
    timer.lap("records");
    Some(records)
}

/// The ids of consecutive pieces of the rows, packed, each with whether its ids increase;
/// `None` for a piece with a refused id. Joined: `Some(None)` when the ids do not all
/// increase, `None` when an id is refused.
pub(super) fn joined_when_increasing(
    pieces: Vec<Option<(PackedText, bool)>>,
    rows: usize,
) -> Option<Option<PackedText>> {
    if pieces.iter().any(Option::is_none) {
        return None;
    }
    if !increasing_after(&pieces, None) {
        return Some(None);
    }
    let bytes = pieces
        .iter()
        .flatten()
        .map(|(piece, _)| piece.text_len())
        .sum();
    let mut out = PackedText::with_capacity(rows, bytes);
    for (piece, _) in pieces.into_iter().flatten() {
        out.append(&piece);
    }
    Some(Some(out))
}

/// Packs the ids of `rows` (`None` when `id` refuses one), noting whether they increase.
pub(super) fn packed_ids<'a>(
    rows: std::ops::Range<usize>,
    id: impl Fn(usize) -> Option<&'a str>,
) -> Option<(PackedText, bool)> {
    let mut piece = PackedText::with_capacity(rows.len(), 0);
    let mut increasing = true;
    let mut previous: Option<&str> = None;
    for row in rows {
        let id = id(row)?;
        increasing &= previous.is_none_or(|p| p < id);
        previous = Some(id);
        piece.push(id);
    }
    Some((piece, increasing))
}

/// The summary's columns as cells, in the order of [`SUMMARY_COLUMNS`], chunked alike: chunk
/// `k` of every column holds the same rows.
struct Table {
    cells: Vec<Cells>,
    /// Each chunk's first row and number of rows.
    chunks: Vec<(usize, usize)>,
    /// Whether every id is written as a float (`17850.0`): then all lose the `.0`.
    float_ids: bool,
}

/// Rows converted per parallel task.
pub(super) const ROWS_PER_TASK: usize = 1 << 14;

/// `value`, or a default in its place with `refused` raised: rows converted in parallel
/// straight into their result, the whole result dropped afterwards when any was refused.
pub(super) fn or_refused<T: Default>(value: Option<T>, refused: &AtomicBool) -> T {
    value.unwrap_or_else(|| {
        refused.store(true, Ordering::Relaxed);
        T::default()
    })
}

impl Table {
    /// The cells of the summary columns of `frame`; `None` without rows.
    fn of_frame(mut frame: DataFrame) -> Option<Table> {
        if frame.height() == 0 {
            return None;
        }
        let mut columns = Vec::with_capacity(SUMMARY_COLUMNS.len());
        for name in SUMMARY_COLUMNS {
            columns.push(frame.drop_in_place(name).ok()?);
        }
        Table::new(columns)
    }

    /// The cells of the summary's `columns` (in the order of [`SUMMARY_COLUMNS`]).
    fn new(mut columns: Vec<Column>) -> Option<Table> {
        let lengths = |column: &Column| -> Vec<usize> {
            column.as_materialized_series().chunk_lengths().collect()
        };
        if columns.iter().any(|c| lengths(c) != lengths(&columns[0])) {
            columns.par_iter_mut().for_each(|c| *c = c.rechunk());
        }
        let cells: Vec<Cells> = columns
            .par_iter()
            .zip(SUMMARY_COLUMNS)
            .map(|(column, name)| {
                Cells::of(column, DATE_COLUMNS.contains(&name), name == "customer_id")
            })
            .collect::<Option<_>>()?;
        drop(columns);
        let mut chunks = Vec::new();
        let mut first = 0;
        for len in cells[0].chunk_lengths() {
            chunks.push((first, len));
            first += len;
        }
        let mut table = Table {
            cells,
            chunks,
            float_ids: false,
        };
        let ids = table.column("customer_id");
        table.float_ids = table
            .par_rows()
            .all(|(k, row)| ids.text(k, row).and_then(float_written_id).is_some());
        Some(table)
    }

    /// Frees every column but the ids, once the rows are converted.
    fn keep_only_ids(&mut self) {
        let ids = SUMMARY_COLUMNS.iter().position(|&c| c == "customer_id");
        for (i, cells) in self.cells.iter_mut().enumerate() {
            if Some(i) != ids {
                *cells = Cells::Numbers(Vec::new());
            }
        }
    }

    fn column(&self, name: &str) -> &Cells {
        let index = SUMMARY_COLUMNS.iter().position(|c| *c == name);
        &self.cells[index.expect("a summary column")]
    }

    fn rows(&self) -> usize {
        self.chunks.iter().map(|(_, len)| len).sum()
    }

    /// Every row as (chunk, row within the chunk), in parallel.
    fn par_rows(&self) -> impl ParallelIterator<Item = (usize, usize)> + '_ {
        self.chunks
            .par_iter()
            .enumerate()
            .flat_map(|(k, &(_, len))| (0..len).into_par_iter().map(move |row| (k, row)))
    }

    /// `value` of every row in file order, converted in parallel straight into the result;
    /// `None` when it refuses any row.
    fn collect<T: Send + Default>(
        &self,
        value: impl Fn(usize, usize, usize) -> Option<T> + Sync,
    ) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(self.rows());
        self.collect_into(&mut out, value)?;
        Some(out)
    }

    /// [`Table::collect`] appending to `out`; `None` (and `out` left part filled) when it
    /// refuses a row.
    fn collect_into<T: Send + Default>(
        &self,
        out: &mut Vec<T>,
        value: impl Fn(usize, usize, usize) -> Option<T> + Sync,
    ) -> Option<()> {
        let refused = AtomicBool::new(false);
        for (k, &(first, len)) in self.chunks.iter().enumerate() {
            let rows = (0..len).into_par_iter().with_min_len(ROWS_PER_TASK);
            out.par_extend(rows.map(|row| or_refused(value(k, row, first + row), &refused)));
            if refused.load(Ordering::Relaxed) {
                return None;
            }
        }
        Some(())
    }

    /// A row's cut-off (chunk, row within it, row), refused when empty.
    fn cutoff_of(&self) -> impl Fn(usize, usize, usize) -> Option<i32> + Sync + '_ {
        let cutoff = self.column("cutoff");
        |k, row, _| cutoff.day(k, row)?
    }

    /// Every row's cut-off, refused when empty.
    fn cutoffs(&self) -> Option<Vec<i32>> {
        self.collect(self.cutoff_of())
    }

    /// Every row's summary (all `Some`), checked: the version, and the rules of
    /// [`broken_rule`].
    fn summaries(&self, cutoff: &[i32]) -> Option<Vec<Option<CustomerSummary>>> {
        let mut out = Vec::with_capacity(self.rows());
        self.summaries_into(&mut out, cutoff)?;
        Some(out)
    }

    /// [`Table::summaries`] appended to `out`, with the rows' `cutoff`.
    fn summaries_into(&self, out: &mut Vec<Option<CustomerSummary>>, cutoff: &[i32]) -> Option<()> {
        let summary = self.summary_of();
        self.collect_into(out, |k, row, at| summary(k, row, cutoff[at]).map(Some))
    }

    /// A row's summary (chunk, row within it, its cut-off), checked: the version, and the
    /// rules of [`broken_rule`].
    fn summary_of(&self) -> impl Fn(usize, usize, i32) -> Option<CustomerSummary> + Sync + '_ {
        let c = |name| self.column(name);
        let version = c("summary_version");
        let (first_day, last_day) = (c("first_day"), c("last_day"));
        let (purchase_days, orders, rows, return_rows) =
            (c("purchase_days"), c("orders"), c("rows"), c("return_rows"));
        let (revenue, repeat_revenue) = (c("revenue"), c("repeat_revenue"));
        let (last_quarter, prior_quarter) = (c("revenue_last_quarter"), c("revenue_prior_quarter"));
        let gap_square_sum = c("gap_square_sum");
        move |k, row, cutoff| {
            if i64::from(version.count(k, row)?) != SUMMARY_VERSION {
                return None;
            }
            let summary = CustomerSummary {
                first_day: first_day.day(k, row)?,
                last_day: last_day.day(k, row)?,
                purchase_days: purchase_days.count(k, row)?,
                orders: orders.count(k, row)?,
                rows: rows.count(k, row)?,
                return_rows: return_rows.count(k, row)?,
                revenue: revenue.amount(k, row)?,
                repeat_revenue: repeat_revenue.amount(k, row)?,
                revenue_last_quarter: last_quarter.amount(k, row)?,
                revenue_prior_quarter: prior_quarter.amount(k, row)?,
                gap_square_sum: gap_square_sum.amount(k, row)?,
            };
            broken_rule(&summary, cutoff).is_none().then_some(summary)
        }
    }

    /// The first row (of the table) whose cut-off, summary or id is refused.
    fn first_refused_row(&self) -> Option<usize> {
        let (cutoff, summary) = (self.cutoff_of(), self.summary_of());
        let ids = self.column("customer_id");
        let refused = |k: usize, row: usize| {
            let read = cutoff(k, row, 0).and_then(|c| summary(k, row, c));
            read.is_none() || self.id(ids, k, row).is_none()
        };
        self.chunks
            .iter()
            .enumerate()
            .find_map(|(k, &(first, len))| {
                let at = (0..len)
                    .into_par_iter()
                    .position_first(|row| refused(k, row))?;
                Some(first + at)
            })
    }

    /// A row's customer id as the side-table reader reads it: trimmed, without the `.0` when
    /// every id has one; an empty id, or one holding a quote (where CSV readers may disagree),
    /// is refused.
    fn id<'a>(&'a self, ids: &'a Cells, k: usize, row: usize) -> Option<&'a str> {
        let id = ids.text(k, row).filter(|id| !id.contains('"'))?;
        match self.float_ids {
            true => float_written_id(id),
            false => Some(id),
        }
    }

    /// The customer ids of the rows (see [`Table::id`]).
    fn ids(&self) -> Option<Vec<&str>> {
        let ids = self.column("customer_id");
        self.collect(|k, row, _| self.id(ids, k, row))
    }

    /// The ids packed, when each is greater than the one before (one row per customer, in id
    /// order, as `clm summary` writes a summary with one cut-off); `Some(None)` when they are
    /// not; `None` when an id is refused.
    fn distinct_sorted_ids(&self) -> Option<Option<PackedText>> {
        joined_when_increasing(self.id_pieces(), self.rows())
    }

    /// The ids of consecutive pieces of the rows, packed in parallel (see [`packed_ids`]).
    fn id_pieces(&self) -> Vec<Option<(PackedText, bool)>> {
        let ids = self.column("customer_id");
        let pieces: Vec<(usize, usize)> = self
            .chunks
            .iter()
            .enumerate()
            .flat_map(|(k, &(_, len))| (0..len).step_by(ROWS_PER_TASK).map(move |start| (k, start)))
            .collect();
        pieces
            .par_iter()
            .map(|&(k, start)| {
                let end = (start + ROWS_PER_TASK).min(self.chunks[k].1);
                packed_ids(start..end, |row| self.id(ids, k, row))
            })
            .collect()
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

/// The side-table reader's settings: the delimiter the header line uses. A row with more fields
/// than the header stops polars, and the side-table reader reads it (empty extra fields) or
/// names it (a value there).
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
                .with_truncate_ragged_lines(false)
        })
}

/// The columns whose cells are dates.
const DATE_COLUMNS: [&str; 3] = ["cutoff", "first_day", "last_day"];

/// Polars' chunks of floats, days and text.
type FloatChunk = <Float64Type as PolarsDataType>::Array;
type DayChunk = <Int32Type as PolarsDataType>::Array;
type IntegerChunk = <Int64Type as PolarsDataType>::Array;
type TextChunk = <StringType as PolarsDataType>::Array;

/// A column's cells, chunk by chunk, in the form they are converted from.
enum Cells {
    /// Floats, from numbers of any width (exact up to 2^53, beyond any count); no nulls.
    Numbers(Vec<FloatChunk>),
    /// 64-bit integers (read as their floats are: see [`Cells::count`]); no nulls.
    Integers(Vec<IntegerChunk>),
    /// Days since 1970-01-01, from a date column.
    Days(Vec<DayChunk>),
    /// Anything else, as the side-table reader sees it: text.
    Text(Vec<TextChunk>),
}

impl Cells {
    /// The cells of `column`: `dates` are read as dates, `text` as text whatever the type.
    fn of(column: &Column, dates: bool, text: bool) -> Option<Cells> {
        let dtype = column.dtype();
        let as_text = || {
            let texts = column.cast(&DataType::String).ok()?;
            Some(Cells::Text(
                texts.str().ok()?.downcast_iter().cloned().collect(),
            ))
        };
        if text {
            return as_text();
        }
        if dates {
            return match dtype {
                DataType::Date => {
                    let days = column.date().ok()?.physical();
                    Some(Cells::Days(days.downcast_iter().cloned().collect()))
                }
                _ => as_text(),
            };
        }
        if column.null_count() > 0 && (dtype == &DataType::Float64 || dtype.is_integer()) {
            return None;
        }
        if dtype == &DataType::Int64 {
            let integers = column.i64().ok()?.downcast_iter().cloned().collect();
            return Some(Cells::Integers(integers));
        }
        // A 32-bit float becomes text as the side-table reader reads it: its shortest digits,
        // then parsed as a 64-bit float.
        if dtype == &DataType::Float64 || dtype.is_integer() {
            let floats = column.cast(&DataType::Float64).ok()?;
            if floats.null_count() > 0 {
                return None;
            }
            return Some(Cells::Numbers(
                floats.f64().ok()?.downcast_iter().cloned().collect(),
            ));
        }
        as_text()
    }

    /// The number of rows of each chunk.
    fn chunk_lengths(&self) -> Vec<usize> {
        match self {
            Cells::Numbers(chunks) => chunks.iter().map(|c| c.len()).collect(),
            Cells::Integers(chunks) => chunks.iter().map(|c| c.len()).collect(),
            Cells::Days(chunks) => chunks.iter().map(|c| c.len()).collect(),
            Cells::Text(chunks) => chunks.iter().map(|c| c.len()).collect(),
        }
    }

    /// The cell at `row` of chunk `k` as text: trimmed, `None` when empty (text cells only).
    fn text(&self, k: usize, row: usize) -> Option<&str> {
        match self {
            Cells::Text(chunks) => trimmed(chunks[k].get(row)),
            _ => None,
        }
    }

    /// A count (0 or more, whole). An integer is taken as it is: its float, whole and exact
    /// below 2^53, gives the same count or the same refusal.
    fn count(&self, k: usize, row: usize) -> Option<u32> {
        let value = match self {
            Cells::Numbers(chunks) => whole_of(chunks[k].values()[row])?,
            Cells::Integers(chunks) => chunks[k].values()[row],
            Cells::Days(_) => return None,
            Cells::Text(_) => whole_number(self.text(k, row)?)?,
        };
        u32::try_from(value).ok()
    }

    /// A finite amount.
    fn amount(&self, k: usize, row: usize) -> Option<f64> {
        match self {
            Cells::Numbers(chunks) => Some(chunks[k].values()[row]).filter(|v| v.is_finite()),
            // Rounded to the nearest float, as polars casts it.
            Cells::Integers(chunks) => Some(chunks[k].values()[row] as f64),
            Cells::Days(_) => None,
            Cells::Text(_) => amount_of(self.text(k, row)?),
        }
    }

    /// A date (`Some(None)` for an empty cell); a stored date outside the years 1–9999, which
    /// text cannot spell as `YYYY-MM-DD`, is refused.
    fn day(&self, k: usize, row: usize) -> Option<Option<i32>> {
        match self {
            Cells::Numbers(_) | Cells::Integers(_) => None,
            Cells::Days(chunks) => match chunks[k].get(row) {
                None => Some(None),
                Some(day) => (STORED_DAYS.0..=STORED_DAYS.1)
                    .contains(&day)
                    .then_some(Some(day)),
            },
            Cells::Text(_) => match self.text(k, row) {
                None => Some(None),
                Some(text) => day_of(text).map(Some),
            },
        }
    }
}

/// A cell as the side-table reader keeps it: without surrounding whitespace, `None` when empty.
pub(super) fn trimmed(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|t| !t.is_empty())
}

/// The days 0001-01-01 and 9999-12-31, since 1970-01-01.
const STORED_DAYS: (i32, i32) = (-719_162, 2_932_896);

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::data::summary::summary_records;
    use crate::data::summary_plain::PlainCsv;
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
        // Each fast reader reads what the text reader reads, or steps aside.
        let by_polars = read_with_polars(&file, &mut Stopwatch::start("test"));
        let plain = PlainCsv::of(&file)
            .and_then(|p| p.records(&file.source, &mut Stopwatch::start("test")));
        for (reader, records) in [("polars", by_polars), ("plain", plain)] {
            if let Some(records) = records {
                assert_eq!(
                    Ok(&records),
                    text.as_ref().map_err(|e| e.to_string()),
                    "{name}: {reader}"
                );
            }
        }
        assert_eq!(
            file.read().map_err(|e| e.to_string()),
            text.as_ref().map(Clone::clone).map_err(|e| e.to_string()),
            "{name}: what SummaryFile::read gives"
        );
        (typed, text)
    }

    /// `bytes` written to a file `name` in a new directory (kept while the first is alive).
    fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn plain_text_is_read_in_pieces_and_steps_aside_for_what_csv_reads_otherwise() {
        let row = |i: usize| {
            format!("1,C{i:07},2025-06-30,2025-01-01,2025-06-01,2,3,4,1,10.{i},3.25,3.25,0,22201")
        };
        // More rows than a task converts and more bytes than a task cuts into lines.
        let sorted: Vec<String> = (0..70_000).map(row).collect();
        let mut unsorted = sorted.clone();
        unsorted.swap(ROWS_PER_TASK - 1, ROWS_PER_TASK);
        let mut repeated = sorted.clone();
        repeated[ROWS_PER_TASK] = repeated[ROWS_PER_TASK - 1].clone();
        for (what, rows, distinct) in [
            ("in id order", &sorted, true),
            ("out of order", &unsorted, true),
            ("a repeated row", &repeated, false),
        ] {
            let (_dir, path) = temp_file("s.csv", &csv(HEADER, rows, "\n"));
            let file = SummaryFile::open(&path, "summary").unwrap();
            let plain = PlainCsv::of(&file).expect("plain text");
            let records = plain.records(&file.source, &mut Stopwatch::start("test"));
            let text = summary_records(&file.source, &file.raw_table().unwrap());
            match distinct {
                true => assert_eq!(records, Some(text.unwrap()), "{what}"),
                false => assert!(records.is_none() && text.is_err(), "{what}"),
            }
        }
        let plain = rows(str::to_string);
        let aside = [
            (
                "a quote",
                csv(HEADER, &rows(|r| r.replacen(",A,", ",\"A\",", 1)), "\n"),
            ),
            ("a lone carriage return", csv(HEADER, &plain, "\r")),
            (
                "a blank line",
                csv(
                    HEADER,
                    &[plain.clone(), vec![String::new()], plain[..1].to_vec()].concat(),
                    "\n",
                ),
            ),
            (
                "a short row",
                csv(
                    HEADER,
                    &rows(|r| r.rsplit_once(',').unwrap().0.to_string()),
                    "\n",
                ),
            ),
            (
                "a column named twice",
                csv(&format!("{HEADER},rows"), &rows(|r| format!("{r},1")), "\n"),
            ),
        ];
        for (what, bytes) in aside {
            let (_dir, path) = temp_file("s.csv", &bytes);
            let file = SummaryFile::open(&path, "summary").unwrap();
            let records =
                PlainCsv::of(&file).and_then(|p| p.records("", &mut Stopwatch::start("t")));
            assert_eq!(records, None, "{what}");
        }
        // The cells are read by their positions in SUMMARY_COLUMNS.
        let (_dir, path) = temp_file("s.csv", &csv(HEADER, &rows(str::to_string), "\n"));
        let file = SummaryFile::open(&path, "summary").unwrap();
        let records = PlainCsv::of(&file)
            .unwrap()
            .records("", &mut Stopwatch::start("t"))
            .unwrap();
        let a = records.at[0][0].unwrap();
        assert_eq!(
            (a.purchase_days, a.orders, a.rows, a.return_rows),
            (2, 3, 4, 1)
        );
        assert_eq!(
            (a.revenue, a.repeat_revenue, a.gap_square_sum),
            (10.5, 3.25, 22201.0)
        );
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
            let (_dir, path) = temp_file(name, &bytes);
            let file = SummaryFile::open(&path, "summary").unwrap();
            let named = |records: SummaryRecords| SummaryRecords {
                source: text.source.clone(),
                ..records
            };
            let by_polars = read_with_polars(&file, &mut Stopwatch::start("test")).map(named);
            assert_eq!(by_polars.as_ref(), Some(&text), "{what}: polars");
            let plain = PlainCsv::of(&file)
                .and_then(|p| p.records("", &mut Stopwatch::start("t")))
                .map(named);
            assert!(plain.is_none() || plain.as_ref() == Some(&text), "{what}");
            let quoted = what == "quoted cells";
            assert_eq!(plain.is_none(), quoted, "{what}: plain text");
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
            // The plain-text reader reads a padded count as the text reader does.
            assert_eq!(typed.is_some(), error.is_none(), "{what}");
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
    fn batches_are_whole_row_groups_of_at_least_the_batch_size() {
        let batches = |groups: &[usize], size| batches_of(groups.iter().copied(), size);
        assert_eq!(
            batches(&[10, 10, 10, 10, 5], 20),
            [(0, 20), (20, 20), (40, 5)]
        );
        assert_eq!(batches(&[30, 10, 0, 10], 20), [(0, 30), (30, 20)]);
        assert_eq!(batches(&[], 20), []);
        assert_eq!(batches(&[0, 0], 20), []);
    }

    /// A summary of `customers` (ids in the order given) written to Parquet in row groups of
    /// `group_rows`.
    fn parquet_summary(dir: &Path, ids: &[String], group_rows: usize) -> std::path::PathBuf {
        let path = dir.join("s.parquet");
        let n = ids.len();
        let day = |text: &str| day_of(text).unwrap();
        let days = |name: &str, days: Vec<i32>| {
            Series::new(name.into(), days)
                .cast(&DataType::Date)
                .unwrap()
                .into_column()
        };
        let counts = |name: &str, f: fn(usize) -> u32| {
            Column::new(name.into(), (0..n).map(f).collect::<Vec<_>>())
        };
        let amounts = |name: &str, f: fn(usize) -> f64| {
            Column::new(name.into(), (0..n).map(f).collect::<Vec<_>>())
        };
        let first = |i: usize| day("2025-01-01") + (i % 50) as i32;
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("summary_version".into(), vec![1i64; n]),
            Column::new("customer_id".into(), ids.to_vec()),
            days("cutoff", vec![day("2025-06-30"); n]),
            days("first_day", (0..n).map(first).collect()),
            days(
                "last_day",
                (0..n).map(|i| first(i) + (i % 7) as i32).collect(),
            ),
            counts("purchase_days", |i| 1 + (i % 4) as u32),
            counts("orders", |i| 1 + (i % 5) as u32),
            counts("rows", |i| 2 + (i % 5) as u32),
            counts("return_rows", |i| (i % 2) as u32),
            amounts("revenue", |i| i as f64 * 1.25),
            amounts("repeat_revenue", |i| i as f64 * 0.5),
            amounts("revenue_last_quarter", |i| (i % 3) as f64),
            amounts("revenue_prior_quarter", |i| -((i % 2) as f64)),
            amounts("gap_square_sum", |i| (i % 11) as f64),
        ])
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .with_row_group_size(Some(group_rows))
            .finish(&mut frame)
            .unwrap();
        path
    }

    #[test]
    fn parquet_read_in_batches_reads_what_the_whole_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = (0..1000).map(|i| format!("C{i:05}")).collect();
        let path = parquet_summary(dir.path(), &ids, 64);
        let file = SummaryFile::open(&path, "summary").unwrap();
        let mut timer = Stopwatch::start("test");
        let whole = {
            let mut table = Table::of_frame(frame(&file).unwrap()).unwrap();
            let cutoff = table.cutoffs().unwrap();
            let summaries = table.summaries(&cutoff).unwrap();
            table.keep_only_ids();
            let ids = table.distinct_sorted_ids().unwrap().unwrap();
            records(
                &file.source,
                (cutoff, summaries),
                Customers::Distinct(ids),
                &mut timer,
            )
            .unwrap()
        };
        for rows_per_batch in [1, 100, 500] {
            let batched = parquet_in_batches(&path, &file.source, rows_per_batch, &mut timer);
            assert_eq!(
                batched.as_ref(),
                Some(&whole),
                "{rows_per_batch} rows a batch"
            );
        }
        // One batch: the whole file is read at once instead.
        assert!(parquet_in_batches(&path, &file.source, 1000, &mut timer).is_none());
        assert_eq!(read(&file).unwrap(), whole);
        let text = summary_records(&file.source, &file.raw_table().unwrap()).unwrap();
        assert_eq!(whole, text);
    }

    #[test]
    fn a_refused_row_is_named_from_that_row_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids: Vec<String> = (0..1000).map(|i| format!("C{i:05}")).collect();
        ids[700] = " ".into();
        let path = parquet_summary(dir.path(), &ids, 64);
        let file = SummaryFile::open(&path, "summary").unwrap();
        let row = first_refused_row(&file)
            .expect("row 701 is refused")
            .unwrap();
        assert_eq!((row.first_row, row.cells[0].len()), (700, 1));
        let alone = summary_records(&file.source, &row).unwrap_err().to_string();
        let whole = summary_records(&file.source, &file.raw_table().unwrap());
        assert_eq!(alone, whole.unwrap_err().to_string());
        assert!(alone.contains("row 701, column 'customer_id'"), "{alone}");
        assert_eq!(file.read().unwrap_err().to_string(), alone);

        let header = SUMMARY_COLUMNS.join(",");
        let line = |i: usize, revenue: &str| {
            format!(
                "1,C{i:03},2025-06-30,2025-01-01,2025-06-01,2,3,4,1,{revenue},3.25,3.25,0,22201"
            )
        };
        let lines: Vec<String> = (0..5)
            .map(|i| line(i, if i == 3 { "NaN" } else { "10.5" }))
            .collect();
        let (_dir, path) = temp_file(
            "s.csv",
            format!("{header}\n{}\n", lines.join("\n")).as_bytes(),
        );
        let file = SummaryFile::open(&path, "summary").unwrap();
        let row = first_refused_row(&file).expect("row 4 is refused").unwrap();
        let alone = summary_records(&file.source, &row).unwrap_err().to_string();
        assert!(
            alone.contains("row 4 (line 5), column 'revenue'"),
            "{alone}"
        );
        assert_eq!(file.read().unwrap_err().to_string(), alone);
        // A good file has no refused row.
        let good: Vec<String> = (0..5).map(|i| line(i, "10.5")).collect();
        let (_dir, path) = temp_file(
            "s.csv",
            format!("{header}\n{}\n", good.join("\n")).as_bytes(),
        );
        assert!(first_refused_row(&SummaryFile::open(&path, "summary").unwrap()).is_none());
    }

    #[test]
    fn parquet_ids_out_of_order_across_batches_are_read_whole_and_grouped() {
        let dir = tempfile::tempdir().unwrap();
        // Each batch of 100 is in order, but the second starts below the first's end.
        let ids: Vec<String> = (0..200)
            .map(|i| format!("C{:05}", (i + 100) % 200))
            .collect();
        let path = parquet_summary(dir.path(), &ids, 100);
        let file = SummaryFile::open(&path, "summary").unwrap();
        let mut timer = Stopwatch::start("test");
        assert!(parquet_in_batches(&path, &file.source, 100, &mut timer).is_none());
        let typed = read(&file).unwrap();
        let text = summary_records(&file.source, &file.raw_table().unwrap()).unwrap();
        assert_eq!(typed, text);
        assert_eq!(typed.customer_id.len(), 200);
        assert_eq!(typed.customer_id.get(0), "C00000");
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
