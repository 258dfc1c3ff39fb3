//! Subscriptions as contract durations in whole periods, grouped into acquisition cohorts: what
//! the shifted-beta-geometric model and Kaplan–Meier are fitted on.
//!
//! Renewals fall on the anniversaries of each subscription's own start (start + k periods).
//! A subscription that ended on day `e` was in its period `T`, the first with
//! `start + T periods >= e` (at least 1): ending exactly on an anniversary means it did not
//! renew there. One still active at the as-of date `A` has renewed `c` times, `c` = the
//! anniversaries in `(start, A]`, and is censored there (`T > c`). Ends after `A` are not
//! known yet at `A` and count as active; starts after `A` are left out and counted.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::Beta;

use crate::models::sbg::{SbgFit, SbgParams, SurvivalCounts};

/// The length of a contract period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodUnit {
    Week,
    Month,
    Year,
}

impl PeriodUnit {
    /// The name printed and saved.
    pub fn name(self) -> &'static str {
        match self {
            PeriodUnit::Week => "week",
            PeriodUnit::Month => "month",
            PeriodUnit::Year => "year",
        }
    }

    /// Parses [`PeriodUnit::name`].
    pub fn from_name(name: &str) -> Option<PeriodUnit> {
        match name {
            "week" => Some(PeriodUnit::Week),
            "month" => Some(PeriodUnit::Month),
            "year" => Some(PeriodUnit::Year),
            _ => None,
        }
    }

    /// Length in years, for converting an annual discount rate.
    pub fn years(self) -> f64 {
        match self {
            PeriodUnit::Week => 7.0 / 365.25,
            PeriodUnit::Month => 1.0 / 12.0,
            PeriodUnit::Year => 1.0,
        }
    }

    /// The `k`-th anniversary of `start` (month ends clamp: Jan 31 + 1 month = Feb 28/29).
    pub fn anniversary(self, start: NaiveDate, k: u32) -> Option<NaiveDate> {
        match self {
            PeriodUnit::Week => start.checked_add_signed(chrono::Duration::weeks(i64::from(k))),
            PeriodUnit::Month => start.checked_add_months(Months::new(k)),
            PeriodUnit::Year => start.checked_add_months(Months::new(k.checked_mul(12)?)),
        }
    }

    /// Anniversaries of `start` in `(start, day]`.
    pub fn completed(self, start: NaiveDate, day: NaiveDate) -> u32 {
        if day <= start {
            return 0;
        }
        let guess = match self {
            PeriodUnit::Week => (day - start).num_days() / 7,
            PeriodUnit::Month | PeriodUnit::Year => {
                let months = i64::from(day.year() - start.year()) * 12 + i64::from(day.month())
                    - i64::from(start.month());
                if self == PeriodUnit::Year {
                    months / 12
                } else {
                    months
                }
            }
        };
        let mut k = guess.max(0) as u32;
        while k > 0 && self.anniversary(start, k).is_none_or(|a| a > day) {
            k -= 1;
        }
        while self.anniversary(start, k + 1).is_some_and(|a| a <= day) {
            k += 1;
        }
        k
    }

    /// The period `T >= 1` in which a subscription started on `start` ended on `end`.
    pub fn last_period(self, start: NaiveDate, end: NaiveDate) -> u32 {
        let k = self.completed(start, end);
        let on_anniversary = self.anniversary(start, k) == Some(end);
        if on_anniversary { k.max(1) } else { k + 1 }
    }

    /// The acquisition cohort of a start date: `2024-03` (month), `2024` (year), `2024-W09`
    /// (ISO week).
    pub fn cohort_label(self, start: NaiveDate) -> String {
        match self {
            PeriodUnit::Week => {
                let week = start.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            PeriodUnit::Month => format!("{}-{:02}", start.year(), start.month()),
            PeriodUnit::Year => start.year().to_string(),
        }
    }
}

/// One subscription's standing at the as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Ended in its period `T`.
    Churned { last_period: u32 },
    /// Active after `renewals` renewals.
    Active { renewals: u32 },
    /// Starts after the as-of date.
    NotStarted,
}

