//! What `clm clv` reports: the model heading (selection, parameters, fit), each customer's
//! value with its tier, the tier summary, and the predictions on summaries (x, t_x, T or BG/BB's
//! frequency, recency, periods). The fitting is [`crate::analysis::value`]'s; the holdout
//! validation [`crate::analysis::holdout`]'s.

use rayon::prelude::*;

use crate::analysis::holdout::holdout_report;
use crate::analysis::value::{
    self, CustomerValues, NotFitted, PurchaseModel, PurchaseModelChoice, Valuation, model_label,
};
use crate::data::Transactions;
use crate::error::ClmError;
use crate::features::btyd::{
    BtydStatistics, TimeUnit, btyd_from_owned_summaries, btyd_from_summaries, btyd_statistics,
    holdout_from_summaries, holdout_purchases,
};
use crate::features::log_as_of_notes;
use crate::features::summary::Summaries;
use crate::models::bgbb::{BgBbParams, DiscreteSummary};
use crate::models::gamma_gamma::GammaGammaParams;
use crate::models::predict::Btyd;
use crate::models::{FitReport, Triple};
use crate::output::{Log, Report, Stopwatch, Table, Values, counted, format_day, render_table};
use crate::segment::tiers::{TIER_ACTIONS, TIER_NAMES, value_tiers};

/// A fitted Gamma-Gamma spend model with its fit statistics.
pub type SpendModel = (GammaGammaParams, FitReport);

/// Prints the notes on what the statistics left out: rows after the as-of date (not used for
/// fitting when a holdout follows) and customers with only returns. No purchase at all up to
/// the as-of date is bad data (exit 65).
pub fn check_statistics(
    stats: &BtydStatistics,
    source: &str,
    as_of: i32,
    holdout: bool,
    log: &Log,
) -> Result<(), ClmError> {
    let rows_fate = if holdout {
        "not used for fitting (the holdout is up to --holdout-end)"
    } else {
        "ignored"
    };
    log_as_of_notes(
        log,
        as_of,
        (stats.rows_after_as_of, rows_fate),
        (stats.returns_only_customers, "left out"),
    );
    if stats.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {}",
            format_day(as_of)
        )));
    }
    Ok(())
}

/// Fits the purchase model on the distinct histories and Gamma-Gamma on the repeat spend,
/// side by side (they are independent). With a holdout only the purchase model is needed, so a
/// spend model that cannot be fitted is a note and `None` there, an error otherwise.
pub fn fit_models(
    choice: PurchaseModelChoice,
    stats: &BtydStatistics,
    histories: &[Triple],
    holdout: bool,
    log: &Log,
) -> Result<(PurchaseModel, Option<SpendModel>), NotFitted> {
    let (model, spend) = rayon::join(
        || value::fit_purchase_model(choice, histories, log),
        || value::fit_spend(&stats.repeat_purchases, &stats.mean_repeat_spend),
    );
    let model = model?;
    let spend = match spend {
        Ok(fit) => Some((fit.params, fit.report)),
        Err(e) if holdout => {
            log.note(format!("{e}; the holdout needs only the purchase model"));
            None
        }
        Err(e) => return Err(e),
    };
    Ok((model, spend))
}

/// What the fit needs from the input, whatever its kind: the BTYD statistics at the as-of date
/// and, with a holdout, each customer's purchase days in `(as_of, end]`.
pub struct ClvInputs {
    pub stats: BtydStatistics,
    pub as_of: i32,
    /// The holdout end and each customer's purchase days after the as-of date up to it.
    pub holdout: Option<(i32, Vec<u32>)>,
}

impl ClvInputs {
    /// From the transactions.
    pub fn from_transactions(
        tx: &Transactions,
        as_of: i32,
        holdout_end: Option<i32>,
    ) -> anyhow::Result<ClvInputs> {
        let stats = btyd_statistics(tx, as_of)?;
        let holdout = match holdout_end {
            Some(end) => Some((end, holdout_purchases(tx, &stats.customer_id, as_of, end)?)),
            None => None,
        };
        Ok(ClvInputs {
            stats,
            as_of,
            holdout,
        })
    }

