//! File formats, and atomic writing: a temporary file in the target folder, renamed into place
//! only when complete, so an error never leaves a half-written output.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{
    Column, DataFrame, DataType, IntoColumn, NamedFrom, NewChunkedArray, ParquetWriter, Series,
    StringChunked,
};
use rayon::prelude::*;
use serde_json::{Map, Number, Value};

use super::OutputFormat;
use super::{LARGE_TABLE_ROWS, Progress, Table, Values};
use crate::error::ClmError;

/// Writes `table` to `path` in `format`: atomically for a regular file, straight into a device,
/// FIFO or standard output (see [`write_atomically`]).
pub fn write_file_atomically(path: &Path, table: &Table, format: OutputFormat) -> Result<()> {
    write_to_path(path, |out| write_table(out, table, format))
}

/// Runs `write` on the output `path`: a standard stream as it is, anything else through
/// [`write_atomically`].
pub fn write_to_path(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    match standard_stream(path) {
        Some(stream) => write_stream(stream, write),
        None => write_atomically(path, write),
    }
}

/// The standard stream a path names: `-` and `/dev/stdout` are standard output, `/dev/stderr`
/// standard error (the same through `/dev/fd/N` and `/proc/self/fd/N`).
pub fn standard_stream(path: &Path) -> Option<Stream> {
    match path.to_str()? {
        "-" | "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(Stream::Stdout),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(Stream::Stderr),
        _ => None,
    }
}

/// Standard output or standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Writes to a standard stream as it is: no temporary file (it is not a file to replace).
fn write_stream(stream: Stream, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut out: Box<dyn Write> = match stream {
        Stream::Stdout => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock())),
        Stream::Stderr => Box::new(std::io::stderr().lock()),
    };
    write(&mut out)?;
    out.flush().with_context(|| match stream {
        Stream::Stdout => "writing to standard output",
        Stream::Stderr => "writing to standard error",
    })?;
    Ok(())
}

/// Writes into a regular file through a temporary file in the target folder, renamed to `path`
/// when complete; on any error the target is untouched and the temporary file removed (also
/// when a signal stops the run, see [`crate::cleanup`]). A device, FIFO or socket (`/dev/null`,
/// a named pipe) is written straight into: it cannot be replaced, only written to.
///
/// A new file gets the mode `0666` less the umask, as any program's output does; a file being
/// replaced keeps its mode. A symbolic link keeps pointing where it did: the file it points to
/// is the one replaced.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let cannot = |e: &dyn std::fmt::Display| {
        ClmError::Output(format!(
            "cannot write '{}': {}",
            path.display(),
            without_temp_path(e)
        ))
    };
    let existing = std::fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|meta| !meta.is_file()) {
        return write_directly(path, write).map_err(|e| {
            // A FIFO whose reader stopped early is a closed pipe, success as on stdout.
            if crate::error::exit_code_for(&e) == crate::error::EXIT_OK {
                e
            } else {
                cannot(&format!("{e:#}")).into()
            }
        });
    }
    // Replace the file a symbolic link points to, not the link.
    let target = match &existing {
        Some(_) => path.canonicalize().map_err(|e| cannot(&e))?,
        None => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = crate::cleanup::TempFile::in_dir(
        tempfile::Builder::new()
            .prefix(".clm-")
            .suffix(".tmp")
            .permissions(new_file_permissions()),
        dir,
    )
    .map_err(|e| cannot(&e))?;
    if let Some(meta) = &existing {
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(|e| cannot(&e))?;
    }
    {
        let mut out = BufWriter::new(EarlyWriteback::new(temp.as_file_mut()));
        write(&mut out).map_err(|e| cannot(&format!("{e:#}")))?;
        out.flush().map_err(|e| cannot(&e))?;
    }
    temp.as_file().sync_all().map_err(|e| cannot(&e))?;
    temp.persist(&target).map_err(|e| cannot(&e))?;
    Ok(())
}

/// A file whose written bytes go to disk in the background, a few megabytes at a time, while
/// more are written: the `fsync` that makes an output durable before it is renamed into place
/// then waits for the last few megabytes only, not for the whole file (hundreds of megabytes
/// for a table of ten million customers).
struct EarlyWriteback<'a> {
    file: &'a mut std::fs::File,
    written: u64,
    sent: u64,
}

