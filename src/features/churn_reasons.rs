//! Reason codes: why a customer's churn risk is high, in plain words.
//!
//! With a supervised model the reasons are the inputs that raise the customer's risk most
//! against a typical customer (the median of the customers scored): input `j` contributes
//! βⱼ (zⱼ − z̃ⱼ) to the log-odds, and is named only when that is positive *and* the customer is
//! on the input's risky side of the typical customer (longer silence, fewer orders, …). A
//! coefficient whose sign flipped because inputs move together therefore never turns a fact
//! that lowers the risk ("last purchase 9 days ago") into a reason. Without a model (too few
//! labelled customers to train), fixed rules pick from the same facts.

use crate::features::churn::{CutoffFeatures, INPUT_NAMES, RISKY_DIRECTION, SMOOTHING_DAYS};
use crate::output::counted;

/// At most this many reasons per customer.
pub const MAX_REASONS: usize = 3;

/// A contribution to the log-odds below this is too small to name.
const MIN_CONTRIBUTION: f64 = 0.05;

/// Days since the last purchase over the usual gap from which a customer is called overdue.
const OVERDUE_RATIO: f64 = 1.5;

/// A user-supplied input: its column name and this customer's value.
pub struct ExtraInput<'a> {
    pub name: &'a str,
    pub value: f64,
}

/// One input of the model for one customer, against the typical customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputEffect {
    /// βⱼ (zⱼ − z̃ⱼ): what the input adds to the log-odds of churn against a typical customer.
    pub contribution: f64,
    /// Whether the customer's value is above the typical customer's.
    pub above_typical: bool,
}

/// Input `j` on its risky side, in words; `None` when there is nothing useful to say.
fn describe(j: usize, f: &CutoffFeatures, above: bool, extra: &[ExtraInput]) -> Option<String> {
    let Some(&name) = INPUT_NAMES.get(j) else {
        let input = extra.get(j - INPUT_NAMES.len())?;
        let side = if above { "above" } else { "below" };
        return Some(format!("{} {} ({side} typical)", input.name, input.value));
    };
    let single = f.frequency == 1;
    Some(match name {
        "recency" => format!("no purchase for {}", counted(f.recency_days, "day")),
        "frequency" | "one_order" if single => "only one order so far".to_string(),
        "frequency" => format!("few orders ({})", f.frequency),
        "monetary" => format!("low total spend ({:.2})", f.monetary),
        "tenure" => format!(
            "shorter tenure than most: first order {} ago",
            counted(f.tenure_days, "day")
        ),
        "mean_gap" if !single => format!(
            "buys rarely: every {:.0} days on average",
            f.mean_gap_days()?
        ),
        "gap_spread" => format!("irregular rhythm: gaps vary by ±{:.0} days", f.gap_sd_days?),
        "overdue" | "silence_weight" => {
            let ratio = f.overdue_ratio().filter(|&r| r >= OVERDUE_RATIO)?;
            format!("overdue: {ratio:.1}× usual gap")
        }
        "purchase_rate" => format!(
            "buys seldom: {:.1} orders a year",
            365.0 * f64::from(f.frequency) / (SMOOTHING_DAYS + f64::from(f.tenure_days))
        ),
        "spend_trend" => spend_down(f)?,
        "return_share" => format!("returns: {:.0} % of rows", 100.0 * f.return_share),
        _ => return None,
    })
}

/// "spend down 60 % on the prior quarter"; `None` unless the last quarter is below the prior.
fn spend_down(f: &CutoffFeatures) -> Option<String> {
    let (last, prior) = (
        f.spend_last_quarter.max(0.0),
        f.spend_prior_quarter.max(0.0),
    );
    (prior > 0.0 && last < prior).then(|| {
        format!(
            "spend down {:.0} % on the prior quarter",
            100.0 * (1.0 - last / prior)
        )
    })
}

