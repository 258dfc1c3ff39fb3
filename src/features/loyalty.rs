//! Per-customer purchase behaviour for the loyalty matrix: the RFM measures plus the days since
//! the first purchase (for the loyalty ladder), and the behavioural index built from them.

use anyhow::Result;
use polars::prelude::*;

use crate::data::Transactions;
use crate::data::load::{AMOUNT, CUSTOMER, DAY, IS_RETURN, ORDER};
use crate::error::ClmError;
use crate::segment::loyalty::{
    BehaviourComponent, LoyaltyError, WeightedComponent, behavioural_index, repeat_purchase_share,
};

/// Purchase behaviour, one entry per customer with a purchase up to the as-of date, sorted by id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BehaviourMeasures {
    pub customer_id: Vec<String>,
    /// Days from the last purchase to the as-of date.
    pub recency_days: Vec<i64>,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: Vec<i64>,
    /// Distinct orders, or distinct purchase days without an order column.
    pub frequency: Vec<u32>,
    /// Total net spend.
    pub monetary: Vec<f64>,
    /// Customers left out because every row of theirs up to the as-of date is a return.
    pub returns_only_customers: usize,
    /// Rows dated after the as-of date, ignored.
    pub rows_after_as_of: usize,
}

/// Computes the behaviour measures as of `as_of_day` (days since 1970-01-01).
pub fn behaviour_measures(tx: &Transactions, as_of_day: i32) -> Result<BehaviourMeasures> {
    let bad = |e: PolarsError| ClmError::BadData(format!("{}: {e}", tx.source));
    let purchase = col(IS_RETURN).not();
    let occasions = if tx.has_orders() {
        col(ORDER)
    } else {
        col(DAY)
    };
    let grouped = tx
        .frame
        .clone()
        .lazy()
        .filter(col(DAY).lt_eq(lit(as_of_day)))
        .group_by([col(CUSTOMER)])
        .agg([
            col(DAY).filter(purchase.clone()).max().alias("last"),
            col(DAY).filter(purchase.clone()).min().alias("first"),
            occasions
                .filter(purchase)
                .n_unique()
                .cast(DataType::UInt32)
                .alias("frequency"),
            col(AMOUNT).sum().alias("spend"),
            len().alias("rows"),
        ])
        .sort([CUSTOMER], SortMultipleOptions::default())
        .collect()
        .map_err(bad)?;
    let column = |name: &str| grouped.column(name).map_err(bad);
    let ids = column(CUSTOMER)?.str().map_err(bad)?.clone();
    let last = column("last")?.i32().map_err(bad)?.clone();
    let first = column("first")?.i32().map_err(bad)?.clone();
    let freq = column("frequency")?.u32().map_err(bad)?.clone();
    let spend = column("spend")?.f64().map_err(bad)?.clone();
    let rows: u64 = column("rows")?
        .cast(&DataType::UInt64)
        .map_err(bad)?
        .u64()
        .map_err(bad)?
        .sum()
        .unwrap_or(0);

    let mut out = BehaviourMeasures {
        rows_after_as_of: tx.frame.height().saturating_sub(rows as usize),
        ..Default::default()
    };
    for i in 0..grouped.height() {
        let (Some(id), Some(last), Some(first), Some(freq)) =
            (ids.get(i), last.get(i), first.get(i), freq.get(i))
        else {
            out.returns_only_customers += 1;
            continue;
        };
        out.customer_id.push(id.to_string());
        out.recency_days.push(i64::from(as_of_day - last));
        out.tenure_days.push(i64::from(as_of_day - first));
        out.frequency.push(freq);
        out.monetary.push(spend.get(i).unwrap_or(0.0));
    }
    Ok(out)
}

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
