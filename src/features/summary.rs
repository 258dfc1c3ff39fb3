//! The per-customer summary (`docs/summary.md`, version 1): each customer's sufficient statistics
//! at one or more cut-off dates. RFM measures, BTYD statistics and churn features are views of
//! one summary row ([`CustomerSummary`]), so an analysis gives the same numbers from the
//! transactions and from a summary file that `clm summary`, `clm sql` or an engine produced.

use anyhow::Result;
use rayon::prelude::*;

use crate::data::customers::CustomerRows;
use crate::data::load::RowColumns;
use crate::data::placeholders::{IdShares, OutsizedId};
use crate::data::stream::SpilledTransactions;
use crate::data::summary::SummaryRecords;
pub use crate::data::summary::{CustomerSummary, SUMMARY_VERSION};
use crate::features::churn::{CustomerWindows, CutoffFeatures, Day, QUARTER_DAYS, customer_days};
use crate::output::{NO_DAY, PackedText, ROUND_TRIP, Table, Values};

/// Summarises one customer's days (in date order) at `cutoff`; `None` when no row is on or
/// before it. `new_orders[d]` is the number of orders first seen on `days[d]`; without it each
/// purchase day is one order. Sums run in date order, the order every view relies on.
pub fn summarise(days: &[Day], new_orders: Option<&[u32]>, cutoff: i32) -> Option<CustomerSummary> {
    let known = &days[..days.partition_point(|d| d.day <= cutoff)];
    if known.is_empty() {
        return None;
    }
    let mut s = CustomerSummary {
        first_day: None,
        last_day: None,
        purchase_days: 0,
        orders: 0,
        rows: 0,
        return_rows: 0,
        revenue: 0.0,
        repeat_revenue: 0.0,
        revenue_last_quarter: 0.0,
        revenue_prior_quarter: 0.0,
        gap_square_sum: 0.0,
    };
    for d in known {
        s.rows += d.rows;
        s.return_rows += d.return_rows;
        s.revenue += d.total;
        if d.day > cutoff - QUARTER_DAYS {
            s.revenue_last_quarter += d.total;
        } else if d.day > cutoff - 2 * QUARTER_DAYS {
            s.revenue_prior_quarter += d.total;
        }
        if !d.purchase {
            continue;
        }
        if let Some(last) = s.last_day {
            let gap = f64::from(d.day - last);
            s.gap_square_sum += gap * gap;
            s.repeat_revenue += d.total;
        } else {
            s.first_day = Some(d.day);
        }
        s.last_day = Some(d.day);
        s.purchase_days += 1;
    }
    s.orders = match new_orders {
        Some(new_orders) => new_orders[..known.len()].iter().sum(),
        None => s.purchase_days,
    };
    Some(s)
}

impl CustomerSummary {
    /// First and last purchase day; `None` for a customer with only returns.
    pub fn purchase_span(&self) -> Option<(i32, i32)> {
        self.first_day.zip(self.last_day)
    }

    /// Mean net total of the purchase days after the first; NaN for a one-time buyer.
    pub fn mean_repeat_spend(&self) -> f64 {
        match self.purchase_days {
            0 | 1 => f64::NAN,
            days => self.repeat_revenue / f64::from(days - 1),
        }
    }

    /// The churn features at `cutoff` (the summary's own cut-off); `None` without a purchase.
    pub fn cutoff_features(&self, cutoff: i32) -> Option<CutoffFeatures> {
        let (first, last) = self.purchase_span()?;
        let frequency = self.purchase_days;
        let gaps = f64::from(frequency - 1);
        let gap_sd_days = (frequency >= 3).then(|| {
            // The gaps add up to the span: their mean needs no other column.
            let mean = f64::from(last - first) / gaps;
            (self.gap_square_sum / gaps - mean * mean).max(0.0).sqrt()
        });
        Some(CutoffFeatures {
            recency_days: cutoff - last,
            frequency,
            monetary: self.revenue,
            tenure_days: cutoff - first,
            active_span_days: last - first,
            gap_sd_days,
            spend_last_quarter: self.revenue_last_quarter,
            spend_prior_quarter: self.revenue_prior_quarter,
            return_share: f64::from(self.return_rows) / f64::from(self.rows.max(1)),
            mean_repeat_spend: self.mean_repeat_spend(),
        })
    }
}

