//! Recency, frequency and monetary value per customer as of a date.

use anyhow::Result;

use crate::data::Transactions;
use crate::features::summary::Summaries;
use crate::output::{PackedText, Stopwatch};

/// How the monetary value is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Monetary {
    /// Total net spend up to the as-of date.
    Total,
    /// Net spend divided by the number of orders (average order value).
    Mean,
}

/// RFM measures, one entry per customer with a purchase up to the as-of date, sorted by id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RfmMeasures {
    pub customer_id: PackedText,
    /// Days from the last purchase to the as-of date.
    pub recency_days: Vec<i64>,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: Vec<i64>,
    /// Distinct orders, or distinct purchase days when there is no order column.
    pub frequency: Vec<u32>,
    /// Rows up to the as-of date (the frequency of the R package `rfm`).
    pub rows: Vec<u32>,
    pub monetary: Vec<f64>,
    /// Customers left out because every row of theirs up to the as-of date is a return.
    pub returns_only_customers: usize,
    /// Rows dated after the as-of date, ignored.
    pub rows_after_as_of: usize,
}

/// Computes recency, tenure, frequency and monetary value as of `as_of_day` (days since
/// 1970-01-01): a view of the customers' summaries at that date ([`Summaries::from_rows`]).
pub fn rfm_measures(tx: &Transactions, as_of_day: i32, monetary: Monetary) -> Result<RfmMeasures> {
    let mut timer = Stopwatch::start("rfm measures");
    let rows = tx.row_columns()?;
    timer.lap("columns");
    let rows_after_as_of = rows.rows_after(as_of_day);
    let summaries = Summaries::from_owned_rows(rows, &[as_of_day]);
    timer.lap("summaries");
    let mut measures = rfm_from_summaries(&summaries, as_of_day, monetary);
    measures.rows_after_as_of = rows_after_as_of;
    timer.lap("to vectors");
    Ok(measures)
}

/// The RFM measures at `as_of_day`, a cut-off of `summaries` (no customer when it is not one):
/// recency and tenure from the last and first purchase day, frequency = orders, monetary =
/// revenue (total) or revenue per order (mean). Customers with only returns are counted and
/// left out.
pub fn rfm_from_summaries(
    summaries: &Summaries,
    as_of_day: i32,
    monetary: Monetary,
) -> RfmMeasures {
    let mut out = RfmMeasures::default();
    let at = summaries.at(as_of_day).unwrap_or_default();
    for (i, summary) in at.iter().enumerate() {
        let Some(s) = summary else { continue };
        let Some((first, last)) = s.purchase_span() else {
            out.returns_only_customers += 1;
            continue;
        };
        out.customer_id.push(summaries.customer_id.get(i));
        out.recency_days.push(i64::from(as_of_day - last));
        out.tenure_days.push(i64::from(as_of_day - first));
        out.frequency.push(s.orders);
        out.rows.push(s.rows);
        out.monetary.push(match monetary {
            Monetary::Total => s.revenue,
            Monetary::Mean => s.revenue / f64::from(s.orders.max(1)),
        });
    }
    out
}
