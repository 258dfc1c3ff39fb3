//! Customer lifetime value: the purchase and spend models and their fit, the tracking plot of
//! actual against predicted repeat purchases over calibration and holdout, P(alive) by
//! frequency and recency, and the value tiers as the customer pyramid. Fitted and valued as
//! `clm clv` does by default (BG/NBD and Gamma-Gamma, weeks, 52-week horizon, 10 % a year).

use rayon::prelude::*;

use super::document::{Block, Chart, ChartKind, HeatMap, Section, Series};
use super::{numbers, percent, thousands};
use crate::analysis::churn::triple_in_weeks;
use crate::analysis::clv::tier_summary;
use crate::analysis::value::{
    self, PurchaseModelChoice, Valuation, customer_values, fit_purchase_model, fit_spend,
};
use crate::features::btyd::{BtydStatistics, TimeUnit};
use crate::features::churn::{Histories, features_at};
use crate::models::predict::Btyd;
use crate::models::{FitReport, compress_triples};
use crate::output::{Log, Table, Values, format_day};
use crate::segment::tiers::{TIER_NAMES, value_tiers};

const TITLE: &str = "Customer lifetime value";

/// Value tiers of `clm clv`'s default `--tiers 5,15,40`: platinum is the top 5 %.
const TIER_SHARES: [f64; 3] = [5.0, 15.0, 40.0];

/// Points of the tracking plot at most (weekly until then).
const TRACKING_POINTS: usize = 160;

/// Columns of the P(alive) grid: 0 … 9 repeat purchases and 10 or more.
const FREQUENCY_COLUMNS: usize = 11;

/// Rows of the P(alive) grid: bands of weeks since the last purchase.
const RECENCY_ROWS: usize = 8;

/// The CLV section as of `as_of`; a model that cannot be fitted is said in one sentence.
pub fn section(stats: BtydStatistics, histories: &Histories, as_of: i32, log: &Log) -> Section {
    let quiet = Log { quiet: true };
    if stats.is_empty() {
        return unavailable(format!("no purchases on or before {}", format_day(as_of)));
    }
    let unit = TimeUnit::Week;
    let (triples, history_of) = stats.histories(unit);
    let (model, spend) = rayon::join(
        || fit_purchase_model(PurchaseModelChoice::BgNbd, &triples, &quiet),
        || fit_spend(&stats.repeat_purchases, &stats.mean_repeat_spend),
    );
    let model = match model {
        Ok(model) => model,
        Err(e) => return unavailable(e.to_string()),
    };
    let spend = match spend {
        Ok(spend) => spend,
        Err(e) => return unavailable(e.to_string()),
    };
    let valuation = Valuation {
        unit,
        horizon: 52.0,
        annual_discount: 0.10,
        margin: 1.0,
    };
    let values = customer_values(
        &model.btyd,
        &spend.params,
        (&triples, &history_of),
        (&stats.repeat_purchases, &stats.mean_repeat_spend),
        &valuation,
        log,
    );
    let mut section = Section::new("clv", TITLE);
    let repeat_buyers = stats.repeat_purchases.iter().filter(|&&x| x > 0).count();
    section.push(Block::Text(format!(
        "{} customers as of {}, {} of them repeat buyers. Expected purchases come from {} fitted on every customer's repeat purchase days (x), the week of their last one (t_x) and their weeks as a customer (T); spend per purchase from the Gamma-Gamma model; CLV = margin (1) × expected spend × purchases expected in the next 52 weeks, discounted at 10 % a year.",
        thousands(stats.len()),
        format_day(as_of),
        thousands(repeat_buyers),
        value::model_label(model.btyd.name()),
    )));
    section.push(Block::Table {
        caption: format!(
            "{} (rates per week) and Gamma-Gamma (spend in currency): estimates and standard errors",
            value::model_label(model.btyd.name())
        ),
        table: fit_table(&[(&model.report, "purchases"), (&spend.report, "spend")]),
    });
    section.push(tracking_block(histories, as_of));
    section.push(Block::Chart(p_alive_grid(&stats, &values.p_alive)));
    let tiers = value_tiers(&values.clv, &TIER_SHARES);
    let total: f64 = values.clv.iter().filter(|v| v.is_finite()).sum();
    let summary = tier_summary(&values, &tiers, total);
    section.push(Block::Chart(pyramid(&summary)));
    section.push(Block::Table {
        caption: format!(
            "Value tiers: total CLV {} over the next 52 weeks",
            money(total)
        ),
        table: summary.clone(),
    });
    section.sheet("clv tiers", summary);
    section
}

fn unavailable(why: String) -> Section {
    Section::unavailable(
        "clv",
        TITLE,
        format!("CLV is not shown: {why}, so no purchase or value can be predicted."),
    )
}

/// 1234567.8 → "1,234,568".
fn money(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}", thousands(value.abs().round() as usize))
}