/// The per-customer summary at one or more cut-offs, customers in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summaries {
    /// Every customer with a row on or before the latest cut-off.
    pub customer_id: PackedText,
    /// The cut-offs, latest first.
    pub cutoffs: Vec<i32>,
    /// `at[k][i]`: customer `i` at `cutoffs[k]`; `None` without a row on or before it.
    at: Vec<Vec<Option<CustomerSummary>>>,
}

/// Customers summarised per parallel task: enough to amortise the task, few enough to balance.
const CUSTOMERS_PER_TASK: usize = 4096;

impl Summaries {
    /// Summarises the rows at each of `cutoffs` (any order; duplicates ignored): rows grouped by
    /// customer once, then each customer's day history built and summarised in parallel.
    pub fn from_rows(rows: &RowColumns, cutoffs: &[i32]) -> Summaries {
        if cutoffs.is_empty() {
            return Summaries::default();
        }
        let customers = CustomerRows::new(&rows.customer);
        let columns = CustomerColumns::gather(&customers, rows);
        Summaries::of_customers(customers, &columns, cutoffs)
    }

    /// [`Summaries::from_rows`], taking the rows so that their ids (16 bytes a row) are freed
    /// as soon as they are grouped, and the other columns once they are in customer order:
    /// the transaction path's peak memory.
    pub fn from_owned_rows(rows: RowColumns, cutoffs: &[i32]) -> Summaries {
        if cutoffs.is_empty() {
            return Summaries::default();
        }
        let customers = CustomerRows::new(&rows.customer);
        let columns = CustomerColumns::gather_owned(&customers, rows);
        Summaries::of_customers(customers, &columns, cutoffs)
    }

    /// The summaries of the grouped `customers`, whose `columns` are in customer order, at
    /// `cutoffs` (not empty).
    fn of_customers(
        customers: CustomerRows,
        columns: &CustomerColumns,
        cutoffs: &[i32],
    ) -> Summaries {
        let mut cutoffs = cutoffs.to_vec();
        cutoffs.sort_unstable_by(|a, b| b.cmp(a));
        cutoffs.dedup();
        let flat = summarise_all(&customers, columns, &cutoffs, |summary| summary);
        Summaries::keeping_present(customers.ids, cutoffs, flat)
    }

    /// `view` of every customer's summary at `cutoff`, customers in id order (`None`: no row
    /// on or before it), taking the rows as [`Summaries::from_owned_rows`] does but without
    /// keeping the summaries: what one view at one cut-off needs (a million summaries are
    /// 72 MB written and read back otherwise). Returns every customer's id with the views.
    pub fn view_owned_rows<T: Send>(
        rows: RowColumns,
        cutoff: i32,
        view: impl Fn(&CustomerSummary) -> T + Sync,
    ) -> (PackedText, Vec<Option<T>>) {
        let customers = CustomerRows::new(&rows.customer);
        let columns = CustomerColumns::gather_owned(&customers, rows);
        let views = summarise_all(&customers, &columns, &[cutoff], |summary| {
            summary.as_ref().map(&view)
        });
        (customers.ids, views)
    }

