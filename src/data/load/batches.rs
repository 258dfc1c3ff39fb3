//! An export read in batches, for inputs larger than the memory budget: each batch is read,
//! converted and checked by the same code as a whole export, with rows counted from the start
//! of the file in every message, and what loading did is added up over the batches, so the
//! notes are those of the whole export.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use anyhow::Result;
use polars::prelude::*;

use super::{
    ColumnMap, Exclusion, InputArgs, InputFormat, Prepared, Reader, ReturnsPolicy, Skipped, Source,
    Transactions, delimited_reader, open_reader,
};
use crate::error::ClmError;

/// Bytes a Parquet row is counted as when a batch size in bytes is turned into rows (about
/// what a row of the canonical columns takes in memory).
pub const PARQUET_ROW_BYTES: usize = 64;

/// The batch a [`Reader`] reads.
pub(super) struct Part {
    /// A delimited export's header line followed by the batch's lines.
    pub lines: Option<Vec<u8>>,
    /// A Parquet file's rows: the first and how many.
    pub parquet_rows: Option<(usize, usize)>,
    /// Rows of the export before the batch.
    pub first_row: usize,
    /// Whether the batch ends the export.
    pub last: bool,
    /// The batch's first row without a customer id (without `--skip-missing-ids`; the rows
    /// are left out until the error is raised after the last batch, with the count of all).
    pub first_missing_id: std::sync::OnceLock<usize>,
}

/// What loading did, without the rows (for an export read in batches, added up over them).
#[derive(Debug, Clone)]
pub struct LoadStats {
    /// The input's name for messages.
    pub source: String,
    /// Which source columns were used.
    pub columns: ColumnMap,
    /// Rows kept.
    pub rows: usize,
    /// Rows skipped by policy.
    pub skipped: Vec<Skipped>,
    /// Rows that are returns or cancellations.
    pub return_rows: usize,
    /// What `--exclude-ids` left out.
    pub exclusion: Exclusion,
    /// Rows whose customer id was trimmed.
    pub trimmed_ids: usize,
}

impl Transactions {
    /// What loading did.
    pub fn stats(&self) -> LoadStats {
        LoadStats {
            source: self.source.clone(),
            columns: self.columns.clone(),
            rows: self.frame.height(),
            skipped: self.skipped.clone(),
            return_rows: self.return_rows,
            exclusion: self.exclusion.clone(),
            trimmed_ids: self.trimmed_ids,
        }
    }
}

/// Reads the export of `args` in batches of about `batch_bytes` of text (a Parquet file: of
/// rows counted at [`PARQUET_ROW_BYTES`]) and hands each batch's rows to `each`, in file
/// order; returns what loading did over all of them. Every problem is reported as
/// [`super::load_transactions`] reports it, its row counted from the start of the file (with
/// several kinds of problem in the file, the first batch with one decides which is named).
pub fn load_in_batches(
    args: &InputArgs,
    batch_bytes: usize,
    mut each: impl FnMut(Transactions) -> Result<()>,
) -> Result<LoadStats> {
    let (whole, exclude_ids) = open_reader(args)?;
    let schema = whole.schema()?;
    whole.reject_nested_columns(&schema)?;
    let mut totals = Totals::new(&whole);
    match whole.format {
        InputFormat::Parquet => {
            let rows_per_batch = (batch_bytes / PARQUET_ROW_BYTES).max(1);
            parquet_batches(
                &whole,
                schema,
                args,
                &exclude_ids,
                rows_per_batch,
                |batch| totals.load(batch, args, &mut each),
            )?
        }
        _ => {
            let prepared = whole.prepare(schema, None, args, &exclude_ids)?;
            delimited_batches(&whole, batch_bytes, |batch| {
                totals.load((batch, &prepared), args, &mut each)
            })?;
            totals.exclude_ids = prepared.exclude_ids;
        }
    }
    totals.finish(&whole, args)
}

/// A reader of the batch `part` of `whole`.
fn batch_of(whole: &Reader, part: Part) -> Reader {
    Reader {
        part: Some(part),
        name: whole.name.clone(),
        source: Source::Path(whole.source.path()),
        format: whole.format,
        delimiter: whole.delimiter,
        decimal_comma: whole.decimal_comma,
        columns: whole.columns.clone(),
    }
}

