//! The quickest reading of a transaction export: plain delimited text (no quotes, one record a
//! line, ISO dates, amounts written as plain decimals), cut into pieces of whole lines and
//! converted in parallel straight into the canonical columns.
//!
//! Where the `csv` reader or polars could read a line otherwise, or a value is one the general
//! path converts by other rules or reports (an empty id, date or amount, another date format,
//! `1e3`, a row with more or fewer fields than the header), this reader steps aside and the
//! general path reads the export, with its messages. Tests check that both give the same frame.

use polars::prelude::*;
use rayon::prelude::*;

use super::{AMOUNT, CUSTOMER, DAY, IS_RETURN, ORDER, parts_of};
use crate::data::columns::{AmountSource, ColumnMap};
use crate::data::convert::{IsoDays, is_return};
use crate::data::plain_text::{fields, piece_bounds, plain_piece};

/// The roles a field can play, as bits of [`Layout::roles_at`].
const CUSTOMER_ROLE: usize = 0;
const DATE_ROLE: usize = 1;
/// The amount, or the quantity of quantity × price.
const AMOUNT_ROLE: usize = 2;
const PRICE_ROLE: usize = 3;
const ORDER_ROLE: usize = 4;
const ROLES: usize = 5;

/// Where each role's field is on a line.
struct Layout {
    delimiter: u8,
    /// For each field of the header, the roles it plays (bit `r` for role `r`).
    roles_at: Vec<u8>,
    /// Whether the amount is quantity × price.
    product: bool,
    has_order: bool,
}

/// The canonical columns of one piece of lines; its days and amounts are written in place
/// into the whole columns.
struct Piece<'a, 'c> {
    customer: StringChunkedBuilder,
    day: &'c mut [i32],
    amount: &'c mut [f64],
    /// Rows written so far.
    rows: usize,
    is_return: Vec<bool>,
    order: StringChunkedBuilder,
    days_read: IsoDays<'a>,
}

/// The canonical frame (`customer_id, day, amount, is_return[, order_id]`, before validation)
/// of `text`, a delimited export's header line and records; `None` when the text is not plain
/// or a value is not one this reader converts.
pub(super) fn canonical_frame(
    text: &[u8],
    delimiter: u8,
    columns: &ColumnMap,
) -> Option<DataFrame> {
    let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
    let header_end = memchr::memchr(b'\n', text)?;
    let layout = Layout::of(&text[..header_end], delimiter, columns)?;
    let body = &text[header_end + 1..];
    let mut timer = crate::output::Stopwatch::start("plain");
    let bounds = piece_bounds(body);
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    // Days and amounts are written straight into one column each (the row columns then
    // borrow them), each piece into its own part.
    let lines: Vec<usize> = pieces.par_iter().map(|piece| lines_in(piece)).collect();
    let rows: usize = lines.iter().sum();
    if rows == 0 {
        return None;
    }
    timer.lap("lines");
    let (mut day, mut amount) = (vec![0; rows], vec![0.0; rows]);
    let (days, _) = parts_of(&mut day, lines.iter().copied());
    let (amounts, _) = parts_of(&mut amount, lines.iter().copied());
    let read: Vec<Texts> = pieces
        .into_par_iter()
        .zip(days)
        .zip(amounts)
        .map(|((piece, days), amounts)| layout.read(piece, days, amounts).map(Piece::texts))
        .collect::<Option<_>>()?;
    timer.lap("read");
    let frame = frame_of(read, day, amount, layout.has_order);
    timer.lap("frame");
    frame
}

/// The columns of a piece read that are not written in place.
struct Texts {
    customer: StringChunkedBuilder,
    is_return: Vec<bool>,
    order: StringChunkedBuilder,
}

impl Piece<'_, '_> {
    fn texts(self) -> Texts {
        Texts {
            customer: self.customer,
            is_return: self.is_return,
            order: self.order,
        }
    }
}

/// The lines of a piece of whole lines (the last one may lack its line feed).
fn lines_in(piece: &[u8]) -> usize {
    let unended = piece.last().is_some_and(|&b| b != b'\n');
    memchr::memchr_iter(b'\n', piece).count() + usize::from(unended)
}

