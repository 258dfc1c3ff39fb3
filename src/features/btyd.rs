//! Buy-till-you-die sufficient statistics per customer: `x`, `t_x`, `T` and the mean repeat
//! spend, from the canonical transaction frame; and the holdout purchase counts used to validate
//! a fitted model.
//!
//! Conventions (Fader, Hardie & Lee 2005; `docs/clv.md`): purchases on the same day are one
//! transaction; returns rows (`is_return`) are not purchases; `x` = purchase days − 1 up to the
//! as-of date `A`; `t_x` = last − first purchase day; `T` = `A` − first purchase day, both in
//! the chosen [`TimeUnit`]. The spend of a purchase day is the net total of that day's rows (a
//! return on the same day is netted against it); the mean repeat spend averages the days after
//! the first.

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use crate::data::Transactions;
use crate::data::customers::CustomerRows;
use crate::data::load::{AMOUNT, CUSTOMER, DAY, IS_RETURN};
use crate::data::options::InputFormat;
use crate::data::table::{RawTable, RowReader, read_table, table_from_bytes};
use crate::error::ClmError;
use crate::models::bgbb::DiscreteSummary;
use crate::models::{FastHashMap, Triple};
use crate::output::{PackedText, Stopwatch};

/// The unit in which `t_x`, `T`, horizons and model rates are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeUnit {
    /// Days.
    Day,
    /// Weeks (days / 7), the unit of the published CDNOW results.
    Week,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
        }
    }

    /// The unit's name, singular.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        }
    }

    /// Parses the name written by [`TimeUnit::name`].
    pub fn from_name(name: &str) -> Option<TimeUnit> {
        match name {
            "day" => Some(TimeUnit::Day),
            "week" => Some(TimeUnit::Week),
            _ => None,
        }
    }

    /// A whole number of days in this unit.
    pub fn from_days(self, days: i32) -> f64 {
        f64::from(days) / self.days()
    }

    /// The rate per unit equivalent to `annual_rate` per year of 365 days:
    /// (1 + d_year)^(days per unit / 365) − 1.
    pub fn rate_from_annual(self, annual_rate: f64) -> f64 {
        (1.0 + annual_rate).powf(self.days() / 365.0) - 1.0
    }
}

/// BTYD statistics, one entry per customer with at least one purchase up to the as-of date,
/// sorted by customer id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BtydStatistics {
    pub customer_id: PackedText,
    /// First purchase day (days since 1970-01-01).
    pub first_day: Vec<i32>,
    /// Repeat transactions: distinct purchase days − 1.
    pub repeat_purchases: Vec<u32>,
    /// Days from the first to the last purchase day.
    pub t_x_days: Vec<i32>,
    /// Days from the first purchase day to the as-of date.
    pub t_cal_days: Vec<i32>,
    /// Mean net total of the repeat purchase days; NaN for one-time buyers.
    pub mean_repeat_spend: Vec<f64>,
    /// Customers left out because every row of theirs up to the as-of date is a return.
    pub returns_only_customers: usize,
    /// Rows dated after the as-of date (ignored, or the holdout).
    pub rows_after_as_of: usize,
}

impl BtydStatistics {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// The `(x, t_x, T)` triple of each customer in `unit`, weight 1.
    pub fn triples(&self, unit: TimeUnit) -> Vec<Triple> {
        (0..self.len())
            .map(|i| {
                Triple::new(
                    f64::from(self.repeat_purchases[i]),
                    unit.from_days(self.t_x_days[i]),
                    unit.from_days(self.t_cal_days[i]),
                )
            })
            .collect()
    }

