//! Recency, frequency and monetary value per customer as of a date.

use anyhow::Result;
use rayon::prelude::*;

use crate::data::Transactions;
use crate::data::customers::CustomerRows;
use crate::data::load::RowColumns;
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
/// 1970-01-01): rows grouped by customer, then one pass per customer on all cores.
pub fn rfm_measures(tx: &Transactions, as_of_day: i32, monetary: Monetary) -> Result<RfmMeasures> {
    let mut timer = Stopwatch::start("rfm measures");
    let rows = tx.row_columns()?;
    timer.lap("columns");
    let customers = CustomerRows::new(&rows.customer);
    timer.lap("group by customer");
    let per_customer: Vec<Option<CustomerMeasures>> = (0..customers.customers())
        .into_par_iter()
        .map_init(Vec::new, |occasions, c| {
            customer_measures(customers.rows_of(c), &rows, as_of_day, occasions)
        })
        .collect();
    timer.lap("per customer");

    let rows_after_as_of = rows.rows_after(as_of_day);
    // Customers with rows up to the as-of date but no purchase among them.
    let mut returns_only_customers = 0;
    let mut out = RfmMeasures {
        rows_after_as_of,
        ..RfmMeasures::default()
    };
    for (c, measures) in per_customer.iter().enumerate() {
        let Some(m) = measures else { continue };
        let Some((first, last)) = m.purchase_days else {
            returns_only_customers += 1;
            continue;
        };
        out.customer_id.push(customers.ids.get(c));
        out.recency_days.push(i64::from(as_of_day - last));
        out.tenure_days.push(i64::from(as_of_day - first));
        out.frequency.push(m.occasions);
        out.rows.push(m.rows);
        out.monetary.push(match monetary {
            Monetary::Total => m.spend,
            Monetary::Mean => m.spend / f64::from(m.occasions.max(1)),
        });
    }
    out.returns_only_customers = returns_only_customers;
    timer.lap("to vectors");
    Ok(out)
}

/// One customer's rows up to the as-of date, summed up.
struct CustomerMeasures {
    /// First and last purchase day (`None` when every row is a return).
    purchase_days: Option<(i32, i32)>,
    /// Distinct orders among purchases; without an order column (or id), distinct purchase days.
    occasions: u32,
    /// Net spend (returns subtract).
    spend: f64,
    /// Rows up to the as-of date.
    rows: u32,
}

/// `None` when the customer has no row up to the as-of date. `occasions` is scratch space.
fn customer_measures<'a>(
    customer_rows: &[u32],
    rows: &RowColumns<'a>,
    as_of_day: i32,
    occasions: &mut Vec<(i32, Option<&'a str>)>,
) -> Option<CustomerMeasures> {
    occasions.clear();
    let mut spend = 0.0;
    let mut seen_rows = 0;
    let mut purchase_days: Option<(i32, i32)> = None;
    for &row in customer_rows {
        let row = row as usize;
        let day = rows.day[row];
        if day > as_of_day {
            continue;
        }
        seen_rows += 1;
        spend += rows.amount[row];
        if !rows.is_return[row] {
            purchase_days = Some(
                purchase_days.map_or((day, day), |(first, last)| (first.min(day), last.max(day))),
            );
            // An order id names the occasion; without one, the day does.
            match rows.order.as_ref().and_then(|orders| orders[row]) {
                Some(order) => occasions.push((0, Some(order))),
                None => occasions.push((day, None)),
            }
        }
    }
    if seen_rows == 0 {
        return None;
    }
    occasions.sort_unstable();
    occasions.dedup();
    Some(CustomerMeasures {
        purchase_days,
        occasions: occasions.len() as u32,
        spend,
        rows: seen_rows,
    })
}
