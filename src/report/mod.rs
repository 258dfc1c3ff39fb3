//! `clm report`: every analysis the data allows, as one document of sections (text, charts,
//! tables), written as a self-contained HTML page or an Excel workbook.
//!
//! The section builders call the same analysis, feature and rule-table functions the commands
//! call; [`html`] and [`workbook`] only lay out what they built. A section the data does not
//! allow says why in one sentence instead of a chart.

mod charts;
mod churn;
mod clv;
pub mod document;
mod html;
mod lang;
mod loyalty;
mod over_time;
mod overview;
mod rfm;
mod workbook;

pub use churn::section as churn_section;
pub use clv::section as clv_section;
pub use document::{Block, Document, Section};
pub use html::{escape, page};
pub use lang::localize;
pub use loyalty::section as loyalty_section;
pub use over_time::{cohorts_section, lifecycle_section};
pub use overview::section as overview_section;
pub use rfm::section as rfm_section;
pub use workbook::workbook;

use anyhow::Result;

use crate::data::Transactions;
use crate::features::btyd::{BtydStatistics, btyd_from_summaries};
use crate::features::churn::Histories;
use crate::features::rfm::{Monetary, RfmMeasures, rfm_from_summaries};
use crate::features::summary::Summaries;
use crate::output::{Table, Values};

/// What the sections read of every customer, from one copy of the rows: the day histories
/// (overview, CLV tracking, churn, cohorts, lifecycle) and, from one summary at the as-of date,
/// the RFM measures and BTYD statistics, as `clm rfm` and `clm clv` compute them
/// ([`crate::features::rfm::rfm_measures`], [`crate::features::btyd::btyd_statistics`]).
pub struct Customers {
    pub histories: Histories,
    pub rfm: RfmMeasures,
    pub btyd: BtydStatistics,
}

/// Groups the rows into [`Customers`] once; the histories and the summary are built side by side.
pub fn customers(tx: &Transactions, as_of: i32) -> Result<Customers> {
    let rows = tx.row_columns()?;
    let (histories, summaries) = rayon::join(
        || Histories::from_rows(&rows.customer, &rows.day, &rows.amount, &rows.is_return),
        || Summaries::from_rows(&rows, &[as_of]),
    );
    let rows_after_as_of = rows.rows_after(as_of);
    drop(rows);
    let (mut rfm, mut btyd) = rayon::join(
        || rfm_from_summaries(&summaries, as_of, Monetary::Total),
        || btyd_from_summaries(&summaries, as_of),
    );
    rfm.rows_after_as_of = rows_after_as_of;
    btyd.rows_after_as_of = rows_after_as_of;
    Ok(Customers {
        histories,
        rfm,
        btyd,
    })
}

/// A column of a table by name.
fn column<'a>(table: &'a Table, name: &str) -> Option<&'a Values> {
    let at = table.names.iter().position(|n| n == name)?;
    table.columns.get(at)
}

/// The floats of a float column, or of an integer column as floats; empty when missing.
fn numbers(table: &Table, name: &str) -> Vec<f64> {
    match column(table, name) {
        Some(Values::Float(v, _)) => v.clone(),
        Some(Values::Int(v)) => v.iter().map(|&x| x as f64).collect(),
        _ => Vec::new(),
    }
}

/// The texts of a text column; empty when missing.
fn texts(table: &Table, name: &str) -> Vec<String> {
    match column(table, name) {
        Some(values) => (0..table.height())
            .map(|row| values.text(row).unwrap_or_default().to_string())
            .collect(),
        None => Vec::new(),
    }
}

/// A percentage as people read it: "48 %", "3.5 %" under 10, "0.2 %" under 1.
fn percent(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    if value.abs() >= 10.0 {
        format!("{value:.0} %")
    } else {
        format!("{value:.1} %")
    }
}

/// A whole number with thousands separators: 4,000,000.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(percent(48.2), "48 %");
        assert_eq!(percent(3.46), "3.5 %");
        assert_eq!(percent(f64::NAN), "n/a");
        assert_eq!(thousands(4_000_000), "4,000,000");
        assert_eq!(thousands(999), "999");
    }
}
