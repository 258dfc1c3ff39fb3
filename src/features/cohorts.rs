//! Acquisition cohorts: customers grouped by the period of their first purchase, and what each
//! cohort did in each period since.
//!
//! A cohort's column `k` is the calendar period `k` periods after its acquisition period. A cell
//! is *observed* only when the as-of date `A` is on or after the last day of its period; when `A`
//! falls inside the period the cell is *partial*, and when the period starts after `A` it is
//! *unobserved*. Partial and unobserved cells carry no figures (NaN), never 0: a month that has
//! not ended yet has not shown how many customers it keeps.
//!
//! Everything is read from the per-customer day history ([`Histories`]) that churn uses: a
//! customer is *active* in a period when one of their days in it is a purchase (a day with only
//! returns is not), and the cohort's *revenue* in a period is the net total of its customers'
//! days in that period (returns subtract, as `--returns` decides).

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;

use crate::features::churn::Histories;
use crate::output::{Table, Values};

/// Calendar period of a cohort and of its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    /// ISO weeks, Monday to Sunday; labelled by their Monday.
    Week,
    /// Calendar months, labelled YYYY-MM.
    Month,
    /// Calendar quarters, labelled YYYY-Qn.
    Quarter,
}

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + EPOCH_FROM_CE).unwrap_or(NaiveDate::MIN)
}

fn day_of(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

impl Period {
    /// The number of the period holding `day` (days since 1970-01-01); consecutive periods
    /// have consecutive numbers.
    pub fn number(self, day: i32) -> i32 {
        match self {
            // 1970-01-01 was a Thursday: Monday 1969-12-29 is day −3.
            Period::Week => (day + 3).div_euclid(7),
            Period::Month => {
                let date = date_of(day);
                date.year() * 12 + date.month0() as i32
            }
            Period::Quarter => {
                let date = date_of(day);
                date.year() * 4 + (date.month0() / 3) as i32
            }
        }
    }

    /// First day of period `number`.
    pub fn first_day(self, number: i32) -> i32 {
        let month_start = |months: i32| {
            NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
                .map_or(i32::MIN, day_of)
        };
        match self {
            Period::Week => number * 7 - 3,
            Period::Month => month_start(number),
            Period::Quarter => month_start(number * 3),
        }
    }

    /// Last day of period `number`.
    pub fn last_day(self, number: i32) -> i32 {
        self.first_day(number + 1) - 1
    }

    /// How period `number` is shown: `2024-03-04` (the week's Monday), `2024-03`, `2024-Q1`.
    pub fn label(self, number: i32) -> String {
        match self {
            Period::Week => date_of(self.first_day(number)).to_string(),
            Period::Month => format!("{}-{:02}", number.div_euclid(12), number.rem_euclid(12) + 1),
            Period::Quarter => format!("{}-Q{}", number.div_euclid(4), number.rem_euclid(4) + 1),
        }
    }

    /// The period's name in text ("month").
    pub fn name(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }
}

/// How much of a cell's period the data observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The period ended on or before the as-of date.
    Full,
    /// The as-of date falls inside the period.
    Partial,
    /// The period starts after the as-of date.
    Not,
}

impl Observed {
    /// The status as written in the long rows.
    pub fn name(self) -> &'static str {
        match self {
            Observed::Full => "observed",
            Observed::Partial => "partial",
            Observed::Not => "unobserved",
        }
    }
}

/// Counts and revenue per cohort and period since acquisition, as of a date.
///
/// Cohorts are the acquisition periods that acquired at least one customer, in date order;
/// columns run from 0 (the acquisition period) to the number of periods between the first
/// cohort and the as-of date. Cells `c × columns + k` are stored row by row; counts and revenue
/// of cells that are not fully observed hold what the data show so far (the derived matrices
/// below blank them).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohorts {
    pub period: Period,
    pub as_of: i32,
    /// Period number of each cohort.
    pub cohort: Vec<i32>,
    /// Customers acquired in each cohort.
    pub size: Vec<u64>,
    /// Number of columns (periods since acquisition) of every cohort row.
    pub columns: usize,
    /// Customers with a purchase in the cell's period.
    pub active: Vec<u64>,
    /// Net revenue of the cohort's customers in the cell's period.
    pub revenue: Vec<f64>,
    /// Customers whose days up to the as-of date are all returns: in no cohort.
    pub returns_only_customers: usize,
    /// Rows of return days before a customer's first purchase, in no cell.
    pub rows_before_first_purchase: u64,
    /// Rows dated after the as-of date, left out.
    pub rows_after_as_of: u64,
}