    /// From a per-customer summary holding the as-of date (and the holdout end) as cut-offs:
    /// the holdout purchases are the purchase days at the end minus those at the as-of date.
    pub fn from_summaries(summaries: Summaries, as_of: i32, holdout_end: Option<i32>) -> ClvInputs {
        let (stats, holdout) = match holdout_end {
            None => (btyd_from_owned_summaries(summaries, as_of), None),
            Some(end) => {
                let stats = btyd_from_summaries(&summaries, as_of);
                let holdout = holdout_from_summaries(&summaries, &stats.customer_id, as_of, end);
                (stats, Some((end, holdout)))
            }
        };
        ClvInputs {
            stats,
            as_of,
            holdout,
        }
    }
}

/// The report of a fit: with a holdout, the holdout table (predicted against actual repeat
/// purchases); else each customer's value with its tier, which needs a spend model (`None`
/// without one, as from a saved model without Gamma-Gamma).
#[allow(clippy::too_many_arguments)]
pub fn clv_report(
    inputs: ClvInputs,
    histories: (&[Triple], &[u32]),
    (model, spend): (&PurchaseModel, Option<&SpendModel>),
    valuation: &Valuation,
    tier_shares: &[f64],
    log: &Log,
    clock: &mut Stopwatch,
) -> Option<Report> {
    let ClvInputs {
        stats,
        as_of,
        holdout,
    } = inputs;
    let unit = valuation.unit;
    let context = Context {
        unit,
        as_of,
        customers: stats.len(),
    };
    let mut heading = model_heading(&context, model, spend, &stats);
    if let Some((end, actual)) = holdout {
        let triples = stats.triples(unit);
        let (lines, table) = holdout_report(&model.btyd, &triples, &actual, unit, (as_of, end));
        heading.extend(lines);
        return Some(Report {
            heading,
            summary: table.clone(),
            rows: table,
        });
    }
    let (spend_params, _) = spend?;
    Some(value_report(
        stats,
        histories,
        model,
        spend_params,
        valuation,
        tier_shares,
        heading,
        log,
        clock,
    ))
}

/// Facts printed beside every figure.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub unit: TimeUnit,
    pub as_of: i32,
    pub customers: usize,
}

/// A parameters table: name, estimate, standard error, and the unit a rate is per.
pub fn params_table(report: &FitReport, unit_of: impl Fn(&str) -> &'static str) -> Table {
    Table::default()
        .with(
            "parameter",
            Values::Text(report.params.iter().map(|p| p.name.to_string()).collect()),
        )
        .with(
            "estimate",
            Values::Float(report.params.iter().map(|p| p.value).collect(), 4),
        )
        .with(
            "std_error",
            Values::Float(report.params.iter().map(|p| p.std_error).collect(), 4),
        )
        .with(
            "unit",
            Values::Text(
                report
                    .params
                    .iter()
                    .map(|p| unit_of(p.name).to_string())
                    .collect(),
            ),
        )
}

/// The fit statistics in one line: log-likelihood, AIC, BIC, iterations, convergence, customers.
pub fn fit_line(report: &FitReport) -> String {
    format!(
        "log-likelihood {:.2}, AIC {:.2}, BIC {:.2}, {}{}, {}",
        report.log_likelihood,
        report.aic,
        report.bic,
        counted(report.iterations, "iteration"),
        if report.converged {
            ", converged"
        } else {
            " (gradient tolerance not met; optimum nearly stationary)"
        },
        counted(report.n_obs, "customer")
    )
}

/// The unit of a continuous-time model's parameter: α and β are time scales.
pub fn rate_unit(unit: TimeUnit) -> impl Fn(&str) -> &'static str {
    move |name| match name {
        "alpha" | "beta" => match unit {
            TimeUnit::Week => "weeks",
            TimeUnit::Day => "days",
        },
        _ => "",
    }
}

