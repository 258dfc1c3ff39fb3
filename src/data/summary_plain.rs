//! The quickest reading of a per-customer summary: plain delimited text, as `clm summary` and
//! the SQL engines write it (no quotes, one record a line), cut into lines and cells in
//! parallel and converted straight into the records with the side-table reader's own rules
//! for a cell (trimmed, empty as missing, [`whole_number`], [`amount_of`], [`day_of`]).
//!
//! Where the `csv` reader could read a line otherwise (a quote, a lone carriage return, a
//! blank line, a short row, a file that is not UTF-8) or the header is not plain, this reader
//! steps aside and the typed reader reads the file; a refused cell is refused by the
//! side-table reader too, which then names it.

use std::sync::atomic::AtomicBool;

use rayon::prelude::*;

use super::delimited::detect_delimiter;
use super::load::float_written_id;
use super::plain_text::{Text, fields, piece_bounds, plain_piece};
use super::summary::{
    CustomerSummary, SUMMARY_COLUMNS, SUMMARY_VERSION, SummaryBytes, SummaryFile, SummaryRecords,
    amount_of, broken_rule, day_of, whole_number,
};
use super::summary_typed::{
    Customers, ROWS_PER_TASK, joined_when_increasing, or_refused, packed_ids, records,
};
use super::table::{RawTable, table_from_bytes_at};
use crate::data::options::InputFormat;
use crate::error::ClmError;
use crate::output::Stopwatch;

/// The positions of the id and the cut-off in [`SUMMARY_COLUMNS`] (and [`summary_of`] reads
/// the others by theirs; a test checks them).
const ID: usize = 1;
const CUTOFF: usize = 2;

/// A summary file's text cut into lines, with where each summary column is on a line.
pub(super) struct PlainCsv<'a> {
    /// UTF-8 text (checked in [`PlainCsv::of`]).
    text: Text<'a>,
    /// The format the file's name says, and the delimiter its header uses.
    format: InputFormat,
    delimiter: u8,
    /// Where the first record starts, and where each record ends (its line feed, or the end
    /// of the text).
    first: usize,
    ends: Vec<usize>,
    /// For each field position of a line, the summary column there (`None`: another column),
    /// and for each summary column its position.
    column_at: Vec<Option<usize>>,
    position: [usize; SUMMARY_COLUMNS.len()],
    /// Whether every id is written as a float (`17850.0`): then all lose the `.0`.
    float_ids: bool,
}