/// The standing of a subscription from `start` to `end` (`None` = open) seen at `as_of`.
pub fn standing(
    unit: PeriodUnit,
    start: NaiveDate,
    end: Option<NaiveDate>,
    as_of: NaiveDate,
) -> Standing {
    if start > as_of {
        return Standing::NotStarted;
    }
    match end {
        Some(end) if end <= as_of => Standing::Churned {
            last_period: unit.last_period(start, end),
        },
        _ => Standing::Active {
            renewals: unit.completed(start, as_of),
        },
    }
}

/// Survival counts per acquisition cohort (in cohort order) and the standing of every row.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCounts {
    pub cohorts: Vec<(String, SurvivalCounts)>,
    /// Per input row: its cohort's index (`usize::MAX` for a row not started whose cohort has
    /// no started subscription) and its standing.
    pub rows: Vec<(usize, Standing)>,
    /// Rows starting after the as-of date (left out).
    pub not_started: usize,
}

/// Groups subscriptions (days since 1970-01-01) into cohorts by start period.
pub fn cohort_counts(
    unit: PeriodUnit,
    start: &[i32],
    end: &[Option<i32>],
    as_of: i32,
) -> CohortCounts {
    let date = date_of_day;
    let as_of_date = date(as_of);
    // Many subscriptions share a start day: label each distinct day once.
    let mut label_of_day: HashMap<i32, String> = HashMap::new();
    for &s in start {
        label_of_day
            .entry(s)
            .or_insert_with(|| unit.cohort_label(date(s)));
    }
    // Number cohorts in label order (labels sort chronologically).
    let mut index: BTreeMap<String, usize> =
        label_of_day.values().map(|l| (l.clone(), 0)).collect();
    for (position, value) in index.values_mut().enumerate() {
        *value = position;
    }
    let cohort_of_day: HashMap<i32, usize> = label_of_day
        .iter()
        .map(|(&day, label)| (day, index[label]))
        .collect();
    let mut active_renewals: HashMap<i32, u32> = HashMap::new();
    let mut cohorts: Vec<(String, SurvivalCounts)> = index
        .keys()
        .map(|label| (label.clone(), SurvivalCounts::default()))
        .collect();
    let mut not_started = 0;
    let rows = start
        .iter()
        .zip(end)
        .map(|(&s, e)| {
            let cohort = cohort_of_day[&s];
            let standing = match e {
                _ if s > as_of => Standing::NotStarted,
                Some(e) if *e <= as_of => standing(unit, date(s), Some(date(*e)), as_of_date),
                _ => Standing::Active {
                    renewals: *active_renewals
                        .entry(s)
                        .or_insert_with(|| unit.completed(date(s), as_of_date)),
                },
            };
            match standing {
                Standing::Churned { last_period } => {
                    cohorts[cohort].1.add_churned(last_period, 1.0)
                }
                Standing::Active { renewals } => cohorts[cohort].1.add_censored(renewals, 1.0),
                Standing::NotStarted => not_started += 1,
            }
            (cohort, standing)
        })
        .collect();
    cohorts.retain(|(_, counts)| counts.customers() > 0.0);
    let kept: Vec<String> = cohorts.iter().map(|(l, _)| l.clone()).collect();
    let rows = renumber(rows, &index, &kept);
    CohortCounts {
        cohorts,
        rows,
        not_started,
    }
}

