//! Per-customer purchase behaviour for the loyalty matrix: the behavioural index built from the
//! RFM measures (see [`crate::features::rfm::rfm_measures`], which also gives the days since the
//! first purchase for the loyalty ladder).

use crate::error::ClmError;
use crate::segment::loyalty::{
    BehaviourComponent, LoyaltyError, WeightedComponent, behavioural_index, repeat_purchase_share,
};

/// Weights of the behavioural index's components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BehaviourWeights {
    /// Repeat purchase rate, (orders − 1) / orders.
    pub repeat: f64,
    /// Number of orders.
    pub frequency: f64,
    /// Days since the last purchase (reversed: recent is high).
    pub recency: f64,
}

impl Default for BehaviourWeights {
    fn default() -> Self {
        Self {
            repeat: 1.0,
            frequency: 1.0,
            recency: 1.0,
        }
    }
}

impl BehaviourWeights {
    /// Parses `repeat=1,frequency=2,recency=1`; components not named keep weight 1.
    pub fn parse(text: &str) -> Result<BehaviourWeights, ClmError> {
        let usage = |why: String| {
            ClmError::Usage(format!(
                "--behaviour-weights '{text}': {why}; write e.g. repeat=1,frequency=1,recency=2"
            ))
        };
        let mut weights = BehaviourWeights::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| usage(format!("'{item}' is not name=weight")))?;
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| usage(format!("'{value}' is not a weight ≥ 0")))?;
            match name.trim() {
                "repeat" => weights.repeat = value,
                "frequency" => weights.frequency = value,
                "recency" => weights.recency = value,
                other => {
                    return Err(usage(format!(
                        "unknown component '{other}' (components: repeat, frequency, recency)"
                    )));
                }
            }
        }
        if weights.repeat + weights.frequency + weights.recency <= 0.0 {
            return Err(usage("at least one weight must be positive".into()));
        }
        Ok(weights)
    }

    /// "repeat purchase rate ×1, frequency ×1, recency (reversed) ×1".
    pub fn describe(&self) -> String {
        format!(
            "repeat purchase rate ×{}, frequency ×{}, recency (reversed) ×{}",
            self.repeat, self.frequency, self.recency
        )
    }
}

/// Behavioural index per customer in [0, 1]: the weighted mean of the percentile ranks of the
/// repeat purchase rate, the frequency and the recency (reversed).
pub fn behaviour_index(
    frequency: &[u32],
    recency_days: &[f64],
    weights: &BehaviourWeights,
) -> Result<Vec<f64>, LoyaltyError> {
    let repeat: Vec<f64> = frequency
        .iter()
        .map(|&f| repeat_purchase_share(f))
        .collect();
    let orders: Vec<f64> = frequency.iter().map(|&f| f64::from(f)).collect();
    behavioural_index(&[
        WeightedComponent {
            component: BehaviourComponent::RepeatPurchaseRate,
            weight: weights.repeat,
            values: &repeat,
        },
        WeightedComponent {
            component: BehaviourComponent::Frequency,
            weight: weights.frequency,
            values: &orders,
        },
        WeightedComponent {
            component: BehaviourComponent::Recency,
            weight: weights.recency,
            values: recency_days,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_default_to_one() {
        let w = BehaviourWeights::parse("recency=2").unwrap();
        assert_eq!((w.repeat, w.frequency, w.recency), (1.0, 1.0, 2.0));
        assert!(BehaviourWeights::parse("loyalty=1").is_err());
        assert!(BehaviourWeights::parse("repeat=0,frequency=0,recency=0").is_err());
        assert!(BehaviourWeights::parse("repeat=-1").is_err());
    }

    #[test]
    fn index_orders_customers_by_behaviour() {
        // Three customers: 1 order long ago, 2 orders, 5 recent orders.
        let index = behaviour_index(
            &[1, 2, 5],
            &[300.0, 100.0, 3.0],
            &BehaviourWeights::default(),
        )
        .unwrap();
        assert_eq!(index, vec![0.0, 0.5, 1.0]);
    }
}