/// Reads a delimited export batch by batch while its structure is checked on another thread,
/// as a whole export is; a structural problem is reported before any other.
fn delimited_batches(
    whole: &Reader,
    batch_bytes: usize,
    mut each: impl FnMut(Reader) -> Result<usize>,
) -> Result<()> {
    let cannot = |e: std::io::Error| {
        ClmError::InputMissing(format!("cannot read input file '{}': {e}", whole.name))
    };
    let header = header_bytes(whole)?;
    let mut file = std::fs::File::open(whole.source.path()).map_err(cannot)?;
    file.seek(SeekFrom::Start(header.len() as u64))
        .map_err(cannot)?;
    let mut lines = LineBatches {
        input: std::io::BufReader::with_capacity(1 << 20, file),
        carry: Vec::new(),
        batch_bytes: batch_bytes.max(1),
        delimiter: whole.delimiter,
        done: false,
    };
    std::thread::scope(|scope| {
        let structure = scope.spawn(|| whole.check_structure());
        let mut first_row = 0;
        let mut read_all = || -> Result<()> {
            while let Some((chunk, last)) = lines.next_batch().map_err(cannot)? {
                let mut bytes = Vec::with_capacity(header.len() + chunk.len());
                bytes.extend_from_slice(&header);
                bytes.extend_from_slice(&chunk);
                drop(chunk);
                let batch = batch_of(
                    whole,
                    Part {
                        lines: Some(bytes),
                        parquet_rows: None,
                        first_row,
                        last,
                        first_missing_id: Default::default(),
                    },
                );
                first_row += each(batch)?;
            }
            Ok(())
        };
        let batches = read_all();
        match structure.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        batches
    })
}

/// The bytes of a delimited export up to its first data line: the header line, which every
/// batch starts with.
fn header_bytes(whole: &Reader) -> Result<Vec<u8>> {
    let mut reader = delimited_reader(&whole.name, &whole.source, whole.delimiter)?;
    reader.byte_headers().map_err(|e| {
        ClmError::BadData(format!("{}: cannot read the header line: {e}", whole.name))
    })?;
    let end = reader.position().byte();
    let mut header = Vec::with_capacity(end as usize + 1);
    std::fs::File::open(whole.source.path())
        .and_then(|file| file.take(end + 1).read_to_end(&mut header))
        .map_err(|e| {
            ClmError::InputMissing(format!("cannot read input file '{}': {e}", whole.name))
        })?;
    // The csv reader stops after the `\r` of a `\r\n`: the `\n` belongs to the header line.
    if header.len() as u64 > end && !(header.ends_with(b"\r\n") && end > 0) {
        header.truncate(end as usize);
    }
    Ok(header)
}

/// Reads a Parquet file `rows_per_batch` rows at a time; the first batch is the sample that
/// decides the date format and float-written ids.
fn parquet_batches(
    whole: &Reader,
    schema: Schema,
    args: &InputArgs,
    exclude_ids: &[String],
    rows_per_batch: usize,
    mut each: impl FnMut((Reader, &Prepared)) -> Result<usize>,
) -> Result<()> {
    let file = std::fs::File::open(whole.source.path()).map_err(|e| {
        ClmError::InputMissing(format!("cannot read input file '{}': {e}", whole.name))
    })?;
    let rows = ParquetReader::new(file)
        .num_rows()
        .map_err(|e| whole.bad(e))?;
    let mut prepared: Option<Prepared> = None;
    let mut first = 0;
    loop {
        let count = rows_per_batch.min(rows - first);
        let last = first + count >= rows;
        let part = Part {
            lines: None,
            parquet_rows: Some((first, count)),
            first_row: first,
            last,
            first_missing_id: Default::default(),
        };
        let batch = batch_of(whole, part);
        let sample = match prepared {
            Some(_) => None,
            None => Some(
                batch
                    .read(&schema)
                    .map_err(|e| batch.diagnose_read_error(e))?,
            ),
        };
        if let Some(sample) = &sample {
            prepared = Some(whole.prepare(schema.clone(), Some(sample), args, exclude_ids)?);
        }
        let prepared = prepared.as_ref().expect("prepared from the first batch");
        each((batch, prepared))?;
        first += count;
        if last {
            return Ok(());
        }
    }
}