/// Subscriptions drawn from an sBG process: starts uniform over the first `acquisition_days`
/// days from `first_day`, lifetimes `T` from [`SbgParams::draw_lifetime`], each ending on its
/// `T`-th anniversary when that falls on or before `last_day` (else still active: `None`).
/// Deterministic for a seed.
pub fn simulate_subscriptions(
    params: SbgParams,
    unit: PeriodUnit,
    customers: usize,
    (first_day, acquisition_days, last_day): (i32, u32, i32),
    seed: u64,
) -> Result<Vec<(i32, Option<i32>)>, String> {
    let beta = Beta::new(params.alpha, params.beta).map_err(|_| {
        format!(
            "α = {} and β = {} must be positive",
            params.alpha, params.beta
        )
    })?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let end = date_of_day(last_day);
    Ok((0..customers)
        .map(|_| {
            let offset = (rng.random::<f64>() * f64::from(acquisition_days.max(1))) as i32;
            let start_day = first_day + offset;
            let start = date_of_day(start_day);
            let observable = unit.completed(start, end);
            let end_day = params
                .draw_lifetime(&beta, observable, &mut rng)
                .and_then(|t| unit.anniversary(start, t))
                .map(crate::data::dates::day_number);
            (start_day, end_day)
        })
        .collect())
}

/// The label of the pooled fit.
pub const POOLED: &str = "all";

/// One cohort (or the pool): its counts and its own fit, or why there is none.
#[derive(Debug, Clone)]
pub struct CohortFit {
    pub label: String,
    pub counts: SurvivalCounts,
    pub own: Result<SbgFit, String>,
}

impl CohortFit {
    /// The model the cohort's figures come from: its own fit, else the pooled one.
    pub fn model<'a>(&'a self, pooled: &'a SbgFit) -> &'a SbgFit {
        self.own.as_ref().unwrap_or(pooled)
    }

    /// Mean DERL (discount rate per period) over the cohort's active customers, each at its own
    /// number of renewals; NaN without active customers.
    pub fn mean_derl(&self, pooled: &SbgFit, discount: f64) -> f64 {
        let params = self.model(pooled).params;
        let active = self.counts.active();
        let total: f64 = self
            .counts
            .censored
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0.0)
            .map(|(c, n)| n * params.discounted_residual_lifetime(discount, c as u32))
            .sum();
        if active > 0.0 {
            total / active
        } else {
            f64::NAN
        }
    }
}

/// The pool ([`POOLED`]) first, then each cohort, each fitted by maximum likelihood or, with
/// `saved` fits, given the saved fit of its label. With one cohort only the pool is returned:
/// the cohort is the pool.
pub fn fit_cohorts(
    groups: Vec<(String, SurvivalCounts)>,
    saved: Option<&[(String, SbgFit)]>,
) -> Vec<CohortFit> {
    let mut pool = SurvivalCounts::default();
    for (_, counts) in &groups {
        pool.merge(counts);
    }
    let fit_one = |label: &str, counts: &SurvivalCounts| -> Result<SbgFit, String> {
        match saved {
            Some(fits) => fits
                .iter()
                .find(|(cohort, _)| cohort == label)
                .map(|(_, fit)| fit.clone())
                .ok_or_else(|| "not in the saved model".to_string()),
            None => crate::models::sbg::fit(counts).map_err(|e| e.to_string()),
        }
    };
    let single = groups.len() == 1;
    let mut cohorts = vec![CohortFit {
        label: POOLED.to_string(),
        own: fit_one(POOLED, &pool),
        counts: pool,
    }];
    if !single {
        cohorts.extend(groups.into_iter().map(|(label, counts)| CohortFit {
            own: fit_one(&label, &counts),
            label,
            counts,
        }));
    }
    cohorts
}

/// The date of a day number (days since 1970-01-01).
pub fn date_of_day(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(i64::from(day))))
        .unwrap_or(NaiveDate::MAX)
}

