//! What polars' CSV reader does not check in a delimited export: which delimiter the header uses,
//! that every row has the header's number of fields, that every quote is closed, that no quote
//! in the middle of a value makes polars split rows otherwise than a CSV reader does, and that
//! the fields an analysis reads are UTF-8. Messages name the line and at most one line of text.

use std::io::{Read, Seek, SeekFrom};

/// Delimiters recognised from the header line, most usual first (a tie goes to the earlier one).
const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// A blank line between rows, as reported.
const BLANK: &str = "is blank; remove blank lines between rows (blank lines at the end are fine)";

/// Longest excerpt of the input quoted in a message.
const EXCERPT_CHARS: usize = 80;

/// A quote in the middle of a value that polars reads otherwise than the csv reader, as reported.
const MISREAD_QUOTE: &str = "a quote in the middle of a value leaves the quotes unbalanced, so rows and columns cannot be told apart; put the whole value in quotes and double the quote inside it (\"12\"\" ruler\"), or remove it";

/// The delimiter the header line uses: the candidate (`,` `;` tab `|`) found most often outside
/// quotes, or `default` when the line holds none of them (a one-column header).
pub fn detect_delimiter(header_line: &[u8], default: u8) -> u8 {
    let mut counts = [0usize; CANDIDATE_DELIMITERS.len()];
    let mut quoted = false;
    for &byte in header_line {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = CANDIDATE_DELIMITERS.iter().position(|&d| d == byte) {
            counts[i] += 1;
        }
    }
    let default_count = CANDIDATE_DELIMITERS
        .iter()
        .position(|&d| d == default)
        .map_or(0, |i| counts[i]);
    let (best, &count) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, &c)| (c, usize::MAX - i))
        .expect("four candidates");
    if count == 0 || count == default_count {
        default
    } else {
        CANDIDATE_DELIMITERS[best]
    }
}

/// The first line of a file (without its line ending), at most `limit` bytes.
pub fn first_line(reader: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    reader.take(limit as u64).read_to_end(&mut line)?;
    if let Some(end) = line.iter().position(|&b| b == b'\n') {
        line.truncate(end);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Bytes read at a time by [`plainly_sound`].
const PLAIN_BLOCK: usize = 1 << 20;

/// Whether a delimited export is certainly sound in the sense of [`first_problem`], found
/// without a CSV parser; `false` when it needs the full check (it may still be sound). Most
/// exports hold no quote character: then each line is one record and its fields are its
/// delimiters plus one, so counting delimiters per line checks the row lengths. A quote, a
/// carriage return other than a line's CRLF (the csv reader ends a record there), invalid
/// UTF-8, a ragged row or a blank line before a row all send the file to [`first_problem`],
/// which names the line as always.
pub fn plainly_sound(source: impl Read, delimiter: u8) -> std::io::Result<bool> {
    plainly_sound_in_blocks(source, delimiter, PLAIN_BLOCK)
}

/// [`plainly_sound`], reading `block` bytes at a time (whole lines are checked per block; a
/// line longer than the block grows it).
fn plainly_sound_in_blocks(
    mut source: impl Read,
    delimiter: u8,
    block: usize,
) -> std::io::Result<bool> {
    let mut lines = PlainLines {
        delimiter,
        fields: None,
        blank_seen: false,
        crlf: None,
    };
    let mut buffer = vec![0u8; block];
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(2 * buffer.len(), 0);
        }
        let read = match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += read;
        let Some(last_break) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            continue;
        };
        let complete = last_break + 1;
        if !lines.sound(&buffer[..complete]) {
            return Ok(false);
        }
        buffer.copy_within(complete..filled, 0);
        filled -= complete;
    }
    // The last line, when the file does not end with a line break.
    Ok(lines.sound(&buffer[..filled]))
}

/// The state of [`plainly_sound`] between blocks of whole lines.
struct PlainLines {
    delimiter: u8,
    /// The header's number of fields, once it is read.
    fields: Option<usize>,
    /// Whether a blank line was seen (fine at the end of the file, not before a row).
    blank_seen: bool,
    /// Whether lines end with CRLF, once a line ending is seen. The csv check counts lines its
    /// own way where LF follows CRLF, so a file that mixes them takes that check.
    crlf: Option<bool>,
}

