//! The loyalty matrix (with `--survey`): attitude from the survey against purchase behaviour,
//! the 2×2 of Dick & Basu's quadrants with the NPS of each cell, as `clm loyalty` computes it
//! by default (fixed thresholds 0.5, default behaviour weights).

use std::path::Path;

use anyhow::Result;

use super::document::{Block, Chart, ChartKind, HeatMap, Section};
use super::{numbers, percent, texts, thousands};
use crate::analysis::loyalty::loyalty_matrix;
use crate::data::survey::{SurveyAggregation, SurveyOptions, load_survey};
use crate::features::loyalty::BehaviourWeights;
use crate::features::rfm::RfmMeasures;
use crate::output::{Log, format_float};
use crate::segment::loyalty::{LoyaltyQuadrant, Thresholds};

/// The quadrants as the 2×2 shows them: high attitude on top, high behaviour on the right.
const GRID: [[LoyaltyQuadrant; 2]; 2] = [
    [LoyaltyQuadrant::Latent, LoyaltyQuadrant::True],
    [LoyaltyQuadrant::NoLoyalty, LoyaltyQuadrant::Spurious],
];

/// The loyalty section; `explicit_as_of` (from `--as-of`) leaves out later survey answers, as
/// `clm loyalty` does. A survey that cannot be read or joined is an error, as in `clm loyalty`.
pub fn section(
    (measures, source): (&RfmMeasures, &str),
    survey_path: &Path,
    (as_of, explicit_as_of): (i32, Option<i32>),
    log: &Log,
) -> Result<Section> {
    let survey = load_survey(&SurveyOptions {
        path: survey_path,
        customer_col: None,
        date_col: None,
        date_format: None,
        attitude: None,
        expectation_col: None,
        experience_col: None,
        aggregation: SurveyAggregation::Latest,
        not_after: explicit_as_of,
        skip_invalid_answers: false,
    })?;
    let thresholds = Thresholds::Fixed {
        attitude: 0.5,
        behaviour: 0.5,
    };
    let report = loyalty_matrix(
        measures,
        &survey,
        (BehaviourWeights::default(), thresholds),
        (source, as_of),
        log,
    )?;
    let summary = report.summary;
    let names = texts(&summary, "quadrant");
    let share = numbers(&summary, "share_pct");
    let revenue = numbers(&summary, "revenue_share_pct");
    let nps = numbers(&summary, "nps");
    let customers = numbers(&summary, "customers");
    let at = |quadrant: LoyaltyQuadrant| names.iter().position(|n| n == quadrant.name());
    let mut section = Section::new("loyalty", "Loyalty matrix: attitude × behaviour");
    section.push(Block::Text(format!(
        "{} customers and survey respondents from {}. Attitude comes from the survey, behaviour from purchases (frequency and recency); each is high at 0.5 or more on its 0–1 index (docs/loyalty.md).",
        thousands(customers.iter().sum::<f64>() as usize),
        survey.source
    )));
    let mut values = Vec::with_capacity(4);
    let mut cell_text = Vec::with_capacity(4);
    for quadrant in GRID.iter().flatten() {
        let k = at(*quadrant);
        let pick = |v: &[f64]| k.map_or(f64::NAN, |k| v[k]);
        values.push(pick(&share));
        cell_text.push(format!(
            "{}: {}, NPS {}",
            quadrant.name(),
            percent(pick(&share)),
            match pick(&nps) {
                n if n.is_finite() => format_float(n, 0),
                _ => "n/a".into(),
            }
        ));
    }
    let reading = |q: LoyaltyQuadrant| {
        at(q).map_or("n/a".to_string(), |k| {
            format!(
                "{} of customers, {} of revenue",
                percent(share[k]),
                percent(revenue[k])
            )
        })
    };
    section.push(Block::Chart(Chart {
        title: "The loyalty matrix: customers and NPS per quadrant".into(),
        reading: format!(
            "True loyals hold {}; spurious loyals, who buy without liking, {}: the ones to win over before a competitor does.",
            reading(LoyaltyQuadrant::True),
            reading(LoyaltyQuadrant::Spurious)
        ),
        kind: ChartKind::HeatMap(HeatMap {
            rows: vec!["high attitude".into(), "low attitude".into()],
            columns: vec!["low behaviour".into(), "high behaviour".into()],
            values,
            row_label: "attitude (survey index ≥ 0.5)".into(),
            column_label: "behaviour (purchase index ≥ 0.5)".into(),
            value_label: "customers, %".into(),
            decimals: 0,
            cell_text: Some(cell_text),
        }),
    }));
    if let Some(k) = at(LoyaltyQuadrant::AttitudeUnknown) {
        section.push(Block::Text(format!(
            "{} customers ({}) have no survey answer and are outside the matrix.",
            thousands(customers[k] as usize),
            percent(share[k])
        )));
    }
    section.push(Block::Table {
        caption: "Quadrants, their NPS and what to do".into(),
        table: summary.clone(),
    });
    section.sheet("loyalty", summary);
    Ok(section)
}