impl Layout {
    /// The layout of a plain header line (no quote, UTF-8) that names each of `columns` once.
    fn of(header: &[u8], delimiter: u8, columns: &ColumnMap) -> Option<Layout> {
        let header = std::str::from_utf8(header).ok()?;
        let header = header.strip_suffix('\r').unwrap_or(header);
        if header.contains(['"', '\r']) {
            return None;
        }
        let names: Vec<&str> = fields(header, delimiter).collect();
        let mut roles_at = vec![0u8; names.len()];
        let (amount, price) = match &columns.amount {
            AmountSource::Column(name) => (name, None),
            AmountSource::QuantityTimesPrice { quantity, price } => (quantity, Some(price)),
        };
        let roles = [
            Some(&columns.customer),
            Some(&columns.date),
            Some(amount),
            price,
            columns.order.as_ref(),
        ];
        for (role, name) in roles.into_iter().enumerate() {
            let Some(name) = name else { continue };
            let mut at = (0..names.len()).filter(|&at| names[at] == name);
            let (Some(position), None) = (at.next(), at.next()) else {
                return None;
            };
            roles_at[position] |= 1 << role;
        }
        Some(Layout {
            delimiter,
            roles_at,
            product: price.is_some(),
            has_order: columns.order.is_some(),
        })
    }

    /// The canonical values of a piece of whole lines, its days and amounts written into
    /// `day` and `amount` (one entry per line); `None` when a line is not plain.
    fn read<'a, 'c>(
        &self,
        piece: &'a [u8],
        day: &'c mut [i32],
        amount: &'c mut [f64],
    ) -> Option<Piece<'a, 'c>> {
        let text = plain_piece(piece)?;
        let lines = day.len();
        let mut out = Piece {
            customer: StringChunkedBuilder::new(CUSTOMER.into(), lines),
            day,
            amount,
            rows: 0,
            is_return: Vec::with_capacity(lines),
            order: StringChunkedBuilder::new(ORDER.into(), 0),
            days_read: IsoDays::default(),
        };
        // Every delimiter and line feed, found by one vectorised search (cells are short: a
        // byte loop per line is slower), then the end of a last line without a line feed.
        let last_line_end = (!text.is_empty() && !text.ends_with('\n')).then_some(text.len());
        let cuts = memchr::memchr2_iter(self.delimiter, b'\n', piece).chain(last_line_end);
        let mut cells = [""; ROLES];
        let (mut start, mut field) = (0, 0);
        for at in cuts {
            let ends_line = piece.get(at).is_none_or(|&b| b == b'\n');
            // Cut at ASCII bytes, between characters.
            let mut value = &text[start..at];
            if ends_line {
                value = value.strip_suffix('\r').unwrap_or(value);
            }
            let mut roles = *self.roles_at.get(field)?;
            while roles != 0 {
                cells[roles.trailing_zeros() as usize] = value;
                roles &= roles - 1;
            }
            start = at + 1;
            field += 1;
            if ends_line {
                if field != self.roles_at.len() {
                    return None;
                }
                self.push(&mut out, &cells)?;
                field = 0;
            }
        }
        (out.rows == out.day.len()).then_some(out)
    }

    /// Appends the canonical values of a line's cells; `None` when one is not converted here.
    fn push<'a>(&self, out: &mut Piece<'a, '_>, cells: &[&'a str; ROLES]) -> Option<()> {
        let id = cells[CUSTOMER_ROLE];
        if id.is_empty() {
            return None;
        }
        let day = out.days_read.day(cells[DATE_ROLE])?;
        let mut amount = plain_number(cells[AMOUNT_ROLE])?;
        if self.product {
            amount *= plain_number(cells[PRICE_ROLE])?;
        }
        *out.day.get_mut(out.rows)? = day;
        out.amount[out.rows] = amount;
        out.rows += 1;
        out.customer.append_value(id);
        let order = self.has_order.then(|| cells[ORDER_ROLE]);
        let order = order.filter(|order| !order.is_empty());
        if self.has_order {
            out.order.append_option(order);
        }
        out.is_return.push(is_return(Some(amount), order));
        Some(())
    }
}