impl PlainLines {
    /// Whether `lines` (whole lines, the last one ending the file when it lacks a break) are
    /// plainly sound.
    fn sound(&mut self, lines: &[u8]) -> bool {
        if memchr::memchr(b'"', lines).is_some() || std::str::from_utf8(lines).is_err() {
            return false;
        }
        let has_carriage_returns = memchr::memchr(b'\r', lines).is_some();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', lines).chain([lines.len()]) {
            let line = &lines[start..end];
            start = end + 1;
            let terminated = end < lines.len();
            if !terminated && line.is_empty() {
                break; // after the last line break
            }
            if !self.sound_line(line, terminated, has_carriage_returns) {
                return false;
            }
        }
        true
    }

    fn sound_line(&mut self, line: &[u8], terminated: bool, has_carriage_returns: bool) -> bool {
        let crlf = line.last() == Some(&b'\r');
        if (terminated || crlf) && *self.crlf.get_or_insert(crlf) != crlf {
            return false;
        }
        let line = if crlf { &line[..line.len() - 1] } else { line };
        if has_carriage_returns && line.contains(&b'\r') {
            return false;
        }
        if line.is_empty() {
            // A blank header is reported elsewhere; a blank line counts only if a row follows.
            self.blank_seen = true;
            return self.fields.is_some();
        }
        if self.blank_seen {
            return false;
        }
        let fields = 1 + line.iter().filter(|&&b| b == self.delimiter).count();
        *self.fields.get_or_insert(fields) == fields
    }
}

/// Reads every record after the header and returns the first structural problem as a message
/// (without the file name): a row with more or fewer fields than the header, a quote left open
/// at the end of the file, invalid UTF-8 (polars refuses it in any column, read or not), or a
/// quote in the middle of a value, the header's included, that polars reads otherwise
/// ([`first_misread_quote`]).
pub fn first_problem<R: Read + Seek>(
    mut reader: csv::Reader<R>,
    delimiter: u8,
) -> Result<Option<String>, csv::Error> {
    let headers: Vec<String> = reader
        .byte_headers()?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let column_name = |index: usize| {
        headers
            .get(index)
            .map_or_else(|| format!("{}", index + 1), |h| format!("'{h}'"))
    };
    let mut record = csv::ByteRecord::new();
    let mut last_multiline: Option<(u64, usize)> = None;
    let mut problem: Option<(u64, String)> = None;
    while reader.read_byte_record(&mut record)? {
        let byte = record.position().map_or(0, csv::Position::byte);
        // Only a record that ends more than one line below its start can hold a line break
        // (or be followed by blank lines): only then are its fields searched.
        let start_line = record.position().map_or(0, csv::Position::line);
        let spanning = if reader.position().line() > start_line + 1 {
            record
                .iter()
                .position(|f| f.contains(&b'\n') || f.contains(&b'\r'))
        } else {
            None
        };
        // A one-line record that ends more than one line below where its read began had blank
        // lines before it (the reader skips them as part of the record). polars reads each as a
        // row of empty fields, so one between rows is reported (at the end of the file they are
        // dropped by the loader).
        if spanning.is_none() && reader.position().line() > start_line + 1 {
            problem = Some((byte, BLANK.to_string()));
            break;
        }
        if record.len() != headers.len() {
            let mut message = format!(
                "{} {} where the header has {}: '{}'",
                record.len(),
                plural(record.len(), "field", "fields"),
                headers.len(),
                excerpt(&record, delimiter)
            );
            if let Some(field) = spanning {
                message.push_str(&format!(
                    "; the quoted field in column {} runs over several lines: is a quote left open?",
                    field + 1
                ));
            }
            problem = Some((byte, message));
            break;
        }
        if std::str::from_utf8(record.as_slice()).is_err() {
            let (index, field, error) = record
                .iter()
                .enumerate()
                .find_map(|(i, f)| std::str::from_utf8(f).err().map(|e| (i, f, e)))
                .expect("one field is not UTF-8");
            let message = format!(
                "column {}: invalid UTF-8 (byte 0x{:02x} at position {} of the value); save the file as UTF-8",
                column_name(index),
                field[error.valid_up_to()],
                error.valid_up_to() + 1
            );
            problem = Some((byte, message));
            break;
        }
        last_multiline = spanning.map(|field| (byte, field));
    }
    let mut source = reader.into_inner();
    // polars does not read the rows checked above when it reads a quote otherwise: that quote
    // is named unless the problem found comes before it.
    source.seek(SeekFrom::Start(0)).map_err(csv::Error::from)?;
    let misread = first_misread_quote(&mut source, delimiter).map_err(csv::Error::from)?;
    if let Some(quote) =
        misread.filter(|quote| problem.as_ref().is_none_or(|(byte, _)| quote.byte < *byte))
    {
        let column = column_name(quote.column);
        let opened = match quote.value_line < quote.line {
            true => format!(
                " (in a quoted value from line {}: is its quote left open?)",
                quote.value_line
            ),
            false => String::new(),
        };
        return Ok(Some(format!(
            "line {}, column {column}{opened}: {MISREAD_QUOTE}",
            quote.line
        )));
    }
    if let Some((byte, message)) = problem {
        if message == BLANK {
            let line = first_line_read(&mut source, byte).map_err(csv::Error::from)?;
            return Ok(Some(format!("line {line} {BLANK}")));
        }
        let line = line_at(&mut source, byte).map_err(csv::Error::from)?;
        let separator = if message.starts_with("column") {
            ", "
        } else {
            ": "
        };
        return Ok(Some(format!("line {line}{separator}{message}")));
    }
    // The last record ran to the end of the file inside quotes when its raw text holds an odd
    // number of quote characters: a quote was opened and never closed.
    if let Some((byte, field)) = last_multiline {
        source
            .seek(SeekFrom::Start(byte))
            .map_err(csv::Error::from)?;
        let quotes = count_bytes(&mut source, u64::MAX, b'"').map_err(csv::Error::from)?;
        if quotes % 2 == 1 {
            let line = line_at(&mut source, byte).map_err(csv::Error::from)?;
            return Ok(Some(format!(
                "line {line}, column {}: a quote is opened and never closed (the field runs to the end of the file)",
                column_name(field)
            )));
        }
    }
    Ok(None)
}

