//! The data overview: what was read, what was left out, and ids that look like placeholders.

use super::document::{Block, Section};
use super::{percent, thousands};
use crate::data::Transactions;
use crate::data::placeholders::{OUTSIZED_SHARE, OutsizedId};
use crate::features::churn::Histories;
use crate::output::{Table, Values, format_day};

/// The overview of the transactions, their customer histories and the as-of date.
pub fn section(
    tx: &Transactions,
    histories: &Histories,
    outsized: &[OutsizedId],
    as_of: i32,
) -> Section {
    let mut section = Section::new("overview", "Data overview");
    let first_day = (0..histories.len())
        .filter_map(|i| histories.days_of(i).first().map(|d| d.day))
        .min();
    let last_day = tx.last_day();
    let mut facts: Vec<(String, String)> = vec![
        ("Input".into(), tx.source.clone()),
        ("Rows analysed".into(), thousands(tx.frame.height())),
        ("Customers".into(), thousands(histories.len())),
        (
            "Dates".into(),
            match (first_day, last_day) {
                (Some(first), Some(last)) => format!(
                    "{} to {} ({} days)",
                    format_day(first),
                    format_day(last),
                    last - first + 1
                ),
                _ => "none".into(),
            },
        ),
        ("As-of date".into(), format_day(as_of)),
        ("Columns used".into(), tx.columns.describe()),
        (
            "Returns and cancellations".into(),
            format!("{} rows", thousands(tx.return_rows)),
        ),
    ];
    for skipped in &tx.skipped {
        facts.push((
            "Rows skipped".into(),
            format!("{}: {}", thousands(skipped.rows), skipped.reason),
        ));
    }
    if tx.skipped.is_empty() {
        facts.push(("Rows skipped".into(), "none".into()));
    }
    if tx.trimmed_ids > 0 {
        facts.push((
            "Ids trimmed".into(),
            format!(
                "{} rows had whitespace around the customer id",
                thousands(tx.trimmed_ids)
            ),
        ));
    }
    if !tx.exclusion.found_list().is_empty() {
        facts.push(("Ids left out".into(), tx.exclusion.found_list()));
    }
    section.push(Block::Text(format!(
        "{} customers bought in the period; the analyses below use every row up to the as-of date.",
        thousands(histories.len())
    )));
    for warning in placeholder_warnings(tx, outsized) {
        section.push(Block::Warning(warning));
    }
    let table = Table::default()
        .with(
            "item",
            Values::Text(facts.iter().map(|(k, _)| k.clone()).collect()),
        )
        .with(
            "value",
            Values::Text(facts.iter().map(|(_, v)| v.clone()).collect()),
        );
    section.push(Block::Facts(facts));
    section.sheet("overview", table);
    section
}

/// One warning per id holding an outsized share of rows or sales (`outsized`, as found when
/// the rows were read and warned about on stderr).
fn placeholder_warnings(tx: &Transactions, outsized: &[OutsizedId]) -> Vec<String> {
    outsized
        .iter()
        .map(|id| {
            let what = if id.row_share >= OUTSIZED_SHARE {
                "an id shared by many customers (unknown, guest, test) distorts every analysis"
            } else {
                "check it is not a data error or a placeholder"
            };
            format!(
                "Customer '{}' is on {} of the {} rows and holds {} of the sales: {what}; \
                 if it is a placeholder, leave it out with --exclude-ids.",
                id.id,
                thousands(id.rows),
                thousands(tx.frame.height()),
                percent(100.0 * id.sales_share)
            )
        })
        .collect()
}
