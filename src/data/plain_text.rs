//! Plain delimited text (no quotes, one record a line), as databases and `clm` itself write it,
//! cut into pieces of whole lines for parallel reading. The quick readers of summaries and
//! transactions read such text directly and leave anything else to the `csv` and polars
//! readers.

/// Bytes per parallel task when text is cut into pieces.
pub const BYTES_PER_TASK: usize = 1 << 22;

/// A file's bytes: mapped from the file on disk (no copy to make), or held in memory.
pub enum Text<'a> {
    Mapped(memmap2::Mmap),
    Held(&'a [u8]),
}

impl Text<'_> {
    /// The file at `path` mapped into memory; `None` when it cannot be.
    pub fn mapped(path: &std::path::Path) -> Option<Self> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: the map is read only. Were the file truncated while it is read, reading the
        // lost pages would stop the process (SIGBUS), as polars' reader of a mapped CSV file
        // would: the same risk as before, for an input no one should write while it is read.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        Some(Text::Mapped(map))
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Text::Mapped(map) => map,
            Text::Held(bytes) => bytes,
        }
    }
}

/// Where `body` is cut into pieces of about [`BYTES_PER_TASK`] that each hold whole lines:
/// the start of each piece (after a line feed, or at 0), then `body.len()`.
pub fn piece_bounds(body: &[u8]) -> Vec<usize> {
    let mut bounds = vec![0];
    while let Some(&start) = bounds.last() {
        let guess = start + BYTES_PER_TASK;
        match body
            .get(guess..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
        {
            Some(at) => bounds.push(guess + at + 1),
            None => break,
        }
    }
    bounds.push(body.len());
    bounds
}

/// A piece of whole lines as text, when it is plain: UTF-8, without a quote, and without a
/// carriage return that does not end a line (the `csv` reader would read those otherwise).
pub fn plain_piece(piece: &[u8]) -> Option<&str> {
    if memchr::memchr(b'"', piece).is_some() {
        return None;
    }
    let text = std::str::from_utf8(piece).ok()?;
    let lone = memchr::memchr_iter(b'\r', piece).any(|at| piece.get(at + 1) != Some(&b'\n'));
    (!lone).then_some(text)
}

/// The fields of `line` between the `delimiter`s (an ASCII byte, so the cuts fall between
/// characters); a byte loop is quicker than a character search on cells this short.
pub fn fields(line: &str, delimiter: u8) -> impl Iterator<Item = &str> {
    let ends = line
        .bytes()
        .enumerate()
        .filter(move |&(_, b)| b == delimiter);
    let mut start = 0;
    ends.map(|(end, _)| end)
        .chain(std::iter::once(line.len()))
        .map(move |end| {
            let field = &line[start..end];
            start = end + 1;
            field
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_after_line_feeds_and_cover_the_text() {
        let line = "C0000001,2024-01-01,12.50\n";
        let body = line.repeat(BYTES_PER_TASK / line.len() * 3);
        let bounds = piece_bounds(body.as_bytes());
        assert!(bounds.len() > 3, "{bounds:?}");
        assert_eq!((bounds[0], *bounds.last().unwrap()), (0, body.len()));
        for &start in &bounds[1..bounds.len() - 1] {
            assert_eq!(body.as_bytes()[start - 1], b'\n');
        }
        assert_eq!(piece_bounds(b"a\nb"), vec![0, 3]);
    }

    #[test]
    fn only_plain_pieces_are_text() {
        assert_eq!(plain_piece(b"a,b\r\nc,d\n"), Some("a,b\r\nc,d\n"));
        assert_eq!(plain_piece(b"a,\"b\"\n"), None);
        assert_eq!(plain_piece(b"a,b\rc,d\n"), None);
        assert_eq!(plain_piece(b"a,b\r"), None);
        assert_eq!(plain_piece(b"a,\xff\n"), None);
    }

    #[test]
    fn fields_are_cut_at_each_delimiter() {
        let cut = |line| fields(line, b',').collect::<Vec<_>>();
        assert_eq!(cut("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(cut(""), [""]);
        assert_eq!(cut("é,"), ["é", ""]);
    }
}
