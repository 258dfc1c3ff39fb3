//! What `clm churn` reports: the customer list (sorted and selected, with reasons), the top
//! of it, the back-test line and table, and each scored customer's CLV. The scoring and the
//! back-test are [`crate::analysis::churn`]'s; the risk bands [`crate::segment::risk_bands`]'s.

use clap::ValueEnum;
use rayon::prelude::*;

use crate::analysis::churn::{Backtest, Context, Metrics, Scores, Window, median, triple_in_weeks};
use crate::analysis::value::{self, Valuation};
use crate::features::churn::CutoffFeatures;
use crate::features::churn_reasons::{
    ExtraInput, InputEffect, MAX_REASONS, model_reasons, rule_reasons,
};
use crate::models::bgnbd::BgNbdParams;
use crate::models::logistic::LogisticModel;
use crate::models::predict::Btyd;
use crate::models::{Triple, compress_triples_indexed};
use crate::output::{Log, PackedText, Report, Stopwatch, Table, Values, counted, format_day};
use crate::segment::risk_bands::{RISK_BANDS, band_of};

/// Row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// Expected value at risk (risk × CLV), highest first.
    Value,
    /// Churn risk, highest first.
    Risk,
}

/// Which customers the list keeps, and in which order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    pub sort: SortBy,
    /// Keep customers whose CLV is at least this.
    pub min_clv: Option<f64>,
    /// Keep the first N after sorting.
    pub top: Option<usize>,
}

/// The back-test in one line: each scorer's AUC, lift, capture and Brier score, or why there
/// is none.
pub fn backtest_summary(backtest: &Backtest) -> String {
    if backtest.metrics.is_empty() {
        let why = match backtest.missing.is_empty() {
            true => "not available".to_string(),
            false => backtest.missing.join("; "),
        };
        return format!("Back-test: {why}");
    }
    let figures: Vec<String> = backtest
        .metrics
        .iter()
        .map(|m| {
            let mut text = format!("{} AUC {}", m.scorer, fixed(m.auc, 3));
            if m.scorer != "recency only" {
                text.push_str(&format!(
                    ", lift {}, capture {} %, Brier {}",
                    fixed(m.lift, 2),
                    fixed(m.capture.map(|c| 100.0 * c), 1),
                    fixed(m.brier, 3)
                ));
            }
            text
        })
        .collect();
    let mut line = format!(
        "Back-test at {} ({}, {:.1} % churned): {}",
        format_day(backtest.cutoff),
        counted(backtest.customers, "customer"),
        100.0 * backtest.base_rate,
        figures.join("; ")
    );
    for missing in &backtest.missing {
        line.push_str(&format!("; {missing}"));
    }
    line
}

/// `value` with `decimals` decimals, or `n/a`.
pub fn fixed(value: Option<f64>, decimals: usize) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.decimals$}"))
}

/// The back-test as a report: one row per scorer.
pub fn backtest_report(backtest: &Backtest, context: &Context) -> Report {
    let m = &backtest.metrics;
    let column =
        |get: fn(&Metrics) -> Option<f64>| m.iter().map(|x| get(x).unwrap_or(f64::NAN)).collect();
    let constant = |v: f64| vec![v; m.len()];
    let table = Table::default()
        .with(
            "scorer",
            Values::Text(m.iter().map(|x| x.scorer.to_string()).collect()),
        )
        .with("auc", Values::Float(column(|x| x.auc), 4))
        .with("top_decile_lift", Values::Float(column(|x| x.lift), 3))
        .with(
            "top_decile_capture_pct",
            Values::Float(column(|x| x.capture.map(|c| 100.0 * c)), 2),
        )
        .with("brier", Values::Float(column(|x| x.brier), 4))
        .with(
            "base_churn_pct",
            Values::Float(constant(100.0 * backtest.base_rate), 2),
        )
        .with(
            "customers",
            Values::Int(vec![backtest.customers as i64; m.len()]),
        )
        .with("cutoff", Values::Date(vec![backtest.cutoff; m.len()]))
        .with(
            "window_end",
            Values::Date(vec![backtest.cutoff + context.horizon; m.len()]),
        );
    let mut heading = vec![format!(
        "Back-test: scores at {} against churn in the next {} (to {}); supervised model trained at {}",
        format_day(backtest.cutoff),
        counted(context.horizon, "day"),
        format_day(backtest.cutoff + context.horizon),
        format_day(backtest.cutoff - context.horizon)
    )];
    heading.extend(backtest.missing.iter().cloned());
    Report {
        heading,
        summary: table.clone(),
        rows: table,
    }
}

/// Each scored customer's CLV: margin × Gamma-Gamma expected spend × discounted BG/NBD expected
/// purchases over the valuation's horizon (in weeks, the unit of the window's BG/NBD), valued
/// as `clm clv` values them. NaN for everyone when either model was refused (with a note): a
/// refused fit is never used.
pub fn customer_value(
    window: &Window,
    params: &Option<BgNbdParams>,
    valuation: &Valuation,
    log: &Log,
) -> Vec<f64> {
    let Some(params) = params else {
        log.note("no BG/NBD model: CLV and value at risk are left empty");
        return vec![f64::NAN; window.customers.len()];
    };
    let repeat_purchases: Vec<u32> = window.features.iter().map(|f| f.frequency - 1).collect();
    let mean_repeat_spend: Vec<f64> = window
        .features
        .iter()
        .map(|f| f.mean_repeat_spend)
        .collect();
    let spend = match value::fit_spend(&repeat_purchases, &mean_repeat_spend) {
        Ok(fit) => fit.params,
        Err(error) => {
            log.note(format!("{error}: CLV and value at risk are left empty"));
            return vec![f64::NAN; window.customers.len()];
        }
    };
    let triples: Vec<Triple> = window.features.iter().map(triple_in_weeks).collect();
    let (histories, history_of) = compress_triples_indexed(&triples);
    value::customer_values(
        &Btyd::BgNbd(*params),
        &spend,
        (&histories, &history_of),
        (&repeat_purchases, &mean_repeat_spend),
        valuation,
        log,
    )
    .clv
}

