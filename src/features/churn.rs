//! Churn features and labels: each customer's history day by day, and what it says at a
//! cut-off date.
//!
//! A customer *churns by `c + h`* when they make no purchase in `(c, c + h]`. Features at a
//! cut-off `c` read only the days up to and including `c`; labels read only the days after it.
//! [`Histories`] holds every customer's days once, so features and labels at several cut-offs
//! (back-test, training, scoring) come from one pass over the transactions.

use anyhow::Result;

use crate::data::Transactions;
use crate::data::customers::CustomerRows;
use crate::features::summary::summarise;
use crate::models::Triple;
use crate::output::PackedText;

/// Length of the two quarters compared by the spend trend, in days.
pub const QUARTER_DAYS: i32 = 91;

/// One customer-day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    /// Days since 1970-01-01.
    pub day: i32,
    /// Net total of the day's rows (returns subtract).
    pub total: f64,
    /// Whether at least one of the day's rows is a purchase (not a return).
    pub purchase: bool,
    /// Rows that day.
    pub rows: u32,
    /// Rows that day that are returns or cancellations.
    pub return_rows: u32,
}

/// Every customer's days in date order; customers in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histories {
    pub customer_id: PackedText,
    /// Customer `i`'s days are `days[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    days: Vec<Day>,
}

impl Histories {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// Customer `i`'s days in date order.
    pub fn days_of(&self, i: usize) -> &[Day] {
        &self.days[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Groups rows (customer id, day, amount, is-return) into customer histories.
    pub fn from_rows(ids: &[&str], day: &[i32], amount: &[f64], is_return: &[bool]) -> Histories {
        let groups = CustomerRows::new(ids);
        let mut rows = Vec::new();
        let mut offsets = Vec::with_capacity(groups.customers() + 1);
        let mut days: Vec<Day> = Vec::with_capacity(ids.len());
        offsets.push(0);
        for customer in 0..groups.customers() {
            rows.clear();
            rows.extend(groups.rows_of(customer).iter().map(|&row| row as usize));
            rows.sort_by_key(|&row| day[row]); // stable: same-day rows stay in input order
            customer_days(&rows, day, amount, is_return, &mut days);
            offsets.push(days.len());
        }
        Histories {
            customer_id: groups.ids,
            offsets,
            days,
        }
    }
}

/// Appends one customer's days to `days`, from their `rows` sorted by day: one [`Day`] per
/// date, same-day amounts added in row order.
pub fn customer_days(
    rows: &[usize],
    day: &[i32],
    amount: &[f64],
    is_return: &[bool],
    days: &mut Vec<Day>,
) {
    let first_of_customer = days.len();
    for &row in rows {
        let returned = is_return[row];
        let same_day =
            days.len() > first_of_customer && days.last().is_some_and(|last| last.day == day[row]);
        match days.last_mut() {
            Some(last) if same_day => {
                last.total += amount[row];
                last.purchase |= !returned;
                last.rows += 1;
                last.return_rows += u32::from(returned);
            }
            _ => days.push(Day {
                day: day[row],
                total: amount[row],
                purchase: !returned,
                rows: 1,
                return_rows: u32::from(returned),
            }),
        }
    }
}

/// What churn reads of each customer at a cut-off: their features and whether they churned in
/// the horizon after it. The day histories answer at any cut-off; a per-customer summary at the
/// cut-offs it holds ([`crate::features::summary::Summaries`]).
pub trait CustomerWindows: Sync {
    /// The customers' ids, in id order.
    fn customer_ids(&self) -> &PackedText;

    /// Customer `i`'s features at `cutoff`; `None` without a purchase on or before it.
    fn features_at(&self, i: usize, cutoff: i32) -> Option<CutoffFeatures>;

    /// Whether customer `i` made no purchase in `(cutoff, cutoff + horizon_days]`.
    fn churned(&self, i: usize, cutoff: i32, horizon_days: i32) -> bool;
}

impl CustomerWindows for Histories {
    fn customer_ids(&self) -> &PackedText {
        &self.customer_id
    }

    fn features_at(&self, i: usize, cutoff: i32) -> Option<CutoffFeatures> {
        features_at(self.days_of(i), cutoff)
    }

    fn churned(&self, i: usize, cutoff: i32, horizon_days: i32) -> bool {
        churned(self.days_of(i), cutoff, horizon_days)
    }
}

/// Every customer's history from the canonical transaction frame.
pub fn histories(tx: &Transactions) -> Result<Histories> {
    let rows = tx.row_columns()?;
    Ok(Histories::from_rows(
        &rows.customer,
        &rows.day,
        &rows.amount,
        &rows.is_return,
    ))
}

/// What one customer's history says at a cut-off, reading only days up to and including it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutoffFeatures {
    /// Days from the last purchase to the cut-off.
    pub recency_days: i32,
    /// Purchase days up to the cut-off (same-day purchases are one order).
    pub frequency: u32,
    /// Net spend up to the cut-off.
    pub monetary: f64,
    /// Days from the first purchase to the cut-off.
    pub tenure_days: i32,
    /// Days from the first to the last purchase.
    pub active_span_days: i32,
    /// Standard deviation of the gaps between purchase days (needs three purchases).
    pub gap_sd_days: Option<f64>,
    /// Net spend in the last quarter `(c − 91, c]` and the one before `(c − 182, c − 91]`.
    pub spend_last_quarter: f64,
    pub spend_prior_quarter: f64,
    /// Share of rows that are returns or cancellations.
    pub return_share: f64,
    /// Mean net total of the purchase days after the first (NaN for one-time buyers).
    pub mean_repeat_spend: f64,
}

impl CutoffFeatures {
    /// Mean days between purchases; `None` for a customer with a single order.
    pub fn mean_gap_days(&self) -> Option<f64> {
        (self.frequency > 1)
            .then(|| f64::from(self.active_span_days) / f64::from(self.frequency - 1))
    }

