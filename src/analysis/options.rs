//! The value option group, defined beside the valuation that reads it
//! ([`crate::analysis::value::Valuation`]) and flattened into `clm clv` and `clm churn`, so that
//! `--margin` and `--discount-rate` read, default and fail the same way in both.
//!
//! The horizon is not a field of the group because its flag differs: `clm clv --horizon` is the
//! value horizon, while `clm churn --horizon` is the churn window and its value horizon is
//! `--clv-horizon`. Both take a [`Span`], a length with a unit (`90d`, `13w`, `3m`, `1y`); a
//! plain number keeps its meaning in each (the time unit in clv, days in churn).
//!
//! Also clv's `--model` choices and its `--holdout-end` date, read here beside the value
//! horizon.

use clap::Args;

use crate::analysis::value::{MAX_HORIZON_DAYS, PurchaseModelChoice, Valuation};
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;

/// Margin and discount rate of a customer valuation.
#[derive(Debug, Clone, Args)]
pub struct ValueArgs {
    /// Discount rate per year (0.10 = 10 %), converted to the time unit of the valuation.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 0.10,
        value_name = "RATE",
        help_heading = "Value"
    )]
    pub discount_rate: f64,

    /// Margin applied to expected spend (1 = CLV as revenue).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 1.0,
        help_heading = "Value"
    )]
    pub margin: f64,
}

impl ValueArgs {
    /// A usage error (exit 2) for a margin that is not positive or a discount rate below 0.
    pub fn check(&self) -> Result<(), ClmError> {
        if !(self.margin.is_finite() && self.margin > 0.0) {
            return Err(ClmError::Usage(format!(
                "--margin must be positive, got {}",
                self.margin
            )));
        }
        if !(self.discount_rate.is_finite() && self.discount_rate >= 0.0) {
            return Err(ClmError::Usage(format!(
                "--discount-rate is a yearly rate >= 0 such as 0.10, got {}",
                self.discount_rate
            )));
        }
        Ok(())
    }

    /// The valuation over `horizon` units of `unit`.
    pub fn valuation(&self, unit: TimeUnit, horizon: f64) -> Valuation {
        Valuation {
            unit,
            horizon,
            annual_discount: self.discount_rate,
            margin: self.margin,
        }
    }
}

/// A length of time on the command line: `90d`, `13w`, `3m`, `1y`, or a plain number in the
/// command's own unit (days for `churn --horizon`, the time unit for `clv --horizon`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub amount: f64,
    /// Days per unit as written (`w` = 7, `m` = 365.25 / 12, `y` = 365.25); `None` for a plain
    /// number.
    pub unit_days: Option<f64>,
}

impl Span {
    /// The span in units of `unit_days` days; a plain number is already in them.
    pub fn in_units_of(self, unit_days: f64) -> f64 {
        match self.unit_days {
            Some(days) => self.amount * days / unit_days,
            None => self.amount,
        }
    }
}

/// Parses a [`Span`]: a positive number, optionally followed by `d`, `w`, `m` or `y`.
pub fn parse_span(text: &str) -> Result<Span, String> {
    let text = text.trim();
    let (number, unit_days) = match text.char_indices().last() {
        Some((at, 'd')) => (&text[..at], Some(1.0)),
        Some((at, 'w')) => (&text[..at], Some(7.0)),
        Some((at, 'm')) => (&text[..at], Some(365.25 / 12.0)),
        Some((at, 'y')) => (&text[..at], Some(365.25)),
        _ => (text, None),
    };
    let amount: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a length of time such as 90, 90d, 13w, 3m or 1y"))?;
    if !(amount.is_finite() && amount > 0.0) {
        return Err(format!("'{text}' must be positive"));
    }
    Ok(Span { amount, unit_days })
}