/// Customers per block of the parallel pass; fixed, so that revenue sums are added in the same
/// order on every run and machine.
const BLOCK_CUSTOMERS: usize = 16_384;

/// One block's tallies over the full grid of period numbers `first..=last`.
struct Tally {
    size: Vec<u64>,
    active: Vec<u64>,
    revenue: Vec<f64>,
    returns_only_customers: usize,
    rows_before_first_purchase: u64,
    rows_after_as_of: u64,
}

impl Tally {
    fn new(periods: usize) -> Tally {
        Tally {
            size: vec![0; periods],
            active: vec![0; periods * periods],
            revenue: vec![0.0; periods * periods],
            returns_only_customers: 0,
            rows_before_first_purchase: 0,
            rows_after_as_of: 0,
        }
    }

    fn add(&mut self, other: &Tally) {
        let sum = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        sum(&mut self.size, &other.size);
        sum(&mut self.active, &other.active);
        for (x, y) in self.revenue.iter_mut().zip(&other.revenue) {
            *x += y;
        }
        self.returns_only_customers += other.returns_only_customers;
        self.rows_before_first_purchase += other.rows_before_first_purchase;
        self.rows_after_as_of += other.rows_after_as_of;
    }
}

/// Tallies every customer's days up to `as_of` into acquisition cohorts by `period`; `None`
/// when no customer made a purchase by then.
pub fn cohorts(histories: &Histories, period: Period, as_of: i32) -> Option<Cohorts> {
    let first_purchase = |i: usize| {
        histories
            .days_of(i)
            .iter()
            .take_while(|d| d.day <= as_of)
            .find(|d| d.purchase)
            .map(|d| d.day)
    };
    let first_day = (0..histories.len())
        .into_par_iter()
        .filter_map(first_purchase)
        .min()?;
    // Days before the first purchase (returns) can be older: the lookup table covers them too.
    let oldest_day = (0..histories.len())
        .into_par_iter()
        .filter_map(|i| histories.days_of(i).first().map(|d| d.day))
        .min()
        .unwrap_or(first_day)
        .min(first_day);
    let first = period.number(first_day);
    let periods = (period.number(as_of) - first + 1) as usize;
    // Period index (from the first cohort) of every day from the oldest to the as-of date;
    // negative before the first cohort's period.
    let index_of_day: Vec<i32> = (oldest_day..=as_of)
        .map(|day| period.number(day) - first)
        .collect();
    let index = |day: i32| index_of_day[(day - oldest_day) as usize];

    let starts: Vec<usize> = (0..histories.len()).step_by(BLOCK_CUSTOMERS).collect();
    let mut total = Tally::new(periods);
    // A few blocks per thread at a time bounds the memory held by the blocks' grids.
    for batch in starts.chunks(4 * rayon::current_num_threads()) {
        let tallies: Vec<Tally> = batch
            .par_iter()
            .map(|&start| {
                let mut tally = Tally::new(periods);
                for i in start..(start + BLOCK_CUSTOMERS).min(histories.len()) {
                    tally_customer(&mut tally, histories, i, as_of, &index, periods);
                }
                tally
            })
            .collect();
        for tally in &tallies {
            total.add(tally);
        }
    }
    Some(keep_acquiring_cohorts(total, period, as_of, first, periods))
}

/// Adds customer `i`'s days up to `as_of` to the tally.
fn tally_customer(
    tally: &mut Tally,
    histories: &Histories,
    i: usize,
    as_of: i32,
    index: &impl Fn(i32) -> i32,
    periods: usize,
) {
    let days = histories.days_of(i);
    let known = &days[..days.partition_point(|d| d.day <= as_of)];
    tally.rows_after_as_of += days[known.len()..]
        .iter()
        .map(|d| u64::from(d.rows))
        .sum::<u64>();
    let Some(first) = known.iter().position(|d| d.purchase) else {
        tally.returns_only_customers += usize::from(!known.is_empty());
        return;
    };
    let cohort = index(known[first].day) as usize;
    tally.size[cohort] += 1;
    for d in &known[..first] {
        tally.rows_before_first_purchase += u64::from(d.rows);
    }
    let mut last_active = usize::MAX;
    for d in &known[first..] {
        let cell = cohort * periods + (index(d.day) as usize - cohort);
        tally.revenue[cell] += d.total;
        if d.purchase && last_active != cell {
            tally.active[cell] += 1;
            last_active = cell; // days are in date order: a cell's days are consecutive
        }
    }
}