/// A quote that polars and the csv reader read differently (see [`first_misread_quote`]).
#[derive(Debug, PartialEq)]
struct MisreadQuote {
    /// Its offset in the file.
    byte: u64,
    /// Its line, from 1.
    line: u64,
    /// Its column as the csv reader counts them, from 0.
    column: usize,
    /// The line its value starts on (earlier when a quoted value runs over line breaks).
    value_line: u64,
}

/// The first quote in the middle of a value (one that does not start with a quote, or after
/// the closing quote of one that does) after which polars and the csv reader disagree where a
/// row or a field ends. The csv reader takes such a quote as text; polars ends a line only at
/// a line break after an even number of quotes in the file, and a quoted field only at a
/// delimiter after an even number in the field. An odd number of them in a row (the header's
/// `I"nvoiceNo`, `12" ruler`) joins it with the rows after it in polars' reading: rows lost
/// after the header, or a read that fails, and the batches of `--memory-limit`, which start
/// with the header, lose others. An even number (`5" x 7"`) is read alike by both and passes.
fn first_misread_quote(
    mut source: impl Read,
    delimiter: u8,
) -> std::io::Result<Option<MisreadQuote>> {
    let mut scan = QuoteScan::new(delimiter);
    // Both readers skip a byte-order mark at the start of the file.
    let mut start = Vec::with_capacity(UTF8_BOM.len());
    (&mut source)
        .take(UTF8_BOM.len() as u64)
        .read_to_end(&mut start)?;
    if start != UTF8_BOM {
        for (at, &byte) in (0..).zip(&start) {
            if scan.disagrees_at(byte, at) {
                return Ok(Some(scan.misread_quote(at)));
            }
        }
    }
    let mut offset = start.len() as u64;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match source.read(&mut buffer) {
            Ok(0) => return Ok(None),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for (at, &byte) in (offset..).zip(&buffer[..read]) {
            if scan.disagrees_at(byte, at) {
                return Ok(Some(scan.misread_quote(at)));
            }
        }
        offset += read as u64;
    }
}

/// A UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Where the csv reader is in a field (csv-core's states, a doubled quote `""` included).
#[derive(Clone, Copy, PartialEq)]
enum CsvField {
    Start,
    Unquoted,
    Quoted,
    /// After a quote inside a quoted field: the closing one, or the first of a `""`.
    QuoteInQuoted,
}

