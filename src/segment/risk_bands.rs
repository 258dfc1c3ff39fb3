//! Churn risk bands: five bands of churn risk from "very high" (0.8 and above) to "very low",
//! each with a recommended action, and `unknown` for customers without a score. The rule table
//! as data and the one function that applies it.

use crate::output::{Table, Values};

/// A risk band: its name, lower bound and recommended action.
pub struct RiskBand {
    pub name: &'static str,
    pub lower: f64,
    pub action: &'static str,
}

/// Risk bands of the summary, highest first; `unknown` holds customers without a score.
pub const RISK_BANDS: [RiskBand; 6] = [
    RiskBand {
        name: "very high",
        lower: 0.8,
        action: "win back now: personal contact or an offer sized to their value",
    },
    RiskBand {
        name: "high",
        lower: 0.6,
        action: "reach out this cycle: a reminder or an offer on what they usually buy",
    },
    RiskBand {
        name: "medium",
        lower: 0.4,
        action: "nudge: relevant news or a service check; watch the next run",
    },
    RiskBand {
        name: "low",
        lower: 0.2,
        action: "keep the relationship: service as usual, ask for reviews and referrals",
    },
    RiskBand {
        name: "very low",
        lower: f64::NEG_INFINITY,
        action: "no churn action needed: reward loyalty",
    },
    RiskBand {
        name: "unknown",
        lower: f64::NAN,
        action: "no score: see the warning for why",
    },
];

/// Index of the `unknown` band in [`RISK_BANDS`].
pub const UNKNOWN_BAND: usize = RISK_BANDS.len() - 1;

/// The band of a risk; `unknown` for a missing (NaN) risk, never `very low`.
pub fn band_of(risk: f64) -> usize {
    RISK_BANDS
        .iter()
        .position(|band| risk >= band.lower)
        .unwrap_or(UNKNOWN_BAND)
}

/// Customers, expected churners, CLV and value at risk per risk band.
pub fn risk_band_summary(risk: &[f64], value: &[f64]) -> Table {
    let k = RISK_BANDS.len();
    let (mut customers, mut risk_sum, mut clv, mut at_risk) =
        (vec![0usize; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (&r, &v) in risk.iter().zip(value) {
        let band = band_of(r);
        customers[band] += 1;
        if band == UNKNOWN_BAND {
            continue;
        }
        risk_sum[band] += r;
        if v.is_finite() {
            clv[band] += v;
            at_risk[band] += r * v;
        }
    }
    // The unknown band is listed only when someone is in it.
    let shown: Vec<usize> = (0..k)
        .filter(|&b| b != UNKNOWN_BAND || customers[b] > 0)
        .collect();
    let total = risk.len().max(1) as f64;
    let column = |get: &dyn Fn(usize) -> f64| shown.iter().map(|&b| get(b)).collect();
    Table::default()
        .with(
            "risk_band",
            Values::Text(
                shown
                    .iter()
                    .map(|&b| RISK_BANDS[b].name.to_string())
                    .collect(),
            ),
        )
        .with(
            "customers",
            Values::Int(shown.iter().map(|&b| customers[b] as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(column(&|b| 100.0 * customers[b] as f64 / total), 1),
        )
        .with(
            "mean_risk",
            Values::Float(
                column(&|b| match b {
                    UNKNOWN_BAND => f64::NAN,
                    _ => risk_sum[b] / customers[b].max(1) as f64,
                }),
                3,
            ),
        )
        .with(
            "expected_churners",
            Values::Float(column(&|b| risk_sum[b]), 0),
        )
        .with("clv", Values::Float(column(&|b| clv[b]), 0))
        .with("value_at_risk", Values::Float(column(&|b| at_risk[b]), 0))
        .with(
            "action",
            Values::Text(
                shown
                    .iter()
                    .map(|&b| RISK_BANDS[b].action.to_string())
                    .collect(),
            ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_risk_is_unknown_never_very_low() {
        assert_eq!(band_of(f64::NAN), UNKNOWN_BAND);
        assert_eq!(RISK_BANDS[band_of(0.1)].name, "very low");
    }

    #[test]
    fn every_risk_falls_in_exactly_the_band_of_its_bounds() {
        assert_eq!(RISK_BANDS[band_of(1.0)].name, "very high");
        assert_eq!(RISK_BANDS[band_of(0.8)].name, "very high");
        assert_eq!(RISK_BANDS[band_of(0.79)].name, "high");
        assert_eq!(RISK_BANDS[band_of(0.4)].name, "medium");
        assert_eq!(RISK_BANDS[band_of(0.0)].name, "very low");
        // Bands are ordered highest first, so the first band a risk reaches is its band.
        for pair in RISK_BANDS[..UNKNOWN_BAND].windows(2) {
            assert!(pair[0].lower > pair[1].lower);
        }
    }

    #[test]
    fn the_summary_counts_and_values_each_band_and_lists_unknown_only_when_used() {
        let summary = risk_band_summary(&[0.9, 0.85, 0.1], &[100.0, f64::NAN, 10.0]);
        assert_eq!(summary.height(), UNKNOWN_BAND);
        let cell = |name: &str, row: usize| {
            let column = summary.names.iter().position(|n| n == name).unwrap();
            summary.cell(column, row)
        };
        // Very high: two customers, 1.75 expected churners, only the known CLV counted.
        assert_eq!(cell("customers", 0), "2");
        assert_eq!(cell("expected_churners", 0), "2");
        assert_eq!(cell("clv", 0), "100");
        assert_eq!(cell("value_at_risk", 0), "90");
        assert_eq!(cell("customers", 4), "1");
        assert_eq!(cell("share_pct", 4), "33.3");
        let with_unknown = risk_band_summary(&[0.9, f64::NAN], &[100.0, 5.0]);
        assert_eq!(with_unknown.height(), RISK_BANDS.len());
    }
}
