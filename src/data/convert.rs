//! The columns of an export as read, turned into the loaded frame's canonical ones with polars'
//! eager kernels and small loops: ids as text, dates as days since 1970-01-01, amounts as
//! numbers, and the return flag. A value that does not convert becomes null, for the loader's
//! validation to report with its row.

use std::borrow::Cow;
use std::sync::LazyLock;

use polars::prelude::*;
use rayon::prelude::*;

/// How a date column written as text is read.
pub struct DateText<'a> {
    /// A strftime format, such as `%d/%m/%Y %H:%M`.
    pub format: &'a str,
    /// Drop a time of day written after the date (a date format given for datetimes).
    pub drop_time_of_day: bool,
    /// Whether `format` reads a time of day too.
    pub has_time: bool,
}

/// A trailing time of day (`8:26`, `08:26:00`, `T08:26:00.5`, `8:26 PM`), dropped before a date
/// format without one is applied.
const TIME_OF_DAY: &str = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?( ?[AaPp][Mm])?$";

/// Columns shorter than this are converted in one piece.
const PIECE_ROWS: usize = 100_000;

/// Days since 1970-01-01 (Int32): dates and datetimes are cast; anything else is read as text
/// with `text`'s format (spaces around a value ignored).
pub fn days(values: &Column, text: Option<&DateText>) -> PolarsResult<Series> {
    let values = values.as_materialized_series();
    match (values.dtype(), text) {
        (DataType::Date, _) => values.cast(&DataType::Int32),
        (DataType::Datetime(_, _), _) => values.cast(&DataType::Date)?.cast(&DataType::Int32),
        (_, None) => polars_bail!(ComputeError: "no date format for column '{}'", values.name()),
        (_, Some(text)) => {
            let strings = values.cast(&DataType::String)?;
            in_pieces(strings.str()?, |piece| parse_days(piece, text))
        }
    }
}

fn parse_days(values: &StringChunked, text: &DateText) -> PolarsResult<Series> {
    if text.format == ISO_DATE
        && !text.drop_time_of_day
        && let Some(days) = iso_days(values)
    {
        return Ok(days.into_series());
    }
    static TIME: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(TIME_OF_DAY).expect("a valid pattern"));
    let drop_time = text.drop_time_of_day;
    let cleaned = values.apply_values(|value| {
        let value = value.trim_matches(' ');
        if drop_time {
            TIME.replace(value, "")
        } else {
            Cow::Borrowed(value)
        }
    });
    let dates = if text.has_time {
        // Without time zones polars reads the ambiguous-time rule only for zoned formats.
        let ambiguous = StringChunked::from_slice(PlSmallStr::EMPTY, &["raise"]);
        cleaned
            .as_datetime(
                Some(text.format),
                TimeUnit::Milliseconds,
                true,
                false,
                None,
                &ambiguous,
            )?
            .into_series()
            .cast(&DataType::Date)?
    } else {
        cleaned.as_date(Some(text.format), true)?.into_series()
    };
    dates.cast(&DataType::Int32)
}

/// The format of ISO dates, the most common in exports.
pub const ISO_DATE: &str = "%Y-%m-%d";

/// Days of ISO dates read one after another (`2024-01-31`, spaces around them ignored): an
/// export in date order repeats each date for many rows in a row, so the last one read is kept.
#[derive(Default)]
pub struct IsoDays<'a> {
    last: Option<(&'a str, i32)>,
}

impl<'a> IsoDays<'a> {
    /// The day of `value`; `None` when it is not a valid date of exactly that shape.
    pub fn day(&mut self, value: &'a str) -> Option<i32> {
        let value = value.trim_matches(' ');
        match self.last {
            Some((text, day)) if text == value => Some(day),
            _ => {
                let day = super::dates::iso_day(value.as_bytes())?;
                self.last = Some((value, day));
                Some(day)
            }
        }
    }
}

/// Days of ISO dates (`2024-01-31`, spaces around them ignored), read directly: the general
/// path gives the same days for them but copies every trimmed value and parses it through a
/// cache first. `None` when a value is null or not a valid date of exactly that shape: the
/// general path then reads the piece (and leaves the null the loader reports).
fn iso_days(values: &StringChunked) -> Option<Int32Chunked> {
    if values.null_count() > 0 {
        return None;
    }
    let mut days = Vec::with_capacity(values.len());
    let mut iso_days = IsoDays::default();
    for value in values.downcast_iter().flat_map(|chunk| chunk.values_iter()) {
        days.push(iso_days.day(value)?);
    }
    Some(Int32Chunked::from_vec(values.name().clone(), days))
}