/// Parameters of each fit with standard errors, log-likelihood and BIC.
fn fit_table(fits: &[(&FitReport, &str)]) -> Table {
    let mut model = Vec::new();
    let mut parameter = Vec::new();
    let (mut estimate, mut std_error) = (Vec::new(), Vec::new());
    let (mut log_likelihood, mut bic) = (Vec::new(), Vec::new());
    for (report, name) in fits {
        for p in &report.params {
            model.push(name.to_string());
            parameter.push(p.name.to_string());
            estimate.push(p.value);
            std_error.push(p.std_error);
            log_likelihood.push(report.log_likelihood);
            bic.push(report.bic);
        }
    }
    Table::default()
        .with("model", Values::Text(model))
        .with("parameter", Values::Text(parameter))
        .with("estimate", Values::Float(estimate, 4))
        .with("std_error", Values::Float(std_error, 4))
        .with("log_likelihood", Values::Float(log_likelihood, 1))
        .with("bic", Values::Float(bic, 1))
}

/// The tracking plot, or why it cannot be drawn.
fn tracking_block(histories: &Histories, as_of: i32) -> Block {
    match tracking(histories, as_of) {
        Ok(chart) => Block::Chart(chart),
        Err(why) => Block::Unavailable(format!("No tracking plot: {why}.")),
    }
}

/// Cumulative repeat purchases of the customers acquired by the end of calibration, actual
/// and as BG/NBD fitted on calibration only predicts them, week by week over calibration and
/// holdout. The holdout is the last third of the time (whole weeks).
fn tracking(histories: &Histories, as_of: i32) -> Result<Chart, String> {
    let first_purchase: Vec<Option<i32>> = (0..histories.len())
        .into_par_iter()
        .map(|i| {
            let days = histories.days_of(i);
            days.iter()
                .find(|d| d.purchase && d.day <= as_of)
                .map(|d| d.day)
        })
        .collect();
    let origin = first_purchase
        .iter()
        .flatten()
        .min()
        .copied()
        .ok_or("no purchase")?;
    let weeks = (as_of - origin) / 7;
    let holdout_weeks = weeks / 3;
    if holdout_weeks < 2 {
        return Err("the data spans too few weeks for a calibration and a holdout period".into());
    }
    let calibration_end = as_of - 7 * holdout_weeks;
    let calibrated: Vec<usize> = (0..histories.len())
        .filter(|&i| first_purchase[i].is_some_and(|d| d <= calibration_end))
        .collect();
    let triples: Vec<_> = calibrated
        .par_iter()
        .filter_map(|&i| features_at(histories.days_of(i), calibration_end))
        .map(|f| triple_in_weeks(&f))
        .collect();
    let fitted = fit_purchase_model(
        PurchaseModelChoice::BgNbd,
        &compress_triples(&triples),
        &Log { quiet: true },
    )
    .map_err(|e| format!("{e} on the calibration period"))?;
    let span = (as_of - origin) as usize;
    // Actual repeat purchase days and first purchases per day since the origin.
    let mut repeats = vec![0.0; span + 1];
    let mut firsts = vec![0.0; span + 1];
    for &i in &calibrated {
        let Some(first) = first_purchase[i] else {
            continue;
        };
        firsts[(first - origin) as usize] += 1.0;
        for day in histories.days_of(i) {
            if day.purchase && day.day > first && day.day <= as_of {
                repeats[(day.day - origin) as usize] += 1.0;
            }
        }
    }
    let step = (weeks as usize).div_ceil(TRACKING_POINTS).max(1) * 7;
    let grid: Vec<usize> = (0..=span).step_by(step).collect();
    let mut actual = Vec::with_capacity(grid.len());
    let mut cumulative = 0.0;
    let mut next = 0;
    for &t in &grid {
        while next <= t {
            cumulative += repeats[next];
            next += 1;
        }
        actual.push(cumulative);
    }
    let acquired: Vec<(usize, f64)> = firsts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0.0)
        .map(|(d, &n)| (d, n))
        .collect();
    let predicted: Vec<f64> = grid
        .par_iter()
        .map(|&t| expected_repeats(&fitted.btyd, &acquired, t))
        .collect();
    let x: Vec<f64> = grid.iter().map(|&t| t as f64 / 7.0).collect();
    let last = actual.last().copied().unwrap_or(0.0);
    let last_predicted = predicted.last().copied().unwrap_or(0.0);
    let marker_week = (calibration_end - origin) as f64 / 7.0;
    Ok(Chart {
        title: "Tracking: cumulative repeat purchases, actual and predicted".into(),
        reading: format!(
            "Fitted on the {} customers acquired by {} ({} weeks), BG/NBD predicts {} repeat purchase days by {} against {} observed ({:+.1} %).",
            thousands(calibrated.len()),
            format_day(calibration_end),
            weeks - holdout_weeks,
            money(last_predicted),
            format_day(as_of),
            money(last),
            100.0 * (last_predicted - last) / last.max(1.0)
        ),
        kind: ChartKind::Lines {
            series: vec![
                Series::line("actual", x.clone(), actual),
                Series::line("predicted (BG/NBD)", x, predicted),
            ],
            x_label: format!("weeks since {}", format_day(origin)),
            y_label: "cumulative repeat purchase days".into(),
            marker: Some((marker_week, " end of calibration".into())),
        },
    })
}

