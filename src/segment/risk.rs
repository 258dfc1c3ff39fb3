//! Churn risk bands: five bands of the risk scale, highest first, each with the action it calls
//! for, and `unknown` for customers without a score.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_risk_is_unknown_never_very_low() {
        assert_eq!(band_of(f64::NAN), UNKNOWN_BAND);
        assert_eq!(RISK_BANDS[band_of(0.1)].name, "very low");
        assert_eq!(RISK_BANDS[band_of(0.8)].name, "very high");
    }
}