    /// The distinct `(x, t_x, T)` histories in `unit`, weighted by their customers, and each
    /// customer's position among them (what [`compress_triples_indexed`] gives for
    /// [`BtydStatistics::triples`], ordered by `T`).
    ///
    /// A counting sort groups the customers by `T` in days (it spans at most the data's days),
    /// so each group's table of `(x, t_x)` is small; the groups run in parallel.
    ///
    /// [`compress_triples_indexed`]: crate::models::compress_triples_indexed
    pub fn histories(&self, unit: TimeUnit) -> (Vec<Triple>, Vec<u32>) {
        let groups = self
            .t_cal_days
            .iter()
            .max()
            .map_or(0, |&t| t.max(0) as usize + 1);
        let mut starts = vec![0usize; groups + 1];
        for &t in &self.t_cal_days {
            starts[t as usize + 1] += 1;
        }
        for t in 1..starts.len() {
            starts[t] += starts[t - 1];
        }
        let mut next = starts.clone();
        let mut by_t_cal = vec![0u32; self.len()];
        for (i, &t) in self.t_cal_days.iter().enumerate() {
            by_t_cal[next[t as usize]] = i as u32;
            next[t as usize] += 1;
        }
        let members = |t: usize| &by_t_cal[starts[t]..starts[t + 1]];
        let per_t_cal: Vec<(Vec<Triple>, Vec<u32>)> = (0..groups)
            .into_par_iter()
            .map(|t| {
                let mut index: FastHashMap<(u32, i32), u32> =
                    FastHashMap::with_capacity_and_hasher(members(t).len(), Default::default());
                let mut distinct: Vec<Triple> = Vec::new();
                let local = members(t)
                    .iter()
                    .map(|&i| {
                        let (x, t_x) =
                            (self.repeat_purchases[i as usize], self.t_x_days[i as usize]);
                        let position = *index.entry((x, t_x)).or_insert_with(|| {
                            let mut history = Triple::new(
                                f64::from(x),
                                unit.from_days(t_x),
                                unit.from_days(t as i32),
                            );
                            history.weight = 0.0;
                            distinct.push(history);
                            (distinct.len() - 1) as u32
                        });
                        distinct[position as usize].weight += 1.0;
                        position
                    })
                    .collect();
                (distinct, local)
            })
            .collect();
        let mut histories = Vec::new();
        let mut positions = vec![0u32; self.len()];
        for (t, (distinct, local)) in per_t_cal.iter().enumerate() {
            let offset = histories.len() as u32;
            for (&i, &position) in members(t).iter().zip(local) {
                positions[i as usize] = offset + position;
            }
            histories.extend_from_slice(distinct);
        }
        (histories, positions)
    }

    /// Whether customer `i` is a repeat buyer whose mean repeat spend can feed the Gamma-Gamma
    /// model (finite and > 0).
    pub fn has_usable_spend(&self, i: usize) -> bool {
        has_usable_repeat_spend(self.repeat_purchases[i], self.mean_repeat_spend[i])
    }

    /// Repeat buyers whose mean repeat spend is zero or negative (net of same-day returns):
    /// left out of the spend model, valued at the population mean spend.
    pub fn unusable_spend_customers(&self) -> usize {
        (0..self.len())
            .filter(|&i| self.repeat_purchases[i] > 0 && !self.has_usable_spend(i))
            .count()
    }
}

/// The one rule for which spend histories feed the Gamma-Gamma model: a repeat buyer
/// (`repeat_purchases > 0`) whose mean repeat spend is finite and positive. Everyone else is
/// valued at the population mean spend.
pub fn has_usable_repeat_spend(repeat_purchases: u32, mean_repeat_spend: f64) -> bool {
    repeat_purchases > 0 && mean_repeat_spend.is_finite() && mean_repeat_spend > 0.0
}

fn bad_data(source: &str) -> impl Fn(PolarsError) -> ClmError + '_ {
    move |e| ClmError::BadData(format!("{source}: {e}"))
}

/// Net total and purchase flag per customer and day, up to `last_day` inclusive, from `first_day`
/// exclusive when given.
fn purchase_days(tx: &Transactions, after_day: Option<i32>, last_day: i32) -> LazyFrame {
    let mut window = col(DAY).lt_eq(lit(last_day));
    if let Some(after) = after_day {
        window = window.and(col(DAY).gt(lit(after)));
    }
    tx.frame
        .clone()
        .lazy()
        .filter(window)
        .group_by([col(CUSTOMER), col(DAY)])
        .agg([
            col(IS_RETURN).not().any(true).alias("purchase"),
            col(AMOUNT).sum().alias("day_total"),
        ])
}