/// Bytes written between two requests to start writing back.
const WRITEBACK_BYTES: u64 = 8 << 20;

impl<'a> EarlyWriteback<'a> {
    fn new(file: &'a mut std::fs::File) -> Self {
        EarlyWriteback {
            file,
            written: 0,
            sent: 0,
        }
    }
}

impl Write for EarlyWriteback<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(bytes)?;
        self.written += n as u64;
        if self.written - self.sent >= WRITEBACK_BYTES {
            start_writeback(self.file, self.sent, self.written - self.sent);
            self.sent = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Asks the kernel to start writing `len` bytes at `offset` of `file` to disk, without waiting.
/// Only a hint: `sync_all` still makes the file durable, so a failure here is ignored.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: `sync_file_range` reads no memory of ours; the descriptor is open for as long as
    // `file` is borrowed.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _len: u64) {}

/// Writes into a device or FIFO opened as it is.
fn write_directly(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    out.flush()?;
    Ok(())
}

/// Read and write for everyone: `open(2)` takes the umask off, as for any program's output.
fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o666)
}

/// An error's text without the ` at path "…/.clm-XXXXXX.tmp"` that `tempfile` appends: the user
/// named the target, not the temporary file.
fn without_temp_path(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    match text.find(" at path \"") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// Writes `table` to stdout in `format`.
pub fn write_stdout(table: &Table, format: OutputFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    write_table(&mut out, table, format)?;
    out.flush().context("writing to standard output")?;
    Ok(())
}

fn write_table(out: &mut dyn Write, table: &Table, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Csv => write_delimited(out, table, b','),
        OutputFormat::Tsv => write_delimited(out, table, b'\t'),
        OutputFormat::Json => write_json(out, table, false),
        OutputFormat::Jsonl => write_json(out, table, true),
        OutputFormat::Parquet => write_parquet(out, table),
        OutputFormat::Xlsx => Ok(out.write_all(&super::xlsx::workbook(&[("rows", table)])?)?),
        OutputFormat::Table => {
            writeln!(out, "{}", super::render_table(table))?;
            Ok(())
        }
    }
}

/// Text that a spreadsheet would run as a formula is prefixed with `'` (OWASP CSV injection).
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Rows per block of delimited text; blocks are formatted in parallel, written in order.
const BLOCK_ROWS: usize = 32_768;

fn write_delimited(out: &mut dyn Write, table: &Table, delimiter: u8) -> Result<()> {
    let mut header = Vec::new();
    for (i, name) in table.names.iter().enumerate() {
        if i > 0 {
            header.push(delimiter);
        }
        push_quoted(&mut header, spreadsheet_safe(name).as_bytes(), delimiter);
    }
    header.push(b'\n');
    out.write_all(&header)?;
    let height = table.height();
    let blocks: Vec<std::ops::Range<usize>> = (0..height)
        .step_by(BLOCK_ROWS)
        .map(|start| start..(start + BLOCK_ROWS).min(height))
        .collect();
    let progress = writing_progress(height);
    // One thread formats the next few blocks (in parallel) while this one writes the last:
    // a few blocks per thread at a time bound the memory held by formatted text.
    let (formatted, texts) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in blocks.chunks(4 * rayon::current_num_threads()) {
                let batch_texts: Vec<Vec<u8>> = batch
                    .par_iter()
                    .map(|rows| delimited_rows(table, rows.clone(), delimiter))
                    .collect();
                let rows = batch.iter().map(|rows| rows.len() as u64).sum::<u64>();
                // The writer stopped at an error: nothing more to format.
                if formatted.send((batch_texts, rows)).is_err() {
                    return;
                }
            }
        });
        for (batch_texts, rows) in texts {
            for text in batch_texts {
                out.write_all(&text)?;
            }
            progress.inc(rows);
        }
        Ok(())
    })
}

