//! Reason codes: why a customer's churn risk is high, in plain words.
//!
//! With a supervised model the reasons are the inputs that raised the customer's risk most
//! (largest positive contribution to the log-odds against an average customer), each said in
//! words with the customer's own figures. Without one (too few labelled customers to train),
//! fixed rules pick from the same facts.

use crate::features::churn::{CutoffFeatures, INPUT_NAMES, SMOOTHING_DAYS};
use crate::output::counted;

/// At most this many reasons per customer.
pub const MAX_REASONS: usize = 3;

/// A contribution to the log-odds below this is too small to name.
const MIN_CONTRIBUTION: f64 = 0.05;

/// A user-supplied input: its column name and this customer's value.
pub struct ExtraInput<'a> {
    pub name: &'a str,
    pub value: f64,
}

/// Input `j` in words, given whether the customer is above the training average on it;
/// `None` when there is nothing useful to say.
fn describe(
    j: usize,
    f: &CutoffFeatures,
    above_average: bool,
    extra: &[ExtraInput],
) -> Option<String> {
    let Some(&name) = INPUT_NAMES.get(j) else {
        let input = extra.get(j - INPUT_NAMES.len())?;
        let side = if above_average { "above" } else { "below" };
        return Some(format!("{} {} ({side} average)", input.name, input.value));
    };
    let single = f.frequency == 1;
    Some(match (name, above_average) {
        ("recency", true) => format!("no purchase for {}", counted(f.recency_days, "day")),
        ("recency", false) => format!("last purchase {} ago", counted(f.recency_days, "day")),
        ("frequency" | "one_order", _) if single => "only one order so far".to_string(),
        ("frequency", false) => format!("few orders ({})", f.frequency),
        ("frequency", true) => counted(f.frequency, "order"),
        ("monetary", false) => format!("low total spend ({:.2})", f.monetary),
        ("monetary", true) => format!("high total spend ({:.2})", f.monetary),
        ("tenure", false) => format!(
            "new customer: first order {} ago",
            counted(f.tenure_days, "day")
        ),
        ("tenure", true) => format!("customer for {}", counted(f.tenure_days, "day")),
        ("mean_gap", true) if !single => format!(
            "buys rarely: every {} on average",
            counted(format!("{:.0}", f.mean_gap_days()?), "day")
        ),
        ("gap_spread", true) => {
            format!(
                "irregular rhythm: gaps vary by ±{}",
                counted(format!("{:.0}", f.gap_sd_days?), "day")
            )
        }
        ("overdue" | "silence_weight", true) => {
            format!("overdue: {:.1}× usual gap", f.overdue_ratio()?)
        }
        ("purchase_rate", false) => format!(
            "buys seldom: {:.1} orders a year",
            365.0 * f64::from(f.frequency) / (SMOOTHING_DAYS + f64::from(f.tenure_days))
        ),
        ("spend_trend", _) => spend_trend(f)?,
        ("return_share", true) => format!("returns: {:.0} % of rows", 100.0 * f.return_share),
        _ => return None,
    })
}

/// "spend down 60 % on the prior quarter", or up; `None` when both quarters are equal.
fn spend_trend(f: &CutoffFeatures) -> Option<String> {
    let (last, prior) = (
        f.spend_last_quarter.max(0.0),
        f.spend_prior_quarter.max(0.0),
    );
    if prior > 0.0 && last < prior {
        Some(format!(
            "spend down {:.0} % on the prior quarter",
            100.0 * (1.0 - last / prior)
        ))
    } else if prior > 0.0 && last > prior {
        Some(format!(
            "spend up {:.0} % on the prior quarter",
            100.0 * (last / prior - 1.0)
        ))
    } else if last > 0.0 {
        Some("first spend in two quarters".to_string())
    } else {
        None
    }
}

/// Reasons from a supervised model: `contributions[j]` is input `j`'s contribution to the
/// log-odds of churn and `standardised[j]` the customer's standardised value of it.
pub fn model_reasons(
    f: &CutoffFeatures,
    contributions: &[f64],
    standardised: &[f64],
    extra: &[ExtraInput],
) -> Vec<String> {
    let mut order: Vec<usize> = (0..contributions.len())
        .filter(|&j| contributions[j] > MIN_CONTRIBUTION)
        .collect();
    order.sort_by(|&i, &j| {
        contributions[j]
            .total_cmp(&contributions[i])
            .then(i.cmp(&j))
    });
    let mut reasons: Vec<String> = Vec::new();
    for j in order {
        if let Some(text) = describe(j, f, standardised[j] > 0.0, extra)
            && !reasons.contains(&text)
        {
            reasons.push(text);
        }
        if reasons.len() == MAX_REASONS {
            break;
        }
    }
    reasons
}