/// Amounts as numbers (Float64): with `decimal_comma`, text written `1.234,50` is rewritten
/// first (dots and spaces dropped, the first comma read as the decimal point); anything else
/// is cast.
pub fn numbers(values: &Column, decimal_comma: bool) -> PolarsResult<Series> {
    let values = values.as_materialized_series();
    if !(decimal_comma && values.dtype() == &DataType::String) {
        return values.cast(&DataType::Float64);
    }
    in_pieces(values.str()?, |piece| {
        piece
            .apply_values(|value| Cow::Owned(point_decimal(value)))
            .into_series()
            .cast(&DataType::Float64)
    })
}

/// `1.234,50` → `1234.50`: dots and whitespace (no-break and narrow no-break spaces too)
/// dropped, the first comma made the decimal point.
fn point_decimal(value: &str) -> String {
    let mut digits: String = value
        .chars()
        .filter(|&c| c != '.' && !c.is_whitespace())
        .collect();
    if let Some(comma) = digits.find(',') {
        digits.replace_range(comma..comma + 1, ".");
    }
    digits
}

/// Ids without the `.0` of a float-written id (`17850.0` → `17850`; whitespace after it kept,
/// for the loader to trim and count).
pub fn without_float_suffixes(ids: &StringChunked) -> StringChunked {
    ids.apply_values(|id| {
        let body = id.trim_end();
        match body.strip_suffix(".0") {
            Some(digits) if body.len() == id.len() => Cow::Borrowed(digits),
            Some(digits) => Cow::Owned(format!("{digits}{}", &id[body.len()..])),
            None => Cow::Borrowed(id),
        }
    })
}

/// True for a negative amount or an order id starting with `C` (a cancellation); false where
/// either is missing or NaN.
pub fn return_flags(amount: &Float64Chunked, order: Option<&StringChunked>) -> BooleanChunked {
    match order {
        None => BooleanChunked::from_iter_values(
            PlSmallStr::EMPTY,
            amount.iter().map(|amount| is_return(amount, None)),
        ),
        Some(order) => BooleanChunked::from_iter_values(
            PlSmallStr::EMPTY,
            amount
                .iter()
                .zip(order.iter())
                .map(|(amount, order)| is_return(amount, order)),
        ),
    }
}

/// A return: a negative amount, or an order id starting with `C` (a cancellation); not where
/// either is missing or NaN.
pub fn is_return(amount: Option<f64>, order: Option<&str>) -> bool {
    amount.is_some_and(|a| a < 0.0) || order.is_some_and(|id| id.starts_with('C'))
}