    /// The summaries of `flat` (each customer's at every cut-off in turn), by cut-off, without
    /// the customers that have no row by the latest cut-off (no summary row at all).
    fn keeping_present(
        ids: PackedText,
        cutoffs: Vec<i32>,
        flat: Vec<Option<CustomerSummary>>,
    ) -> Summaries {
        let n = cutoffs.len();
        let present = |c: usize| flat[c * n].is_some();
        let customer_id = if (0..ids.len()).all(present) {
            ids
        } else {
            (0..ids.len())
                .filter(|&c| present(c))
                .map(|c| ids.get(c))
                .collect()
        };
        let at = if n == 1 && customer_id.len() == flat.len() {
            vec![flat]
        } else {
            (0..n)
                .map(|k| {
                    flat.iter()
                        .skip(k)
                        .step_by(n)
                        .zip(flat.chunks(n))
                        .filter(|(_, customer)| customer[0].is_some())
                        .map(|(summary, _)| *summary)
                        .collect()
                })
                .collect()
        };
        Summaries {
            customer_id,
            cutoffs,
            at,
        }
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// The latest cut-off (what an analysis takes as its as-of date by default).
    pub fn latest(&self) -> Option<i32> {
        self.cutoffs.first().copied()
    }

    /// Every customer's summary at `cutoff`, when the summary has that cut-off.
    pub fn at(&self, cutoff: i32) -> Option<&[Option<CustomerSummary>]> {
        let k = self.cutoffs.iter().position(|&c| c == cutoff)?;
        Some(&self.at[k])
    }

    /// The customer ids and every customer's summary at `cutoff` (none when it is not one),
    /// taken out of the summaries without a copy.
    pub fn into_cutoff(self, cutoff: i32) -> (PackedText, Vec<Option<CustomerSummary>>) {
        let k = self.cutoffs.iter().position(|&c| c == cutoff);
        let at = k.and_then(|k| self.at.into_iter().nth(k));
        (self.customer_id, at.unwrap_or_default())
    }

    /// The cut-offs of `needed` that the summary lacks. A cut-off before every customer's first
    /// purchase day is not missing: no customer had bought by then, so every view of it (RFM
    /// measures, BTYD statistics, churn features and labels) is empty whether or not the file
    /// has rows there, as it is from the transactions. (`clm summary` and the SQL write no
    /// rows for such a cut-off unless a customer's returns come before their first purchase.)
    pub fn missing_cutoffs(&self, needed: &[i32]) -> Vec<i32> {
        let absent = needed.iter().copied().filter(|c| !self.cutoffs.contains(c));
        if absent.clone().next().is_none() {
            // The usual case: no pass over every customer for their first purchase.
            return Vec::new();
        }
        let first_purchase = self.first_purchase_day();
        let mut missing: Vec<i32> = absent
            .filter(|&c| first_purchase.is_none_or(|first| c >= first))
            .collect();
        missing.sort_unstable_by(|a, b| b.cmp(a));
        missing.dedup();
        missing
    }

    /// The earliest first purchase day of any customer (at the latest cut-off, which holds
    /// every customer); `None` when no customer has a purchase.
    pub fn first_purchase_day(&self) -> Option<i32> {
        self.at
            .first()?
            .par_iter()
            .filter_map(|s| s.as_ref()?.first_day)
            .min()
    }

    /// The summary as the long table of `docs/summary.md`: one row per customer and cut-off,
    /// customers in id order, cut-offs latest first.
    pub fn to_table(&self) -> Table {
        let rows = self.at.iter().map(|at| at.iter().flatten().count()).sum();
        let mut cells = SummaryColumns::with_capacity(rows);
        for i in 0..self.len() {
            for (k, &cutoff) in self.cutoffs.iter().enumerate() {
                if let Some(s) = &self.at[k][i] {
                    cells.push(self.customer_id.get(i), cutoff, s);
                }
            }
        }
        cells.into_table()
    }

    /// The rows read from a summary file (checked and grouped by customer there).
    pub fn from_records(records: SummaryRecords) -> Summaries {
        Summaries {
            customer_id: records.customer_id,
            cutoffs: records.cutoffs,
            at: records.at,
        }
    }
}

/// The summary of transactions read in batches and spilled by customer partition, with what
/// the notes need from every row.
pub struct SpilledSummary {
    /// The per-customer summary, as [`Summaries::from_rows`] gives it on all the rows.
    pub summaries: Summaries,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: usize,
    /// Ids holding an outsized share of the rows or sales (`data::placeholders::outsized_ids`).
    pub outsized: Vec<OutsizedId>,
}

impl SpilledSummary {
    /// Summarises `spilled` at `cutoffs` one partition at a time (each partition holds all the
    /// rows of its customers, in input order, so its summaries are those of the whole file),
    /// then puts the customers in id order; counts the rows after `as_of`.
    pub fn new(
        spilled: &SpilledTransactions,
        cutoffs: &[i32],
        as_of: i32,
    ) -> Result<SpilledSummary> {
        let mut parts = Vec::with_capacity(spilled.partitions());
        let mut rows_after_as_of = 0;
        let mut shares = IdShares::new(spilled.stats.rows, spilled.total_sales);
        for k in 0..spilled.partitions() {
            let partition = spilled.read_partition(k)?;
            let rows = partition.row_columns()?;
            rows_after_as_of += rows.rows_after(as_of);
            shares.add_part(&rows);
            parts.push(Summaries::from_rows(&rows, cutoffs));
        }
        Ok(SpilledSummary {
            summaries: Summaries::merged(parts, cutoffs),
            rows_after_as_of,
            outsized: shares.outsized(),
        })
    }
}

impl Summaries {
    /// One summary of the customers of `parts` (disjoint sets of customers summarised at the
    /// same cut-offs), customers in id order.
    fn merged(parts: Vec<Summaries>, cutoffs: &[i32]) -> Summaries {
        let mut order: Vec<(usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| (0..part.len()).map(move |i| (p, i)))
            .collect();
        let id = |&(p, i): &(usize, usize)| parts[p].customer_id.get(i);
        order.par_sort_unstable_by(|a, b| id(a).cmp(id(b)));
        let mut cutoffs = cutoffs.to_vec();
        cutoffs.sort_unstable_by(|a, b| b.cmp(a));
        cutoffs.dedup();
        let mut out = Summaries {
            customer_id: PackedText::with_capacity(order.len(), 0),
            at: vec![Vec::with_capacity(order.len()); cutoffs.len()],
            cutoffs,
        };
        for &(p, i) in &order {
            out.customer_id.push(parts[p].customer_id.get(i));
            for (k, at) in out.at.iter_mut().enumerate() {
                // A part without customers has no cut-offs either.
                at.push(parts[p].at.get(k).and_then(|a| a[i]));
            }
        }
        out
    }
}

impl CustomerWindows for Summaries {
    fn customer_ids(&self) -> &PackedText {
        &self.customer_id
    }