/// What loading did, added up over the batches.
struct Totals {
    stats: LoadStats,
    /// Rows read, before any check.
    rows_read: usize,
    /// Rows kept by `--exclude-ids` (before `--returns drop`).
    after_exclusion: usize,
    /// The `--exclude-ids` as loaded ids are written, in the order given.
    exclude_ids: Vec<String>,
    /// Those that had rows in some batch.
    found: HashSet<String>,
    /// The first row without a customer id, without `--skip-missing-ids` ("row 6 (line 7)").
    first_missing_id: Option<String>,
}

/// How `--exclude-ids` names its skipped rows (the ids found follow).
const EXCLUDED: &str = "customer ids given with --exclude-ids";
/// How the loader names rows without a customer id.
const MISSING_ID: &str = "empty customer id";
/// How the loader names rows of empty fields at the end of the file.
const EMPTY_AT_END: &str = "empty rows at the end of the file";

impl Totals {
    fn new(whole: &Reader) -> Totals {
        Totals {
            stats: LoadStats {
                source: whole.name.clone(),
                columns: whole.columns.clone(),
                rows: 0,
                skipped: Vec::new(),
                return_rows: 0,
                exclusion: Exclusion::default(),
                trimmed_ids: 0,
            },
            rows_read: 0,
            after_exclusion: 0,
            exclude_ids: Vec::new(),
            found: HashSet::new(),
            first_missing_id: None,
        }
    }

    /// Reads, converts and checks one batch, adds up what loading did and hands the rows on;
    /// returns the rows read (those row numbers go on from).
    fn load(
        &mut self,
        (batch, prepared): (Reader, &Prepared),
        args: &InputArgs,
        each: &mut impl FnMut(Transactions) -> Result<()>,
    ) -> Result<usize> {
        let raw = batch
            .read(&prepared.schema)
            .map_err(|e| batch.diagnose_read_error(e))?;
        let height = raw.height();
        self.rows_read += height;
        self.exclude_ids.clone_from(&prepared.exclude_ids);
        let tx = batch.convert(raw, prepared, args)?;
        let missing = batch
            .part
            .as_ref()
            .and_then(|part| part.first_missing_id.get().copied());
        if let (Some(row), None) = (missing, &self.first_missing_id) {
            self.first_missing_id = Some(batch.row_label(row));
        }
        self.add(&tx, args.returns);
        each(tx)?;
        Ok(height)
    }

    fn add(&mut self, tx: &Transactions, returns: ReturnsPolicy) {
        let stats = &mut self.stats;
        stats.rows += tx.frame.height();
        stats.return_rows += tx.return_rows;
        stats.trimmed_ids += tx.trimmed_ids;
        stats.exclusion.rows += tx.exclusion.rows;
        self.found.extend(tx.exclusion.found.iter().cloned());
        self.after_exclusion += tx.frame.height();
        if returns == ReturnsPolicy::Drop {
            self.after_exclusion += tx.return_rows;
        }
        for skipped in &tx.skipped {
            if skipped.reason.starts_with(EXCLUDED) {
                continue; // named once, with every id found, at the end
            }
            match stats
                .skipped
                .iter_mut()
                .find(|s| s.reason == skipped.reason)
            {
                Some(known) => known.rows += skipped.rows,
                None => stats.skipped.push(skipped.clone()),
            }
        }
    }

    /// Rows skipped for `reason`.
    fn skipped_rows(&self, reason: &str) -> usize {
        let skipped = self.stats.skipped.iter();
        skipped.filter(|s| s.reason == reason).map(|s| s.rows).sum()
    }

    /// The checks a whole export makes on all of its rows, and the notes in its order.
    fn finish(mut self, whole: &Reader, args: &InputArgs) -> Result<LoadStats> {
        let source = &self.stats.source;
        let empty_at_end = self.skipped_rows(EMPTY_AT_END);
        if self.rows_read == empty_at_end {
            return Err(ClmError::BadData(format!(
                "{source}: the file has a header but no data rows"
            ))
            .into());
        }
        if let Some(row) = &self.first_missing_id {
            let missing = self.skipped_rows(MISSING_ID);
            return Err(whole.missing_ids_error(row, missing));
        }
        if !args.exclude_ids.is_empty() && self.after_exclusion == 0 {
            return Err(ClmError::BadData(format!(
                "{source}: every row belongs to an id given with --exclude-ids"
            ))
            .into());
        }
        if !args.exclude_ids.is_empty() {
            let exclusion = &mut self.stats.exclusion;
            (exclusion.found, exclusion.not_found) = self
                .exclude_ids
                .iter()
                .cloned()
                .partition(|id| self.found.contains(id));
            if exclusion.rows > 0 {
                self.stats.skipped.push(Skipped {
                    rows: exclusion.rows,
                    reason: format!("{EXCLUDED}: {}", exclusion.found_list()),
                });
            }
        }
        // The order a whole export's checks name them in.
        let order = [EMPTY_AT_END, MISSING_ID, EXCLUDED, "returns"];
        let rank = |s: &Skipped| order.iter().position(|o| s.reason.starts_with(o));
        self.stats.skipped.sort_by_key(rank);
        Ok(self.stats)
    }
}