impl<'a> PlainCsv<'a> {
    /// The file as plain text, or `None` when it is not (Parquet, or text the `csv` reader
    /// could read otherwise).
    pub(super) fn of(file: &'a SummaryFile) -> Option<PlainCsv<'a>> {
        let (text, format) = match &file.bytes {
            SummaryBytes::Parquet(_) => return None,
            SummaryBytes::File(path, format) => (Text::mapped(path)?, *format),
            SummaryBytes::Memory(bytes, format) => (Text::Held(bytes), *format),
        };
        let header_end = memchr::memchr(b'\n', &text).unwrap_or(text.len());
        let header = &text[..header_end];
        let own = if format == InputFormat::Tsv {
            b'\t'
        } else {
            b','
        };
        let delimiter = detect_delimiter(header, own);
        let column_at = columns_at(header, delimiter)?;
        let mut position = [0; SUMMARY_COLUMNS.len()];
        for (at, column) in column_at.iter().enumerate() {
            if let Some(column) = *column {
                position[column] = at;
            }
        }
        let first = (header_end + 1).min(text.len());
        let ends = line_ends(&text[first..])?
            .into_iter()
            .map(|end| first + end)
            .collect();
        let mut plain = PlainCsv {
            text,
            format,
            delimiter,
            first,
            ends,
            column_at,
            position,
            float_ids: false,
        };
        plain.float_ids = (0..plain.rows())
            .into_par_iter()
            .all(|row| plain.cell(row, ID).and_then(float_written_id).is_some());
        Some(plain)
    }

    fn rows(&self) -> usize {
        self.ends.len()
    }

    /// Record `row`, without its line ending.
    fn line(&self, row: usize) -> Option<&str> {
        let start = if row == 0 {
            self.first
        } else {
            self.ends[row - 1] + 1
        };
        let line = self.text.get(start..self.ends[row])?;
        // SAFETY: the header and the body were checked as UTF-8 (`columns_at`, `line_ends`),
        // and the cuts are at line feeds, between characters: the line is UTF-8.
        let line = unsafe { std::str::from_utf8_unchecked(line) };
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    /// The cell of summary column `column` (an index of [`SUMMARY_COLUMNS`]) on record `row`,
    /// trimmed; `None` when empty, missing or not UTF-8.
    fn cell(&self, row: usize, column: usize) -> Option<&str> {
        let field = fields(self.line(row)?, self.delimiter).nth(self.position[column])?;
        let field = trimmed(field);
        (!field.is_empty()).then_some(field)
    }

    /// Every cell of the summary columns on record `row`, trimmed (`None` when empty);
    /// `None` when a column is missing from the line or it is not UTF-8.
    fn cells(&self, row: usize) -> Option<[Option<&str>; SUMMARY_COLUMNS.len()]> {
        let mut cells = [None; SUMMARY_COLUMNS.len()];
        let mut seen = 0;
        let mut fields = fields(self.line(row)?, self.delimiter);
        // The header's positions first: `zip` then stops without taking a field past them.
        for (at, field) in self.column_at.iter().zip(fields.by_ref()) {
            if let Some(column) = *at {
                let text = trimmed(field);
                cells[column] = (!text.is_empty()).then_some(text);
                seen += 1;
            }
        }
        // Fields past the header's must be empty (see the side-table reader).
        let past_header = fields.any(|field| !trimmed(field).is_empty());
        (seen == SUMMARY_COLUMNS.len() && !past_header).then_some(cells)
    }

    /// `value` of every record, converted in parallel straight into the result; `None` when
    /// it refuses any.
    fn collect<T: Send + Default>(
        &self,
        value: impl Fn(usize) -> Option<T> + Sync,
    ) -> Option<Vec<T>> {
        let refused = AtomicBool::new(false);
        let out = (0..self.rows())
            .into_par_iter()
            .with_min_len(ROWS_PER_TASK)
            .map(|row| or_refused(value(row), &refused))
            .collect();
        (!refused.into_inner()).then_some(out)
    }

    /// The records, or `None` when a cell or a row is refused.
    pub(super) fn records(self, source: &str, timer: &mut Stopwatch) -> Option<SummaryRecords> {
        if self.rows() == 0 {
            return None;
        }
        // Each record's cut-off and summary in one pass, written in place into both.
        let refused = AtomicBool::new(false);
        let (mut cutoff, mut summaries) = (Vec::new(), Vec::new());
        (0..self.rows())
            .into_par_iter()
            .with_min_len(ROWS_PER_TASK)
            .map(|row| or_refused(self.record(row), &refused))
            .unzip_into_vecs(&mut cutoff, &mut summaries);
        if refused.into_inner() {
            return None;
        }
        timer.lap("convert");
        let pieces = (0..self.rows())
            .into_par_iter()
            .step_by(ROWS_PER_TASK)
            .map(|start| {
                let rows = start..(start + ROWS_PER_TASK).min(self.rows());
                packed_ids(rows, |row| self.id(row))
            })
            .collect();
        let distinct = joined_when_increasing(pieces, self.rows())?;
        let customers = Customers::of(distinct, || self.collect(|row| self.id(row)))?;
        // The text is not needed any more: free it before the records are put together.
        drop(self);
        timer.lap("group");
        records(source, (cutoff, summaries), customers, timer)
    }

    /// Record `row`'s cut-off and summary, checked; `None` when a cell or a rule refuses it.
    fn record(&self, row: usize) -> Option<(i32, Option<CustomerSummary>)> {
        let cells = self.cells(row)?;
        let cutoff = day_of(cells[CUTOFF]?)?;
        let summary = summary_of(&cells)?;
        broken_rule(&summary, cutoff)
            .is_none()
            .then_some((cutoff, Some(summary)))
    }

    /// The first record whose cells or id are refused, as a one-row table of the side-table
    /// reader (the header and that line) whose messages name the file's row; the error when
    /// that reader refuses the line itself.
    pub(super) fn first_refused_row(&self, source: &str) -> Option<Result<RawTable, ClmError>> {
        let refused = |row: usize| self.record(row).is_none() || self.id(row).is_none();
        let row = (0..self.rows()).into_par_iter().position_first(refused)?;
        let mut text = self.text[..self.first].to_vec();
        text.extend_from_slice(self.line(row)?.as_bytes());
        text.push(b'\n');
        Some(table_from_bytes_at(source, &text, self.format, row))
    }

    /// Record `row`'s customer id as the side-table reader reads it (see the typed reader).
    fn id(&self, row: usize) -> Option<&str> {
        let id = self.cell(row, ID)?;
        match self.float_ids {
            true => float_written_id(id),
            false => Some(id),
        }
    }
}

/// A cell without surrounding whitespace, as `str::trim` gives it: the usual cell, which
/// starts and ends with a visible ASCII character, as it is.
fn trimmed(cell: &str) -> &str {
    match (cell.as_bytes().first(), cell.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => cell,
        _ => cell.trim(),
    }
}

/// The summary of a record's cells (in the order of [`SUMMARY_COLUMNS`]), by the side-table
/// reader's rules; `None` for a cell it refuses or a version it does not read.
fn summary_of(cells: &[Option<&str>; SUMMARY_COLUMNS.len()]) -> Option<CustomerSummary> {
    let count = |i: usize| u32::try_from(whole_number(cells[i]?)?).ok();
    let amount = |i: usize| amount_of(cells[i]?);
    let day = |i: usize| match cells[i] {
        None => Some(None),
        Some(text) => day_of(text).map(Some),
    };
    if whole_number(cells[0]?)? != SUMMARY_VERSION {
        return None;
    }
    Some(CustomerSummary {
        first_day: day(3)?,
        last_day: day(4)?,
        purchase_days: count(5)?,
        orders: count(6)?,
        rows: count(7)?,
        return_rows: count(8)?,
        revenue: amount(9)?,
        repeat_revenue: amount(10)?,
        revenue_last_quarter: amount(11)?,
        revenue_prior_quarter: amount(12)?,
        gap_square_sum: amount(13)?,
    })
}

/// For each field of the header line, the summary column it names; `None` when the header is
/// not plain (a quote, text that is not UTF-8) or does not name every summary column once.
fn columns_at(header: &[u8], delimiter: u8) -> Option<Vec<Option<usize>>> {
    let header = std::str::from_utf8(header).ok()?;
    if header.contains('"') {
        return None;
    }
    let names: Vec<&str> = header
        .split(char::from(delimiter))
        .map(|h| h.trim_start_matches('\u{feff}').trim())
        .collect();
    let at: Vec<Option<usize>> = names
        .iter()
        .map(|name| SUMMARY_COLUMNS.iter().position(|c| c == name))
        .collect();
    let named_once = |column: usize| at.iter().filter(|&&a| a == Some(column)).count() == 1;
    (0..SUMMARY_COLUMNS.len()).all(named_once).then_some(at)
}

/// Where each line of `body` ends (its line feed, or the end of the text for a last line
/// without one), in parallel; `None` when the text is not UTF-8, a line is blank, or the text
/// holds a quote or a carriage return that does not end a line (the `csv` reader would read
/// those otherwise).
fn line_ends(body: &[u8]) -> Option<Vec<usize>> {
    let bounds = piece_bounds(body);
    let pieces: Vec<Option<Vec<usize>>> = bounds
        .par_windows(2)
        .map(|piece| {
            let (start, end) = (piece[0], piece[1]);
            let text = plain_piece(&body[start..end])?;
            let mut ends: Vec<usize> = memchr::memchr_iter(b'\n', text.as_bytes())
                .map(|at| start + at)
                .collect();
            if end == body.len() && !text.ends_with('\n') {
                ends.push(end);
            }
            Some(ends)
        })
        .collect();
    let mut ends = Vec::with_capacity(pieces.iter().flatten().map(Vec::len).sum());
    for piece in pieces {
        ends.extend_from_slice(&piece?);
    }
    let blank = |(i, &end): (usize, &usize)| {
        let start = if i == 0 { 0 } else { ends[i - 1] + 1 };
        body[start..end]
            .strip_suffix(b"\r")
            .unwrap_or(&body[start..end])
            .is_empty()
    };
    if ends.par_iter().enumerate().any(blank) {
        return None;
    }
    Some(ends)
}