/// The csv reader's and polars' reading of a delimited file side by side, byte by byte, while
/// they agree (so a field or row starts at the same byte for both).
struct QuoteScan {
    delimiter: u8,
    csv: CsvField,
    /// polars: an odd number of quotes since the start of the file.
    odd_in_file: bool,
    /// polars: the field started with a quote.
    quoted_field: bool,
    /// polars: an odd number of quotes since the start of a field that started with one.
    odd_in_field: bool,
    line: u64,
    column: usize,
    /// The line the current field starts on.
    field_line: u64,
    /// The first quote in the middle of a value in the current row.
    suspect: Option<MisreadQuote>,
}

impl QuoteScan {
    fn new(delimiter: u8) -> QuoteScan {
        QuoteScan {
            delimiter,
            csv: CsvField::Start,
            odd_in_file: false,
            quoted_field: false,
            odd_in_field: false,
            line: 1,
            column: 0,
            field_line: 1,
            suspect: None,
        }
    }

    /// Reads the byte at offset `at`; whether the two readers disagree there (one ends a field
    /// or a row at it, the other does not).
    fn disagrees_at(&mut self, byte: u8, at: u64) -> bool {
        match byte {
            b'"' => self.quote(at),
            b'\n' => return self.line_break(),
            // The csv reader ends a row at a carriage return too (polars reads it as text).
            b'\r' if self.csv != CsvField::Quoted => {
                self.csv = CsvField::Start;
                self.column = 0;
            }
            _ if byte == self.delimiter => return self.field_end(),
            _ if matches!(self.csv, CsvField::Start | CsvField::QuoteInQuoted) => {
                self.csv = CsvField::Unquoted;
            }
            _ => {}
        }
        false
    }

    fn quote(&mut self, at: u64) {
        self.odd_in_file = !self.odd_in_file;
        if self.csv == CsvField::Start {
            self.quoted_field = true;
        }
        self.odd_in_field ^= self.quoted_field;
        self.csv = match self.csv {
            CsvField::Start | CsvField::QuoteInQuoted => CsvField::Quoted,
            CsvField::Quoted => CsvField::QuoteInQuoted,
            CsvField::Unquoted => {
                let (line, column, value_line) = (self.line, self.column, self.field_line);
                self.suspect.get_or_insert(MisreadQuote {
                    byte: at,
                    line,
                    column,
                    value_line,
                });
                CsvField::Unquoted
            }
        };
    }

    fn field_end(&mut self) -> bool {
        let csv_ends = self.csv != CsvField::Quoted;
        let polars_ends = !(self.quoted_field && self.odd_in_field);
        if csv_ends != polars_ends {
            return true;
        }
        if csv_ends {
            self.start_field();
            self.column += 1;
        }
        false
    }

    fn line_break(&mut self) -> bool {
        let csv_ends = self.csv != CsvField::Quoted;
        let polars_ends = !self.odd_in_file;
        if csv_ends != polars_ends {
            return true;
        }
        self.line += 1;
        if csv_ends {
            self.start_field();
            self.column = 0;
            self.suspect = None;
        }
        false
    }

    fn start_field(&mut self) {
        self.csv = CsvField::Start;
        self.field_line = self.line;
        self.quoted_field = false;
        self.odd_in_field = false;
    }

    /// The quote to name once the readers disagree at offset `at`: the row's first quote in
    /// the middle of a value (there is one unless a carriage return ended the row for the csv
    /// reader alone), else where they disagree.
    fn misread_quote(&mut self, at: u64) -> MisreadQuote {
        self.suspect.take().unwrap_or(MisreadQuote {
            byte: at,
            line: self.line,
            column: self.column,
            value_line: self.field_line,
        })
    }
}

/// The line (from 1) on which the record starting at `byte` begins. The csv reader's own line
/// count is one short after a CRLF (the record starts at the `\n`) and counts blank lines
/// before the record, so the line breaks are counted in the file itself.
fn line_at<R: Read + Seek>(source: &mut R, byte: u64) -> std::io::Result<u64> {
    source.seek(SeekFrom::Start(0))?;
    let mut breaks = count_bytes(source, byte, b'\n')?;
    let mut next = [0u8; 1];
    while source.read(&mut next)? == 1 && matches!(next[0], b'\n' | b'\r') {
        breaks += u64::from(next[0] == b'\n');
    }
    Ok(breaks + 1)
}