/// A number written `-?digits[.digits]` (no sign `+`, exponent, space or grouping), which
/// every reader converts alike, to the nearest `f64`; `None` for anything else.
fn plain_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    // One pass: the digits as an integer, and where the point is.
    let mut mantissa = 0u64;
    let mut point = None;
    for (at, &b) in unsigned.as_bytes().iter().enumerate() {
        match b {
            b'0'..=b'9' => mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0')),
            b'.' if point.is_none() && at > 0 => point = Some(at),
            _ => return None,
        }
    }
    if unsigned.is_empty() {
        return None;
    }
    let decimals = point.map_or(0, |at| unsigned.len() - at - 1);
    let digits = unsigned.len() - usize::from(point.is_some());
    // Up to 15 digits and 22 decimals, the mantissa and the power of ten are exact and their
    // quotient is correctly rounded (Clinger's fast path): the value `str::parse` gives.
    let value = if digits <= 15 && decimals < POWERS_OF_TEN.len() {
        mantissa as f64 / POWERS_OF_TEN[decimals]
    } else {
        unsigned.parse().ok()?
    };
    Some(if unsigned.len() < text.len() {
        -value
    } else {
        value
    })
}

/// 10⁰ to 10²², each exact in an `f64`.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The canonical frame of the pieces read and the whole `day` and `amount` columns: one chunk
/// per piece for the texts, one for the rest.
fn frame_of(
    pieces: Vec<Texts>,
    day: Vec<i32>,
    amount: Vec<f64>,
    has_order: bool,
) -> Option<DataFrame> {
    let rows = day.len();
    let is_return = pieces
        .iter()
        .flat_map(|piece| piece.is_return.iter().copied());
    let is_return = BooleanChunked::from_iter_values(IS_RETURN.into(), is_return);
    let (customers, orders): (Vec<_>, Vec<_>) = pieces
        .into_iter()
        .map(|piece| (piece.customer, piece.order))
        .unzip();
    let joined = |builders: Vec<StringChunkedBuilder>| -> Option<Column> {
        let mut builders = builders.into_iter().map(|builder| builder.finish());
        let mut column = builders.next()?;
        builders.try_for_each(|piece| column.append(&piece).ok())?;
        Some(column.into_column())
    };
    let mut columns = vec![
        joined(customers)?,
        Int32Chunked::from_vec(DAY.into(), day).into_column(),
        Float64Chunked::from_vec(AMOUNT.into(), amount).into_column(),
        is_return.into_column(),
    ];
    if has_order {
        columns.push(joined(orders)?);
    }
    DataFrame::new(rows, columns).ok()
}