/// The value horizon in `unit` from `--horizon` (a plain number is in `unit`), at most 100
/// years; by default 52 weeks or 365 days.
pub fn value_horizon(span: Option<Span>, unit: TimeUnit) -> Result<f64, ClmError> {
    let Some(span) = span else {
        return Ok(match unit {
            TimeUnit::Week => 52.0,
            TimeUnit::Day => 365.0,
        });
    };
    let horizon = span.in_units_of(unit.days());
    let limit = (MAX_HORIZON_DAYS / unit.days()).floor();
    if horizon > limit {
        return Err(ClmError::Usage(format!(
            "--horizon {horizon} is too long: at most {limit} {}s (100 years)",
            unit.name()
        )));
    }
    Ok(horizon)
}

/// The BG/BB horizon in periods: `--horizon`, at most [`MAX_BGBB_HORIZON`], or 5.
pub fn bgbb_horizon(span: Option<Span>) -> Result<f64, ClmError> {
    let horizon = match span {
        None => 5.0,
        Some(Span {
            amount,
            unit_days: None,
        }) => amount,
        Some(_) => {
            return Err(ClmError::Usage(
                "BG/BB's --horizon counts transaction opportunities: give a plain number".into(),
            ));
        }
    };
    if horizon > MAX_BGBB_HORIZON {
        return Err(ClmError::Usage(format!(
            "--horizon {horizon} is too long for BG/BB: at most {MAX_BGBB_HORIZON} periods"
        )));
    }
    Ok(horizon)
}

/// The longest BG/BB horizon, in periods (transaction opportunities).
const MAX_BGBB_HORIZON: f64 = 1000.0;

/// `--holdout-end`: a date after the as-of date (days since 1970-01-01).
pub fn holdout_end(text: Option<&str>, as_of: i32) -> Result<Option<i32>, ClmError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(crate::data::dates::day_number)
        .map_err(|_| {
            ClmError::Usage(format!(
                "--holdout-end '{text}' is not a date like 2025-06-30"
            ))
        })?;
    if day <= as_of {
        return Err(ClmError::Usage(format!(
            "--holdout-end {text} must be after the as-of date {}",
            crate::output::format_day(as_of)
        )));
    }
    Ok(Some(day))
}

/// `clm clv --model`: which purchase model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelChoice {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    Bgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    Mbgnbd,
    /// All three; the lowest BIC wins.
    Auto,
    /// BG/BB (Fader, Hardie & Shang 2010), for discrete-time summaries (--input-kind summary
    /// with frequency,recency,periods).
    Bgbb,
}

/// Which models fit which inputs, for the usage errors.
const MODELS_FOR_INPUTS: &str = "bgnbd, pareto-nbd, mbgnbd and auto fit transactions and x,t_x,T summaries (continuous time); bgbb fits frequency,recency,periods summaries (discrete transaction opportunities, --input-kind summary)";

impl ModelChoice {
    /// The continuous-time purchase model this choice fits; a usage error for BG/BB (`input`:
    /// what the input holds, for the message).
    pub fn continuous(self, input: &str) -> Result<PurchaseModelChoice, ClmError> {
        Ok(match self {
            ModelChoice::Bgnbd => PurchaseModelChoice::BgNbd,
            ModelChoice::ParetoNbd => PurchaseModelChoice::ParetoNbd,
            ModelChoice::Mbgnbd => PurchaseModelChoice::MbgNbd,
            ModelChoice::Auto => PurchaseModelChoice::Auto,
            ModelChoice::Bgbb => {
                return Err(ClmError::Usage(format!(
                    "--model bgbb cannot be fitted on {input}: {MODELS_FOR_INPUTS}"
                )));
            }
        })
    }

