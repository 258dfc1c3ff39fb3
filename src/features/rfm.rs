//! Recency, frequency and monetary value per customer as of a date.

use anyhow::Result;
use polars::prelude::*;

use crate::data::Transactions;
use crate::data::load::{AMOUNT, CUSTOMER, DAY, IS_RETURN, ORDER};
use crate::error::ClmError;

/// How the monetary value is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Monetary {
    /// Total net spend up to the as-of date.
    Total,
    /// Net spend divided by the number of orders (average order value).
    Mean,
}

/// RFM measures, one entry per customer, sorted by customer id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RfmMeasures {
    pub customer_id: Vec<String>,
    /// Days from the last purchase to the as-of date.
    pub recency_days: Vec<i64>,
    /// Distinct orders, or distinct purchase days when there is no order column.
    pub frequency: Vec<u32>,
    pub monetary: Vec<f64>,
    /// Customers left out because every row of theirs up to the as-of date is a return.
    pub returns_only_customers: usize,
    /// Rows dated after the as-of date, ignored.
    pub rows_after_as_of: usize,
}

/// Computes recency, frequency and monetary value as of `as_of_day` (days since 1970-01-01).
pub fn rfm_measures(tx: &Transactions, as_of_day: i32, monetary: Monetary) -> Result<RfmMeasures> {
    let bad = |e: PolarsError| ClmError::BadData(format!("{}: {e}", tx.source));
    let in_window = col(DAY).lt_eq(lit(as_of_day));
    let rows_after_as_of = tx.frame.height()
        - tx.frame
            .clone()
            .lazy()
            .filter(in_window.clone())
            .select([len()])
            .collect()
            .map_err(bad)?
            .column("len")
            .map_err(bad)?
            .idx()
            .map_err(bad)?
            .get(0)
            .unwrap_or(0) as usize;
    // Masking before grouping keeps every aggregation a plain (fast) one: a purchase day or
    // order is null on return rows; max ignores nulls and n_unique counts null as one value.
    let purchase = col(IS_RETURN).not();
    let occasion = if tx.has_orders() {
        col(ORDER)
    } else {
        col(DAY)
    };
    let grouped = tx
        .frame
        .clone()
        .lazy()
        .filter(in_window)
        .select([
            col(CUSTOMER),
            when(purchase.clone())
                .then(col(DAY))
                .otherwise(lit(NULL))
                .alias("purchase_day"),
            when(purchase)
                .then(occasion)
                .otherwise(lit(NULL))
                .alias("occasion"),
            col(AMOUNT),
        ])
        .group_by([col(CUSTOMER)])
        .agg([
            col("purchase_day").max().alias("last_purchase"),
            (col("occasion").n_unique().cast(DataType::UInt32)
                - col("occasion")
                    .null_count()
                    .gt(lit(0))
                    .cast(DataType::UInt32))
            .alias("frequency"),
            col(AMOUNT).sum().alias("spend"),
        ])
        .sort([CUSTOMER], SortMultipleOptions::default())
        .collect()
        .map_err(bad)?;

    let ids = grouped
        .column(CUSTOMER)
        .and_then(|c| c.str().cloned())
        .map_err(bad)?;
    let last = grouped
        .column("last_purchase")
        .and_then(|c| c.i32().cloned())
        .map_err(bad)?;
    let freq = grouped
        .column("frequency")
        .and_then(|c| c.u32().cloned())
        .map_err(bad)?;
    let spend = grouped
        .column("spend")
        .and_then(|c| c.f64().cloned())
        .map_err(bad)?;

    let mut out = RfmMeasures {
        rows_after_as_of,
        ..Default::default()
    };
    for (((id, last), freq), spend) in ids
        .iter()
        .zip(last.iter())
        .zip(freq.iter())
        .zip(spend.iter())
    {
        let (Some(id), Some(last), Some(freq)) = (id, last, freq) else {
            out.returns_only_customers += 1;
            continue;
        };
        let spend = spend.unwrap_or(0.0);
        out.customer_id.push(id.to_string());
        out.recency_days.push(i64::from(as_of_day - last));
        out.frequency.push(freq);
        out.monetary.push(match monetary {
            Monetary::Total => spend,
            Monetary::Mean => spend / f64::from(freq.max(1)),
        });
    }
    Ok(out)
}
