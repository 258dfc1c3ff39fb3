//! RFM segments: the share of customers and revenue per segment, the recency × frequency grid,
//! and the segment table with actions, scored as `clm rfm` scores by default.

use super::document::{Block, Chart, ChartKind, HeatMap, Section, Series};
use super::{numbers, percent, texts};
use crate::analysis::rfm::{Scoring, rfm_report};
use crate::features::rfm::RfmMeasures;
use crate::output::{Values, format_day};
use crate::segment::rfm::SegmentTable;

/// Score bins of the default segment table.
const BINS: u32 = 5;

/// The RFM section as of `as_of`.
pub fn section(measures: RfmMeasures, as_of: i32) -> Section {
    let title = "RFM segments";
    if measures.customer_id.is_empty() {
        return Section::unavailable(
            "rfm",
            title,
            format!("No customer bought on or before {}.", format_day(as_of)),
        );
    }
    let report = rfm_report(
        measures,
        &SegmentTable::default(),
        BINS,
        as_of,
        Scoring::Quantile,
    );
    let mut section = Section::new("rfm", title);
    section.push(Block::Text(format!(
        "{}. Each customer is scored 1–5 on recency, frequency and net spend (quantiles, 5 is best) and named by the first segment whose score ranges hold them (docs/rfm.md).",
        report.heading.join(" ")
    )));
    let summary = &report.summary;
    let names = texts(summary, "segment");
    let customers = numbers(summary, "share_pct");
    let revenue = numbers(summary, "revenue_share_pct");
    section.push(Block::Chart(Chart {
        title: "Customers and revenue by RFM segment".into(),
        reading: segment_reading(&names, &customers, &revenue),
        kind: ChartKind::Bars {
            categories: names.clone(),
            series: vec![
                Series::bars("customers (%)", customers),
                Series::bars("net revenue (%)", revenue),
            ],
            value_label: "share of all customers / of net revenue (%)".into(),
            category_label: "segment".into(),
        },
    }));
    if let Some(map) = recency_frequency_grid(&report.rows) {
        section.push(Block::Chart(map));
    }
    section.push(Block::Table {
        caption: "Segments, what they hold and what to do".into(),
        table: summary.clone(),
    });
    section.sheet("rfm segments", report.summary);
    section
}

/// "Champions are 12 % of customers and 48 % of revenue", for the segment with the most revenue.
fn segment_reading(names: &[String], customers: &[f64], revenue: &[f64]) -> String {
    let top = (0..names.len())
        .filter(|&s| revenue[s].is_finite())
        .max_by(|&a, &b| revenue[a].total_cmp(&revenue[b]));
    match top {
        Some(s) => format!(
            "{} are {} of customers and {} of net revenue, the largest share of revenue of any segment.",
            names[s],
            percent(customers[s]),
            percent(revenue[s])
        ),
        None => "No segment has revenue.".into(),
    }
}

/// Share of customers in each recency × frequency score cell, recency 5 (most recent) on top.
fn recency_frequency_grid(rows: &crate::output::Table) -> Option<Chart> {
    let (Some(Values::Int(r)), Some(Values::Int(f))) =
        (super::column(rows, "r"), super::column(rows, "f"))
    else {
        return None;
    };
    let bins = BINS as usize;
    let mut counts = vec![0usize; bins * bins];
    for (&r, &f) in r.iter().zip(f) {
        let (row, col) = (bins - r as usize, f as usize - 1);
        counts[row * bins + col] += 1;
    }
    let total = r.len().max(1) as f64;
    let values: Vec<f64> = counts.iter().map(|&c| 100.0 * c as f64 / total).collect();
    let best = values[bins - 1];
    let lost = values[(bins - 1) * bins];
    Some(Chart {
        title: "Customers by recency and frequency score".into(),
        reading: format!(
            "{} of customers bought recently and often (R 5, F 5); {} bought once, long ago (R 1, F 1).",
            percent(best),
            percent(lost)
        ),
        kind: ChartKind::HeatMap(HeatMap {
            rows: (1..=bins).rev().map(|s| format!("R {s}")).collect(),
            columns: (1..=bins).map(|s| format!("F {s}")).collect(),
            values,
            row_label: "recency score (5 = most recent)".into(),
            column_label: "frequency score (5 = most orders)".into(),
            value_label: "customers, %".into(),
            decimals: 1,
            cell_text: None,
        }),
    })
}