/// The heading of a transactions run: customers, the model (and the selection table), the
/// spend model.
pub fn model_heading(
    context: &Context,
    model: &PurchaseModel,
    spend: Option<&(GammaGammaParams, FitReport)>,
    stats: &BtydStatistics,
) -> Vec<String> {
    let unit = context.unit.name();
    let mut lines = vec![format!(
        "CLV as of {}: {}, {}; time unit: {unit} (t_x, T, horizon and rates per {unit})",
        format_day(context.as_of),
        counted(context.customers, "customer"),
        counted(
            stats.repeat_purchases.iter().filter(|&&x| x > 0).count(),
            "repeat buyer"
        ),
    )];
    if let Some(selection) = &model.selection {
        lines.push("Model selection (--model auto), by BIC:".to_string());
        lines.push(render_table(selection));
    }
    lines.push(format!(
        "Purchase model: {} (time unit: {unit})",
        model_label(model.btyd.name())
    ));
    lines.push(render_table(&params_table(
        &model.report,
        rate_unit(context.unit),
    )));
    lines.push(fit_line(&model.report));
    if let Some((_, report)) = spend {
        let unusable = stats.unusable_spend_customers();
        lines.push(format!(
            "Spend model: Gamma-Gamma on the repeat buyers' mean repeat spend per purchase day{}",
            if unusable > 0 {
                format!(
                    " ({} with zero or negative mean repeat spend left out and valued at the population mean)",
                    counted(unusable, "repeat buyer")
                )
            } else {
                String::new()
            }
        ));
        lines.push(render_table(&params_table(report, |name| {
            if name == "gamma" { "currency" } else { "" }
        })));
        lines.push(fit_line(report));
    }
    lines
}

/// The customer rows of a transactions run (x, t_x, T, P(alive), expected purchases and
/// spend, CLV, tier) and the tier summary, under `heading` and the valuation lines.
#[allow(clippy::too_many_arguments)]
pub fn value_report(
    stats: BtydStatistics,
    (histories, history_of): (&[Triple], &[u32]),
    model: &PurchaseModel,
    spend: &GammaGammaParams,
    valuation: &Valuation,
    tier_shares: &[f64],
    mut heading: Vec<String>,
    log: &Log,
    clock: &mut Stopwatch,
) -> Report {
    let (unit, horizon) = (valuation.unit, valuation.horizon);
    let discount_rate = valuation.discount_rate();
    let values = value::customer_values(
        &model.btyd,
        spend,
        (histories, history_of),
        (&stats.repeat_purchases, &stats.mean_repeat_spend),
        valuation,
        log,
    );
    clock.lap("predict, value");
    let tiers = value_tiers(&values.clv, tier_shares);
    clock.lap("value, tiers");

    let unit_name = unit.name();
    let in_unit = |days: &[i32]| days.par_iter().map(|&d| unit.from_days(d)).collect();
    heading.push(format!(
        "Horizon {}; discount {:.2} % a year = {:.4} % a {unit_name}; margin {}",
        counted(horizon, unit_name),
        100.0 * valuation.annual_discount,
        100.0 * discount_rate,
        valuation.margin
    ));
    heading.push(format!(
        "CLV = margin × expected spend × discounted expected purchases in the next {}",
        counted(horizon, unit_name)
    ));
    if matches!(model.btyd, Btyd::BgNbd(_)) {
        heading.push(
            "Note: under BG/NBD P(alive) = 1 for every one-time buyer (x = 0): customers can only drop out after a repeat purchase; MBG/NBD and Pareto/NBD do not assume this."
                .to_string(),
        );
    }
    let total_clv: f64 = values.clv.iter().filter(|v| v.is_finite()).sum();
    heading.push(format!(
        "Total CLV {total_clv:.2} over {}; value tiers:",
        counted(stats.len(), "customer")
    ));
    let summary = tier_summary(&values, &tiers, total_clv);

    let rows = Table::default()
        .with("customer_id", Values::PackedText(stats.customer_id))
        .with(
            "x",
            Values::Int(
                stats
                    .repeat_purchases
                    .par_iter()
                    .map(|&x| i64::from(x))
                    .collect(),
            ),
        )
        .with("t_x", Values::Float(in_unit(&stats.t_x_days), 4))
        .with("T", Values::Float(in_unit(&stats.t_cal_days), 4))
        .with("p_alive", Values::Float(values.p_alive, 4))
        .with(
            "expected_purchases",
            Values::Float(values.expected_purchases, 4),
        )
        .with("expected_spend", Values::Float(values.expected_spend, 2))
        .with("clv", Values::Float(values.clv, 2))
        .with(
            "tier",
            Values::Labels {
                labels: TIER_NAMES.iter().map(|t| t.to_string()).collect(),
                codes: tiers.par_iter().map(|&t| t as u32).collect(),
            },
        );
    clock.lap("table");
    Report {
        heading,
        summary,
        rows,
    }
}