    fn features_at(&self, i: usize, cutoff: i32) -> Option<CutoffFeatures> {
        self.at(cutoff)?[i].as_ref()?.cutoff_features(cutoff)
    }

    /// No purchase day added between the two cut-offs (both must be in the summary; a customer
    /// without a summary at `cutoff + horizon_days` counts as churned).
    fn churned(&self, i: usize, cutoff: i32, horizon_days: i32) -> bool {
        let purchase_days = |cutoff: i32| Some(self.at(cutoff)?[i].as_ref()?.purchase_days);
        match (purchase_days(cutoff), purchase_days(cutoff + horizon_days)) {
            (Some(now), Some(later)) => later == now,
            (None, Some(later)) => later == 0,
            _ => true,
        }
    }
}

/// `view` of each customer's summary at each of `cutoffs`, in parallel: element `c * n + k` is
/// customer `c` at `cutoffs[k]` (n cut-offs), collected in place (filling a placeholder first
/// took as long as the summaries). A task's customers come in order, so each customer's days
/// are built once for all the cut-offs.
fn summarise_all<T: Send>(
    customers: &CustomerRows,
    columns: &CustomerColumns,
    cutoffs: &[i32],
    view: impl Fn(Option<CustomerSummary>) -> T + Sync,
) -> Vec<T> {
    let n = cutoffs.len();
    let orders = columns.order.is_some();
    (0..customers.customers() * n)
        .into_par_iter()
        .with_min_len(CUSTOMERS_PER_TASK * n)
        .map_init(DayScratch::default, |scratch, at| {
            let c = at / n;
            if scratch.customer != Some(c) {
                scratch.build(columns, customers.span_of(c));
                scratch.customer = Some(c);
            }
            let new_orders = orders.then_some(scratch.new_orders.as_slice());
            view(summarise(&scratch.days, new_orders, cutoffs[at % n]))
        })
        .collect()
}

/// The columns a summary reads, in customer order ([`CustomerRows::gather`]): customer `c`'s
/// values are at `CustomerRows::span_of(c)`, in input order.
struct CustomerColumns<'a> {
    day: Vec<i32>,
    amount: Vec<f64>,
    is_return: Vec<bool>,
    order: Option<Vec<Option<&'a str>>>,
}