    /// A usage error unless this choice fits discrete-time summaries (BG/BB; the default
    /// BG/NBD is taken to mean "the default model" there); `name` is the file's.
    pub fn check_discrete(self, name: &str) -> Result<(), ClmError> {
        if matches!(
            self,
            ModelChoice::ParetoNbd | ModelChoice::Mbgnbd | ModelChoice::Auto
        ) {
            return Err(ClmError::Usage(format!(
                "{name} holds frequency,recency,periods summaries (discrete time), which only BG/BB fits: {MODELS_FOR_INPUTS}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holdout_end_is_a_date_after_the_as_of_date() {
        let as_of = crate::data::dates::resolve_as_of(Some("2025-03-31"), 0).unwrap();
        assert_eq!(holdout_end(None, as_of).unwrap(), None);
        assert_eq!(
            holdout_end(Some(" 2025-04-30"), as_of).unwrap(),
            Some(as_of + 30)
        );
        let early = holdout_end(Some("2025-03-31"), as_of).unwrap_err();
        assert!(matches!(early, ClmError::Usage(_)), "{early}");
        assert!(
            early
                .to_string()
                .contains("after the as-of date 2025-03-31")
        );
        let bad = holdout_end(Some("31/03/2025"), as_of).unwrap_err();
        assert!(
            bad.to_string().contains("not a date like 2025-06-30"),
            "{bad}"
        );
    }

    #[test]
    fn each_model_choice_fits_its_kind_of_input() {
        assert_eq!(
            ModelChoice::Auto.continuous("transactions").unwrap(),
            PurchaseModelChoice::Auto
        );
        let bgbb = ModelChoice::Bgbb.continuous("transactions").unwrap_err();
        assert!(
            bgbb.to_string()
                .contains("cannot be fitted on transactions")
        );
        assert!(ModelChoice::Bgbb.check_discrete("d.csv").is_ok());
        assert!(ModelChoice::Bgnbd.check_discrete("d.csv").is_ok());
        let pareto = ModelChoice::ParetoNbd.check_discrete("d.csv").unwrap_err();
        assert!(
            pareto.to_string().starts_with("d.csv holds frequency"),
            "{pareto}"
        );
    }

    fn value(margin: f64, discount_rate: f64) -> ValueArgs {
        ValueArgs {
            discount_rate,
            margin,
        }
    }

    #[test]
    fn margin_must_be_positive_and_discount_not_negative() {
        assert!(value(0.3, 0.0).check().is_ok());
        assert!(value(1.0, 0.1).check().is_ok());
        let margin = value(0.0, 0.1).check().unwrap_err().to_string();
        assert!(
            margin.contains("--margin must be positive, got 0"),
            "{margin}"
        );
        assert!(value(f64::NAN, 0.1).check().is_err());
        let discount = value(1.0, -0.1).check().unwrap_err().to_string();
        assert!(
            discount.contains("--discount-rate is a yearly rate >= 0"),
            "{discount}"
        );
    }

    #[test]
    fn horizons_convert_units_and_stop_at_a_hundred_years() {
        let span = |text: &str| Some(parse_span(text).unwrap());
        assert_eq!(value_horizon(None, TimeUnit::Week).unwrap(), 52.0);
        assert_eq!(value_horizon(None, TimeUnit::Day).unwrap(), 365.0);
        assert_eq!(value_horizon(span("26"), TimeUnit::Week).unwrap(), 26.0);
        assert_eq!(value_horizon(span("13w"), TimeUnit::Day).unwrap(), 91.0);
        assert!(value_horizon(span("101y"), TimeUnit::Week).is_err());
        assert_eq!(bgbb_horizon(None).unwrap(), 5.0);
        assert_eq!(bgbb_horizon(span("8")).unwrap(), 8.0);
        assert!(bgbb_horizon(span("8w")).is_err());
        assert!(bgbb_horizon(span("1001")).is_err());
    }

    #[test]
    fn the_valuation_carries_margin_discount_unit_and_horizon() {
        let valuation = value(0.3, 0.1).valuation(TimeUnit::Day, 365.0);
        assert_eq!(valuation.margin, 0.3);
        assert_eq!(valuation.annual_discount, 0.1);
        assert_eq!((valuation.unit, valuation.horizon), (TimeUnit::Day, 365.0));
    }
}