    /// Days since the last purchase over the usual gap (how overdue against their own rhythm);
    /// `None` for a customer with a single order.
    pub fn overdue_ratio(&self) -> Option<f64> {
        self.mean_gap_days()
            .map(|gap| f64::from(self.recency_days) / gap.max(1.0))
    }

    /// The BTYD summary `(x, t_x, T)` in days.
    pub fn triple_in_days(&self) -> Triple {
        Triple::new(
            f64::from(self.frequency - 1),
            f64::from(self.active_span_days),
            f64::from(self.tenure_days),
        )
    }
}

/// Features at `cutoff` from one customer's days; `None` when they made no purchase up to it
/// (not yet a customer then). A view of the customer's summary at the cut-off.
pub fn features_at(days: &[Day], cutoff: i32) -> Option<CutoffFeatures> {
    summarise(days, None, cutoff)?.cutoff_features(cutoff)
}

/// Whether the customer churned by `cutoff + horizon`: no purchase in `(cutoff, cutoff + horizon]`.
pub fn churned(days: &[Day], cutoff: i32, horizon_days: i32) -> bool {
    let after = &days[days.partition_point(|d| d.day <= cutoff)..];
    !after
        .iter()
        .take_while(|d| d.day <= cutoff + horizon_days)
        .any(|d| d.purchase)
}

/// Names of the supervised model's inputs, in the order of [`model_inputs`].
pub const INPUT_NAMES: [&str; 12] = [
    "recency",
    "frequency",
    "monetary",
    "tenure",
    "mean_gap",
    "gap_spread",
    "overdue",
    "silence_weight",
    "purchase_rate",
    "spend_trend",
    "return_share",
    "one_order",
];

/// Which way each input of [`INPUT_NAMES`] raises the churn risk of a typical customer: +1 when
/// a higher value is riskier (a longer silence), −1 when a lower one is (fewer orders). A reason
/// code names an input only on its risky side.
pub const RISKY_DIRECTION: [f64; 12] = [
    1.0,  // recency
    -1.0, // frequency
    -1.0, // monetary
    -1.0, // tenure: a new customer
    1.0,  // mean_gap
    1.0,  // gap_spread
    1.0,  // overdue
    1.0,  // silence_weight
    -1.0, // purchase_rate
    -1.0, // spend_trend: spend falling
    1.0,  // return_share
    1.0,  // one_order
];

/// The inputs that grow with the days since the last purchase (`recency` and `overdue`), all
/// else equal. Their coefficients are kept at 0 or above, so that a longer silence never lowers
/// the supervised risk.
pub const RISING_WITH_RECENCY: [usize; 2] = [0, 6];

/// Days added to times in the ratios below, so that a new customer's ratios stay moderate.
pub const SMOOTHING_DAYS: f64 = 30.0;

/// The supervised model's inputs from a customer's features: logarithms of the skewed counts
/// and amounts, so that a linear model sees ratios. A single-order customer's gap is the time
/// since that order (their rhythm is at least that long) and their gap spread is 0.
/// `silence_weight` = repeat orders × ln((30 + tenure) / (30 + first-to-last span)): a silence
/// weighs more after many orders (the term that drives P(alive) in BG/NBD); `purchase_rate` =
/// ln(orders per 30 days of tenure).
pub fn model_inputs(f: &CutoffFeatures) -> [f64; 12] {
    let ln1p = |v: f64| v.max(0.0).ln_1p();
    let recency = f64::from(f.recency_days);
    let gap = f.mean_gap_days().unwrap_or(f64::from(f.tenure_days));
    let spread = match (f.gap_sd_days, f.mean_gap_days()) {
        (Some(sd), Some(mean)) if mean > 0.0 => sd / mean,
        _ => 0.0,
    };
    [
        ln1p(recency),
        f64::from(f.frequency).ln(),
        ln1p(f.monetary),
        ln1p(f64::from(f.tenure_days)),
        ln1p(gap),
        spread,
        ln1p(recency) - ln1p(gap),
        f64::from(f.frequency - 1)
            * ((SMOOTHING_DAYS + f64::from(f.tenure_days)).ln()
                - (SMOOTHING_DAYS + f64::from(f.active_span_days)).ln()),
        (f64::from(f.frequency) * SMOOTHING_DAYS / (SMOOTHING_DAYS + f64::from(f.tenure_days)))
            .ln(),
        ln1p(f.spend_last_quarter) - ln1p(f.spend_prior_quarter),
        f.return_share,
        f64::from(u8::from(f.frequency == 1)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(rows: &[(&'static str, i32, f64, bool)]) -> Histories {
        let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let day: Vec<i32> = rows.iter().map(|r| r.1).collect();
        let amount: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let is_return: Vec<bool> = rows.iter().map(|r| r.3).collect();
        Histories::from_rows(&ids, &day, &amount, &is_return)
    }

    #[test]
    fn rows_group_into_sorted_customer_days() {
        let h = history(&[
            ("b", 10, 5.0, false),
            ("a", 3, 1.0, false),
            ("b", 2, 7.0, false),
            ("b", 10, -2.0, true),
            ("a", 3, 4.0, false),
        ]);
        assert_eq!(h.customer_id.iter().collect::<Vec<_>>(), ["a", "b"]);
        let b = h.days_of(1);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].day, b[0].total), (2, 7.0));
        assert_eq!(
            (b[1].day, b[1].total, b[1].rows, b[1].return_rows),
            (10, 3.0, 2, 1)
        );
        assert!(b[1].purchase);
        let a = h.days_of(0);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].total, a[0].rows), (5.0, 2));
    }

    #[test]
    fn features_by_hand() {
        // Purchases on days 100, 110, 130 and 200; a return on day 205; cut-off 210.
        let h = history(&[
            ("c", 100, 10.0, false),
            ("c", 110, 20.0, false),
            ("c", 130, 30.0, false),
            ("c", 200, 40.0, false),
            ("c", 205, -5.0, true),
        ]);
        let f = features_at(h.days_of(0), 210).unwrap();
        assert_eq!(f.recency_days, 10);
        assert_eq!(f.frequency, 4);
        assert_eq!(f.monetary, 95.0);
        assert_eq!(f.tenure_days, 110);
        assert_eq!(f.active_span_days, 100);
        // Gaps 10, 20, 70: mean 33.33, population sd sqrt((10²+20²+70²)/3 − 33.33²).
        let sd = ((100.0 + 400.0 + 4900.0) / 3.0 - (100.0f64 / 3.0).powi(2)).sqrt();
        assert!((f.gap_sd_days.unwrap() - sd).abs() < 1e-9);
        assert!((f.mean_gap_days().unwrap() - 100.0 / 3.0).abs() < 1e-12);
        assert!((f.overdue_ratio().unwrap() - 0.3).abs() < 1e-12);
        // Last quarter (119, 210]: 30 + 40 − 5; prior (28, 119]: 10 + 20.
        assert_eq!(f.spend_last_quarter, 65.0);
        assert_eq!(f.spend_prior_quarter, 30.0);
        assert!((f.return_share - 0.2).abs() < 1e-12);
        assert_eq!(f.mean_repeat_spend, 30.0);
        let t = f.triple_in_days();
        assert_eq!((t.x, t.t_x, t.t_cal), (3.0, 100.0, 110.0));
    }

    #[test]
    fn single_order_and_not_yet_a_customer() {
        let h = history(&[("d", 50, 10.0, false), ("e", 20, -3.0, true)]);
        assert!(features_at(h.days_of(0), 49).is_none());
        let f = features_at(h.days_of(0), 50).unwrap();
        assert_eq!((f.frequency, f.recency_days, f.tenure_days), (1, 0, 0));
        assert!(f.mean_gap_days().is_none() && f.overdue_ratio().is_none());
        assert!(f.mean_repeat_spend.is_nan());
        // Only a return: never a customer.
        assert!(features_at(h.days_of(1), 100).is_none());
    }

    /// No leakage: a purchase the day after the cut-off changes the label and no feature.
    #[test]
    fn a_purchase_after_the_cutoff_is_seen_by_the_label_only() {
        let base = [
            ("f", 10, 10.0, false),
            ("f", 40, 20.0, false),
            ("f", 95, 25.0, false),
        ];
        let mut planted = base.to_vec();
        planted.push(("f", 101, 500.0, false));
        let (without, with) = (history(&base), history(&planted));
        assert_eq!(
            features_at(without.days_of(0), 100),
            features_at(with.days_of(0), 100)
        );
        assert!(churned(without.days_of(0), 100, 30));
        assert!(!churned(with.days_of(0), 100, 30));
    }

    #[test]
    fn churn_window_is_open_at_the_cutoff_and_closed_at_the_horizon() {
        let h = history(&[
            ("g", 10, 1.0, false),
            ("g", 20, 1.0, false),
            ("g", 50, -1.0, true),
        ]);
        let days = h.days_of(0);
        assert!(!churned(days, 10, 10)); // day 20 is inside (10, 20]
        assert!(churned(days, 10, 9)); // … but not inside (10, 19]
        assert!(churned(days, 20, 100)); // a return is not a purchase
    }

    #[test]
    fn the_recency_inputs_are_the_ones_named() {
        assert_eq!(
            RISING_WITH_RECENCY.map(|j| INPUT_NAMES[j]),
            ["recency", "overdue"]
        );
        let f = CutoffFeatures {
            recency_days: 10,
            frequency: 3,
            monetary: 90.0,
            tenure_days: 200,
            active_span_days: 190,
            gap_sd_days: Some(3.0),
            spend_last_quarter: 30.0,
            spend_prior_quarter: 30.0,
            return_share: 0.0,
            mean_repeat_spend: 30.0,
        };
        let later = CutoffFeatures {
            recency_days: 50,
            ..f
        };
        let (a, b) = (model_inputs(&f), model_inputs(&later));
        for j in 0..INPUT_NAMES.len() {
            let changed = a[j] != b[j];
            assert_eq!(
                changed,
                RISING_WITH_RECENCY.contains(&j),
                "{}",
                INPUT_NAMES[j]
            );
            assert!(!changed || b[j] > a[j]);
        }
    }
}
