//! One reader for every side table: surveys, `--inputs` tables, subscription records and
//! model summaries. CSV, TSV (any delimiter the header uses: `,` `;` tab `|`, as for the
//! transactions), gzip-compressed (told by its bytes, not its name), Parquet, or `-` for
//! standard input; every cell as trimmed text, and the column rules and row-level errors the
//! transactions use: a message names the file, the row (and line) and the column.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use polars::prelude::*;

use super::columns::normalize;
use super::delimited::detect_delimiter;
use crate::data::options::InputFormat;
use crate::error::ClmError;

/// A side table's cells as text, column by column.
pub(crate) struct RawTable {
    pub(crate) headers: Vec<String>,
    /// `cells[c][row]` for each header, trimmed (empty cells are `None`).
    pub(crate) cells: Vec<Vec<Option<String>>>,
    /// Per header, how many non-empty cells had whitespace around them before trimming.
    pub(crate) padded: Vec<usize>,
    pub(crate) format: InputFormat,
    /// The file's row of the first row here (0 but for a slice of a file, whose messages
    /// still name the file's rows).
    pub(crate) first_row: usize,
}

/// The format a file's name says: Parquet (`.parquet`, `.pq`), TSV (`.tsv`, `.tab`) or CSV,
/// looking through a `.gz`.
pub(crate) fn format_of(name: &str) -> InputFormat {
    let lower = name.to_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    if lower.ends_with(".parquet") || lower.ends_with(".pq") {
        InputFormat::Parquet
    } else if lower.ends_with(".tsv") || lower.ends_with(".tab") {
        InputFormat::Tsv
    } else {
        InputFormat::Csv
    }
}

/// Reads a whole side table (`kind` names it in messages: "survey", "input"), in the format its
/// name says.
pub(crate) fn read_table(path: &Path, kind: &str) -> Result<RawTable, ClmError> {
    let source = path.display().to_string();
    read_table_as(path, &source, format_of(&source), kind)
}

/// Reads a whole side table in `format`; `source` names it in messages.
pub(crate) fn read_table_as(
    path: &Path,
    source: &str,
    format: InputFormat,
    kind: &str,
) -> Result<RawTable, ClmError> {
    if format == InputFormat::Parquet && source != "-" {
        check_is_file(path, source, kind)?;
        return read_parquet(path, source);
    }
    let reader = open_delimited(path, source, format, kind)?;
    raw_table(source, reader, format, 0)
}

/// A side table from bytes already read (plain or gzip-compressed delimited text).
pub(crate) fn table_from_bytes(
    source: &str,
    bytes: &[u8],
    format: InputFormat,
) -> Result<RawTable, ClmError> {
    table_from_bytes_at(source, bytes, format, 0)
}

/// [`table_from_bytes`] for text whose first row is the file's row `first_row` (counted from
/// 0): a header and some rows cut from a file, whose messages name the file's rows.
pub(crate) fn table_from_bytes_at(
    source: &str,
    bytes: &[u8],
    format: InputFormat,
    first_row: usize,
) -> Result<RawTable, ClmError> {
    let reader = delimited_reader(source, Box::new(bytes), format)?;
    raw_table(source, reader, format, first_row)
}

pub(crate) fn cannot_read(kind: &str, source: &str, error: &dyn std::fmt::Display) -> ClmError {
    if source == "-" {
        return ClmError::InputMissing(format!("cannot read standard input: {error}"));
    }
    ClmError::InputMissing(format!("cannot read {kind} file '{source}': {error}"))
}

pub(crate) fn check_is_file(path: &Path, source: &str, kind: &str) -> Result<(), ClmError> {
    let meta = std::fs::metadata(path).map_err(|e| cannot_read(kind, source, &e))?;
    if meta.is_dir() {
        return Err(ClmError::InputMissing(format!(
            "{kind} '{source}' is a folder, not a file"
        )));
    }
    Ok(())
}

/// The file's bytes (standard input for `-`), not yet decompressed.
fn open_bytes(path: &Path, source: &str, kind: &str) -> Result<Box<dyn Read>, ClmError> {
    if source == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    check_is_file(path, source, kind)?;
    let file = std::fs::File::open(path).map_err(|e| cannot_read(kind, source, &e))?;
    Ok(Box::new(file))
}

