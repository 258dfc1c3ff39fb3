//! Recognising the date format of a column from a sample of its values.

use chrono::{NaiveDate, NaiveDateTime};

/// Formats tried in order when `--date-format` is not given.
const CANDIDATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y%m%d",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y",
];

/// True when a format carries a time of day (the value is then a datetime).
pub fn has_time(format: &str) -> bool {
    format.contains("%H") || format.contains("%T")
}

/// Checks that a user's format is valid strftime syntax (chrono's reading of it).
pub fn check_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if format.trim().is_empty() {
        return Err("it is empty".into());
    }
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err("it holds an unknown % specifier; use strftime syntax such as %d/%m/%Y".into());
    }
    Ok(())
}

/// Parses one value with a format, as a date (dropping any time of day).
pub fn parse_date(value: &str, format: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if has_time(format) {
        NaiveDateTime::parse_from_str(value, format)
            .ok()
            .map(|dt| dt.date())
    } else {
        NaiveDate::parse_from_str(value, format).ok()
    }
}

/// What the sample says about the format.
#[derive(Debug, PartialEq, Eq)]
pub enum Detected {
    /// Exactly one candidate (or the first of day-first and month-first when only one fits) parses every value.
    Format(&'static str),
    /// Both day-first and month-first read every value: the user must choose.
    Ambiguous(&'static str, &'static str),
    /// No candidate parses every value; this value is the first that the best candidate fails on.
    Unknown {
        best: Option<&'static str>,
        first_failure: String,
    },
}

/// Picks the first candidate format that parses every sample value.
pub fn detect_format(sample: &[&str]) -> Detected {
    let fits: Vec<&'static str> = CANDIDATE_FORMATS
        .iter()
        .copied()
        .filter(|f| sample.iter().all(|v| parse_date(v, f).is_some()))
        .collect();
    match fits.as_slice() {
        [] => {
            let best = CANDIDATE_FORMATS
                .iter()
                .copied()
                .max_by_key(|f| sample.iter().filter(|v| parse_date(v, f).is_some()).count())
                .filter(|f| sample.iter().any(|v| parse_date(v, f).is_some()));
            let first_failure = sample
                .iter()
                .find(|v| best.is_none_or(|f| parse_date(v, f).is_none()))
                .map(|v| v.to_string())
                .unwrap_or_default();
            Detected::Unknown {
                best,
                first_failure,
            }
        }
        [first, rest @ ..] => {
            let day_first = first.starts_with("%d/");
            match rest.iter().find(|f| day_first && f.starts_with("%m/")) {
                Some(other) => Detected::Ambiguous(first, other),
                None => Detected::Format(first),
            }
        }
    }
}

/// Days since 1970-01-01.
pub fn day_number(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (date - epoch).num_days() as i32
}

/// Resolves `--as-of`: an ISO date, "today", or (when absent) the last transaction day.
pub fn resolve_as_of(as_of: Option<&str>, last_day: i32) -> Result<i32, crate::error::ClmError> {
    match as_of.map(str::trim) {
        None => Ok(last_day),
        Some("today") => Ok(day_number(chrono::Local::now().date_naive())),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(day_number)
            .map_err(|_| {
                crate::error::ClmError::Usage(format!(
                    "--as-of '{text}' is not a date like 2025-06-30 or 'today'"
                ))
            }),
    }
}

/// Days since 1970-01-01 of a valid date written `YYYY-MM-DD` (digits only, zero-padded), the
/// usual spelling, without the general parser (which reads it the same): the digits checked
/// and the day counted directly (exports and summaries have millions of dates).
pub fn iso_day(bytes: &[u8]) -> Option<i32> {
    let digits = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0i32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0'))
        })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (1..=month_days)
        .contains(&day)
        .then(|| days_from_civil(year, month, day))
}

/// Days since 1970-01-01 of a valid date of the years 0–9999 (H. Hinnant, "chrono-Compatible
/// Low-Level Date Algorithms", days_from_civil, for years that are not negative).
fn days_from_civil(year: i32, month: i32, day: i32) -> i32 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    #[test]
    fn iso_dates_and_datetimes() {
        assert_eq!(
            detect_format(&["1997-01-01", "1997-12-31"]),
            Detected::Format("%Y-%m-%d")
        );
        assert_eq!(
            detect_format(&["2010-12-01 08:26:00"]),
            Detected::Format("%Y-%m-%d %H:%M:%S")
        );
        assert_eq!(
            detect_format(&["2010-12-01T08:26:00"]),
            Detected::Format("%Y-%m-%dT%H:%M:%S")
        );
    }

    #[test]
    fn compact_dates() {
        assert_eq!(
            detect_format(&["19970101", "19971231"]),
            Detected::Format("%Y%m%d")
        );
    }

    #[test]
    fn day_first_when_a_day_exceeds_twelve() {
        assert_eq!(
            detect_format(&["25/12/2010", "01/02/2011"]),
            Detected::Format("%d/%m/%Y")
        );
        assert_eq!(
            detect_format(&["12/25/2010", "01/02/2011"]),
            Detected::Format("%m/%d/%Y")
        );
    }

    #[test]
    fn slash_dates_that_fit_both_orders_are_ambiguous() {
        assert_eq!(
            detect_format(&["01/02/2011", "03/04/2011"]),
            Detected::Ambiguous("%d/%m/%Y", "%m/%d/%Y")
        );
    }

    #[test]
    fn unknown_names_the_failing_value() {
        let detected = detect_format(&["1997-01-01", "next tuesday"]);
        assert_eq!(
            detected,
            Detected::Unknown {
                best: Some("%Y-%m-%d"),
                first_failure: "next tuesday".into()
            }
        );
    }

    #[test]
    fn invalid_formats_are_refused() {
        assert!(check_format("%d/%m/%Y").is_ok());
        assert!(check_format("%Q").is_err());
        assert!(check_format("").is_err());
    }

    #[test]
    fn datetime_parses_to_its_date() {
        let d = parse_date("2010-12-01 08:26:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2010, 12, 1).unwrap());
    }

    #[test]
    fn iso_days_are_the_general_parsers_days() {
        let start = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        // Every day of the first and last years, and around the common ones, then a stride.
        let mut date = start;
        while date <= end {
            let text = date.format("%Y-%m-%d").to_string();
            assert_eq!(iso_day(text.as_bytes()), Some(day_number(date)), "{text}");
            let near = (1890..2110).contains(&date.year()) || date.year() < 2 || date.year() > 9997;
            date += chrono::Duration::days(if near { 1 } else { 97 });
        }
        for text in [
            "2023-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-01-32",
            "2025-1-01x",
            "2025/01/01",
            "+025-01-01",
            "2025-01-1a",
        ] {
            assert_eq!(iso_day(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            iso_day(b"2000-02-29"),
            Some(day_number(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap()))
        );
    }
}