/// The data lines of a delimited export in pieces of about `batch_bytes`, each ending with a
/// line break outside quotes. A piece ends with a row of only empty fields only when it is the
/// last: the loader drops such rows at the end of the file and refuses them elsewhere.
struct LineBatches<R> {
    input: R,
    /// Lines read but not yet handed out.
    carry: Vec<u8>,
    batch_bytes: usize,
    delimiter: u8,
    done: bool,
}

impl<R: Read> LineBatches<R> {
    /// The next piece and whether it is the last; `None` after the last.
    fn next_batch(&mut self) -> std::io::Result<Option<(Vec<u8>, bool)>> {
        if self.done {
            return Ok(None);
        }
        let mut buffer = std::mem::take(&mut self.carry);
        let mut target = self.batch_bytes;
        loop {
            if buffer.len() < target {
                let wanted = (target - buffer.len()) as u64;
                let read = (&mut self.input).take(wanted).read_to_end(&mut buffer)?;
                if (read as u64) < wanted {
                    self.done = true;
                    return Ok(Some((buffer, true)));
                }
            }
            match cut_point(&buffer, self.delimiter) {
                Some(cut) => {
                    self.carry = buffer.split_off(cut);
                    return Ok(Some((buffer, false)));
                }
                // One record (or a run of empty rows) longer than a batch: read on.
                None => target = buffer.len() + self.batch_bytes,
            }
        }
    }
}

/// Where `bytes` (starting at a record) may be cut: after the last line break outside quotes
/// that ends a line with something other than delimiters in it. `None` when there is none.
fn cut_point(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut line_is_empty = true;
    let mut cut = None;
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => {
                in_quotes = !in_quotes;
                line_is_empty = false;
            }
            b'\n' if !in_quotes => {
                if !line_is_empty {
                    cut = Some(i + 1);
                }
                line_is_empty = true;
            }
            b'\r' => {}
            _ if byte == delimiter => {}
            _ => line_is_empty = false,
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, batch_bytes: usize) -> Vec<(String, bool)> {
        let mut lines = LineBatches {
            input: text.as_bytes(),
            carry: Vec::new(),
            batch_bytes,
            delimiter: b',',
            done: false,
        };
        let mut out = Vec::new();
        while let Some((piece, last)) = lines.next_batch().unwrap() {
            out.push((String::from_utf8(piece).unwrap(), last));
        }
        out
    }

    #[test]
    fn pieces_end_at_line_breaks_outside_quotes() {
        let text = "a,1\nb,\"x\ny\"\nc,3\n";
        for size in 1..text.len() + 2 {
            let got = pieces(text, size);
            assert_eq!(got.concat_text(), text, "size {size}");
            for (piece, last) in &got {
                assert!(*last || piece.ends_with('\n'), "size {size}: {piece:?}");
                assert_eq!(piece.matches('"').count() % 2, 0, "size {size}: {piece:?}");
            }
            assert!(got.last().unwrap().1);
        }
    }

    #[test]
    fn empty_rows_stay_with_the_next_piece() {
        let text = "a,1\n,\n,\nb,2\n,\n\n";
        for size in 1..text.len() + 2 {
            let got = pieces(text, size);
            assert_eq!(got.concat_text(), text, "size {size}");
            for (piece, last) in &got {
                let final_line = piece.trim_end_matches('\n').rsplit('\n').next().unwrap();
                assert!(*last || final_line != ",", "size {size}: {piece:?}");
            }
        }
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }

    impl Concat for Vec<(String, bool)> {
        fn concat_text(&self) -> String {
            self.iter().map(|(p, _)| p.as_str()).collect()
        }
    }
}
