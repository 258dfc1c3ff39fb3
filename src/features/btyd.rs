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

use std::borrow::Cow;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use crate::data::Transactions;
use crate::data::load::{CUSTOMER, DAY, IS_RETURN, RowColumns};
use crate::data::options::InputFormat;
use crate::data::table::{RawTable, RowReader, read_table, table_from_bytes};
use crate::error::ClmError;
use crate::features::summary::{CustomerSummary, Summaries};
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
    /// [`BtydStatistics::triples`], ordered by `T`, then by first customer).
    ///
    /// A counting sort groups the customers' `(x, t_x)` by `T` in days (it spans at most the
    /// data's days), so each group's table of `(x, t_x)` is small; the groups run in parallel,
    /// and so does looking up each customer's position.
    ///
    /// [`compress_triples_indexed`]: crate::models::compress_triples_indexed
    pub fn histories(&self, unit: TimeUnit) -> (Vec<Triple>, Vec<u32>) {
        let mut timer = Stopwatch::start("histories");
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
        // Customer i's (x, t_x) goes to `slot[i]`, its T group's next place.
        let mut next = starts.clone();
        let mut slot = vec![0u32; self.len()];
        let mut keys = vec![(0u32, 0i32); self.len()];
        for (i, &t) in self.t_cal_days.iter().enumerate() {
            let s = &mut next[t as usize];
            slot[i] = *s as u32;
            keys[*s] = (self.repeat_purchases[i], self.t_x_days[i]);
            *s += 1;
        }
        timer.lap("by T");
        let mut local = vec![0u32; self.len()];
        let mut parts = Vec::with_capacity(groups);
        let mut rest = &mut local[..];
        for t in 0..groups {
            let (part, tail) = rest.split_at_mut(starts[t + 1] - starts[t]);
            parts.push((t, &keys[starts[t]..starts[t + 1]], part));
            rest = tail;
        }
        let distinct: Vec<Vec<Triple>> = parts
            .into_par_iter()
            .map(|(t, keys, positions)| {
                let history = |(x, t_x): (u32, i32)| {
                    let mut history =
                        Triple::new(f64::from(x), unit.from_days(t_x), unit.from_days(t as i32));
                    history.weight = 0.0;
                    history
                };
                let mut distinct = Vec::new();
                let mut position_of = HistoryIndex::for_keys(keys);
                for (&key, position) in keys.iter().zip(positions) {
                    *position = position_of.get_or_insert(key, || {
                        distinct.push(history(key));
                        (distinct.len() - 1) as u32
                    });
                    distinct[*position as usize].weight += 1.0;
                }
                distinct
            })
            .collect();
        timer.lap("distinct");
        let mut offsets = Vec::with_capacity(groups);
        let mut histories = Vec::with_capacity(distinct.iter().map(Vec::len).sum());
        for part in &distinct {
            offsets.push(histories.len() as u32);
            histories.extend_from_slice(part);
        }
        let positions = (0..self.len())
            .into_par_iter()
            .map(|i| offsets[self.t_cal_days[i] as usize] + local[slot[i] as usize])
            .collect();
        timer.lap("positions");
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

/// The position of each distinct `(x, t_x)` of one `T` group: a table indexed by `x` and `t_x`
/// when they span few values (the usual case: both lie within `T` days), else a hash map.
enum HistoryIndex {
    Table {
        t_x_span: usize,
        min_t_x: i32,
        position: Vec<u32>,
    },
    Map(FastHashMap<(u32, i32), u32>),
}

/// Entries per key of a table-backed [`HistoryIndex`] beyond which a hash map is cheaper (a
/// table is filled once; a map is hashed once per key).
const TABLE_ENTRIES_PER_KEY: usize = 16;

impl HistoryIndex {
    fn for_keys(keys: &[(u32, i32)]) -> HistoryIndex {
        let max_x = keys.iter().map(|k| k.0).max().unwrap_or(0) as usize;
        let min_t_x = keys.iter().map(|k| k.1).min().unwrap_or(0);
        let max_t_x = keys.iter().map(|k| k.1).max().unwrap_or(0);
        let t_x_span = (i64::from(max_t_x) - i64::from(min_t_x) + 1) as usize;
        let entries = (max_x + 1).saturating_mul(t_x_span);
        if entries <= TABLE_ENTRIES_PER_KEY * keys.len() {
            HistoryIndex::Table {
                t_x_span,
                min_t_x,
                position: vec![u32::MAX; entries],
            }
        } else {
            let map = FastHashMap::with_capacity_and_hasher(keys.len(), Default::default());
            HistoryIndex::Map(map)
        }
    }

    /// The position of `key`, given by `new` the first time.
    fn get_or_insert(&mut self, key: (u32, i32), new: impl FnOnce() -> u32) -> u32 {
        match self {
            HistoryIndex::Table {
                t_x_span,
                min_t_x,
                position,
            } => {
                let entry = key.0 as usize * *t_x_span + (key.1 - *min_t_x) as usize;
                if position[entry] == u32::MAX {
                    position[entry] = new();
                }
                position[entry]
            }
            HistoryIndex::Map(map) => *map.entry(key).or_insert_with(new),
        }
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

/// Computes the BTYD statistics as of `as_of_day` (days since 1970-01-01): a view of the
/// customers' summaries at that date ([`Summaries::view_owned_rows`]).
pub fn btyd_statistics(tx: &Transactions, as_of_day: i32) -> Result<BtydStatistics> {
    let mut timer = Stopwatch::start("btyd statistics");
    let rows = tx.row_columns()?;
    timer.lap("row columns");
    let rows_after_as_of = rows.rows_after(as_of_day);
    let mut out = btyd_of_rows(rows, as_of_day, &mut timer);
    out.rows_after_as_of = rows_after_as_of;
    Ok(out)
}

/// The BTYD statistics of `rows` at `as_of_day`, each customer's summary taken straight to
/// its statistics; what [`btyd_from_summaries`] gives on the rows' summary.
fn btyd_of_rows(rows: RowColumns, as_of_day: i32, timer: &mut Stopwatch) -> BtydStatistics {
    let (ids, views) = Summaries::view_owned_rows(rows, as_of_day, |s| BtydRow::of(s, as_of_day));
    timer.lap("summaries");
    let out = btyd_columns(Cow::Owned(ids), views.len(), |i| views[i]);
    timer.lap("vectors");
    out
}

/// The BTYD statistics at `as_of_day`, a cut-off of `summaries` (no customer when it is not
/// one): x = purchase days − 1, t_x = last − first purchase day, T = as-of − first purchase day,
/// mean repeat spend = repeat revenue / x. Customers with only returns are counted and left out.
pub fn btyd_from_summaries(summaries: &Summaries, as_of_day: i32) -> BtydStatistics {
    let at = summaries.at(as_of_day).unwrap_or_default();
    btyd_columns(Cow::Borrowed(&summaries.customer_id), at.len(), |i| {
        at[i].as_ref().map(|s| BtydRow::of(s, as_of_day))
    })
}

/// [`btyd_from_summaries`], taking the summaries: when every customer is a buyer at the
/// cut-off their ids move into the statistics instead of being copied (160 MB for 10 million).
pub fn btyd_from_owned_summaries(summaries: Summaries, as_of_day: i32) -> BtydStatistics {
    let (ids, at) = summaries.into_cutoff(as_of_day);
    btyd_columns(Cow::Owned(ids), at.len(), |i| {
        at[i].as_ref().map(|s| BtydRow::of(s, as_of_day))
    })
}

/// One customer's BTYD statistics: (first purchase day, x, t_x, T in days, mean repeat spend).
#[derive(Clone, Copy)]
struct BtydRow(i32, u32, i32, i32, f64);

impl BtydRow {
    /// The statistics of a summary at `as_of_day`; `None` for a customer with only returns.
    fn of(s: &CustomerSummary, as_of_day: i32) -> Option<BtydRow> {
        let (first, last) = s.purchase_span()?;
        Some(BtydRow(
            first,
            s.purchase_days - 1,
            last - first,
            as_of_day - first,
            s.mean_repeat_spend(),
        ))
    }
}

/// The statistics of the customers `0..customers` (ids in `ids`) whose `row_of` is
/// `Some(Some(row))`; `Some(None)` is a customer with only returns, `None` one without rows.
/// One parallel pass counts the buyers, one fills the five columns in place.
fn btyd_columns(
    ids: Cow<'_, PackedText>,
    customers: usize,
    row_of: impl Fn(usize) -> Option<Option<BtydRow>> + Sync,
) -> BtydStatistics {
    let (buyers, present) = (0..customers)
        .into_par_iter()
        .map(|i| match row_of(i) {
            Some(Some(_)) => (1, 1),
            Some(None) => (0, 1),
            None => (0, 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    // Usually every customer is a buyer: the ids are then copied whole, and customer k is
    // buyer k. (A cut-off the summary lacks has no customers, whatever `ids` holds.)
    let (customer_id, buyer_index) = if buyers == customers && customers == ids.len() {
        (ids.into_owned(), None)
    } else {
        let index: Vec<usize> = (0..customers)
            .into_par_iter()
            .filter(|&i| matches!(row_of(i), Some(Some(_))))
            .collect();
        (index.iter().map(|&i| ids.get(i)).collect(), Some(index))
    };
    let mut out = BtydStatistics {
        customer_id,
        first_day: vec![0; buyers],
        repeat_purchases: vec![0; buyers],
        t_x_days: vec![0; buyers],
        t_cal_days: vec![0; buyers],
        mean_repeat_spend: vec![0.0; buyers],
        returns_only_customers: present - buyers,
        rows_after_as_of: 0,
    };
    out.first_day
        .par_iter_mut()
        .zip(&mut out.repeat_purchases)
        .zip(&mut out.t_x_days)
        .zip(&mut out.t_cal_days)
        .zip(&mut out.mean_repeat_spend)
        .enumerate()
        .for_each(|(k, ((((first, x), t_x), t_cal), spend))| {
            let i = buyer_index.as_ref().map_or(k, |index| index[k]);
            let row = row_of(i).flatten().expect("a buyer has statistics");
            BtydRow(*first, *x, *t_x, *t_cal, *spend) = row;
        });
    out
}

/// Repeat purchase days in `(as_of_day, holdout_end_day]` for each customer of `customer_id`
/// (same order), from a summary with both cut-offs: the difference of the purchase days.
pub fn holdout_from_summaries(
    summaries: &Summaries,
    customer_id: &PackedText,
    as_of_day: i32,
    holdout_end_day: i32,
) -> Vec<u32> {
    let purchase_days = |cutoff: i32| -> std::collections::HashMap<&str, u32> {
        let at = summaries.at(cutoff).unwrap_or_default();
        at.iter()
            .enumerate()
            .filter_map(|(i, s)| Some((summaries.customer_id.get(i), s.as_ref()?.purchase_days)))
            .collect()
    };
    let (before, after) = (purchase_days(as_of_day), purchase_days(holdout_end_day));
    customer_id
        .iter()
        .map(|id| {
            let at = |days: &std::collections::HashMap<&str, u32>| days.get(id).copied();
            at(&after)
                .unwrap_or(0)
                .saturating_sub(at(&before).unwrap_or(0))
        })
        .collect()
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
    let column = |name: &str| tx.frame.column(name).map_err(&bad);
    let ids = column(CUSTOMER)?.str().map_err(&bad)?;
    let days = column(DAY)?.i32().map_err(&bad)?;
    let is_return = column(IS_RETURN)?.bool().map_err(&bad)?;
    // A purchase day has at least one row that is not a return.
    let purchase_days: std::collections::HashSet<(&str, i32)> = ids
        .iter()
        .zip(days.iter())
        .zip(is_return.iter())
        .filter_map(|((id, day), is_return)| match (id, day, is_return) {
            (Some(id), Some(day), Some(false)) if day > as_of_day && day <= holdout_end_day => {
                Some((id, day))
            }
            _ => None,
        })
        .collect();
    let mut by_id: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for (id, _) in purchase_days {
        *by_id.entry(id).or_default() += 1;
    }
    Ok(customer_id
        .iter()
        .map(|id| by_id.get(id).copied().unwrap_or(0))
        .collect())
}

/// Customers already summarised in a model's own terms (x,t_x,T or frequency,recency,periods),
/// read by `clm clv --input-kind summary`.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSummaries {
    /// Discrete opportunities `frequency,recency,periods[,weights]` (BG/BB).
    Discrete(Vec<DiscreteSummary>),
    /// Continuous-time `x,t_x,T[,weights]` in the chosen time unit (BG/NBD and kin).
    Continuous(Vec<Triple>),
}

/// Parses a summary CSV: a header naming `frequency,recency,periods` (discrete) or `x,t_x,T`
/// (continuous), with an optional `weights` (or `weight`, `count`) column; `name` is used in
/// messages.
pub fn parse_summaries(name: &str, text: &str) -> Result<ModelSummaries, ClmError> {
    let raw = table_from_bytes(name, text.as_bytes(), InputFormat::Csv)?;
    summaries_of_table(name, &raw)
}

/// Reads a summary file (`--input-kind summary`): CSV, TSV, gzip, Parquet or `-`.
pub fn read_summaries(path: &std::path::Path) -> Result<ModelSummaries, ClmError> {
    let raw = read_table(path, "input")?;
    summaries_of_table(&path.display().to_string(), &raw)
}

/// The summaries of a side table read by [`crate::data::table`] (CSV, TSV, gzip, Parquet or
/// standard input), with its column rules and its errors naming file, row and column.
pub(crate) fn summaries_of_table(name: &str, raw: &RawTable) -> Result<ModelSummaries, ClmError> {
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
        ModelSummaries::Discrete(
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
        ModelSummaries::Continuous(
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

    /// From the rows directly or from their summary, the same statistics: returns-only
    /// customers counted and left out, customers first seen after the as-of date absent.
    #[test]
    fn statistics_of_rows_are_those_of_their_summary() {
        let rows = || RowColumns {
            customer: vec!["A", "L", "A", "B", "A", "R", "A"],
            day: vec![0, 50, 10, 20, 30, 5, 10].into(),
            amount: vec![5.0, 1.0, 2.0, 9.0, 7.0, -4.0, 0.5].into(),
            is_return: vec![false, false, false, false, false, true, false],
            order: None,
        };
        for as_of in [40, 10] {
            let direct = btyd_of_rows(rows(), as_of, &mut Stopwatch::start("test"));
            let summaries = Summaries::from_rows(&rows(), &[as_of]);
            let viewed = btyd_from_summaries(&summaries, as_of);
            // Debug text, so that a one-time buyer's NaN spend compares equal.
            assert_eq!(format!("{direct:?}"), format!("{viewed:?}"));
            assert_eq!(direct.returns_only_customers, 1);
        }
        let direct = btyd_of_rows(rows(), 40, &mut Stopwatch::start("test"));
        assert_eq!(direct.customer_id.iter().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(direct.repeat_purchases, [2, 0]);
        assert_eq!((direct.t_x_days[0], direct.t_cal_days[0]), (30, 40));
        assert_eq!(direct.mean_repeat_spend[0], (2.0 + 0.5 + 7.0) / 2.0);
    }

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

    /// The histories in the order documented: by `T`, then by the first customer with them.
    fn histories_by_first_customer(stats: &BtydStatistics) -> (Vec<Triple>, Vec<u32>) {
        let mut order: Vec<usize> = (0..stats.len()).collect();
        order.sort_by_key(|&i| stats.t_cal_days[i]);
        let mut index = std::collections::HashMap::new();
        let mut histories: Vec<Triple> = Vec::new();
        let mut positions = vec![0u32; stats.len()];
        for i in order {
            let key = (
                stats.t_cal_days[i],
                stats.repeat_purchases[i],
                stats.t_x_days[i],
            );
            let position = *index.entry(key).or_insert_with(|| {
                let (t, x, t_x) = key;
                let unit = TimeUnit::Week;
                let mut history = Triple::new(f64::from(x), unit.from_days(t_x), unit.from_days(t));
                history.weight = 0.0;
                histories.push(history);
                histories.len() as u32 - 1
            });
            histories[position as usize].weight += 1.0;
            positions[i] = position;
        }
        (histories, positions)
    }

    #[test]
    fn histories_come_in_order_by_table_and_by_map() {
        // Small spans (tables), and wide ones with few customers each (maps).
        let mut random = 12345u64;
        let mut next = |below: u64| {
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (random >> 33) % below
        };
        let mut stats = BtydStatistics::default();
        for i in 0..20_000 {
            let t_cal = next(if i % 2 == 0 { 20 } else { 3000 }) as i32;
            let t_x = next(t_cal as u64 + 1) as i32;
            let x = next(t_x as u64 + 1) as u32;
            stats.customer_id.push(&i.to_string());
            stats.first_day.push(0);
            stats.repeat_purchases.push(x);
            stats.t_x_days.push(t_x);
            stats.t_cal_days.push(t_cal);
            stats.mean_repeat_spend.push(1.0);
        }
        assert_eq!(
            stats.histories(TimeUnit::Week),
            histories_by_first_customer(&stats)
        );
    }

    #[test]
    fn summaries_discrete_and_continuous() {
        let discrete =
            parse_summaries("d", "frequency,recency,periods,weights\n1,1,6,10\n").unwrap();
        assert_eq!(
            discrete,
            ModelSummaries::Discrete(vec![DiscreteSummary {
                frequency: 1.0,
                recency: 1.0,
                periods: 6.0,
                weight: 10.0
            }])
        );
        let continuous = parse_summaries("c", "x,t_x,T\n2,3.5,10\n").unwrap();
        assert_eq!(
            continuous,
            ModelSummaries::Continuous(vec![Triple::new(2.0, 3.5, 10.0)])
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