/// Whether input `j` sits on its risky side of the typical customer (any side for an extra
/// input, whose direction is not known).
fn on_risky_side(j: usize, above_typical: bool) -> bool {
    match RISKY_DIRECTION.get(j) {
        Some(&direction) => (direction > 0.0) == above_typical,
        None => true,
    }
}

/// Reasons from a supervised model, largest contribution first: `effects[j]` is input `j`'s
/// effect for this customer against the typical customer.
pub fn model_reasons(
    f: &CutoffFeatures,
    effects: &[InputEffect],
    extra: &[ExtraInput],
) -> Vec<String> {
    let mut order: Vec<usize> = (0..effects.len())
        .filter(|&j| {
            effects[j].contribution > MIN_CONTRIBUTION && on_risky_side(j, effects[j].above_typical)
        })
        .collect();
    order.sort_by(|&i, &j| {
        effects[j]
            .contribution
            .total_cmp(&effects[i].contribution)
            .then(i.cmp(&j))
    });
    let mut reasons: Vec<String> = Vec::new();
    for j in order {
        if let Some(text) = describe(j, f, effects[j].above_typical, extra)
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
    if let Some(ratio) = f.overdue_ratio().filter(|&r| r >= OVERDUE_RATIO) {
        reasons.push(format!("overdue: {ratio:.1}× usual gap"));
    }
    if f.frequency == 1 {
        reasons.push("only one order so far".to_string());
    }
    let (last, prior) = (f.spend_last_quarter.max(0.0), f.spend_prior_quarter);
    if prior > 0.0 && last <= 0.75 * prior {
        reasons.extend(spend_down(f));
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

    fn effects(contributions: &[f64], above: &[bool]) -> Vec<InputEffect> {
        contributions
            .iter()
            .zip(above)
            .map(|(&contribution, &above_typical)| InputEffect {
                contribution,
                above_typical,
            })
            .collect()
    }

    #[test]
    fn biggest_positive_contributions_first_in_words() {
        let f = customer();
        let mut contributions = [0.0; 12];
        contributions[6] = 0.9; // overdue, above typical
        contributions[9] = 0.4; // spend trend, below typical
        contributions[1] = 0.6; // frequency, below typical
        contributions[0] = -2.0; // lowers risk: never a reason
        let mut above = [true; 12];
        above[1] = false;
        above[9] = false;
        let reasons = model_reasons(&f, &effects(&contributions, &above), &[]);
        assert_eq!(
            reasons,
            [
                "overdue: 3.1× usual gap",
                "few orders (4)",
                "spend down 60 % on the prior quarter"
            ]
        );
    }

    /// A positive contribution on the safe side (a recent purchase under a flipped recency
    /// coefficient, a long tenure) is not a reason.
    #[test]
    fn facts_that_lower_the_risk_are_never_reasons() {
        let f = CutoffFeatures {
            recency_days: 9,
            ..customer()
        };
        let mut contributions = [0.0; 12];
        contributions[0] = 1.5; // recency below typical, coefficient negative
        contributions[3] = 1.0; // tenure above typical
        contributions[1] = 0.3; // frequency below typical: a real reason
        let mut above = [false; 12];
        above[3] = true;
        assert_eq!(
            model_reasons(&f, &effects(&contributions, &above), &[]),
            ["few orders (4)"]
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
        let mut above = [true; 13];
        above[1] = false;
        let extra = [ExtraInput {
            name: "complaints",
            value: 3.0,
        }];
        assert_eq!(
            model_reasons(&f, &effects(&contributions, &above), &extra),
            ["only one order so far", "complaints 3 (above typical)"]
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
            tenure_days: 1,
            ..customer()
        };
        let mut contributions = [0.0; 12];
        contributions[3] = 0.5; // tenure, below typical
        let above = [false; 12];
        assert_eq!(
            model_reasons(&f, &effects(&contributions, &above), &[]),
            ["shorter tenure than most: first order 1 day ago"]
        );
    }
}