/// The cohorts that acquired someone, each with as many columns as the oldest has.
fn keep_acquiring_cohorts(
    total: Tally,
    period: Period,
    as_of: i32,
    first: i32,
    periods: usize,
) -> Cohorts {
    let kept: Vec<usize> = (0..periods).filter(|&c| total.size[c] > 0).collect();
    let row = |values: &[u64], c: usize| values[c * periods..(c + 1) * periods].to_vec();
    Cohorts {
        period,
        as_of,
        cohort: kept.iter().map(|&c| first + c as i32).collect(),
        size: kept.iter().map(|&c| total.size[c]).collect(),
        columns: periods,
        active: kept.iter().flat_map(|&c| row(&total.active, c)).collect(),
        revenue: kept
            .iter()
            .flat_map(|&c| total.revenue[c * periods..(c + 1) * periods].to_vec())
            .collect(),
        returns_only_customers: total.returns_only_customers,
        rows_before_first_purchase: total.rows_before_first_purchase,
        rows_after_as_of: total.rows_after_as_of,
    }
}

/// The cohort matrices: `--metric` chooses one for the wide table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    /// Customers with a purchase in the period.
    Active,
    /// Active customers as a percentage of the cohort's size.
    Retention,
    /// Net revenue of the cohort's customers in the period.
    Revenue,
    /// Net revenue in the period as a percentage of the acquisition period's.
    RevenueRetention,
    /// Net revenue from acquisition to the end of the period, per acquired customer.
    CumulativeRevenue,
}

impl Metric {
    /// Every metric, in the order of the long rows' columns.
    pub const ALL: [Metric; 5] = [
        Metric::Active,
        Metric::Retention,
        Metric::Revenue,
        Metric::RevenueRetention,
        Metric::CumulativeRevenue,
    ];

    /// The metric's column name in the long rows.
    pub fn column(self) -> &'static str {
        match self {
            Metric::Active => "customers_active",
            Metric::Retention => "retention_pct",
            Metric::Revenue => "revenue",
            Metric::RevenueRetention => "revenue_retention_pct",
            Metric::CumulativeRevenue => "cumulative_revenue_per_customer",
        }
    }

    /// Decimals shown.
    pub fn decimals(self) -> usize {
        match self {
            Metric::Active => 0,
            Metric::Retention | Metric::RevenueRetention => 1,
            Metric::Revenue | Metric::CumulativeRevenue => 2,
        }
    }

    /// What the figures mean, for the heading.
    pub fn description(self) -> &'static str {
        match self {
            Metric::Active => "customers with a purchase in the period",
            Metric::Retention => "% of the cohort with a purchase in the period",
            Metric::Revenue => "net revenue of the cohort in the period",
            Metric::RevenueRetention => {
                "net revenue in the period as % of the acquisition period's"
            }
            Metric::CumulativeRevenue => {
                "net revenue from acquisition to the end of the period per acquired customer"
            }
        }
    }
}

impl Cohorts {
    /// Number of cohorts.
    pub fn len(&self) -> usize {
        self.cohort.len()
    }

    /// Whether there are no cohorts.
    pub fn is_empty(&self) -> bool {
        self.cohort.is_empty()
    }

    /// How much of cell (cohort `c`, column `k`) the data observe.
    pub fn observed(&self, c: usize, k: usize) -> Observed {
        let number = self.cohort[c] + k as i32;
        let period = self.period;
        if period.last_day(number) <= self.as_of {
            Observed::Full
        } else if period.first_day(number) <= self.as_of {
            Observed::Partial
        } else {
            Observed::Not
        }
    }

    /// The matrix of `metric`, row by row; NaN in cells not fully observed (and in revenue
    /// retention where the acquisition period's revenue is not positive).
    pub fn matrix(&self, metric: Metric) -> Vec<f64> {
        let mut values = vec![f64::NAN; self.len() * self.columns];
        for c in 0..self.len() {
            let size = self.size[c] as f64;
            let row = c * self.columns;
            let mut cumulative = 0.0;
            for k in 0..self.columns {
                if self.observed(c, k) != Observed::Full {
                    break; // later columns are later periods: not observed either
                }
                let (active, revenue) = (self.active[row + k] as f64, self.revenue[row + k]);
                cumulative += revenue;
                let first_revenue = self.revenue[row];
                values[row + k] = match metric {
                    Metric::Active => active,
                    Metric::Retention => 100.0 * active / size,
                    Metric::Revenue => revenue,
                    Metric::RevenueRetention if first_revenue > 0.0 => {
                        100.0 * revenue / first_revenue
                    }
                    Metric::RevenueRetention => f64::NAN,
                    Metric::CumulativeRevenue => cumulative / size,
                };
            }
        }
        values
    }