/// Reasons by fixed rules, for when there is no supervised model: overdue by half a gap or
/// more, a single order, spend down by a quarter or more, a recency above `typical_recency`
/// days, returns a fifth of rows or more; in that order.
pub fn rule_reasons(f: &CutoffFeatures, typical_recency: f64) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(ratio) = f.overdue_ratio().filter(|&r| r >= 1.5) {
        reasons.push(format!("overdue: {ratio:.1}× usual gap"));
    }
    if f.frequency == 1 {
        reasons.push("only one order so far".to_string());
    }
    let (last, prior) = (f.spend_last_quarter.max(0.0), f.spend_prior_quarter);
    if prior > 0.0 && last <= 0.75 * prior {
        reasons.push(spend_trend(f).unwrap_or_default());
    }
    if f64::from(f.recency_days) > typical_recency {
        reasons.push(format!(
            "no purchase for {}",
            counted(f.recency_days, "day")
        ));
    }
    if f.return_share >= 0.2 {
        reasons.push(format!("returns: {:.0} % of rows", 100.0 * f.return_share));
    }
    reasons.truncate(MAX_REASONS);
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> CutoffFeatures {
        CutoffFeatures {
            recency_days: 93,
            frequency: 4,
            monetary: 120.0,
            tenure_days: 183,
            active_span_days: 90,
            gap_sd_days: Some(5.0),
            spend_last_quarter: 20.0,
            spend_prior_quarter: 50.0,
            return_share: 0.0,
            mean_repeat_spend: 30.0,
        }
    }

    #[test]
    fn biggest_positive_contributions_first_in_words() {
        let f = customer();
        let mut contributions = [0.0; 12];
        contributions[6] = 0.9; // overdue
        contributions[9] = 0.4; // spend trend
        contributions[1] = 0.6; // frequency, below average
        contributions[0] = -2.0; // lowers risk: never a reason
        let mut standardised = [0.5; 12];
        standardised[1] = -1.0;
        let reasons = model_reasons(&f, &contributions, &standardised, &[]);
        assert_eq!(
            reasons,
            [
                "overdue: 3.1× usual gap",
                "few orders (4)",
                "spend down 60 % on the prior quarter"
            ]
        );
    }

    #[test]
    fn single_order_reasons_are_said_once_and_extra_inputs_by_name() {
        let f = CutoffFeatures {
            frequency: 1,
            gap_sd_days: None,
            active_span_days: 0,
            ..customer()
        };
        let mut contributions = [0.0; 13];
        contributions[1] = 0.5;
        contributions[11] = 0.4; // one order
        contributions[12] = 0.3; // the extra input
        let standardised = [1.0; 13];
        let extra = [ExtraInput {
            name: "complaints",
            value: 3.0,
        }];
        assert_eq!(
            model_reasons(&f, &contributions, &standardised, &extra),
            ["only one order so far", "complaints 3 (above average)"]
        );
    }

    #[test]
    fn rules_without_a_model() {
        let reasons = rule_reasons(&customer(), 60.0);
        assert_eq!(
            reasons,
            [
                "overdue: 3.1× usual gap",
                "spend down 60 % on the prior quarter",
                "no purchase for 93 days"
            ]
        );
        let loyal = CutoffFeatures {
            recency_days: 10,
            spend_last_quarter: 60.0,
            ..customer()
        };
        assert!(rule_reasons(&loyal, 60.0).is_empty());
    }

    #[test]
    fn one_day_is_singular() {
        let f = CutoffFeatures {
            recency_days: 1,
            tenure_days: 1,
            ..customer()
        };
        let mut contributions = [0.0; 12];
        contributions[0] = 0.9; // recency, below average
        contributions[3] = 0.5; // tenure, below average
        let standardised = [-1.0; 12];
        assert_eq!(
            model_reasons(&f, &contributions, &standardised, &[]),
            [
                "last purchase 1 day ago",
                "new customer: first order 1 day ago"
            ]
        );
    }
}