/// The line (from 1) on which the reader began reading the record at `byte`: the first blank
/// line before it. After a CRLF the reader starts at the `\n` that ends the line before.
fn first_line_read<R: Read + Seek>(source: &mut R, byte: u64) -> std::io::Result<u64> {
    let mut before = 0;
    if byte > 0 {
        source.seek(SeekFrom::Start(byte - 1))?;
        let mut previous = [0u8; 1];
        source.read_exact(&mut previous)?;
        before = previous[0];
    }
    let mut at = [0u8; 1];
    let read = source.read(&mut at)?;
    source.seek(SeekFrom::Start(0))?;
    let breaks = count_bytes(source, byte, b'\n')?;
    let ends_crlf = read == 1 && at[0] == b'\n' && before == b'\r';
    Ok(breaks + if ends_crlf { 2 } else { 1 })
}

/// How often `wanted` occurs in the next `limit` bytes of `source`.
fn count_bytes(source: &mut impl Read, limit: u64, wanted: u8) -> std::io::Result<u64> {
    let mut count = 0;
    let mut buffer = [0u8; 64 * 1024];
    let mut left = limit;
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let read = source.read(&mut buffer[..want])?;
        if read == 0 {
            break;
        }
        count += buffer[..read].iter().filter(|&&b| b == wanted).count() as u64;
        left -= read as u64;
    }
    Ok(count)
}

/// The record as one line of text, cut at its first line break and at [`EXCERPT_CHARS`].
fn excerpt(record: &csv::ByteRecord, delimiter: u8) -> String {
    let mut text = Vec::new();
    for (i, field) in record.iter().enumerate() {
        if i > 0 {
            text.push(delimiter);
        }
        text.extend_from_slice(field);
    }
    shown(&String::from_utf8_lossy(&text))
}