/// The per-customer rows, sorted and selected as asked.
pub fn customer_rows(
    context: &Context,
    window: &Window,
    scores: &Scores,
    reason_model: Option<&LogisticModel>,
    risk: &[f64],
    value: &[f64],
    selection: &Selection,
) -> Table {
    let mut timer = Stopwatch::start("churn rows");
    let ids = &context.histories.customer_id;
    let at_risk: Vec<f64> = risk.iter().zip(value).map(|(r, v)| r * v).collect();
    let key = match selection.sort {
        SortBy::Value => &at_risk,
        SortBy::Risk => risk,
    };
    // (key, customer, position), ties by customer: customers are numbered in id order, so
    // equal keys list by id without reading the ids.
    let mut sorted: Vec<(f64, usize, usize)> = (0..window.customers.len())
        .filter(|&i| selection.min_clv.is_none_or(|min| value[i] >= min))
        .map(|i| (key[i], window.customers[i], i))
        .collect();
    sorted.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    if let Some(top) = selection.top {
        sorted.truncate(top);
    }
    let order: Vec<usize> = sorted.iter().map(|s| s.2).collect();
    timer.lap("sort");
    let typical_recency = median(window.features.iter().map(|f| f64::from(f.recency_days)));
    // The typical customer the model's reasons are measured against: each input's median.
    let typical = match reason_model {
        Some(_) => context.typical_inputs(window),
        None => Vec::new(),
    };
    let reasons_of = |i: usize| -> Vec<String> {
        let features = &window.features[i];
        let Some(model) = reason_model else {
            return rule_reasons(features, typical_recency);
        };
        let mut row = Vec::with_capacity(context.input_count());
        context.push_inputs(window, i, &mut row);
        let effects: Vec<InputEffect> = (0..row.len())
            .map(|j| InputEffect {
                contribution: model.contribution(j, row[j]) - model.contribution(j, typical[j]),
                above_typical: row[j] > typical[j],
            })
            .collect();
        let extra_inputs: Vec<ExtraInput> = match context.extra {
            Some(extra) => extra
                .names
                .iter()
                .zip(extra.row(window.customers[i]))
                .map(|(name, &value)| ExtraInput { name, value })
                .collect(),
            None => Vec::new(),
        };
        model_reasons(features, &effects, &extra_inputs)
    };
    // Reasons in parallel blocks of rows, each block packed into its own columns, then joined.
    let blocks: Vec<[PackedText; MAX_REASONS]> = order
        .par_chunks(16_384)
        .map(|block| {
            let mut columns: [PackedText; MAX_REASONS] = Default::default();
            for &i in block {
                let reasons = reasons_of(i);
                for (k, column) in columns.iter_mut().enumerate() {
                    column.push(reasons.get(k).map_or("", String::as_str));
                }
            }
            columns
        })
        .collect();
    let mut reason_columns: [PackedText; MAX_REASONS] = Default::default();
    for block in &blocks {
        for (column, part) in reason_columns.iter_mut().zip(block) {
            column.append(part);
        }
    }
    drop(blocks);
    timer.lap("reasons");
    let pick = |values: &[f64]| order.par_iter().map(|&i| values[i]).collect::<Vec<f64>>();
    let feature = |get: fn(&CutoffFeatures) -> f64| {
        order
            .par_iter()
            .map(|&i| get(&window.features[i]))
            .collect::<Vec<f64>>()
    };
    let mut table = Table::default()
        .with("rank", Values::Int((1..=order.len() as i64).collect()))
        .with(
            "customer_id",
            Values::PackedText(sorted.iter().map(|s| ids.get(s.1)).collect()),
        )
        .with("churn_risk", Values::Float(pick(risk), 4))
        .with(
            "risk_band",
            Values::Labels {
                labels: RISK_BANDS.iter().map(|b| b.name.to_string()).collect(),
                codes: order.iter().map(|&i| band_of(risk[i]) as u32).collect(),
            },
        )
        .with("clv", Values::Float(pick(value), 2))
        .with("value_at_risk", Values::Float(pick(&at_risk), 2))
        .with(
            "recency_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].recency_days))
                    .collect(),
            ),
        )
        .with(
            "purchase_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].frequency))
                    .collect(),
            ),
        )
        .with("monetary", Values::Float(feature(|f| f.monetary), 2))
        .with(
            "tenure_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].tenure_days))
                    .collect(),
            ),
        )
        .with(
            "overdue_ratio",
            Values::Float(feature(|f| f.overdue_ratio().unwrap_or(f64::NAN)), 2),
        )
        .with("btyd_risk", Values::Float(pick(&scores.btyd), 4))
        .with(
            "supervised_risk",
            Values::Float(pick(&scores.supervised), 4),
        );
    for (k, column) in reason_columns.into_iter().enumerate() {
        table = table.with(&format!("reason_{}", k + 1), Values::PackedText(column));
    }
    timer.lap("columns");
    table
}

/// The first `n` rows with the columns a person reads first.
pub fn top_table(rows: &Table, n: usize) -> Table {
    let keep = [
        "rank",
        "customer_id",
        "churn_risk",
        "clv",
        "value_at_risk",
        "reason_1",
    ];
    let mut top = Table::default();
    for (name, values) in rows.names.iter().zip(&rows.columns) {
        if keep.contains(&name.as_str()) {
            top = top.with(name, values.head(n));
        }
    }
    top
}
