//! Recency, frequency and monetary value per customer as of a date.

use anyhow::Result;
use polars::prelude::*;

use crate::data::Transactions;
use crate::data::load::{AMOUNT, CUSTOMER, DAY, IS_RETURN, ORDER, collect_streaming};
use crate::error::ClmError;
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
    pub monetary: Vec<f64>,
    /// Customers left out because every row of theirs up to the as-of date is a return.
    pub returns_only_customers: usize,
    /// Rows dated after the as-of date, ignored.
    pub rows_after_as_of: usize,
}

/// Computes recency, tenure, frequency and monetary value as of `as_of_day` (days since
/// 1970-01-01) in one group-by on polars' streaming engine.
pub fn rfm_measures(tx: &Transactions, as_of_day: i32, monetary: Monetary) -> Result<RfmMeasures> {
    let bad = |e: PolarsError| ClmError::BadData(format!("{}: {e}", tx.source));
    let mut timer = Stopwatch::start("rfm measures");
    let days = tx.frame.column(DAY).and_then(|c| c.i32()).map_err(bad)?;
    let rows_after_as_of = days.gt(as_of_day).sum().unwrap_or(0) as usize;
    let mut rows = tx.frame.clone().lazy();
    if rows_after_as_of > 0 {
        rows = rows.filter(col(DAY).lt_eq(lit(as_of_day)));
    }
    // Masking before grouping keeps every aggregation a plain (fast, streamable) one: a purchase
    // day or order is null on return rows; min and max ignore nulls, n_unique counts null as
    // one value, which the null count takes back out.
    let purchase = col(IS_RETURN).not();
    let occasion = if tx.has_orders() {
        col(ORDER)
    } else {
        col(DAY)
    };
    let per_customer = rows
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
            col("purchase_day").min().alias("first_purchase"),
            (col("occasion").n_unique().cast(DataType::UInt32)
                - col("occasion")
                    .null_count()
                    .gt(lit(0))
                    .cast(DataType::UInt32))
            .alias("frequency"),
            col(AMOUNT).sum().alias("spend"),
        ])
        .sort([CUSTOMER], SortMultipleOptions::default());
    let mut grouped = collect_streaming(per_customer).map_err(bad)?;
    timer.lap("group and sort");

    // Customers with only returns have no purchase day.
    let buyers = grouped.column("last_purchase").map_err(bad)?.is_not_null();
    let returns_only_customers = grouped.height() - buyers.sum().unwrap_or(0) as usize;
    if returns_only_customers > 0 {
        grouped = grouped.filter(&buyers).map_err(bad)?;
    }
    let column = |name: &str| grouped.column(name).map_err(bad);
    let ids = column(CUSTOMER)?.str().map_err(bad)?;
    // No nulls are left (ids were validated, returns-only customers filtered out), so the
    // `unwrap_or` defaults below are never used.
    let days_before = |name: &str| -> Result<Vec<i64>> {
        let days = column(name)?.i32().map_err(bad)?;
        Ok(days
            .iter()
            .map(|day| i64::from(as_of_day - day.unwrap_or(as_of_day)))
            .collect())
    };
    let frequency: Vec<u32> = column("frequency")?
        .u32()
        .map_err(bad)?
        .iter()
        .map(|f| f.unwrap_or(0))
        .collect();
    let spend = column("spend")?
        .f64()
        .map_err(bad)?
        .iter()
        .map(|s| s.unwrap_or(0.0));
    let monetary = match monetary {
        Monetary::Total => spend.collect(),
        Monetary::Mean => spend
            .zip(&frequency)
            .map(|(s, &f)| s / f64::from(f.max(1)))
            .collect(),
    };
    let id_bytes = ids.downcast_iter().map(|a| a.total_bytes_len()).sum();
    let mut customer_id = PackedText::with_capacity(ids.len(), id_bytes);
    for id in ids.iter() {
        customer_id.push(id.unwrap_or_default());
    }
    let out = RfmMeasures {
        customer_id,
        recency_days: days_before("last_purchase")?,
        tenure_days: days_before("first_purchase")?,
        frequency,
        monetary,
        returns_only_customers,
        rows_after_as_of,
    };
    timer.lap("to vectors");
    Ok(out)
}
