//! Lifecycle measures: each customer's own purchase rhythm and trend at a date, the lapse
//! window from the data, and the stage and exit pattern that the stage table gives them.
//!
//! Read from the per-customer day history that churn uses ([`Histories`]); a purchase is a day
//! with at least one row that is not a return.

use rayon::prelude::*;

use crate::features::churn::{Day, Histories};
use crate::segment::lifecycle::{ExitPattern, Stage, StageMeasures, StageTable};

/// Windows of the lifecycle rules, in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifecycleWindows {
    /// A customer with no purchase in the last this-many days is lapsed.
    pub lapse_days: i32,
    /// The recent window of the trend; the earlier window is everything before it.
    pub trend_days: i32,
}

/// One customer's lifecycle at a date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerLifecycle {
    pub stage: Stage,
    /// How the relationship ended, for lapsed customers.
    pub exit_pattern: Option<ExitPattern>,
    pub tenure_days: i32,
    /// Purchase days up to the date.
    pub purchases: u32,
    pub recency_days: i32,
    /// Median days between purchase days (NaN with one purchase).
    pub rhythm_days: f64,
    /// See [`StageMeasures::trend`].
    pub trend: f64,
    /// Net spend up to the date (returns subtract).
    pub value: f64,
}

/// The days of `days` up to `cutoff` that are purchases.
pub fn purchase_days(days: &[Day], cutoff: i32) -> Vec<i32> {
    days.iter()
        .take_while(|d| d.day <= cutoff)
        .filter(|d| d.purchase)
        .map(|d| d.day)
        .collect()
}

/// Every gap in days between consecutive purchase days of every customer, up to `as_of`.
pub fn inter_purchase_gaps(histories: &Histories, as_of: i32) -> Vec<i32> {
    (0..histories.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let purchases = purchase_days(histories.days_of(i), as_of);
            let gaps: Vec<i32> = purchases.windows(2).map(|w| w[1] - w[0]).collect();
            gaps
        })
        .collect()
}

/// The `quantile` of `gaps` (the smallest gap with at least that share of gaps at or below
/// it); `None` without gaps.
pub fn gap_quantile(mut gaps: Vec<i32>, quantile: f64) -> Option<i32> {
    if gaps.is_empty() {
        return None;
    }
    let rank = ((quantile * gaps.len() as f64).ceil() as usize).clamp(1, gaps.len());
    let (_, value, _) = gaps.select_nth_unstable(rank - 1);
    Some(*value)
}

/// Median of the gaps between consecutive `purchases` (NaN with fewer than two).
fn median_gap(purchases: &[i32]) -> f64 {
    let mut gaps: Vec<i32> = purchases.windows(2).map(|w| w[1] - w[0]).collect();
    let n = gaps.len();
    if n == 0 {
        return f64::NAN;
    }
    gaps.sort_unstable();
    if n % 2 == 1 {
        f64::from(gaps[n / 2])
    } else {
        (f64::from(gaps[n / 2 - 1]) + f64::from(gaps[n / 2])) / 2.0
    }
}

/// Change of the purchase rate: repeat purchases per day in `(cutoff − window, cutoff]`
/// against `(first, cutoff − window]`, as (recent − earlier) / max(recent, earlier) in [−1, 1];
/// NaN with a single purchase (no rate yet) or when the earlier window is shorter than the
/// recent one.
fn purchase_trend(purchases: &[i32], cutoff: i32, window: i32) -> f64 {
    let first = purchases[0];
    let split = cutoff - window;
    if purchases.len() < 2 || split - first < window {
        return f64::NAN;
    }
    let up_to_split = purchases.partition_point(|&d| d <= split);
    let earlier = (up_to_split - 1) as f64 / f64::from(split - first);
    let recent = (purchases.len() - up_to_split) as f64 / f64::from(window);
    let larger = recent.max(earlier);
    if larger > 0.0 {
        (recent - earlier) / larger
    } else {
        0.0
    }
}