    /// Per column, the number of cohorts that observed it fully.
    pub fn observing_cohorts(&self) -> Vec<usize> {
        (0..self.columns)
            .map(|k| {
                (0..self.len())
                    .filter(|&c| self.observed(c, k) == Observed::Full)
                    .count()
            })
            .collect()
    }

    /// Per column, `metric` over the cohorts that observed that column fully (NaN where none
    /// did): counts and revenue as the mean per cohort; the ratios pooled, so that each
    /// cohort weighs by its size (retention, cumulative revenue per customer) or by its
    /// acquisition revenue (revenue retention).
    pub fn average(&self, metric: Metric) -> Vec<f64> {
        (0..self.columns)
            .map(|k| {
                let observing: Vec<usize> = (0..self.len())
                    .filter(|&c| self.observed(c, k) == Observed::Full)
                    .collect();
                self.pooled(metric, k, &observing)
            })
            .collect()
    }

    fn pooled(&self, metric: Metric, k: usize, observing: &[usize]) -> f64 {
        if observing.is_empty() {
            return f64::NAN;
        }
        let sum = |value: &dyn Fn(usize) -> f64| observing.iter().map(|&c| value(c)).sum::<f64>();
        let cell = |c: usize| c * self.columns + k;
        let size = sum(&|c| self.size[c] as f64);
        let ratio = |numerator: f64, denominator: f64| {
            if denominator > 0.0 {
                numerator / denominator
            } else {
                f64::NAN
            }
        };
        match metric {
            Metric::Active => sum(&|c| self.active[cell(c)] as f64) / observing.len() as f64,
            Metric::Retention => 100.0 * sum(&|c| self.active[cell(c)] as f64) / size,
            Metric::Revenue => sum(&|c| self.revenue[cell(c)]) / observing.len() as f64,
            Metric::RevenueRetention => {
                100.0
                    * ratio(
                        sum(&|c| self.revenue[cell(c)]),
                        sum(&|c| self.revenue[c * self.columns]),
                    )
            }
            Metric::CumulativeRevenue => {
                let cumulative =
                    sum(&|c| self.revenue[c * self.columns..=cell(c)].iter().sum::<f64>());
                cumulative / size
            }
        }
    }

    /// One row per cohort and an "all" row, one column per period since acquisition.
    pub fn wide_table(&self, metric: Metric) -> Table {
        let matrix = self.matrix(metric);
        let average = self.average(metric);
        let mut labels: Vec<String> = self.cohort.iter().map(|&c| self.period.label(c)).collect();
        labels.push("all".to_string());
        let mut sizes: Vec<i64> = self.size.iter().map(|&s| s as i64).collect();
        sizes.push(sizes.iter().sum());
        let mut table = Table::default()
            .with("cohort", Values::Text(labels))
            .with("customers", Values::Int(sizes));
        for k in 0..self.columns {
            let mut column: Vec<f64> = (0..self.len())
                .map(|c| matrix[c * self.columns + k])
                .collect();
            column.push(average[k]);
            table = table.with(&k.to_string(), Values::Float(column, metric.decimals()));
        }
        table
    }