/// One customer's purchase history up to the as-of date, from their rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum History {
    /// No row on or before the as-of date.
    Outside,
    /// Rows on or before the as-of date, all of them returns.
    ReturnsOnly,
    /// At least one purchase day.
    Buyer {
        first_day: i32,
        last_day: i32,
        /// Distinct purchase days.
        purchase_days: u32,
        /// Net total of the purchase days after the first.
        repeat_spend: f64,
    },
}

/// Summarises one customer's `(day, amount, is_return)` rows, all on or before the as-of date:
/// a day with at least one row that is not a return is a purchase day, and its spend is the
/// net total of all that day's rows. Sorts `rows` by day (stable, so same-day amounts add up in
/// row order).
pub(crate) fn summarise_history(rows: &mut [(i32, f64, bool)]) -> History {
    if rows.is_empty() {
        return History::Outside;
    }
    rows.sort_by_key(|row| row.0);
    let mut first_day = None;
    let (mut last_day, mut purchase_days, mut repeat_spend) = (0, 0u32, 0.0);
    for same_day in rows.chunk_by(|a, b| a.0 == b.0) {
        if same_day.iter().all(|row| row.2) {
            continue;
        }
        let day = same_day[0].0;
        let total: f64 = same_day.iter().map(|row| row.1).sum();
        if first_day.is_some() {
            repeat_spend += total;
        } else {
            first_day = Some(day);
        }
        last_day = day;
        purchase_days += 1;
    }
    match first_day {
        Some(first_day) => History::Buyer {
            first_day,
            last_day,
            purchase_days,
            repeat_spend,
        },
        None => History::ReturnsOnly,
    }
}

/// Computes the BTYD statistics as of `as_of_day` (days since 1970-01-01): rows grouped by
/// customer (in id order), then each customer summarised by [`summarise_history`] in parallel.
pub fn btyd_statistics(tx: &Transactions, as_of_day: i32) -> Result<BtydStatistics> {
    let mut timer = Stopwatch::start("btyd statistics");
    let rows = tx.row_columns()?;
    timer.lap("row columns");
    let customers = CustomerRows::new(&rows.customer);
    timer.lap("group by customer");
    let histories: Vec<History> = (0..customers.customers())
        .into_par_iter()
        .map_init(Vec::new, |scratch, c| {
            scratch.clear();
            scratch.extend(
                customers
                    .rows_of(c)
                    .iter()
                    .map(|&row| row as usize)
                    .filter(|&row| rows.day[row] <= as_of_day)
                    .map(|row| (rows.day[row], rows.amount[row], rows.is_return[row])),
            );
            summarise_history(scratch)
        })
        .collect();
    timer.lap("summarise");

    let n = histories.len();
    let mut out = BtydStatistics {
        customer_id: PackedText::with_capacity(n, 0),
        first_day: Vec::with_capacity(n),
        repeat_purchases: Vec::with_capacity(n),
        t_x_days: Vec::with_capacity(n),
        t_cal_days: Vec::with_capacity(n),
        mean_repeat_spend: Vec::with_capacity(n),
        returns_only_customers: 0,
        rows_after_as_of: rows.rows_after(as_of_day),
    };
    for (c, history) in histories.into_iter().enumerate() {
        match history {
            History::Outside => {}
            History::ReturnsOnly => out.returns_only_customers += 1,
            History::Buyer {
                first_day,
                last_day,
                purchase_days,
                repeat_spend,
            } => {
                let repeats = purchase_days - 1;
                out.customer_id.push(customers.ids.get(c));
                out.first_day.push(first_day);
                out.repeat_purchases.push(repeats);
                out.t_x_days.push(last_day - first_day);
                out.t_cal_days.push(as_of_day - first_day);
                out.mean_repeat_spend.push(match repeats {
                    0 => f64::NAN,
                    x => repeat_spend / f64::from(x),
                });
            }
        }
    }
    timer.lap("vectors");
    Ok(out)
}

