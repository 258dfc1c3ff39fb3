//! One module per subcommand; each reads as load, compute, emit.

pub mod churn;
pub mod clv;
pub mod cohorts;
pub mod lifecycle;
pub mod loyalty;
pub mod opening;
pub mod report;
pub mod retention;
pub mod rfm;
pub mod simulate;
pub mod sql;
pub mod summary;

/// A value parser for a whole number of at least `min`: a negative number is refused with the
/// range (with `allow_negative_numbers`), not taken for a flag or refused as "invalid digit".
pub fn at_least<T: TryFrom<i128>>(
    min: i128,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let number: i128 = text
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a whole number"))?;
        if number < min {
            return Err(format!("must be {min} or more, got {number}"));
        }
        T::try_from(number).map_err(|_| format!("{number} is too large"))
    }
}

pub use crate::analysis::options::{Span, parse_span};

/// A value parser for a whole number of days from a [`Span`] (`90`, `13w` = 91, `3m` = 91,
/// `1y` = 365), rounded to the nearest day, within `min..=max`.
pub fn days_between(
    min: u32,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let out_of_range = || format!("{} is not in {min}..={max} days", text.trim());
        let days = match parse_span(text) {
            Ok(span) => span.in_units_of(1.0).round(),
            Err(_) if text.trim().parse::<f64>().is_ok() => return Err(out_of_range()),
            Err(error) => return Err(error),
        };
        if days < f64::from(min) || days > f64::from(max) {
            return Err(out_of_range());
        }
        Ok(days as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_units_and_plain_numbers() {
        assert_eq!(parse_span("90").unwrap().in_units_of(7.0), 90.0);
        assert_eq!(parse_span("13w").unwrap().in_units_of(1.0), 91.0);
        assert_eq!(parse_span("14d").unwrap().in_units_of(7.0), 2.0);
        assert!((parse_span("1y").unwrap().in_units_of(7.0) - 52.18).abs() < 0.01);
        let days = days_between(1, 3650);
        assert_eq!(days("90"), Ok(90));
        assert_eq!(days("13w"), Ok(91));
        assert_eq!(days("3m"), Ok(91));
        assert_eq!(days("1y"), Ok(365));
        assert!(days("0d").is_err() && days("-5").is_err() && days("20y").is_err());
        assert!(parse_span("soon").unwrap_err().contains("90d"));
    }
}
