//! Customers over time: monthly acquisition cohorts (the retention heat map) and lifecycle
//! stages, computed as `clm cohorts` and `clm lifecycle` compute them by default.

use super::document::{Block, Chart, ChartKind, HeatMap, Section, Series, Sheet};
use super::{numbers, percent, texts, thousands};
use crate::analysis::lifecycle::{
    classify, lapse_window, stage_summary, transition_matrix, transitions,
};
use crate::features::churn::Histories;
use crate::features::cohorts::{Metric, Period, cohorts};
use crate::features::lifecycle::LifecycleWindows;
use crate::output::{Table, format_day};
use crate::segment::lifecycle::{Stage, StageTable};

/// Days between the two dates of the lifecycle migration matrix (a quarter, as the churn
/// horizon), as `clm lifecycle --compare 90d`.
const MIGRATION_DAYS: i32 = 90;

/// The most recent cohorts drawn in the heat map; the workbook has them all.
const MAX_DRAWN_COHORTS: usize = 36;

/// The cohort section: retention by month of acquisition and months since.
pub fn cohorts_section(histories: &Histories, as_of: i32) -> Section {
    let title = "Cohorts: retention by month of acquisition";
    let Some(cohorts) = cohorts(histories, Period::Month, as_of) else {
        return Section::unavailable(
            "cohorts",
            title,
            format!(
                "No customer bought on or before {}, so there is no cohort.",
                format_day(as_of)
            ),
        );
    };
    let retention = cohorts.matrix(Metric::Retention);
    let columns = cohorts.columns;
    let labels: Vec<String> = cohorts
        .cohort
        .iter()
        .map(|&c| Period::Month.label(c))
        .collect();
    let first_drawn = cohorts.len().saturating_sub(MAX_DRAWN_COHORTS);
    let average = cohorts.average(Metric::Retention);
    let mut section = Section::new("cohorts", title);
    section.push(Block::Text(format!(
        "{} monthly cohorts: customers grouped by the month of their first purchase; a cell is the share of the cohort who bought in that month after acquisition (month 0, always 100 %, is left out).{}",
        cohorts.len(),
        match first_drawn {
            0 => String::new(),
            n => format!(" The heat map shows the latest {MAX_DRAWN_COHORTS}; the workbook has all, {n} more."),
        }
    )));
    if columns < 2 {
        section.push(Block::Unavailable(format!(
            "No retention heat map: no cohort has been observed past its first month by {}.",
            format_day(as_of)
        )));
    } else {
        let drawn = (first_drawn..cohorts.len()).collect::<Vec<usize>>();
        section.push(Block::Chart(retention_map(
            &labels, &retention, columns, &drawn, &average,
        )));
    }
    let matrix = cohorts.wide_table(Metric::Retention);
    section.sheets.push(Sheet {
        name: "cohorts".into(),
        table: matrix,
        colour_scale: true,
    });
    section
}

/// The retention heat map of the cohorts `drawn`, months 1 and after.
fn retention_map(
    labels: &[String],
    retention: &[f64],
    columns: usize,
    drawn: &[usize],
    average: &[f64],
) -> Chart {
    Chart {
        title: "Retention heat map: customers active, % of the cohort".into(),
        reading: retention_reading(average),
        kind: ChartKind::HeatMap(HeatMap {
            rows: drawn.iter().map(|&c| labels[c].clone()).collect(),
            // Month 0 is 100 % by definition: left out, so the scale shows what differs.
            columns: (1..columns).map(|k| k.to_string()).collect(),
            values: drawn
                .iter()
                .flat_map(|&c| {
                    retention[c * columns + 1..(c + 1) * columns]
                        .iter()
                        .copied()
                })
                .collect(),
            row_label: "cohort (month of first purchase)".into(),
            column_label: "months since acquisition".into(),
            value_label: "retention, %".into(),
            decimals: 0,
            cell_text: None,
        }),
    }
}

/// "On average 12 % of a month's new customers buy again the month after, 6 % in month 6."
fn retention_reading(average: &[f64]) -> String {
    let at = |k: usize| average.get(k).copied().filter(|v| v.is_finite());
    match (at(1), at(6).or(at(3))) {
        (Some(next), Some(later)) => format!(
            "On average {} of a month's new customers buy again the month after acquisition, {} in month {}.",
            percent(next),
            percent(later),
            if at(6).is_some() { 6 } else { 3 }
        ),
        (Some(next), None) => format!(
            "On average {} of a month's new customers buy again the month after acquisition.",
            percent(next)
        ),
        _ => "No cohort has been observed for a full month after acquisition yet.".into(),
    }
}