/// Purchase days in the holdout `(as_of_day, holdout_end_day]` for each customer of
/// `customer_id` (same order; 0 for customers without any).
pub fn holdout_purchases(
    tx: &Transactions,
    customer_id: &PackedText,
    as_of_day: i32,
    holdout_end_day: i32,
) -> Result<Vec<u32>> {
    let bad = bad_data(&tx.source);
    let counts = purchase_days(tx, Some(as_of_day), holdout_end_day)
        .filter(col("purchase"))
        .group_by([col(CUSTOMER)])
        .agg([len().cast(DataType::UInt32).alias("holdout_purchases")])
        .collect()
        .map_err(&bad)?;
    let ids = counts
        .column(CUSTOMER)
        .and_then(|c| c.str().cloned())
        .map_err(&bad)?;
    let n = counts
        .column("holdout_purchases")
        .and_then(|c| c.u32().cloned())
        .map_err(&bad)?;
    let by_id: std::collections::HashMap<&str, u32> = ids
        .iter()
        .zip(n.iter())
        .filter_map(|(id, n)| Some((id?, n?)))
        .collect();
    Ok(customer_id
        .iter()
        .map(|id| by_id.get(id).copied().unwrap_or(0))
        .collect())
}

/// Already summarised customers read with `--input-kind summary`.
#[derive(Debug, Clone, PartialEq)]
pub enum Summaries {
    /// Discrete opportunities `frequency,recency,periods[,weights]` (BG/BB).
    Discrete(Vec<DiscreteSummary>),
    /// Continuous-time `x,t_x,T[,weights]` in the chosen time unit (BG/NBD and kin).
    Continuous(Vec<Triple>),
}

/// Parses a summary CSV: a header naming `frequency,recency,periods` (discrete) or `x,t_x,T`
/// (continuous), with an optional `weights` (or `weight`, `count`) column; `name` is used in
/// messages.
pub fn parse_summaries(name: &str, text: &str) -> Result<Summaries, ClmError> {
    let raw = table_from_bytes(name, text.as_bytes(), InputFormat::Csv)?;
    summaries_of_table(name, &raw)
}

/// Reads a summary file (`--input-kind summary`): CSV, TSV, gzip, Parquet or `-`.
pub fn read_summaries(path: &std::path::Path) -> Result<Summaries, ClmError> {
    let raw = read_table(path, "input")?;
    summaries_of_table(&path.display().to_string(), &raw)
}