/// A `csv` reader on a delimited side table: gunzipped when its bytes are gzip, with the
/// delimiter its header line uses (else the format's own); rows may have more or fewer fields
/// than the header (missing cells are empty).
pub(crate) fn open_delimited(
    path: &Path,
    source: &str,
    format: InputFormat,
    kind: &str,
) -> Result<csv::Reader<Box<dyn Read>>, ClmError> {
    delimited_reader(source, open_bytes(path, source, kind)?, format)
}

/// Size of the look-ahead buffer: the header line must fit in it for its delimiter to be seen.
const HEADER_LOOKAHEAD: usize = 1 << 20;

pub(crate) fn delimited_reader<'a>(
    source: &str,
    bytes: Box<dyn Read + 'a>,
    format: InputFormat,
) -> Result<csv::Reader<Box<dyn Read + 'a>>, ClmError> {
    let unreadable = |e: std::io::Error| ClmError::BadData(format!("{source}: {e}"));
    let mut buffered = BufReader::with_capacity(HEADER_LOOKAHEAD, bytes);
    let is_gzip = buffered
        .fill_buf()
        .map_err(unreadable)?
        .starts_with(&[0x1f, 0x8b]);
    let mut text: Box<dyn BufRead + 'a> = if is_gzip {
        let decoder = flate2::read::MultiGzDecoder::new(buffered);
        Box::new(BufReader::with_capacity(HEADER_LOOKAHEAD, decoder))
    } else {
        Box::new(buffered)
    };
    let own = if format == InputFormat::Tsv {
        b'\t'
    } else {
        b','
    };
    let delimiter = {
        let start = text
            .fill_buf()
            .map_err(|e| ClmError::BadData(format!("{source}: not a valid gzip stream: {e}")))?;
        let header_line = start.split(|&b| b == b'\n').next().unwrap_or_default();
        detect_delimiter(header_line, own)
    };
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Box::new(text) as Box<dyn Read + 'a>))
}

/// The header of a delimited side table: names without a byte-order mark or surrounding
/// whitespace; a file without one is bad data.
pub(crate) fn read_headers<R: Read>(
    source: &str,
    reader: &mut csv::Reader<R>,
) -> Result<Vec<String>, ClmError> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| not_csv(source, e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(ClmError::BadData(format!(
            "{source}: the file is empty or has no header"
        )));
    }
    Ok(headers)
}

/// A record the `csv` reader cannot read.
pub(crate) fn not_csv(source: &str, error: csv::Error) -> ClmError {
    ClmError::BadData(format!("{source}: cannot read as CSV: {error}"))
}

/// Every row of `reader` (the file's rows from `first_row`, for messages). A row may have more
/// fields than the header when the extra ones are empty (a trailing delimiter); a value there
/// is refused: most likely a delimiter inside an unquoted value, which shifts every column after it.
fn raw_table<R: Read>(
    source: &str,
    mut reader: csv::Reader<R>,
    format: InputFormat,
    first_row: usize,
) -> Result<RawTable, ClmError> {
    let headers = read_headers(source, &mut reader)?;
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); headers.len()];
    let mut padded = vec![0; headers.len()];
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| not_csv(source, e))?;
        let extra = (headers.len()..record.len()).find(|&i| !record[i].trim().is_empty());
        if let Some(field) = extra {
            let row = first_row + index + 1;
            return Err(ClmError::BadData(format!(
                "{source}: row {row} (line {}) has a value in field {} but the header names {} columns ('{}' is the last): is a delimiter inside an unquoted value? Quote that value",
                row + 1,
                field + 1,
                headers.len(),
                headers.last().map_or("", String::as_str),
            )));
        }
        for (index, column) in cells.iter_mut().enumerate() {
            let cell = trimmed_cell(record.get(index), &mut padded[index]);
            column.push(cell);
        }
    }
    Ok(RawTable {
        headers,
        cells,
        padded,
        format,
        first_row,
    })
}

/// The column names of a Parquet file, from its footer.
pub(crate) fn parquet_headers(path: &Path, source: &str) -> Result<Vec<String>, ClmError> {
    let schema = std::fs::File::open(path)
        .map_err(PolarsError::from)
        .and_then(|file| ParquetReader::new(file).schema())
        .map_err(|e| ClmError::BadData(format!("{source}: not a readable Parquet file: {e}")))?;
    Ok(schema.iter_names().map(|n| n.to_string()).collect())
}