/// Rows `rows` of `table` as delimited text, quoted as the `csv` crate does: numbers and dates
/// never need quotes, so they are written straight into the block.
fn delimited_rows(table: &Table, rows: std::ops::Range<usize>, delimiter: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * rows.len());
    let mut integer = itoa::Buffer::new();
    let lone_column = table.columns.len() == 1;
    // A label column repeats a few texts (a stage's action on millions of rows): quote each once.
    let quoted_labels: Vec<Option<Vec<Vec<u8>>>> = table
        .columns
        .iter()
        .map(|values| match values {
            Values::Labels { labels, .. } => Some(
                labels
                    .iter()
                    .map(|label| {
                        let mut quoted = Vec::new();
                        push_quoted(&mut quoted, spreadsheet_safe(label).as_bytes(), delimiter);
                        quoted
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    for row in rows {
        let row_start = out.len();
        for (i, values) in table.columns.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            match values {
                Values::Int(v) => out.extend_from_slice(integer.format(v[row]).as_bytes()),
                Values::Float(v, decimals) => {
                    if v[row].is_finite() {
                        write_fixed(&mut out, v[row], *decimals);
                    }
                }
                Values::Date(v) => out.extend_from_slice(super::format_day(v[row]).as_bytes()),
                Values::Labels { codes, .. } if quoted_labels[i].is_some() => {
                    let quoted = quoted_labels[i].as_deref().unwrap_or_default();
                    out.extend_from_slice(&quoted[codes[row] as usize]);
                }
                text => {
                    let text = text.text(row).unwrap_or_default();
                    push_quoted(&mut out, spreadsheet_safe(text).as_bytes(), delimiter);
                }
            }
        }
        // A lone empty field is quoted, or the line would read as no record at all.
        if lone_column && out.len() == row_start {
            out.extend_from_slice(b"\"\"");
        }
        out.push(b'\n');
    }
    out
}

/// Appends `field`, in double quotes (and its quotes doubled) when it holds the delimiter, a
/// quote or a line break.
fn push_quoted(out: &mut Vec<u8>, field: &[u8], delimiter: u8) {
    let needs_quotes = field
        .iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if !needs_quotes {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends `value` (finite) with `decimals` decimals, exactly as `format!("{value:.decimals$}")`.
///
/// `core::fmt` with a precision is slow (it is exact for every value), and monetary columns have
/// millions of rows. For moderate values scaling to an integer gives the same digits:
/// `value × 10^decimals` is computed within a relative 2^-53 of the exact product, so unless
/// it lies near a rounding tie (where the exact binary value decides, e.g. 2.675 → "2.67")
/// rounding it rounds the exact product. Large values, many decimals and near-ties take `fmt`.
fn write_fixed(out: &mut Vec<u8>, value: f64, decimals: usize) {
    if decimals == super::ROUND_TRIP {
        write!(out, "{value}").expect("writing to a Vec cannot fail");
        return;
    }
    const POWERS_OF_TEN: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    // Below 2^40 the product's error (at most 2^-13) is far smaller than the tie margin.
    const FAST_LIMIT: f64 = (1u64 << 40) as f64;
    const TIE_MARGIN: f64 = 1e-3;
    if let Some(&scale) = POWERS_OF_TEN.get(decimals) {
        let scaled = value.abs() * scale as f64;
        // Below the limit a cast truncates exactly, and needs no call to libm's `floor`.
        let whole = scaled as u64;
        let fraction = scaled - whole as f64;
        if scaled < FAST_LIMIT && (fraction - 0.5).abs() > TIE_MARGIN {
            let units = whole + u64::from(fraction > 0.5);
            // Like fmt, a negative value keeps its sign even when it rounds to zero ("-0.00").
            if value.is_sign_negative() {
                out.push(b'-');
            }
            // One integer to digits, the point put `decimals` from the end (`0.` and zeros
            // first when there are no more digits than decimals).
            let mut buffer = itoa::Buffer::new();
            let digits = buffer.format(units).as_bytes();
            match digits.len().checked_sub(decimals) {
                _ if decimals == 0 => out.extend_from_slice(digits),
                Some(point) if point > 0 => {
                    out.extend_from_slice(&digits[..point]);
                    out.push(b'.');
                    out.extend_from_slice(&digits[point..]);
                }
                _ => {
                    out.extend_from_slice(b"0.");
                    out.resize(out.len() + decimals - digits.len(), b'0');
                    out.extend_from_slice(digits);
                }
            }
            return;
        }
    }
    write!(out, "{value:.decimals$}").expect("writing to a Vec cannot fail");
}

fn json_value(values: &Values, row: usize) -> Value {
    match values {
        Values::Int(v) => Value::Number(v[row].into()),
        Values::Float(v, decimals) => {
            Number::from_f64(round_to(v[row], *decimals)).map_or(Value::Null, Value::Number)
        }
        Values::Date(v) => Value::String(super::format_day(v[row])),
        text => Value::String(text.text(row).unwrap_or_default().to_string()),
    }
}

/// Rounds to the decimals a column prints with, so JSON agrees with CSV.
fn round_to(value: f64, decimals: usize) -> f64 {
    if decimals == super::ROUND_TRIP {
        return value;
    }
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

/// A bar of rows written, for tables large enough to take a while.
fn writing_progress(rows: usize) -> Progress {
    if rows < LARGE_TABLE_ROWS {
        return Progress::hidden();
    }
    Progress::bar("writing", rows as u64, "rows")
}

fn write_json(out: &mut dyn Write, table: &Table, lines: bool) -> Result<()> {
    if !lines {
        out.write_all(b"[")?;
    }
    let progress = writing_progress(table.height());
    for row in 0..table.height() {
        if row % BLOCK_ROWS == 0 {
            progress.set_position(row as u64);
        }
        let object: Map<String, Value> = table
            .names
            .iter()
            .zip(&table.columns)
            .map(|(name, values)| (name.clone(), json_value(values, row)))
            .collect();
        if !lines && row > 0 {
            out.write_all(b",")?;
        }
        if !lines {
            out.write_all(b"\n")?;
        }
        // As an io::Error, a closed pipe is recognised (and is success, see `exit_code_for`).
        serde_json::to_writer(&mut *out, &Value::Object(object)).map_err(std::io::Error::from)?;
        if lines {
            out.write_all(b"\n")?;
        }
    }
    if !lines {
        out.write_all(b"\n]\n")?;
    }
    Ok(())
}

fn to_frame(table: &Table) -> Result<DataFrame> {
    let columns: Vec<Column> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, values)| -> Result<Column> {
            let name = name.as_str().into();
            Ok(match values {
                Values::Text(v) => Series::new(name, v).into_column(),
                Values::PackedText(v) => {
                    StringChunked::from_iter_values(name, v.iter()).into_column()
                }
                Values::Labels { labels, codes } => {
                    let rows = codes.iter().map(|&code| labels[code as usize].as_str());
                    StringChunked::from_iter_values(name, rows).into_column()
                }
                Values::Int(v) => Series::new(name, v).into_column(),
                Values::Float(v, _) => Series::new(name, v).into_column(),
                Values::Date(v) => {
                    let days = v.iter().map(|&d| (d != super::NO_DAY).then_some(d));
                    Series::new(name, days.collect::<Vec<_>>())
                        .cast(&DataType::Date)?
                        .into_column()
                }
            })
        })
        .collect::<Result<_>>()?;
    Ok(DataFrame::new_infer_height(columns)?)
}

fn write_parquet(out: &mut dyn Write, table: &Table) -> Result<()> {
    let mut frame = to_frame(table)?;
    let mut out = KeepIoError {
        inner: out,
        error: None,
    };
    match ParquetWriter::new(&mut out).finish(&mut frame) {
        Ok(_) => Ok(()),
        Err(e) => Err(out.error.map_or_else(|| e.into(), Into::into)),
    }
}

/// A writer that keeps the first error of its inner writer: the Parquet writer passes it on
/// only as text, and a closed pipe (success) or a full disk must be told by its kind.
struct KeepIoError<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> KeepIoError<W> {
    fn keep<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        // An interrupted write is retried by the caller: not the error to report.
        if let Err(e) = &result
            && self.error.is_none()
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            self.error = Some(match e.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::new(e.kind(), e.to_string()),
            });
        }
        result
    }
}

impl<W: Write> Write for KeepIoError<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(bytes);
        self.keep(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.keep(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::PackedText;

    #[test]
    fn formulas_are_defused_in_text_only() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("C123"), "C123");
        let table = Table::default()
            .with("customer_id", Values::Text(vec!["-1".into()]))
            .with("monetary", Values::Float(vec![-2.5], 2));
        let mut out = Vec::new();
        write_delimited(&mut out, &table, b',').unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "customer_id,monetary\n'-1,-2.50\n"
        );
    }

    /// Rows formatted in parallel blocks come out whole and in order across block edges.
    #[test]
    fn rows_across_blocks_stay_in_order() {
        let n = 2 * BLOCK_ROWS + 7;
        let ids: PackedText = (0..n).map(|i| format!("C{i}")).collect();
        let table = Table::default()
            .with("customer_id", Values::PackedText(ids))
            .with("row", Values::Int((0..n as i64).collect()))
            .with(
                "band",
                Values::Labels {
                    labels: vec!["low".into(), "high, very".into()],
                    codes: (0..n as u32).map(|i| i % 2).collect(),
                },
            );
        let mut out = Vec::new();
        write_delimited(&mut out, &table, b',').unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut expected = String::from("customer_id,row,band\n");
        for i in 0..n {
            let band = if i % 2 == 0 { "low" } else { "\"high, very\"" };
            expected.push_str(&format!("C{i},{i},{band}\n"));
        }
        assert_eq!(text, expected);
        assert_eq!(table.columns[0].head(2).text(1), Some("C1"));
    }

    fn fixed(value: f64, decimals: usize) -> String {
        let mut out = Vec::new();
        write_fixed(&mut out, value, decimals);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixed_decimals_match_fmt_on_ties_signs_and_large_values() {
        for value in [
            0.125,
            0.375,
            2.675,
            1.005,
            -0.001,
            -0.0,
            0.0,
            99.995,
            1e15 + 0.3,
            5e-324,
            0.0005,
            0.0499,
            -0.0499,
            0.9999,
            9.99996,
            123.4567,
            -7.25e-3,
        ] {
            for decimals in 0..=8 {
                assert_eq!(fixed(value, decimals), format!("{value:.decimals$}"));
            }
        }
    }

    /// The same rows through the `csv` crate's writer.
    fn through_csv_crate(table: &Table, delimiter: u8) -> String {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(Vec::new());
        writer.write_record(&table.names).unwrap();
        for row in 0..table.height() {
            let fields: Vec<String> = table
                .columns
                .iter()
                .map(|c| spreadsheet_safe(c.text(row).unwrap_or_default()).into_owned())
                .collect();
            writer.write_record(&fields).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn a_lone_empty_field_is_quoted_like_the_csv_crate() {
        let table = Table::default().with("name", Values::Text(vec!["".into(), "a".into()]));
        let mut out = Vec::new();
        write_delimited(&mut out, &table, b',').unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            through_csv_crate(&table, b',')
        );
    }

    proptest::proptest! {
        /// Text with delimiters, quotes and line breaks is quoted exactly as the `csv` crate does.
        #[test]
        fn text_is_quoted_like_the_csv_crate(
            texts in proptest::collection::vec("[a-c,;\t\"\r\n =' ]{0,6}", 1..20),
            tab in proptest::bool::ANY,
        ) {
            let delimiter = if tab { b'\t' } else { b',' };
            let table = Table::default()
                .with("id", Values::Text(texts.clone()))
                .with("note, quoted", Values::Text(texts.into_iter().rev().collect()));
            let mut out = Vec::new();
            write_delimited(&mut out, &table, delimiter).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), through_csv_crate(&table, delimiter));
        }

        #[test]
        fn fixed_decimals_match_fmt(cents in -10_000_000_000i64..10_000_000_000, noise in -1.0f64..1.0, decimals in 0usize..8) {
            // amounts near whole cents (the common case and the ties), and arbitrary ones
            for value in [cents as f64 / 100.0, cents as f64 / 100.0 + noise * 1e-3, noise * 1e7] {
                proptest::prop_assert_eq!(fixed(value, decimals), format!("{value:.decimals$}"));
            }
        }
    }

    #[test]
    fn json_and_jsonl() {
        let table = Table::default()
            .with("id", Values::Text(vec!["a".into(), "b".into()]))
            .with("n", Values::Int(vec![1, 2]));
        let mut out = Vec::new();
        write_json(&mut out, &table, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n"
        );
        let mut out = Vec::new();
        write_json(&mut out, &table, false).unwrap();
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed[1]["id"], "b");
    }
}