/// Σ over acquisition days d ≤ t of customers acquired × E[X(t − d)] (weeks).
fn expected_repeats(model: &Btyd, acquired: &[(usize, f64)], t: usize) -> f64 {
    acquired
        .iter()
        // E[X(0)] is 0: a customer acquired at t has made no repeat purchase yet.
        .take_while(|(d, _)| *d < t)
        .map(|&(d, n)| n * model.expected_purchases_unconditional((t - d) as f64 / 7.0))
        .sum()
}

/// Mean P(alive) by repeat purchases (columns) and weeks since the last purchase (rows).
fn p_alive_grid(stats: &BtydStatistics, p_alive: &[f64]) -> Chart {
    let weeks_silent: Vec<f64> = stats
        .t_cal_days
        .iter()
        .zip(&stats.t_x_days)
        .map(|(t, x)| f64::from(t - x) / 7.0)
        .collect();
    let longest = weeks_silent.iter().copied().fold(0.0, f64::max);
    let band = (longest / RECENCY_ROWS as f64).ceil().max(1.0);
    let rows = ((longest / band).floor() as usize + 1).min(RECENCY_ROWS);
    let mut sums = vec![0.0; rows * FREQUENCY_COLUMNS];
    let mut counts = vec![0usize; rows * FREQUENCY_COLUMNS];
    for (i, p_alive) in p_alive.iter().enumerate() {
        let row = ((weeks_silent[i] / band) as usize).min(rows - 1);
        let col = (stats.repeat_purchases[i] as usize).min(FREQUENCY_COLUMNS - 1);
        sums[row * FREQUENCY_COLUMNS + col] += p_alive;
        counts[row * FREQUENCY_COLUMNS + col] += 1;
    }
    let values: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect();
    // Repeat buyers only: BG/NBD counts every one-time buyer as alive.
    let row_mean = |r: usize| {
        let range = r * FREQUENCY_COLUMNS + 1..(r + 1) * FREQUENCY_COLUMNS;
        let n: usize = counts[range.clone()].iter().sum();
        sums[range].iter().sum::<f64>() / n.max(1) as f64
    };
    let row_names: Vec<String> = (0..rows)
        .map(|r| {
            let low = r as f64 * band;
            if r + 1 == rows {
                format!("{low:.0}+")
            } else {
                format!("{low:.0}–{:.0}", low + band)
            }
        })
        .collect();
    let mut columns: Vec<String> = (0..FREQUENCY_COLUMNS - 1).map(|x| x.to_string()).collect();
    columns.push(format!("{}+", FREQUENCY_COLUMNS - 1));
    Chart {
        title: "P(alive) by repeat purchases and weeks since the last purchase".into(),
        reading: format!(
            "Repeat buyers who bought in the last {band:.0} weeks are alive with mean probability {:.2}; those silent for {}+ weeks {:.2}. Under BG/NBD a one-time buyer (x = 0) always counts as alive.",
            row_mean(0),
            row_names.last().map_or("", |r| r.trim_end_matches('+')),
            row_mean(rows - 1)
        ),
        kind: ChartKind::HeatMap(HeatMap {
            rows: row_names,
            columns,
            values,
            row_label: "weeks since the last purchase".into(),
            column_label: "repeat purchase days (x)".into(),
            value_label: "mean P(alive), 0–1".into(),
            decimals: 2,
            cell_text: None,
        }),
    }
}

/// The tiers as the customer pyramid, platinum on top.
fn pyramid(summary: &Table) -> Chart {
    let customers = numbers(summary, "share_pct");
    let value = numbers(summary, "value_share_pct");
    Chart {
        title: "The customer pyramid: value tiers".into(),
        reading: format!(
            "Platinum, the top {} of customers, holds {} of the expected value; the bottom {} (lead) holds {}.",
            percent(customers.first().copied().unwrap_or(f64::NAN)),
            percent(value.first().copied().unwrap_or(f64::NAN)),
            percent(customers.last().copied().unwrap_or(f64::NAN)),
            percent(value.last().copied().unwrap_or(f64::NAN)),
        ),
        kind: ChartKind::Pyramid {
            tiers: TIER_NAMES.iter().map(|t| t.to_string()).collect(),
            customer_share_pct: customers,
            value_share_pct: value,
        },
    }
}