/// The rules' measures at `cutoff` from the purchase days up to it (at least one).
pub fn stage_measures(purchases: &[i32], cutoff: i32, trend_days: i32) -> StageMeasures {
    let last = purchases[purchases.len() - 1];
    StageMeasures {
        purchases: purchases.len() as u32,
        tenure_days: f64::from(cutoff - purchases[0]),
        overdue: f64::from(cutoff - last) / median_gap(purchases).max(1.0),
        trend: purchase_trend(purchases, cutoff, trend_days),
    }
}

/// The customer's lifecycle at `cutoff` from their days; `None` when they made no purchase up
/// to it. With `with_exit`, a lapsed customer also gets the exit pattern.
pub fn lifecycle_at(
    days: &[Day],
    cutoff: i32,
    table: &StageTable,
    windows: LifecycleWindows,
    with_exit: bool,
) -> Option<CustomerLifecycle> {
    let purchases = purchase_days(days, cutoff);
    let last = *purchases.last()?;
    let measures = stage_measures(&purchases, cutoff, windows.trend_days);
    let recency_days = cutoff - last;
    let lapsed = recency_days > windows.lapse_days;
    let stage = if lapsed {
        Stage::Lapsed
    } else {
        table.stage(&measures)
    };
    let exit_pattern = (lapsed && with_exit).then(|| exit_pattern(&purchases, table, windows));
    Some(CustomerLifecycle {
        stage,
        exit_pattern,
        tenure_days: cutoff - purchases[0],
        purchases: measures.purchases,
        recency_days,
        rhythm_days: median_gap(&purchases),
        trend: measures.trend,
        value: days
            .iter()
            .take_while(|d| d.day <= cutoff)
            .map(|d| d.total)
            .sum(),
    })
}