/// The lifecycle section: customers and revenue per stage (lapsed customers by how they
/// left), with each group's action, as `clm lifecycle`'s summary.
pub fn lifecycle_section(histories: &Histories, source: &str, as_of: i32) -> Section {
    let title = "Lifecycle stages";
    let table = StageTable::default();
    let (lapse_days, lapse_note) = match lapse_window(histories, as_of, &table, None, source) {
        Ok(window) => window,
        Err(_) => {
            return Section::unavailable(
                "lifecycle",
                title,
                format!(
                    "No customer bought twice by {}, so the lapse window cannot come from the data.",
                    format_day(as_of)
                ),
            );
        }
    };
    let windows = LifecycleWindows {
        lapse_days,
        trend_days: lapse_days,
    };
    let stages = classify(histories, as_of, &table, windows, true);
    let summary = stage_summary(&stages);
    let from = as_of - MIGRATION_DAYS;
    let before = classify(histories, from, &table, windows, false);
    let moves = transitions(histories, &before, &stages, from, as_of);
    drop((stages, before));
    let names: Vec<String> = texts(&summary, "stage")
        .into_iter()
        .zip(texts(&summary, "exit_pattern"))
        .map(|(stage, exit)| match exit.is_empty() {
            true => stage,
            false => format!("{stage}: {exit}"),
        })
        .collect();
    let share = numbers(&summary, "share_pct");
    let value_share = numbers(&summary, "revenue_share_pct");
    let lapsed: Vec<usize> = (0..names.len())
        .filter(|&k| names[k].starts_with(Stage::Lapsed.name()))
        .collect();
    let lapsed_share: f64 = lapsed.iter().map(|&k| share[k]).sum();
    let lapsed_value: f64 = lapsed.iter().map(|&k| value_share[k]).sum();
    let customers: f64 = numbers(&summary, "customers").iter().sum();
    let mut section = Section::new("lifecycle", title);
    section.push(Block::Text(format!(
        "{} customers as of {}. A customer has lapsed after {lapse_days} days without a purchase ({lapse_note}); the other stages follow tenure, purchases and their trend (docs/lifecycle.md).",
        thousands(customers as usize),
        format_day(as_of),
    )));
    section.push(Block::Chart(Chart {
        title: "Customers and net revenue by lifecycle stage".into(),
        reading: format!(
            "{} of customers have lapsed; they brought {} of the net revenue to date.",
            percent(lapsed_share),
            percent(lapsed_value)
        ),
        kind: ChartKind::Bars {
            categories: names,
            series: vec![
                Series::bars("customers (%)", share),
                Series::bars("net revenue to date (%)", value_share),
            ],
            value_label: "share of customers / of net revenue (%)".into(),
            category_label: "stage".into(),
        },
    }));
    section.push(Block::Table {
        caption: "Stages and what to do".into(),
        table: summary.clone(),
    });
    section.sheet("lifecycle", summary);
    section.push(Block::Chart(migration_map(&moves, from, as_of)));
    section.push(Block::Table {
        caption: format!(
            "Stage on {} (rows) against {} (columns): customers / net revenue in between",
            format_day(from),
            format_day(as_of)
        ),
        table: transition_matrix(&moves),
    });
    section.sheet("lifecycle migration", moves);
    section
}

/// The migration heat map: for each stage `MIGRATION_DAYS` before the as-of date (and the
/// customers acquired since), where its customers are now, as % of the row; cells also give the
/// customers.
fn migration_map(moves: &Table, from: i32, to: i32) -> Chart {
    let from_names = texts(moves, "from_stage");
    let to_names = texts(moves, "to_stage");
    let customers = numbers(moves, "customers");
    let width = Stage::ALL.len();
    let rows: Vec<String> = from_names.iter().step_by(width).cloned().collect();
    let columns: Vec<String> = to_names.iter().take(width).cloned().collect();
    let mut values = Vec::with_capacity(customers.len());
    let mut cell_text = Vec::with_capacity(customers.len());
    for row in customers.chunks(width) {
        let total: f64 = row.iter().sum();
        for &n in row {
            let pct = if total > 0.0 {
                100.0 * n / total
            } else {
                f64::NAN
            };
            values.push(pct);
            cell_text.push(match total > 0.0 {
                true => format!("{} ({})", percent(pct), thousands(n as usize)),
                false => String::new(),
            });
        }
    }
    Chart {
        title: format!(
            "Lifecycle migration: stage on {} (rows) to stage on {}, % of the row",
            format_day(from),
            format_day(to)
        ),
        reading: migration_reading(&rows, &columns, &customers),
        kind: ChartKind::HeatMap(HeatMap {
            rows,
            columns,
            values,
            row_label: format!("stage {MIGRATION_DAYS} days earlier"),
            column_label: "stage at the as-of date".into(),
            value_label: "customers, % of the row".into(),
            decimals: 0,
            cell_text: Some(cell_text),
        }),
    }
}

/// Where the customers in stability (or, without any, the largest earlier stage) went: "Of the
/// 1,234 customers in stability 90 days earlier, 61 % still are, 12 % are in decline and 20 %
/// have lapsed."
fn migration_reading(rows: &[String], columns: &[String], customers: &[f64]) -> String {
    let width = columns.len();
    let total_of = |r: usize| customers[r * width..(r + 1) * width].iter().sum::<f64>();
    let earlier = rows.len().saturating_sub(1); // the last row is the customers acquired since
    let stability = Stage::ALL.iter().position(|&s| s == Stage::Stability);
    let row = stability
        .filter(|&r| r < earlier && total_of(r) > 0.0)
        .or_else(|| (0..earlier).max_by(|&a, &b| total_of(a).total_cmp(&total_of(b))))
        .filter(|&r| total_of(r) > 0.0);
    let Some(row) = row else {
        return format!(
            "No customer had bought {MIGRATION_DAYS} days before the as-of date: every customer is new since."
        );
    };
    let total = total_of(row);
    let share = |stage: Stage| {
        let column = Stage::ALL.iter().position(|&s| s == stage).unwrap_or(0);
        percent(100.0 * customers[row * width + column] / total)
    };
    let mut moves = vec![format!("{} still are", share(Stage::ALL[row]))];
    for (stage, moved) in [
        (Stage::Decline, "are in decline"),
        (Stage::Lapsed, "have lapsed"),
    ] {
        if Stage::ALL[row] != stage {
            moves.push(format!("{} {moved}", share(stage)));
        }
    }
    let last = moves.pop().unwrap_or_default();
    format!(
        "Of the {} customers in {} {MIGRATION_DAYS} days earlier, {} and {last}.",
        thousands(total as usize),
        rows[row],
        moves.join(", "),
    )
}
