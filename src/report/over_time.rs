//! Customers over time: monthly acquisition cohorts (the retention heat map) and lifecycle
//! stages, computed as `clm cohorts` and `clm lifecycle` compute them by default.

use rayon::prelude::*;

use super::document::{Block, Chart, ChartKind, HeatMap, Section, Series, Sheet};
use super::{percent, thousands};
use crate::features::churn::Histories;
use crate::features::cohorts::{Metric, Period, cohorts};
use crate::features::lifecycle::{
    LifecycleWindows, gap_quantile, inter_purchase_gaps, lifecycle_at,
};
use crate::output::{Table, Values, format_day};
use crate::segment::lifecycle::{ExitPattern, Stage, StageTable};

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

/// Stages before lapsing, listed first in [`stage_groups`].
const LIVE_STAGES: usize = 4;

/// The four stages of a live relationship, then lapsed customers by how they left, in the
/// order of `clm lifecycle`'s summary.
fn stage_groups() -> Vec<(Stage, Option<ExitPattern>)> {
    let live = Stage::ALL[..LIVE_STAGES].iter().map(|&s| (s, None));
    let lapsed = ExitPattern::ALL.iter().map(|&p| (Stage::Lapsed, Some(p)));
    live.chain(lapsed).collect()
}

/// A group's name in the chart: the stage, or "lapsed: " and the exit pattern.
fn group_name((stage, exit): (Stage, Option<ExitPattern>)) -> String {
    match exit {
        Some(pattern) => format!("lapsed: {}", pattern.name()),
        None => stage.name().to_string(),
    }
}

/// The lifecycle section: customers and revenue per stage, with each stage's action.
pub fn lifecycle_section(histories: &Histories, as_of: i32) -> Section {
    let title = "Lifecycle stages";
    let table = StageTable::default();
    let gaps = inter_purchase_gaps(histories, as_of);
    let Some(lapse_days) = gap_quantile(gaps, table.lapse_quantile).map(|d| d.max(1)) else {
        return Section::unavailable(
            "lifecycle",
            title,
            format!(
                "No customer bought twice by {}, so the lapse window cannot come from the data.",
                format_day(as_of)
            ),
        );
    };
    let windows = LifecycleWindows {
        lapse_days,
        trend_days: lapse_days,
    };
    let groups = stage_groups();
    let stages: Vec<Option<(usize, f64)>> = (0..histories.len())
        .into_par_iter()
        .map(|i| {
            let c = lifecycle_at(histories.days_of(i), as_of, &table, windows, true)?;
            let group = groups.iter().position(|&g| g == (c.stage, c.exit_pattern));
            Some((group.unwrap_or(0), c.value))
        })
        .collect();
    let mut customers = vec![0usize; groups.len()];
    let mut value = vec![0.0; groups.len()];
    for &(g, v) in stages.iter().flatten() {
        customers[g] += 1;
        value[g] += v;
    }
    // Groups without a customer are left out, as in `clm lifecycle`'s summary.
    let present: Vec<usize> = (0..groups.len()).filter(|&g| customers[g] > 0).collect();
    let total = customers.iter().sum::<usize>().max(1) as f64;
    let total_value: f64 = value.iter().sum();
    let share: Vec<f64> = present
        .iter()
        .map(|&g| 100.0 * customers[g] as f64 / total)
        .collect();
    let value_share: Vec<f64> = present
        .iter()
        .map(|&g| {
            if total_value != 0.0 {
                100.0 * value[g] / total_value
            } else {
                f64::NAN
            }
        })
        .collect();
    let names: Vec<String> = present.iter().map(|&g| group_name(groups[g])).collect();
    let lapsed: Vec<usize> = (0..present.len())
        .filter(|&k| present[k] >= LIVE_STAGES)
        .collect();
    let lapsed_share: f64 = lapsed.iter().map(|&k| share[k]).sum();
    let lapsed_value: f64 = lapsed.iter().map(|&k| value_share[k]).sum();
    let mut section = Section::new("lifecycle", title);
    section.push(Block::Text(format!(
        "{} customers as of {}. A customer has lapsed after {lapse_days} days without a purchase (the {:.0} % quantile of the gaps between purchase days); the other stages follow tenure, purchases and their trend (docs/lifecycle.md).",
        thousands(total as usize),
        format_day(as_of),
        100.0 * table.lapse_quantile
    )));
    section.push(Block::Chart(Chart {
        title: "Customers and net revenue by lifecycle stage".into(),
        reading: format!(
            "{} of customers have lapsed; they brought {} of the net revenue to date.",
            percent(lapsed_share),
            percent(lapsed_value)
        ),
        kind: ChartKind::Bars {
            categories: names.clone(),
            series: vec![
                Series::bars("customers (%)", share.clone()),
                Series::bars("net revenue to date (%)", value_share.clone()),
            ],
            value_label: "share of customers / of net revenue (%)".into(),
            category_label: "stage".into(),
        },
    }));
    let summary = Table::default()
        .with(
            "stage",
            Values::Text(present.iter().map(|&g| groups[g].0.name().into()).collect()),
        )
        .with(
            "exit_pattern",
            Values::Text(
                present
                    .iter()
                    .map(|&g| groups[g].1.map_or("", ExitPattern::name).into())
                    .collect(),
            ),
        )
        .with(
            "customers",
            Values::Int(present.iter().map(|&g| customers[g] as i64).collect()),
        )
        .with("share_pct", Values::Float(share, 1))
        .with("revenue_share_pct", Values::Float(value_share, 1))
        .with(
            "mean_value",
            Values::Float(
                present
                    .iter()
                    .map(|&g| value[g] / customers[g] as f64)
                    .collect(),
                2,
            ),
        )
        .with(
            "action",
            Values::Text(
                present
                    .iter()
                    .map(|&g| match groups[g] {
                        (_, Some(pattern)) => pattern.action().into(),
                        (stage, None) => stage.action().into(),
                    })
                    .collect(),
            ),
        );
    section.push(Block::Table {
        caption: "Stages and what to do".into(),
        table: summary.clone(),
    });
    section.sheet("lifecycle", summary);
    section
}