#[cfg(test)]
mod tests {
    use super::super::{Transactions, open_reader};
    use super::*;
    use crate::data::options::InputArgs;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        input: InputArgs,
    }

    /// `text` loaded from a file named `name` with the command-line `flags`, by the quick
    /// reader when `plain` (`None` when it steps aside) and by the general path otherwise.
    fn load(name: &str, text: &[u8], flags: &[&str], plain: bool) -> Option<Transactions> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut argv = vec!["clm", path.to_str().unwrap()];
        argv.extend(flags);
        let args = Args::parse_from(argv).input;
        let (reader, exclude_ids) = open_reader(&args).unwrap();
        if plain {
            // Where the samples refuse the export, no reader reads it.
            let prepared = reader.prepare(reader.schema().unwrap(), None, &args, &exclude_ids);
            reader.read_plain(&prepared.ok()?)?;
        }
        Some(reader.load_by(&args, &exclude_ids, plain).unwrap())
    }

    /// Both readers give the same loaded export.
    fn same_as_general(name: &str, text: &str, flags: &[&str]) {
        let quick = load(name, text.as_bytes(), flags, true)
            .unwrap_or_else(|| panic!("the quick reader stepped aside on {text:?}"));
        let general = load(name, text.as_bytes(), flags, false).unwrap();
        assert!(
            quick.frame.equals_missing(&general.frame),
            "{text:?}\n{}\n{}",
            quick.frame,
            general.frame
        );
        assert_eq!(quick.skipped, general.skipped, "{text:?}");
        assert_eq!(quick.return_rows, general.return_rows, "{text:?}");
        assert_eq!(quick.trimmed_ids, general.trimmed_ids, "{text:?}");
    }

    #[test]
    fn plain_exports_read_as_the_general_path_reads_them() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "a.csv",
                "customer_id,date,amount\nA,2024-01-31,12.50\nB,2024-02-29,-3\n",
                &[],
            ),
            (
                "a.csv",
                "customer_id,date,amount\r\nA,2024-01-31,12.5\r\nA,2024-01-31,0.1\r\n",
                &[],
            ),
            (
                "a.csv",
                "\u{feff}customer_id,date,amount\nA,2024-01-31,7",
                &[],
            ),
            (
                "a.csv",
                "id,note,day,total\n A ,x, 2024-01-31 ,12.\nB ,,2024-01-01,-0\n",
                &[
                    "--customer-col",
                    "id",
                    "--date-col",
                    "day",
                    "--amount-col",
                    "total",
                ],
            ),
            (
                "a.csv",
                "customer_id,date,amount\né,2024-01-31,123456789012345678.25\n",
                &[],
            ),
            (
                "a.tsv",
                "customer_id\tdate\tamount\nA\t2024-01-31\t1.25\n",
                &[],
            ),
            ("a.csv", "customer_id;date;amount\nA;2024-01-31;1.25\n", &[]),
            (
                "a.csv",
                "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n1,A,2024-01-31,3,2.55\nC2,A,2024-02-01,-1,2.55\n3,B,2024-02-01,2,0.1\n,B,2024-02-02,1,1\n",
                &[],
            ),
            (
                "a.csv",
                "customer_id,date,amount\nA,2024-01-31,5\nB,2024-01-31,6\n",
                &["--returns", "drop", "--exclude-ids", "B"],
            ),
            (
                "a.csv",
                "customer_id,date,amount\nA,2024-01-31,-5\n",
                &["--returns", "keep"],
            ),
        ];
        for (name, text, flags) in cases {
            same_as_general(name, text, flags);
        }
    }

    #[test]
    fn amounts_are_the_numbers_the_general_path_reads() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut text = String::from("customer_id,date,amount\n");
        // More than one piece of text, so that pieces are joined too.
        for row in 0..160_000 {
            let digits = rng.random_range(1..19);
            let whole: u64 = rng.random_range(0..10u64.pow(digits));
            let decimals = rng.random_range(0..12usize);
            let fraction: u64 = rng.random_range(0..10u64.pow(decimals as u32).max(1));
            let sign = if rng.random_bool(0.2) { "-" } else { "" };
            let amount = match decimals {
                0 => format!("{sign}{whole}"),
                _ => format!("{sign}{whole}.{fraction:0decimals$}"),
            };
            text.push_str(&format!(
                "C{},2024-01-{:02},{amount}\n",
                row % 97,
                row % 28 + 1
            ));
        }
        same_as_general("a.csv", &text, &[]);
    }

    #[test]
    fn anything_else_is_left_to_the_general_path() {
        let header = "customer_id,date,amount\n";
        let rows = [
            "\"A\",2024-01-31,1\n",
            ",2024-01-31,1\n",
            "A,,1\n",
            "A,2024-01-31,\n",
            "A,2024-01-31,1e3\n",
            "A,2024-01-31,+1\n",
            "A,2024-01-31, 1\n",
            "A,2024-01-31,.5\n",
            "A,2024-01-31,1,5\n",
            "A,2024-01-31\n",
            "A,2024-02-30,1\n",
            "A,31/01/2024,1\n",
            "A,2024-01-31 10:00,1\n",
            "A,2024-01-31,1\n\nB,2024-01-31,1\n",
            "A,2024-01-31,1\rB,2024-01-31,1\n",
            "17850.0,2024-01-31,1\n",
            "A,2024-01-31,NaN\n",
        ];
        for row in rows {
            let text = format!("{header}{row}");
            assert!(
                load("a.csv", text.as_bytes(), &[], true).is_none(),
                "the quick reader read {text:?}"
            );
        }
        let text = b"customer_id,date,amount\nA\xff,2024-01-31,1\n";
        assert!(load("a.csv", text, &[], true).is_none());
        let text = "customer_id,date,amount\nA,2024-01-31,1\n";
        let flags = ["--decimal-comma"];
        assert!(load("a.csv", text.as_bytes(), &flags, true).is_none());
        let flags = ["--date-format", "%Y-%m-%d"];
        assert!(load("a.csv", text.as_bytes(), &flags, true).is_none());
    }

    #[test]
    fn plain_numbers_are_those_str_parse_gives() {
        for text in [
            "0",
            "-0",
            "12.",
            "0.1",
            "2.675",
            "9007199254740993",
            "123456789012345.6",
        ] {
            assert_eq!(
                plain_number(text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text}"
            );
        }
        for text in [
            "", "-", ".5", "1e3", "+1", " 1", "1 ", "1.2.3", "0x1", "inf",
        ] {
            assert_eq!(plain_number(text), None, "{text}");
        }
    }
}