/// Cohort indices after cohorts with no started subscription were dropped.
fn renumber(
    rows: Vec<(usize, Standing)>,
    index: &BTreeMap<String, usize>,
    kept: &[String],
) -> Vec<(usize, Standing)> {
    let mut new_index = vec![usize::MAX; index.len()];
    for (position, label) in kept.iter().enumerate() {
        new_index[index[label]] = position;
    }
    rows.into_iter()
        .map(|(cohort, standing)| (new_index[cohort], standing))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn renewals_fall_on_each_subscriptions_anniversaries() {
        let m = PeriodUnit::Month;
        assert_eq!(m.completed(d("2024-01-31"), d("2024-02-28")), 0);
        assert_eq!(m.completed(d("2024-01-31"), d("2024-02-29")), 1);
        assert_eq!(m.completed(d("2024-01-15"), d("2024-04-14")), 2);
        assert_eq!(m.completed(d("2024-01-15"), d("2024-04-15")), 3);
        assert_eq!(
            PeriodUnit::Year.completed(d("2020-02-29"), d("2021-02-28")),
            1
        );
        assert_eq!(
            PeriodUnit::Week.completed(d("2024-01-01"), d("2024-01-15")),
            2
        );
    }

    #[test]
    fn the_period_a_subscription_ended_in() {
        let m = PeriodUnit::Month;
        // Cancelled mid-way through the first month, on the first renewal day, and after it.
        assert_eq!(m.last_period(d("2024-01-15"), d("2024-01-20")), 1);
        assert_eq!(m.last_period(d("2024-01-15"), d("2024-01-15")), 1);
        assert_eq!(m.last_period(d("2024-01-15"), d("2024-02-15")), 1);
        assert_eq!(m.last_period(d("2024-01-15"), d("2024-02-16")), 2);
    }

    #[test]
    fn standing_at_the_as_of_date() {
        let m = PeriodUnit::Month;
        let as_of = d("2024-06-30");
        assert_eq!(
            standing(m, d("2024-01-10"), None, as_of),
            Standing::Active { renewals: 5 }
        );
        assert_eq!(
            standing(m, d("2024-01-10"), Some(d("2024-08-01")), as_of),
            Standing::Active { renewals: 5 }
        );
        assert_eq!(
            standing(m, d("2024-01-10"), Some(d("2024-03-10")), as_of),
            Standing::Churned { last_period: 2 }
        );
        assert_eq!(
            standing(m, d("2024-07-01"), None, as_of),
            Standing::NotStarted
        );
    }

    #[test]
    fn simulated_subscriptions_recover_their_parameters() {
        let truth = SbgParams {
            alpha: 0.8,
            beta: 1.6,
        };
        let first = crate::data::dates::day_number(d("2022-01-01"));
        let last = crate::data::dates::day_number(d("2024-12-31"));
        let subs = simulate_subscriptions(truth, PeriodUnit::Month, 30_000, (first, 730, last), 5)
            .unwrap();
        assert!(
            subs.iter()
                .all(|(s, e)| e.is_none_or(|e| e > *s && e <= last))
        );
        let start: Vec<i32> = subs.iter().map(|s| s.0).collect();
        let end: Vec<Option<i32>> = subs.iter().map(|s| s.1).collect();
        let counts = cohort_counts(PeriodUnit::Month, &start, &end, last);
        let mut pool = SurvivalCounts::default();
        for (_, c) in &counts.cohorts {
            pool.merge(c);
        }
        let fitted = crate::models::sbg::fit(&pool).unwrap();
        for (estimate, true_value) in fitted.report.params.iter().zip([0.8, 1.6]) {
            // Within four standard errors: a false alarm about once in 16 000 seeds.
            assert!(
                (estimate.value - true_value).abs() < 4.0 * estimate.std_error,
                "{estimate:?} vs {true_value}"
            );
        }
    }

    #[test]
    fn cohorts_in_date_order_with_their_counts() {
        let day = |t: &str| crate::data::dates::day_number(d(t));
        let start = [
            day("2024-02-03"),
            day("2024-01-05"),
            day("2024-01-20"),
            day("2024-09-01"),
        ];
        let end = [None, Some(day("2024-02-05")), None, None];
        let counts = cohort_counts(PeriodUnit::Month, &start, &end, day("2024-04-30"));
        let labels: Vec<&str> = counts.cohorts.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["2024-01", "2024-02"]);
        assert_eq!(counts.not_started, 1);
        assert_eq!(counts.cohorts[0].1.churned, [1.0]);
        assert_eq!(counts.cohorts[0].1.censored, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(counts.rows[0], (1, Standing::Active { renewals: 2 }));
        assert_eq!(counts.rows[3].1, Standing::NotStarted);
    }
}