impl<'a> CustomerColumns<'a> {
    /// The columns of `rows` put in the order of `customers`, side by side on the thread pool.
    fn gather(customers: &CustomerRows, rows: &RowColumns<'a>) -> CustomerColumns<'a> {
        let ((day, amount), (is_return, order)) = rayon::join(
            || {
                rayon::join(
                    || customers.gather(&rows.day),
                    || customers.gather(&rows.amount),
                )
            },
            || {
                rayon::join(
                    || customers.gather(&rows.is_return),
                    || rows.order.as_ref().map(|order| customers.gather(order)),
                )
            },
        );
        CustomerColumns {
            day,
            amount,
            is_return,
            order,
        }
    }

    /// [`CustomerColumns::gather`] on rows that are no longer needed: each column is freed as
    /// soon as it is in customer order, so that at most one column is held twice (the
    /// transaction path's peak memory).
    fn gather_owned(customers: &CustomerRows, rows: RowColumns<'a>) -> CustomerColumns<'a> {
        let RowColumns {
            customer,
            day,
            amount,
            is_return,
            order,
        } = rows;
        drop(customer);
        // In turn, each freed once gathered (fields are evaluated in the order written).
        CustomerColumns {
            amount: gathered(customers, amount),
            day: gathered(customers, day),
            is_return: gathered(customers, is_return),
            order: order.map(|order| gathered(customers, order)),
        }
    }
}

/// `column` in the order of `customers`, the column itself freed (when it is not borrowed).
fn gathered<T: Copy + Send + Sync>(customers: &CustomerRows, column: impl AsRef<[T]>) -> Vec<T> {
    customers.gather(column.as_ref())
}

/// One customer's day history, rebuilt for each customer in scratch space.
#[derive(Default)]
struct DayScratch<'a> {
    /// The customer whose days these are.
    customer: Option<usize>,
    /// The customer's rows (positions in their span) sorted by day.
    rows: Vec<usize>,
    days: Vec<Day>,
    /// Orders first seen on each day of `days`.
    new_orders: Vec<u32>,
    /// (order id or none, day of a row without one, day) of each purchase row.
    occasions: Vec<(Option<&'a str>, i32, i32)>,
}

impl<'a> DayScratch<'a> {
    /// The day history of the customer whose values are at `span` of `columns`.
    fn build(&mut self, columns: &CustomerColumns<'a>, span: std::ops::Range<usize>) {
        let day = &columns.day[span.clone()];
        let is_return = &columns.is_return[span.clone()];
        self.rows.clear();
        self.rows.extend(0..day.len());
        // An export in date order needs no sort; stable: same-day rows stay in input order.
        if !day.is_sorted() {
            self.rows.sort_by_key(|&row| day[row]);
        }
        self.days.clear();
        customer_days(
            &self.rows,
            day,
            &columns.amount[span.clone()],
            is_return,
            &mut self.days,
        );
        let Some(order) = columns.order.as_ref() else {
            return;
        };
        let order = &order[span];
        // An order counts on the first day it has a purchase row; a purchase row without an
        // order id is its day's order.
        self.occasions.clear();
        self.occasions.extend(
            self.rows
                .iter()
                .filter(|&&row| !is_return[row])
                .map(|&row| match order[row] {
                    Some(id) => (Some(id), 0, day[row]),
                    None => (None, day[row], day[row]),
                }),
        );
        self.occasions.sort_unstable();
        self.occasions
            .dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
        self.new_orders.clear();
        self.new_orders.resize(self.days.len(), 0);
        for &(_, _, day) in &self.occasions {
            let d = self.days.partition_point(|d| d.day < day);
            self.new_orders[d] += 1;
        }
    }
}

/// The columns of the summary table, filled row by row.
struct SummaryColumns {
    customer_id: PackedText,
    cutoff: Vec<i32>,
    first_day: Vec<i32>,
    last_day: Vec<i32>,
    counts: [Vec<i64>; 4],
    amounts: [Vec<f64>; 5],
}

impl SummaryColumns {
    fn with_capacity(rows: usize) -> SummaryColumns {
        SummaryColumns {
            customer_id: PackedText::with_capacity(rows, 0),
            cutoff: Vec::with_capacity(rows),
            first_day: Vec::with_capacity(rows),
            last_day: Vec::with_capacity(rows),
            counts: std::array::from_fn(|_| Vec::with_capacity(rows)),
            amounts: std::array::from_fn(|_| Vec::with_capacity(rows)),
        }
    }

    fn push(&mut self, id: &str, cutoff: i32, s: &CustomerSummary) {
        self.customer_id.push(id);
        self.cutoff.push(cutoff);
        self.first_day.push(s.first_day.unwrap_or(NO_DAY));
        self.last_day.push(s.last_day.unwrap_or(NO_DAY));
        let counts = [s.purchase_days, s.orders, s.rows, s.return_rows];
        for (column, value) in self.counts.iter_mut().zip(counts) {
            column.push(i64::from(value));
        }
        let amounts = [
            s.revenue,
            s.repeat_revenue,
            s.revenue_last_quarter,
            s.revenue_prior_quarter,
            s.gap_square_sum,
        ];
        for (column, value) in self.amounts.iter_mut().zip(amounts) {
            column.push(value);
        }
    }

    fn into_table(self) -> Table {
        let rows = self.cutoff.len();
        let [purchase_days, orders, rows_column, return_rows] = self.counts;
        let [revenue, repeat, last_quarter, prior_quarter, gaps] = self.amounts;
        // Amounts are written in full: a summary read back must give the same numbers.
        let amount = |v: Vec<f64>| Values::Float(v, ROUND_TRIP);
        Table::default()
            .with("summary_version", Values::Int(vec![SUMMARY_VERSION; rows]))
            .with("customer_id", Values::PackedText(self.customer_id))
            .with("cutoff", Values::Date(self.cutoff))
            .with("first_day", Values::Date(self.first_day))
            .with("last_day", Values::Date(self.last_day))
            .with("purchase_days", Values::Int(purchase_days))
            .with("orders", Values::Int(orders))
            .with("rows", Values::Int(rows_column))
            .with("return_rows", Values::Int(return_rows))
            .with("revenue", amount(revenue))
            .with("repeat_revenue", amount(repeat))
            .with("revenue_last_quarter", amount(last_quarter))
            .with("revenue_prior_quarter", amount(prior_quarter))
            .with("gap_square_sum", amount(gaps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::churn::{Histories, features_at};

    /// Rows (customer, day, amount, is return, order id).
    type Row = (&'static str, i32, f64, bool, Option<&'static str>);

    fn summaries(rows: &[Row], cutoffs: &[i32], with_orders: bool) -> Summaries {
        let columns = RowColumns {
            customer: rows.iter().map(|r| r.0).collect(),
            day: rows.iter().map(|r| r.1).collect(),
            amount: rows.iter().map(|r| r.2).collect(),
            is_return: rows.iter().map(|r| r.3).collect(),
            order: with_orders.then(|| rows.iter().map(|r| r.4).collect()),
        };
        Summaries::from_rows(&columns, cutoffs)
    }

    fn of<'a>(s: &'a Summaries, id: &str, cutoff: i32) -> Option<&'a CustomerSummary> {
        let i = s.customer_id.iter().position(|c| c == id)?;
        s.at(cutoff)?[i].as_ref()
    }

    const ROWS: [Row; 9] = [
        // a: two rows on day 10 (one order), an order spanning days 20 and 30, a return.
        ("a", 10, 5.0, false, Some("o1")),
        ("a", 10, 7.0, false, Some("o2")),
        ("a", 20, 3.0, false, Some("o3")),
        ("a", 30, 4.0, false, Some("o3")),
        ("a", 30, -2.0, true, Some("o4")),
        // r: returns only.
        ("r", 15, -9.0, true, None),
        // b: absent before day 40; a purchase without an order id.
        ("b", 40, 11.0, false, None),
        ("b", 50, 1.0, false, Some("p1")),
        ("b", 50, 2.0, false, None),
    ];

    #[test]
    fn same_day_rows_and_orders_spanning_days() {
        let s = summaries(&ROWS, &[30], true);
        let a = of(&s, "a", 30).unwrap();
        assert_eq!((a.first_day, a.last_day), (Some(10), Some(30)));
        assert_eq!((a.purchase_days, a.orders), (3, 3)); // o3 spans two days
        assert_eq!((a.rows, a.return_rows), (5, 1));
        assert_eq!(a.revenue, 17.0);
        assert_eq!(a.repeat_revenue, 3.0 + 2.0); // day 30 nets its return
        assert_eq!(a.gap_square_sum, 200.0);
        assert_eq!(a.revenue_last_quarter, 17.0);
        assert_eq!(a.revenue_prior_quarter, 0.0);
        // Without an order column every purchase day is an order.
        let s = summaries(&ROWS, &[30], false);
        assert_eq!(of(&s, "a", 30).unwrap().orders, 3);
        assert_eq!(of(&s, "a", 20).map(|a| a.orders), None); // no such cut-off
    }

    #[test]
    fn returns_only_and_absent_customers() {
        let s = summaries(&ROWS, &[20, 50], true);
        assert_eq!(s.cutoffs, vec![50, 20]);
        assert_eq!(s.customer_id.iter().collect::<Vec<_>>(), ["a", "b", "r"]);
        let r = of(&s, "r", 50).unwrap();
        assert_eq!((r.first_day, r.purchase_days, r.orders), (None, 0, 0));
        assert_eq!((r.rows, r.return_rows, r.revenue), (1, 1, -9.0));
        assert!(r.cutoff_features(50).is_none());
        assert!(of(&s, "b", 20).is_none());
        let b = of(&s, "b", 50).unwrap();
        // Day 50: order p1 and the order-less row count two orders; day 40 one.
        assert_eq!((b.purchase_days, b.orders), (2, 3));
        let a = of(&s, "a", 20).unwrap();
        assert_eq!((a.orders, a.rows, a.revenue), (3, 3, 15.0));
        // Quarters at 50: (−41, 50] holds everything.
        assert_eq!(of(&s, "a", 50).unwrap().revenue_last_quarter, 17.0);
    }

    /// Rows out of date order (same-day rows keeping their order) give the same summaries at
    /// every cut-off, with and without orders: sums run in date order whatever the input order.
    #[test]
    fn sums_run_in_date_order_whatever_the_input_order() {
        let mut rows = ROWS.to_vec();
        // Amounts whose float sum depends on the order of addition.
        rows.extend([0.1, 0.2, 0.3].iter().enumerate().map(|(k, &amount)| {
            let row: Row = ("f", 60 + k as i32, amount, false, None);
            row
        }));
        let mut days_reversed = rows.clone();
        days_reversed.sort_by_key(|r| std::cmp::Reverse(r.1)); // stable: same-day order kept
        for with_orders in [true, false] {
            let in_order = summaries(&rows, &[20, 30, 50, 70], with_orders);
            let reversed = summaries(&days_reversed, &[20, 30, 50, 70], with_orders);
            assert_eq!(in_order, reversed);
        }
        let s = summaries(&days_reversed, &[70], false);
        assert_eq!(of(&s, "f", 70).unwrap().revenue, (0.1 + 0.2) + 0.3);
        assert_ne!((0.1 + 0.2) + 0.3, 0.3 + 0.2 + 0.1);
    }

    #[test]
    fn a_customer_after_the_latest_cutoff_has_no_row() {
        let s = summaries(&ROWS, &[30], true);
        assert_eq!(s.customer_id.iter().collect::<Vec<_>>(), ["a", "r"]);
        assert_eq!(s.to_table().height(), 2);
    }

    /// Churn features from the summary of [`Summaries::from_rows`] equal those of the churn
    /// day history ([`Histories`]), and the gap spread is the one computed from the gaps.
    #[test]
    fn churn_features_are_a_view_of_the_summary() {
        let rows: Vec<Row> = [10, 13, 40, 41, 90, 200, 201]
            .iter()
            .enumerate()
            .map(|(k, &day)| ("c", day, 1.5 * k as f64 - 2.0, k == 5, None))
            .collect();
        let h = Histories::from_rows(
            &rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            &rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            &rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            &rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        );
        for cutoff in [9, 10, 40, 95, 200, 300] {
            let s = summaries(&rows, &[cutoff], false);
            let view = of(&s, "c", cutoff).and_then(|c| c.cutoff_features(cutoff));
            let direct = features_at(h.days_of(0), cutoff);
            // Debug text, so that a NaN mean repeat spend compares equal.
            assert_eq!(
                format!("{view:?}"),
                format!("{direct:?}"),
                "cut-off {cutoff}"
            );
        }
        let f = features_at(h.days_of(0), 300).unwrap();
        assert_eq!(f.frequency, 6);
        // Gaps 3, 27, 1, 49, 111 (day 200 is a return day).
        let gaps = [3.0f64, 27.0, 1.0, 49.0, 111.0];
        let mean = gaps.iter().sum::<f64>() / 5.0;
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((f.gap_sd_days.unwrap() - sd).abs() < 1e-9);
    }

    #[test]
    fn the_table_has_the_documented_columns() {
        let s = summaries(&ROWS, &[50, 20], true);
        let table = s.to_table();
        let names: Vec<&str> = table.names.iter().map(String::as_str).collect();
        // What the writer writes is what the reader requires.
        assert_eq!(names, crate::data::summary::SUMMARY_COLUMNS);
        // a at 50 and 20, b at 50, r at 50 and 20.
        assert_eq!(table.height(), 5);
    }
}
