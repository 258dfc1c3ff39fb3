//! Holdout validation of a purchase model (`clm clv --holdout-end`): the model fitted on
//! purchases up to the as-of date predicts each customer's repeat purchases in
//! (as-of, holdout end]; the prediction is compared with what happened, in total, by
//! calibration frequency (x = 0..=6 and 7+) and per customer (mean absolute error, Pearson
//! correlation).

use crate::features::btyd::TimeUnit;
use crate::models::Triple;
use crate::models::predict::Btyd;
use crate::output::{Table, Values, format_day};

/// Calibration frequency groups of the holdout table: 0..=6 and 7+.
const HOLDOUT_GROUPS: usize = 8;

/// Predicted against actual repeat purchases for one group of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutGroup {
    /// `0` … `6`, `7+`, or `all`.
    pub label: String,
    pub customers: usize,
    /// Actual repeat purchases (distinct purchase days) in the holdout.
    pub actual: f64,
    /// Expected repeat purchases in the holdout.
    pub predicted: f64,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Pearson correlation of predicted and actual per customer; NaN when either is constant.
    pub correlation: f64,
}

impl HoldoutGroup {
    /// Expected repeat purchases per customer.
    pub fn mean_predicted(&self) -> f64 {
        self.predicted / self.customers as f64
    }
}

/// Compares `btyd`'s expected purchases over `horizon` (in the model's time unit) with
/// `actual`, customer by customer (`triples[i]` is customer `i`'s calibration history). The
/// groups are by calibration repeat purchases, the last one is everyone.
pub fn validate(
    btyd: &Btyd,
    triples: &[Triple],
    actual: &[u32],
    horizon: f64,
) -> Vec<HoldoutGroup> {
    let predicted: Vec<f64> = triples
        .iter()
        .map(|t| btyd.expected_purchases(t, horizon))
        .collect();
    let actual: Vec<f64> = actual.iter().map(|&a| f64::from(a)).collect();
    let mut labels: Vec<String> = (0..HOLDOUT_GROUPS - 1).map(|g| g.to_string()).collect();
    labels.push(format!("{}+", HOLDOUT_GROUPS - 1));
    labels.push("all".to_string());
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); HOLDOUT_GROUPS + 1];
    for (i, t) in triples.iter().enumerate() {
        members[(t.x as usize).min(HOLDOUT_GROUPS - 1)].push(i);
        members[HOLDOUT_GROUPS].push(i);
    }
    let pick = |values: &[f64], group: &[usize]| -> Vec<f64> {
        group.iter().map(|&i| values[i]).collect()
    };
    members
        .iter()
        .zip(labels)
        .map(|(group, label)| {
            let (a, p) = (pick(&actual, group), pick(&predicted, group));
            let n = group.len() as f64;
            HoldoutGroup {
                label,
                customers: group.len(),
                actual: a.iter().sum(),
                predicted: p.iter().sum(),
                mae: a.iter().zip(&p).map(|(x, y)| (x - y).abs()).sum::<f64>() / n,
                correlation: correlation(&a, &p),
            }
        })
        .collect()
}

/// Pearson correlation; NaN when either series is constant or empty.
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.is_empty() {
        return f64::NAN;
    }
    let (mean_a, mean_b) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - mean_a) * (y - mean_b);
        var_a += (x - mean_a).powi(2);
        var_b += (y - mean_b).powi(2);
    }
    if var_a == 0.0 || var_b == 0.0 {
        return f64::NAN;
    }
    cov / (var_a * var_b).sqrt()
}

/// The holdout's heading lines and its table (one row per group).
pub fn holdout_report(
    btyd: &Btyd,
    triples: &[Triple],
    actual: &[u32],
    unit: TimeUnit,
    (as_of, end): (i32, i32),
) -> (Vec<String>, Table) {
    let horizon = unit.from_days(end - as_of);
    let groups = validate(btyd, triples, actual, horizon);
    let all = groups
        .last()
        .expect("validate always returns the `all` group");
    let lines = vec![
        format!(
            "Holdout ({}, {}]: {horizon:.2} {}s; repeat purchases (distinct purchase days) actual {}, predicted {:.1} ({:+.1} %)",
            format_day(as_of),
            format_day(end),
            unit.name(),
            all.actual,
            all.predicted,
            100.0 * (all.predicted - all.actual) / all.actual.max(1.0)
        ),
        format!(
            "Per customer: mean absolute error {:.4}, correlation {:.4}; by repeat purchases in calibration:",
            all.mae, all.correlation
        ),
    ];
    let column = |get: fn(&HoldoutGroup) -> f64| groups.iter().map(get).collect();
    let table = Table::default()
        .with(
            "calibration_x",
            Values::Text(groups.iter().map(|g| g.label.clone()).collect()),
        )
        .with(
            "customers",
            Values::Int(groups.iter().map(|g| g.customers as i64).collect()),
        )
        .with("actual", Values::Float(column(|g| g.actual), 0))
        .with("predicted", Values::Float(column(|g| g.predicted), 2))
        .with(
            "mean_predicted",
            Values::Float(column(HoldoutGroup::mean_predicted), 4),
        )
        .with("mae", Values::Float(column(|g| g.mae), 4))
        .with("correlation", Values::Float(column(|g| g.correlation), 4));
    (lines, table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bgnbd::BgNbdParams;

    #[test]
    fn correlation_is_pearsons_and_nan_when_constant() {
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // 1, 2, 3, 4 against 1, 3, 2, 4: deviations products sum to 4, squared deviations to 5.
        assert!((correlation(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]) - 0.8).abs() < 1e-12);
        assert!(correlation(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
        assert!(correlation(&[], &[]).is_nan());
    }

    #[test]
    fn groups_split_by_calibration_frequency_and_add_up() {
        let btyd = Btyd::BgNbd(BgNbdParams {
            r: 0.24,
            alpha: 4.41,
            a: 0.79,
            b: 2.43,
        });
        let triples = [
            Triple::new(0.0, 0.0, 30.0),
            Triple::new(0.0, 0.0, 20.0),
            Triple::new(2.0, 10.0, 30.0),
            Triple::new(9.0, 25.0, 30.0),
        ];
        let groups = validate(&btyd, &triples, &[0, 1, 1, 5], 10.0);
        assert_eq!(groups.len(), HOLDOUT_GROUPS + 1);
        let by_label = |label: &str| groups.iter().find(|g| g.label == label).unwrap();
        assert_eq!(by_label("0").customers, 2);
        assert_eq!(by_label("0").actual, 1.0);
        assert_eq!(by_label("2").customers, 1);
        assert_eq!(by_label("7+").actual, 5.0);
        assert_eq!(by_label("1").customers, 0);
        let all = by_label("all");
        assert_eq!((all.customers, all.actual), (4, 7.0));
        let parts: f64 = groups[..HOLDOUT_GROUPS].iter().map(|g| g.predicted).sum();
        assert!((parts - all.predicted).abs() < 1e-9);
        // The frequent buyer is expected to buy more than the one-time buyers.
        assert!(by_label("7+").predicted > by_label("0").mean_predicted());
        // A one-customer group's error is its own |actual − predicted|.
        let two = by_label("2");
        assert!((two.mae - (two.actual - two.predicted).abs()).abs() < 1e-12);
    }
}