/// The summaries of a side table read by [`crate::data::table`] (CSV, TSV, gzip, Parquet or
/// standard input), with its column rules and its errors naming file, row and column.
pub(crate) fn summaries_of_table(name: &str, raw: &RawTable) -> Result<Summaries, ClmError> {
    let headers = &raw.headers;
    let find = |names: &[&str]| {
        headers
            .iter()
            .find(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
            .cloned()
    };
    let weight = find(&["weights", "weight", "count", "customers"]);
    let discrete = (
        find(&["frequency"]),
        find(&["recency"]),
        find(&["periods", "n"]),
    );
    let continuous = (find(&["x"]), find(&["t_x"]), find(&["T", "t_cal"]));
    let is_discrete = discrete.0.is_some() && discrete.1.is_some() && discrete.2.is_some();
    let columns = match (discrete, continuous) {
        ((Some(f), Some(r), Some(n)), _) => [f, r, n],
        (_, (Some(x), Some(t_x), Some(t))) => [x, t_x, t],
        _ => {
            return Err(ClmError::BadData(format!(
                "{name}: a summary needs the columns frequency,recency,periods (BG/BB) or \
                 x,t_x,T (BG/NBD, Pareto/NBD, MBG/NBD), optionally weights; found {}",
                headers.join(",")
            )));
        }
    };
    let reader = RowReader { source: name, raw };
    let value = |row: usize, column: &str| -> Result<f64, ClmError> {
        reader
            .number(row, column)?
            .ok_or_else(|| reader.bad_cell(row, column, "the cell is empty".into()))
    };
    let count = raw.cells.first().map_or(0, Vec::len);
    let rows = (0..count)
        .map(|row| {
            let w = match &weight {
                Some(column) => value(row, column)?,
                None => 1.0,
            };
            Ok([
                value(row, &columns[0])?,
                value(row, &columns[1])?,
                value(row, &columns[2])?,
                w,
            ])
        })
        .collect::<Result<Vec<[f64; 4]>, ClmError>>()?;
    if rows.is_empty() {
        return Err(ClmError::BadData(format!("{name}: no summary rows")));
    }
    Ok(if is_discrete {
        Summaries::Discrete(
            rows.iter()
                .map(|&[frequency, recency, periods, weight]| DiscreteSummary {
                    frequency,
                    recency,
                    periods,
                    weight,
                })
                .collect(),
        )
    } else {
        Summaries::Continuous(
            rows.iter()
                .map(|&[x, t_x, t_cal, weight]| Triple {
                    x,
                    t_x,
                    t_cal,
                    weight,
                })
                .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_is_seven_days_and_rates_compound() {
        assert_eq!(TimeUnit::Week.from_days(14), 2.0);
        assert_eq!(TimeUnit::Day.from_days(14), 14.0);
        let weekly = TimeUnit::Week.rate_from_annual(0.10);
        assert!(((1.0 + weekly).powf(365.0 / 7.0) - 1.10).abs() < 1e-12);
        assert_eq!(TimeUnit::Day.rate_from_annual(0.0), 0.0);
        assert_eq!(TimeUnit::from_name("week"), Some(TimeUnit::Week));
    }

    #[test]
    fn history_merges_same_day_rows_and_skips_return_days() {
        let mut rows = vec![
            (12, 5.0, false),
            (10, 20.0, false),
            (12, -2.0, true),
            (11, -7.0, true),
            (15, 3.0, false),
            (12, 1.0, false),
        ];
        assert_eq!(
            summarise_history(&mut rows),
            History::Buyer {
                first_day: 10,
                last_day: 15,
                purchase_days: 3,
                repeat_spend: 7.0,
            }
        );
        assert_eq!(summarise_history(&mut []), History::Outside);
        assert_eq!(
            summarise_history(&mut [(3, -1.0, true)]),
            History::ReturnsOnly
        );
    }

    #[test]
    fn histories_are_the_compressed_triples() {
        let stats = BtydStatistics {
            customer_id: ["a", "b", "c", "d", "e"].into_iter().collect(),
            first_day: vec![0; 5],
            repeat_purchases: vec![2, 0, 2, 1, 0],
            t_x_days: vec![10, 0, 10, 3, 0],
            t_cal_days: vec![20, 0, 20, 20, 7],
            mean_repeat_spend: vec![1.0; 5],
            ..Default::default()
        };
        let triples = stats.triples(TimeUnit::Week);
        let (histories, positions) = stats.histories(TimeUnit::Week);
        let mut expected = crate::models::compress_triples(&triples);
        assert_eq!(histories.len(), expected.len());
        for (triple, &position) in triples.iter().zip(&positions) {
            let history = histories[position as usize];
            assert_eq!(
                (history.x, history.t_x, history.t_cal),
                (triple.x, triple.t_x, triple.t_cal)
            );
        }
        let order = |a: &Triple, b: &Triple| a.t_cal.total_cmp(&b.t_cal).then(a.x.total_cmp(&b.x));
        expected.sort_by(order);
        let mut sorted = histories.clone();
        sorted.sort_by(order);
        assert_eq!(sorted, expected);
    }

    #[test]
    fn summaries_discrete_and_continuous() {
        let discrete =
            parse_summaries("d", "frequency,recency,periods,weights\n1,1,6,10\n").unwrap();
        assert_eq!(
            discrete,
            Summaries::Discrete(vec![DiscreteSummary {
                frequency: 1.0,
                recency: 1.0,
                periods: 6.0,
                weight: 10.0
            }])
        );
        let continuous = parse_summaries("c", "x,t_x,T\n2,3.5,10\n").unwrap();
        assert_eq!(
            continuous,
            Summaries::Continuous(vec![Triple::new(2.0, 3.5, 10.0)])
        );
        let err = parse_summaries("e", "a,b\n1,2\n").unwrap_err();
        assert!(
            err.to_string().contains("frequency,recency,periods"),
            "{err}"
        );
        let err = parse_summaries("e", "x,t_x,T\n1,two,3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "e: row 1 (line 2), column 't_x': 'two' is not a number"
        );
        let empty = parse_summaries("e", "x;t_x;T\n1;;3\n").unwrap_err();
        assert!(
            empty
                .to_string()
                .contains("column 't_x': the cell is empty")
        );
    }
}