fn read_parquet(path: &Path, source: &str) -> Result<RawTable, ClmError> {
    read_parquet_rows(path, source, None)
}

/// The rows `(first, count)` of a Parquet file (all without `rows`) as a side table whose
/// messages name the file's rows.
pub(crate) fn read_parquet_rows(
    path: &Path,
    source: &str,
    rows: Option<(usize, usize)>,
) -> Result<RawTable, ClmError> {
    let bad =
        |e: PolarsError| ClmError::BadData(format!("{source}: not a readable Parquet file: {e}"));
    let frame = std::fs::File::open(path)
        .map_err(PolarsError::from)
        .and_then(|file| ParquetReader::new(file).with_slice(rows).finish())
        .map_err(bad)?;
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut cells = Vec::with_capacity(headers.len());
    let mut padded = vec![0; headers.len()];
    for (index, column) in frame.columns().iter().enumerate() {
        let text = column.cast(&DataType::String).map_err(bad)?;
        let text = text.str().map_err(bad)?;
        cells.push(
            text.iter()
                .map(|v| trimmed_cell(v, &mut padded[index]))
                .collect(),
        );
    }
    Ok(RawTable {
        headers,
        cells,
        padded,
        format: InputFormat::Parquet,
        first_row: rows.map_or(0, |(first, _)| first),
    })
}

/// A cell without surrounding whitespace (`None` when nothing is left), counting in `padded`
/// the non-empty cells that had some.
fn trimmed_cell(cell: Option<&str>, padded: &mut usize) -> Option<String> {
    let raw = cell?;
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    if text.len() != raw.len() {
        *padded += 1;
    }
    Some(text.to_string())
}