/// Applies `convert` to consecutive pieces of `values` on the thread pool and joins the results
/// in order: polars' eager string kernels run on one thread.
fn in_pieces(
    values: &StringChunked,
    convert: impl Fn(&StringChunked) -> PolarsResult<Series> + Sync,
) -> PolarsResult<Series> {
    let rows = values.len();
    if rows <= PIECE_ROWS {
        return convert(values);
    }
    let pieces = (rayon::current_num_threads() * 4).min(rows.div_ceil(PIECE_ROWS));
    let size = rows.div_ceil(pieces);
    let converted: Vec<Series> = (0..pieces)
        .into_par_iter()
        .map(|piece| convert(&values.slice((piece * size) as i64, size)))
        .collect::<PolarsResult<_>>()?;
    let mut joined = converted[0].clone();
    for piece in &converted[1..] {
        joined.append(piece)?;
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: &[Option<&str>]) -> Column {
        Column::new("v".into(), values)
    }

    fn ints(series: &Series) -> Vec<Option<i32>> {
        series.i32().unwrap().iter().collect()
    }

    #[test]
    fn dates_are_days_since_1970_and_bad_ones_null() {
        let format = DateText {
            format: "%d/%m/%Y",
            drop_time_of_day: false,
            has_time: false,
        };
        let values = text(&[Some(" 02/01/1970 "), Some("31/02/2020"), None, Some("x")]);
        let days = days(&values, Some(&format)).unwrap();
        assert_eq!(ints(&days), [Some(1), None, None, None]);
    }

    #[test]
    fn a_time_of_day_is_dropped_or_read_by_the_format() {
        let dropped = DateText {
            format: "%m/%d/%Y",
            drop_time_of_day: true,
            has_time: false,
        };
        let values = text(&[Some("1/2/1970 8:26 PM"), Some("1/3/1970T08:26:00.5")]);
        assert_eq!(
            ints(&days(&values, Some(&dropped)).unwrap()),
            [Some(1), Some(2)]
        );
        let read = DateText {
            format: "%m/%d/%Y %H:%M",
            drop_time_of_day: false,
            has_time: true,
        };
        let values = text(&[Some("1/2/1970 23:59"), Some("1/2/1970")]);
        assert_eq!(ints(&days(&values, Some(&read)).unwrap()), [Some(1), None]);
    }

    #[test]
    fn long_columns_are_converted_in_order() {
        let rows = 3 * PIECE_ROWS + 7;
        let written: Vec<String> = (0..rows)
            .map(|i| format!("1970-01-{:02}", i % 28 + 1))
            .collect();
        let values = Column::new("v".into(), &written);
        let format = DateText {
            format: "%Y-%m-%d",
            drop_time_of_day: false,
            has_time: false,
        };
        let days = days(&values, Some(&format)).unwrap();
        let expected: Vec<Option<i32>> = (0..rows).map(|i| Some((i % 28) as i32)).collect();
        assert_eq!(ints(&days), expected);
    }

    /// ISO dates read directly give the days the general path gives, and a piece with anything
    /// else (a null, another shape, an impossible date) is read by the general path.
    #[test]
    fn iso_dates_read_directly_as_by_the_general_path() {
        let iso = DateText {
            format: ISO_DATE,
            drop_time_of_day: false,
            has_time: false,
        };
        let general = |values: &StringChunked| -> Vec<Option<i32>> {
            let dates = values.as_date(Some(ISO_DATE), true).unwrap();
            dates
                .into_series()
                .cast(&DataType::Int32)
                .unwrap()
                .i32()
                .unwrap()
                .iter()
                .collect()
        };
        let written = [
            "1970-01-01",
            " 2024-02-29 ",
            "2024-02-29",
            "1969-12-31",
            "2000-12-31",
        ];
        let values = StringChunked::from_slice("d".into(), &written);
        let direct: Vec<Option<i32>> = iso_days(&values).unwrap().iter().collect();
        assert_eq!(
            direct,
            [Some(0), Some(19_782), Some(19_782), Some(-1), Some(11_322)]
        );
        // The general path trims spaces before polars reads the dates.
        let trimmed = written.map(|w| w.trim());
        assert_eq!(
            direct,
            general(&StringChunked::from_slice("d".into(), &trimmed))
        );
        for odd in [
            "2023-02-29",
            "2024-1-05",
            "24-01-05",
            "2024/01/05",
            "2024-01-05 10:00",
            "+024-01-05",
        ] {
            let values = StringChunked::from_slice("d".into(), &["2024-01-05", odd]);
            assert!(iso_days(&values).is_none(), "{odd}");
            let read = days(&values.into_column(), Some(&iso)).unwrap();
            assert_eq!(ints(&read)[0], Some(19_727), "{odd}");
        }
        let with_null = StringChunked::from_slice_options("d".into(), &[Some("2024-01-05"), None]);
        assert!(iso_days(&with_null).is_none());
        assert_eq!(
            ints(&days(&with_null.into_column(), Some(&iso)).unwrap()),
            [Some(19_727), None]
        );
    }

    proptest::proptest! {
        /// Any `YYYY-MM-DD`, valid or not, reads as polars reads it (an invalid date: the
        /// general path's null).
        #[test]
        fn an_iso_day_is_the_day_polars_reads(year in 0u32..10_000, month in 0u32..14, day in 0u32..33) {
            let written = format!("{year:04}-{month:02}-{day:02}");
            let values = StringChunked::from_slice("d".into(), &[written.as_str()]);
            let polars = values.as_date(Some(ISO_DATE), false).unwrap().into_series();
            let polars = polars.cast(&DataType::Int32).unwrap().i32().unwrap().get(0);
            proptest::prop_assert_eq!(super::super::dates::iso_day(written.as_bytes()), polars);
        }
    }

    #[test]
    fn decimal_comma_amounts() {
        let values = text(&[
            Some("1.234,50"),
            Some("-2,5"),
            Some("1\u{202f}000"),
            Some("abc"),
        ]);
        let numbers = numbers(&values, true).unwrap();
        let numbers: Vec<Option<f64>> = numbers.f64().unwrap().iter().collect();
        assert_eq!(numbers, [Some(1234.5), Some(-2.5), Some(1000.0), None]);
        let plain = numbers_of(&text(&[Some("2,5")]), false);
        assert_eq!(plain, [None]);
    }

    fn numbers_of(values: &Column, decimal_comma: bool) -> Vec<Option<f64>> {
        numbers(values, decimal_comma)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn float_suffix_is_dropped_before_trailing_space() {
        let ids = StringChunked::from_slice("id".into(), &["17850.0", "12.0 ", "1.05", "A"]);
        let ids: Vec<_> = without_float_suffixes(&ids)
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        assert_eq!(ids, ["17850", "12 ", "1.05", "A"]);
    }

    #[test]
    fn returns_are_negative_amounts_or_c_orders() {
        let amount = Float64Chunked::from_slice_options(
            "a".into(),
            &[Some(-1.0), Some(2.0), None, Some(f64::NAN), Some(3.0)],
        );
        let order = StringChunked::from_slice_options(
            "o".into(),
            &[Some("1"), Some("C2"), Some("3"), None, None],
        );
        let flags: Vec<_> = return_flags(&amount, Some(&order)).iter().collect();
        let expected = [true, true, false, false, false].map(Some);
        assert_eq!(flags, expected);
        let flags: Vec<_> = return_flags(&amount, None).iter().collect();
        assert_eq!(flags, [true, false, false, false, false].map(Some));
    }
}