/// How a lapsed relationship ended: the stage at the last purchase (decline rules skipped:
/// decline is the way out, the pattern names where it started), and for stability how long
/// the customer had been stable then, against the table's `long_term_days`.
pub fn exit_pattern(
    purchases: &[i32],
    table: &StageTable,
    windows: LifecycleWindows,
) -> ExitPattern {
    let stage_at = |i: usize| {
        let known = &purchases[..=i];
        table.stage_before_decline(&stage_measures(known, purchases[i], windows.trend_days))
    };
    let last = purchases.len() - 1;
    match stage_at(last) {
        Stage::Exploration => ExitPattern::EarlyAbort,
        Stage::Stability => {
            // The run of stable purchase days that ends at the last purchase, followed back
            // only until it is long enough (a daily buyer of many years costs no more).
            let stable_days = |start: usize| f64::from(purchases[last] - purchases[start]);
            let mut start = last;
            while stable_days(start) < table.long_term_days
                && start > 0
                && stage_at(start - 1) == Stage::Stability
            {
                start -= 1;
            }
            if stable_days(start) >= table.long_term_days {
                ExitPattern::LongTerm
            } else {
                ExitPattern::EarlyExit
            }
        }
        Stage::Formation | Stage::Decline | Stage::Lapsed => ExitPattern::MidWay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days_of(purchases: &[i32]) -> Vec<Day> {
        purchases
            .iter()
            .map(|&day| Day {
                day,
                total: 10.0,
                purchase: true,
                rows: 1,
                return_rows: 0,
            })
            .collect()
    }

    fn every(start: i32, step: i32, count: i32) -> Vec<i32> {
        (0..count).map(|i| start + i * step).collect()
    }

    const WINDOWS: LifecycleWindows = LifecycleWindows {
        lapse_days: 120,
        trend_days: 120,
    };
    const AS_OF: i32 = 2000;

    fn stage_of(purchases: &[i32]) -> (Stage, Option<ExitPattern>) {
        let c = lifecycle_at(
            &days_of(purchases),
            AS_OF,
            &StageTable::default(),
            WINDOWS,
            true,
        )
        .unwrap();
        (c.stage, c.exit_pattern)
    }

    #[test]
    fn rhythm_trend_and_lapse_window_by_hand() {
        assert_eq!(median_gap(&[0, 10, 30, 100]), 20.0);
        assert_eq!(median_gap(&[0, 10, 30]), 15.0);
        assert!(median_gap(&[5]).is_nan());
        // Earlier (0, 880]: purchases 440 and 880 over 880 days; recent (880, 1000]: 940, 1000.
        let trend = purchase_trend(&[0, 440, 880, 940, 1000], 1000, 120);
        let (earlier, recent) = (2.0 / 880.0, 2.0 / 120.0);
        assert!((trend - (recent - earlier) / recent).abs() < 1e-12);
        assert!(purchase_trend(&[900, 950], 1000, 120).is_nan());
        assert!(purchase_trend(&[100], 1000, 120).is_nan());
        assert_eq!(
            gap_quantile(vec![5, 1, 4, 2, 3, 10, 7, 6, 8, 9], 0.9),
            Some(9)
        );
        assert_eq!(gap_quantile(vec![3], 0.5), Some(3));
        assert_eq!(gap_quantile(Vec::new(), 0.9), None);
    }

    /// One planted customer per stage and per exit pattern, as of day 2000.
    #[test]
    fn planted_customers_get_their_stage_and_exit_pattern() {
        // Exploration: two purchases, the last one recent.
        assert_eq!(stage_of(&[1900, 1960]), (Stage::Exploration, None));
        // Formation: three purchases at a steady pace, too few for stability.
        assert_eq!(stage_of(&[1700, 1800, 1900]), (Stage::Formation, None));
        // Formation by a rising rate: one purchase a year, then monthly.
        assert_eq!(
            stage_of(&[1000, 1400, 1800, 1900, 1930, 1960, 1990]),
            (Stage::Formation, None)
        );
        // Stability: monthly for three years.
        assert_eq!(stage_of(&every(900, 30, 37)), (Stage::Stability, None));
        // Decline, overdue: weekly for a year, silent for 30 days (over twice the rhythm).
        assert_eq!(stage_of(&every(1600, 7, 53)), (Stage::Decline, None));
        // Decline, falling rate: every 10 days for three years, then one purchase in 120 days.
        let mut falling = every(800, 10, 109);
        falling.push(1985);
        assert_eq!(stage_of(&falling), (Stage::Decline, None));
        // Lapsed from exploration: one purchase long ago.
        assert_eq!(
            stage_of(&[1000]),
            (Stage::Lapsed, Some(ExitPattern::EarlyAbort))
        );
        // Lapsed from formation: three purchases, then silence.
        assert_eq!(
            stage_of(&[1000, 1030, 1060]),
            (Stage::Lapsed, Some(ExitPattern::MidWay))
        );
        // Lapsed early in stability: stable (5+ purchases) for about 4 months, then silence.
        assert_eq!(
            stage_of(&every(1000, 30, 9)),
            (Stage::Lapsed, Some(ExitPattern::EarlyExit))
        );
        // Lapsed after two years of stability.
        assert_eq!(
            stage_of(&every(500, 30, 30)),
            (Stage::Lapsed, Some(ExitPattern::LongTerm))
        );
    }

    #[test]
    fn returns_are_not_purchases_but_count_in_value() {
        let mut days = days_of(&[1900, 1950]);
        days.push(Day {
            day: 1990,
            total: -4.0,
            purchase: false,
            rows: 1,
            return_rows: 1,
        });
        let c = lifecycle_at(&days, AS_OF, &StageTable::default(), WINDOWS, true).unwrap();
        assert_eq!((c.purchases, c.recency_days, c.value), (2, 50, 16.0));
        assert!(lifecycle_at(&days, 1899, &StageTable::default(), WINDOWS, true).is_none());
    }
}