/// A header naming one column twice is bad data, naming both positions.
pub(crate) fn check_duplicate_headers(source: &str, headers: &[String]) -> Result<(), ClmError> {
    for (i, name) in headers.iter().enumerate() {
        if !name.is_empty() && headers[..i].contains(name) {
            return Err(ClmError::BadData(format!(
                "{source}: the header names column '{name}' twice (columns {} and {}); rename one of them",
                headers[..i].iter().position(|h| h == name).unwrap_or(0) + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

/// The column `flag` names, which must be in the file.
pub(crate) fn require(
    source: &str,
    headers: &[String],
    name: &str,
    flag: &str,
) -> Result<String, ClmError> {
    if headers.iter().any(|h| h == name) {
        return Ok(name.to_string());
    }
    Err(ClmError::BadData(format!(
        "{source}: {flag} names column '{name}', which is not in the file; columns are {}",
        list(headers)
    )))
}

/// The first header matching a spelling, trying the spellings in order.
pub(crate) fn detect(headers: &[String], spellings: &[&str]) -> Option<String> {
    spellings
        .iter()
        .find_map(|spelling| headers.iter().find(|h| normalize(h) == *spelling).cloned())
}

/// The column given with `flag` (checked), or the first header spelled like the `role`.
pub(crate) fn find_column(
    source: &str,
    headers: &[String],
    given: Option<&str>,
    spellings: &[&str],
    role: &str,
    flag: &str,
) -> Result<String, ClmError> {
    if let Some(name) = given {
        return require(source, headers, name, flag);
    }
    detect(headers, spellings).ok_or_else(|| {
        ClmError::BadData(format!(
            "{source}: no {role} column found among {}; name it with {flag}",
            list(headers)
        ))
    })
}

/// Column names quoted for a message: `'a', 'b'`.
pub(crate) fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the text cells of one side table, with row-level errors.
pub(crate) struct RowReader<'a> {
    pub(crate) source: &'a str,
    pub(crate) raw: &'a RawTable,
}

impl RowReader<'_> {
    fn index(&self, name: &str) -> usize {
        self.raw
            .headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_default()
    }

    pub(crate) fn column(&self, name: &str) -> &[Option<String>] {
        &self.raw.cells[self.index(name)]
    }

    /// Non-empty cells of the column that had whitespace around them.
    pub(crate) fn padded(&self, name: &str) -> usize {
        self.raw.padded[self.index(name)]
    }

    /// "row 12 (line 13)" for delimited text, where line counts the header; "row 12" for
    /// Parquet.
    pub(crate) fn row_label(&self, index: usize) -> String {
        let index = self.raw.first_row + index;
        if self.raw.format == InputFormat::Parquet {
            format!("row {}", index + 1)
        } else {
            format!("row {} (line {})", index + 1, index + 2)
        }
    }

    /// Bad data at one cell: "file: row 12 (line 13), column 'c': what".
    pub(crate) fn bad_cell(&self, index: usize, column: &str, what: String) -> ClmError {
        ClmError::BadData(format!(
            "{}: {}, column '{column}': {what}",
            self.source,
            self.row_label(index)
        ))
    }

    /// Customer ids; ids written as floats (`17850.0`) lose the `.0` when all do.
    pub(crate) fn customer_ids(&self, column: &str) -> Result<Vec<String>, ClmError> {
        let cells = self.column(column);
        if cells.is_empty() {
            return Err(ClmError::BadData(format!(
                "{}: the file has a header but no data rows",
                self.source
            )));
        }
        if let Some(index) = cells.iter().position(Option::is_none) {
            return Err(self.bad_cell(index, column, "the customer id is empty".into()));
        }
        let ids: Vec<&str> = cells.iter().flatten().map(String::as_str).collect();
        Ok(crate::data::load::without_float_suffix(&ids))
    }

    /// A finite number in a cell (`None` when empty), or the error naming the cell.
    pub(crate) fn number(&self, index: usize, column: &str) -> Result<Option<f64>, ClmError> {
        let Some(text) = &self.column(column)[index] else {
            return Ok(None);
        };
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| self.bad_cell(index, column, format!("'{text}' is not a number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(bytes: &[u8], format: InputFormat) -> RawTable {
        table_from_bytes("t.csv", bytes, format).unwrap()
    }

    #[test]
    fn the_delimiter_comes_from_the_header_and_cells_are_trimmed() {
        let raw = table(b"id;score\n a ;1\nb;\n", InputFormat::Csv);
        assert_eq!(raw.headers, ["id", "score"]);
        assert_eq!(raw.cells[0], [Some("a".to_string()), Some("b".to_string())]);
        assert_eq!(raw.cells[1], [Some("1".to_string()), None]);
        assert_eq!(raw.padded, [1, 0]);
        let tabs = table(b"id\tscore\na\t2\n", InputFormat::Csv);
        assert_eq!(tabs.cells[1], [Some("2".to_string())]);
    }

    #[test]
    fn gzip_is_told_by_its_bytes() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"id,score\na,1\n").unwrap();
        let raw = table(&encoder.finish().unwrap(), InputFormat::Csv);
        assert_eq!(raw.headers, ["id", "score"]);
        assert_eq!(raw.cells[1], [Some("1".to_string())]);
    }

    #[test]
    fn cells_and_headers_are_checked_with_file_row_and_column() {
        let raw = table(b"id,score\na,1\nb,many\n", InputFormat::Csv);
        let reader = RowReader {
            source: "t.csv",
            raw: &raw,
        };
        assert_eq!(reader.number(0, "score").unwrap(), Some(1.0));
        let error = reader.number(1, "score").unwrap_err().to_string();
        assert_eq!(
            error,
            "t.csv: row 2 (line 3), column 'score': 'many' is not a number"
        );
        let headers = vec!["a".to_string(), "b".to_string(), "a".to_string()];
        let twice = check_duplicate_headers("t.csv", &headers).unwrap_err();
        assert!(twice.to_string().contains("(columns 1 and 3)"), "{twice}");
        let missing = require("t.csv", &headers, "c", "--x-col").unwrap_err();
        assert!(missing.to_string().contains("columns are 'a', 'b', 'a'"));
        assert!(matches!(
            table_from_bytes("t.csv", b"\n", InputFormat::Csv),
            Err(ClmError::BadData(_))
        ));
    }

    #[test]
    fn formats_follow_the_name_through_gz() {
        assert_eq!(format_of("a.parquet"), InputFormat::Parquet);
        assert_eq!(format_of("A.TSV.gz"), InputFormat::Tsv);
        assert_eq!(format_of("a.csv.gz"), InputFormat::Csv);
        assert_eq!(format_of("-"), InputFormat::Csv);
    }
}