/// Customers, share, value share, mean CLV, P(alive) and expected purchases per value tier,
/// with the tier's action.
pub fn tier_summary(values: &CustomerValues, tiers: &[usize], total_clv: f64) -> Table {
    let clv = &values.clv;
    let groups = TIER_NAMES.len();
    let mut customers = vec![0usize; groups];
    let mut value = vec![0.0; groups];
    let mut p_alive = vec![0.0; groups];
    let mut purchases = vec![0.0; groups];
    for (i, &tier) in tiers.iter().enumerate() {
        customers[tier] += 1;
        if clv[i].is_finite() {
            value[tier] += clv[i];
        }
        p_alive[tier] += values.p_alive[i];
        purchases[tier] += values.expected_purchases[i];
    }
    let n = tiers.len().max(1) as f64;
    let mean =
        |sums: &[f64]| -> Vec<f64> { (0..groups).map(|g| sums[g] / customers[g] as f64).collect() };
    Table::default()
        .with(
            "tier",
            Values::Text(TIER_NAMES.iter().map(|t| t.to_string()).collect()),
        )
        .with(
            "customers",
            Values::Int(customers.iter().map(|&c| c as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(customers.iter().map(|&c| 100.0 * c as f64 / n).collect(), 1),
        )
        .with(
            "value_share_pct",
            Values::Float(
                value
                    .iter()
                    .map(|v| {
                        if total_clv != 0.0 {
                            100.0 * v / total_clv
                        } else {
                            0.0
                        }
                    })
                    .collect(),
                1,
            ),
        )
        .with("mean_clv", Values::Float(mean(&value), 2))
        .with("mean_p_alive", Values::Float(mean(&p_alive), 3))
        .with(
            "mean_expected_purchases",
            Values::Float(mean(&purchases), 3),
        )
        .with(
            "action",
            Values::Text(TIER_ACTIONS.iter().map(|a| a.to_string()).collect()),
        )
}

/// Predictions on x, t_x, T summaries: one row per summary with its weight in customers.
pub fn continuous_summary_report(
    model: &PurchaseModel,
    triples: &[Triple],
    unit: TimeUnit,
    horizon: f64,
) -> Report {
    let unit_name = unit.name();
    let mut heading = Vec::new();
    if let Some(selection) = &model.selection {
        heading.push("Model selection (--model auto), by BIC:".to_string());
        heading.push(render_table(selection));
    }
    heading.push(format!(
        "Purchase model: {} on summaries (time unit: {unit_name})",
        model_label(model.btyd.name())
    ));
    heading.push(render_table(&params_table(&model.report, rate_unit(unit))));
    heading.push(fit_line(&model.report));
    heading.push(format!(
        "Predictions: P(alive) and expected purchases in the next {}",
        counted(horizon, unit_name)
    ));
    let p_alive: Vec<f64> = triples.iter().map(|t| model.btyd.p_alive(t)).collect();
    let expected: Vec<f64> = triples
        .iter()
        .map(|t| model.btyd.expected_purchases(t, horizon))
        .collect();
    let rows = Table::default()
        .with("x", Values::Float(triples.iter().map(|t| t.x).collect(), 0))
        .with(
            "t_x",
            Values::Float(triples.iter().map(|t| t.t_x).collect(), 4),
        )
        .with(
            "T",
            Values::Float(triples.iter().map(|t| t.t_cal).collect(), 4),
        )
        .with(
            "customers",
            Values::Float(triples.iter().map(|t| t.weight).collect(), 0),
        )
        .with("p_alive", Values::Float(p_alive.clone(), 4))
        .with("expected_purchases", Values::Float(expected.clone(), 4));
    let total: f64 = triples.iter().map(|t| t.weight).sum();
    let summary = Table::default()
        .with("customers", Values::Float(vec![total], 0))
        .with(
            "mean_p_alive",
            Values::Float(
                vec![
                    triples
                        .iter()
                        .zip(&p_alive)
                        .map(|(t, p)| t.weight * p)
                        .sum::<f64>()
                        / total,
                ],
                4,
            ),
        )
        .with(
            "expected_purchases",
            Values::Float(
                vec![
                    triples
                        .iter()
                        .zip(&expected)
                        .map(|(t, e)| t.weight * e)
                        .sum::<f64>(),
                ],
                2,
            ),
        );
    Report {
        heading,
        summary,
        rows,
    }
}

/// Predictions of a BG/BB model on discrete-time summaries over `horizon` periods.
pub fn bgbb_report(
    params: &BgBbParams,
    report: &FitReport,
    summaries: &[DiscreteSummary],
    horizon: f64,
) -> Report {
    let mut heading = vec![
        "Purchase model: BG/BB (discrete transaction opportunities; time unit: period)".to_string(),
        render_table(&params_table(report, |_| "")),
        fit_line(report),
        format!(
            "Predictions: P(alive) and expected transactions in the next {}",
            counted(horizon, "period")
        ),
    ];
    let p_alive: Vec<f64> = summaries
        .iter()
        .map(|s| params.p_alive(s.frequency, s.recency, s.periods))
        .collect();
    let expected: Vec<f64> = summaries
        .iter()
        .map(|s| params.expected_purchases(s.frequency, s.recency, s.periods, horizon))
        .collect();
    let total: f64 = summaries.iter().map(|s| s.weight).sum();
    let expected_total: f64 = summaries
        .iter()
        .zip(&expected)
        .map(|(s, e)| s.weight * e)
        .sum();
    heading.push(format!(
        "{}; expected transactions in the next {}: {expected_total:.1}",
        counted(total, "customer"),
        counted(horizon, "period")
    ));
    let rows = Table::default()
        .with(
            "frequency",
            Values::Float(summaries.iter().map(|s| s.frequency).collect(), 0),
        )
        .with(
            "recency",
            Values::Float(summaries.iter().map(|s| s.recency).collect(), 0),
        )
        .with(
            "periods",
            Values::Float(summaries.iter().map(|s| s.periods).collect(), 0),
        )
        .with(
            "customers",
            Values::Float(summaries.iter().map(|s| s.weight).collect(), 0),
        )
        .with("p_alive", Values::Float(p_alive, 4))
        .with("expected_purchases", Values::Float(expected, 4));
    Report {
        heading,
        summary: rows.clone(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::RowColumns;

    #[test]
    fn the_inputs_of_a_summary_are_its_statistics_and_holdout_purchases() {
        // A buys on days 0, 10 (twice) and 30, then 50 and 60 in the holdout; B once on 20 and
        // not again; R has only a return.
        let rows = RowColumns {
            customer: vec!["A", "A", "A", "A", "A", "A", "B", "R"],
            day: vec![0, 10, 10, 30, 50, 60, 20, -1].into(),
            amount: vec![5.0, 2.0, 3.0, 7.0, 1.0, 1.0, 9.0, -4.0].into(),
            is_return: vec![false, false, false, false, false, false, false, true],
            order: None,
        };
        let summaries = Summaries::from_rows(&rows, &[40, 70]);
        let inputs = ClvInputs::from_summaries(summaries.clone(), 40, Some(70));
        let stats = &inputs.stats;
        assert_eq!(stats.customer_id.iter().collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(stats.repeat_purchases, [2, 0]);
        assert_eq!(stats.t_x_days, [30, 0]);
        assert_eq!(stats.t_cal_days, [40, 20]);
        assert_eq!(stats.mean_repeat_spend[0], (5.0 + 7.0) / 2.0);
        assert_eq!(stats.returns_only_customers, 1);
        assert_eq!(inputs.holdout, Some((70, vec![2, 0])));
        assert_eq!(
            ClvInputs::from_summaries(summaries.clone(), 40, None).holdout,
            None
        );
        let owned = ClvInputs::from_summaries(summaries, 40, None).stats;
        assert_eq!(owned.customer_id, stats.customer_id);
        assert_eq!(owned.repeat_purchases, stats.repeat_purchases);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&owned.mean_repeat_spend),
            bits(&stats.mean_repeat_spend)
        );
    }
}