/// A value as quoted in a message: its first line, control characters escaped, at most
/// [`EXCERPT_CHARS`] characters.
pub fn shown(value: &str) -> String {
    let first = value.lines().next().unwrap_or_default();
    let mut text = String::new();
    for (i, c) in first.chars().enumerate() {
        if i == EXCERPT_CHARS {
            text.push('…');
            return text;
        }
        if c.is_control() {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    if first.len() < value.trim_end_matches(['\r', '\n']).len() {
        text.push('…');
    }
    text
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn problem(text: &str) -> Option<String> {
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(Cursor::new(text.as_bytes().to_vec()));
        first_problem(reader, b',').unwrap()
    }

    /// What the loader reports: nothing when the quick check finds the file sound, else the
    /// csv check's problem.
    fn reported(text: &str, block: usize) -> Option<String> {
        let plain = plainly_sound_in_blocks(Cursor::new(text.as_bytes()), b',', block).unwrap();
        if plain { None } else { problem(text) }
    }

    #[test]
    fn the_quick_check_passes_plain_files_and_errors_stay_the_csv_checks() {
        let sound = [
            "id,date,amount\nA,2025-01-01,3\nB,2025-01-02,4\n",
            "id,date,amount\r\nA,2025-01-01,3\r\nB,2025-01-02,4",
            "id,date,amount\nA,2025-01-01,3\n\n\n",
            "id,date,amount\r\nA,2025-01-01,3\r\n\r\n",
            "id,date,amount\n",
            "id,date,amount",
            "\u{feff}id,date,amount\nA, é ,\n",
        ];
        let unsure = [
            "id,date,amount\nA,2025-01-01,10,EXTRA\n",
            "id,date,amount\nA,2025-01-01,10\nB,2025-01-02\n",
            "id,date,amount\nA,2025-01-01,3\n\nB,2025-01-02,4\n",
            "id,date,amount\r\nA,2025-01-01,3\r\n  \r\nB,1,2\r\n",
            "id,date,amount\nA,2025-01-01,\"10\nB,2025-01-02,3\n",
            "id,date,amount\nA,2025-01-01,\"1,0\"\n",
            "id,date,amount\rA,2025-01-01,3\r",
            "id,date,amount\nA,2025\r-01-01,3\n",
            "\nid,date,amount\nA,2025-01-01,3\n",
            // Mixed line endings: the csv check takes LF after CRLF for a blank line.
            "id,date,amount\r\nA,2025-01-01,3\nB,2025-01-02,4\n",
        ];
        for block in [1, 5, 16, PLAIN_BLOCK] {
            for text in sound {
                assert!(plainly_sound_in_blocks(Cursor::new(text), b',', block).unwrap());
                assert_eq!(problem(text), None, "{text:?}");
            }
            for text in unsure {
                assert!(!plainly_sound_in_blocks(Cursor::new(text), b',', block).unwrap());
                assert_eq!(reported(text, block), problem(text), "{text:?}");
            }
        }
        assert!(
            reported(unsure[0], 5)
                .unwrap()
                .starts_with("line 2: 4 fields where the header has 3")
        );
        let mut invalid = b"id,date\nA,1\nB\xff,2\n".to_vec();
        assert!(!plainly_sound(Cursor::new(&invalid), b',').unwrap());
        invalid.truncate(12);
        assert!(plainly_sound(Cursor::new(&invalid), b',').unwrap());
        // The delimiter is the export's.
        assert!(plainly_sound(Cursor::new("a;b\n1;2\n"), b';').unwrap());
        assert!(!plainly_sound(Cursor::new("a;b\n1;2;3\n"), b';').unwrap());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// A file the quick check passes is one the csv check passes: the loader's errors are
        /// the csv check's whichever path it takes.
        #[test]
        fn a_plainly_sound_file_has_no_problem(
            text in "[ab,\"\r\n]{0,40}",
            block in 1usize..12,
        ) {
            if plainly_sound_in_blocks(Cursor::new(text.as_bytes()), b',', block).unwrap() {
                proptest::prop_assert_eq!(problem(&text), None);
            }
            let whole = plainly_sound(Cursor::new(text.as_bytes()), b',').unwrap();
            let blocks = plainly_sound_in_blocks(Cursor::new(text.as_bytes()), b',', block).unwrap();
            proptest::prop_assert_eq!(whole, blocks);
        }
    }

    #[test]
    fn delimiter_from_the_header() {
        assert_eq!(detect_delimiter(b"customer_id,date,amount", b','), b',');
        assert_eq!(detect_delimiter(b"customer_id;date;amount", b','), b';');
        assert_eq!(detect_delimiter(b"customer_id|date|amount", b','), b'|');
        assert_eq!(detect_delimiter(b"customer_id\tdate\tamount", b','), b'\t');
        assert_eq!(detect_delimiter(b"\"a;b\",date,amount", b','), b',');
        assert_eq!(detect_delimiter(b"amount", b'\t'), b'\t');
    }

    #[test]
    fn first_line_drops_the_line_ending() {
        let line = first_line(Cursor::new(b"a;b\r\nc;d\n".to_vec()), 1024).unwrap();
        assert_eq!(line, b"a;b");
    }

    #[test]
    fn a_clean_file_has_no_problem() {
        let text = "id,date,amount\nA,2025-01-01,\"1\n2\"\nB,2025-01-02,3\n";
        assert_eq!(problem(text), None);
    }

    #[test]
    fn ragged_rows_name_the_line() {
        let too_many = problem("id,date,amount\nA,2025-01-01,10,EXTRA\n").unwrap();
        assert!(
            too_many
                .starts_with("line 2: 4 fields where the header has 3: 'A,2025-01-01,10,EXTRA'"),
            "{too_many}"
        );
        let too_few = problem("id,date,amount\nA,2025-01-01,10\nB,2025-01-02\n").unwrap();
        assert!(too_few.starts_with("line 3: 2 fields"), "{too_few}");
    }

    #[test]
    fn lines_are_counted_in_the_file_after_crlf_and_blank_lines() {
        let crlf = problem("id,date,amount\r\nA,2025-01-01,3\r\n  \r\nB,1,2\r\n").unwrap();
        assert!(crlf.starts_with("line 3: 1 field"), "{crlf}");
        let blank =
            problem("id,date,amount\nA,2025-01-01,3\n\"x\ny\",1,2\nB,2025-01-02\n").unwrap();
        assert!(blank.starts_with("line 5: 2 fields"), "{blank}");
    }

    #[test]
    fn blank_lines_between_rows_are_named_but_not_at_the_end() {
        let middle = problem("id,date,amount\nA,2025-01-01,3\n\nB,2025-01-02,4\n").unwrap();
        assert!(middle.starts_with("line 3 is blank"), "{middle}");
        let crlf = problem("id,date,amount\r\nA,2025-01-01,3\r\n\r\nB,2025-01-02,4\r\n").unwrap();
        assert!(crlf.starts_with("line 3 is blank"), "{crlf}");
        let first = problem("id,date,amount\n\nA,2025-01-01,3\n").unwrap();
        assert!(first.starts_with("line 2 is blank"), "{first}");
        assert_eq!(problem("id,date,amount\nA,2025-01-01,3\n\n\n"), None);
        assert_eq!(problem("id,date,amount\r\nA,2025-01-01,3\r\n\r\n"), None);
    }

    #[test]
    fn values_are_shown_on_one_short_line() {
        assert_eq!(shown("4\n5"), "4…");
        assert_eq!(shown("a\tb\0"), "a\\tb\\u{0}");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(shown("plain"), "plain");
    }

    fn misread(text: &str) -> Option<(u64, usize)> {
        let quote = first_misread_quote(Cursor::new(text.as_bytes()), b',').unwrap()?;
        Some((quote.line, quote.column))
    }

    #[test]
    fn quotes_polars_reads_otherwise_are_found_and_others_pass() {
        // Read alike by both: quoted values with delimiters, doubled quotes and line breaks,
        // text after a closing quote, an even number of quotes inside a value, CRLF, a BOM.
        let alike = [
            "id,note\nA,\"x, y\"\nB,\"say \"\"hi\"\"\"\nC,\"two\nlines\"\n",
            "id,note\r\nA,\"x\"y\r\nB,5\" x 7\" frame\r\n",
            "\u{feff}\"id\",\"note\"\nA,\"\"\n",
            "id,note\nA,x\"",
        ];
        for text in alike {
            assert_eq!(misread(text), None, "{text:?}");
        }
        // One quote in the middle of a header name, at its end (CRLF), in a value.
        assert_eq!(misread("I\"d,note\nA,\"x\"\nB,y\n"), Some((1, 0)));
        assert_eq!(misread("id,note\"\r\nA,x\r\n"), Some((1, 1)));
        assert_eq!(misread("id,note\nA,12\" ruler\nB,y\n"), Some((2, 1)));
        // After the closing quote of a quoted value: polars keeps the delimiter in the value.
        assert_eq!(misread("id,note,n\nA,\"x\"y\"z,w\",1\n"), Some((2, 1)));
        // A quote left open: named where polars and the csv reader part, in the value it opens.
        let open = "id,note,n\nA,\"x,1\nB,y,2\nC,\"say \"\"hi\"\"\",3\n";
        assert_eq!(misread(open), Some((4, 1)));
        let message = problem(open).unwrap();
        assert!(
            message.starts_with("line 4, column 'note' (in a quoted value from line 2: is its quote left open?): a quote in the middle of a value"),
            "{message}"
        );
    }

    #[test]
    fn the_first_of_a_misread_quote_and_a_ragged_row_is_named() {
        let header = problem("id,da\"te,amount\nA,2025-01-01,3\n").unwrap();
        assert!(
            header.starts_with("line 1, column 'da\"te': a quote in the middle"),
            "{header}"
        );
        let ragged_first = problem("id,note\nA,x,EXTRA\nB,12\" ruler\n").unwrap();
        assert!(
            ragged_first.starts_with("line 2: 3 fields"),
            "{ragged_first}"
        );
        let quote_first = problem("id,note\nB,12\" ruler\nA,x,EXTRA\n").unwrap();
        assert!(
            quote_first.starts_with("line 2, column 'note': a quote"),
            "{quote_first}"
        );
    }

    #[test]
    fn an_open_quote_at_the_end_is_named() {
        let text = "id,date,amount\nA,2025-01-01,\"10\nB,2025-01-02,3\n";
        let message = problem(text).unwrap();
        assert!(
            message.contains("line 2, column 'amount': a quote is opened and never closed"),
            "{message}"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let mut bytes = b"id,date,amount\nA,2025-01-01,1\n".to_vec();
        bytes.extend_from_slice(b"B\xff,2025-01-02,3\n");
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(Cursor::new(bytes));
        let message = first_problem(reader, b',').unwrap().unwrap();
        assert!(
            message.starts_with("line 3, column 'id': invalid UTF-8"),
            "{message}"
        );
        // In a column no analysis reads too: polars refuses the whole file.
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(Cursor::new(b"id,note\nA,ok\nB,\xe9t\xe9\n".to_vec()));
        let message = first_problem(reader, b',').unwrap().unwrap();
        assert!(
            message.starts_with("line 3, column 'note': invalid UTF-8 (byte 0xe9 at position 1"),
            "{message}"
        );
    }
}