    /// The period holding the as-of date, when the as-of date is not its last day (its cells
    /// are partial in every cohort).
    pub fn partial_period(&self) -> Option<i32> {
        let number = self.period.number(self.as_of);
        (self.period.last_day(number) > self.as_of).then_some(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> i32 {
        day_of(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    fn history(rows: &[(&'static str, &str, f64, bool)]) -> Histories {
        let ids: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let days: Vec<i32> = rows.iter().map(|r| day(r.1)).collect();
        let amount: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let is_return: Vec<bool> = rows.iter().map(|r| r.3).collect();
        Histories::from_rows(&ids, &days, &amount, &is_return)
    }

    #[test]
    fn periods_number_consecutively_and_round_trip() {
        for period in [Period::Week, Period::Month, Period::Quarter] {
            let mut previous = period.number(day("1969-12-01"));
            for d in day("1969-12-02")..day("2031-01-01") {
                let number = period.number(d);
                assert!(
                    number == previous || number == previous + 1,
                    "{period:?} {d}"
                );
                assert!(period.first_day(number) <= d && d <= period.last_day(number));
                previous = number;
            }
        }
        assert_eq!(
            Period::Week.label(Period::Week.number(day("2024-01-03"))),
            "2024-01-01"
        );
        assert_eq!(
            Period::Week.first_day(Period::Week.number(day("2024-01-07"))),
            day("2024-01-01")
        );
        assert_eq!(
            Period::Month.label(Period::Month.number(day("2024-02-29"))),
            "2024-02"
        );
        assert_eq!(
            Period::Quarter.label(Period::Quarter.number(day("2024-05-31"))),
            "2024-Q2"
        );
        assert_eq!(
            Period::Quarter.last_day(Period::Quarter.number(day("2024-05-31"))),
            day("2024-06-30")
        );
    }

    /// Three customers by hand, as of the middle of March: March is partial in every cohort.
    #[test]
    fn cohort_cells_by_hand() {
        let h = history(&[
            ("a", "2024-01-05", 10.0, false),
            ("a", "2024-01-20", 5.0, false),
            ("a", "2024-03-02", 7.0, false),
            ("b", "2024-01-31", 20.0, false),
            ("b", "2024-02-10", -4.0, true), // a return: revenue, not activity
            ("c", "2023-12-20", -3.0, true), // a return before the first purchase
            ("c", "2024-02-01", 8.0, false),
            ("c", "2024-02-29", 2.0, false),
            ("d", "2024-02-15", -1.0, true), // only returns: in no cohort
            ("a", "2024-04-01", 99.0, false), // after the as-of date
        ]);
        let as_of = day("2024-03-15");
        let cohorts = cohorts(&h, Period::Month, as_of).unwrap();
        assert_eq!(cohorts.cohort.len(), 2);
        assert_eq!(Period::Month.label(cohorts.cohort[0]), "2024-01");
        assert_eq!(cohorts.size, [2, 1]);
        assert_eq!(cohorts.columns, 3);
        assert_eq!(cohorts.active, [2, 0, 1, 1, 0, 0]);
        assert_eq!(cohorts.revenue, [35.0, -4.0, 7.0, 10.0, 0.0, 0.0]);
        assert_eq!(cohorts.returns_only_customers, 1);
        assert_eq!(cohorts.rows_before_first_purchase, 1);
        assert_eq!(cohorts.rows_after_as_of, 1);
        assert_eq!(cohorts.observed(0, 1), Observed::Full);
        assert_eq!(cohorts.observed(0, 2), Observed::Partial);
        assert_eq!(cohorts.observed(1, 1), Observed::Partial);
        assert_eq!(cohorts.observed(1, 2), Observed::Not);
        assert_eq!(cohorts.partial_period(), Some(Period::Month.number(as_of)));

        let retention = cohorts.matrix(Metric::Retention);
        assert_eq!(&retention[..2], [100.0, 0.0]);
        assert!(retention[2].is_nan() && retention[4].is_nan() && retention[5].is_nan());
        assert_eq!(retention[3], 100.0);
        let revenue_retention = cohorts.matrix(Metric::RevenueRetention);
        assert!((revenue_retention[1] - 100.0 * -4.0 / 35.0).abs() < 1e-12);
        assert_eq!(cohorts.matrix(Metric::CumulativeRevenue)[..2], [17.5, 15.5]);

        // Column 0 is observed by both cohorts, column 1 by the first only.
        assert_eq!(cohorts.observing_cohorts(), [2, 1, 0]);
        let average = cohorts.average(Metric::Retention);
        assert_eq!(average[..2], [100.0, 0.0]);
        assert!(average[2].is_nan());
        assert_eq!(cohorts.average(Metric::Revenue)[0], 22.5);
        assert_eq!(cohorts.average(Metric::CumulativeRevenue)[0], 45.0 / 3.0);
        assert_eq!(cohorts.average(Metric::RevenueRetention)[0], 100.0);
    }

    #[test]
    fn as_of_on_the_last_day_of_a_period_observes_it() {
        let h = history(&[
            ("a", "2024-01-05", 10.0, false),
            ("a", "2024-02-29", 1.0, false),
        ]);
        let cohorts = cohorts(&h, Period::Month, day("2024-02-29")).unwrap();
        assert_eq!(cohorts.partial_period(), None);
        assert_eq!(cohorts.matrix(Metric::Active), [1.0, 1.0]);
        assert!(cohorts.matrix(Metric::Active).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn no_purchase_by_the_as_of_date_gives_no_cohorts() {
        let h = history(&[
            ("a", "2024-01-05", -10.0, true),
            ("b", "2024-03-01", 5.0, false),
        ]);
        assert!(cohorts(&h, Period::Week, day("2024-02-01")).is_none());
    }
}
