//! What `clm retention` computes and reports: the cohorts of subscription records or of a
//! survival table, their sBG fits beside the pooled one, the summary per cohort, the
//! Kaplan–Meier and sBG curves, the active subscriptions with their next renewal, and the saved
//! model. The counting is [`crate::features::retention`]'s, the model [`crate::models::sbg`]'s.

use std::path::Path;

use anyhow::Result;

use crate::analysis::saved::{read_model_text, write_text};
use crate::data::subscriptions::{Subscriptions, SurvivalTable};
use crate::error::ClmError;
use crate::features::retention::{
    CohortFit, POOLED, PeriodUnit, Standing, cohort_counts, date_of_day, fit_cohorts,
};
use crate::models::kaplan_meier::{Z_95, kaplan_meier};
use crate::models::saved::SavedFit;
use crate::models::sbg::{
    SAVED_FORMAT, SAVED_VERSION, SavedCohort, SavedRetention, SbgFit, SurvivalCounts,
};
use crate::output::{Log, PackedText, Table, Values, format_day, render_table};

/// Cohort counts of subscription records, as of `--as-of` (default: the last start or end).
pub fn subscription_cohorts(
    subs: &Subscriptions,
    unit: PeriodUnit,
    as_of: Option<&str>,
    log: &Log,
    heading: &mut Vec<String>,
) -> Result<(Vec<(String, SurvivalCounts)>, i32)> {
    let last_day = subs
        .start
        .iter()
        .copied()
        .chain(subs.end.iter().flatten().copied())
        .max()
        .unwrap_or(0);
    let as_of = crate::data::dates::resolve_as_of(as_of, last_day)?;
    let counts = cohort_counts(unit, &subs.start, &subs.end, as_of);
    let [customer, start, end] = &subs.columns;
    log.detail(format!(
        "columns: customer '{customer}', start '{start}', end '{end}'"
    ));
    let active = counts
        .rows
        .iter()
        .filter(|(_, s)| matches!(s, Standing::Active { .. }))
        .count();
    let started = subs.start.len() - counts.not_started;
    heading.push(format!(
        "as of {}: {started} subscriptions in {} cohorts, {active} active, {} ended",
        format_day(as_of),
        counts.cohorts.len(),
        started - active
    ));
    if counts.not_started > 0 {
        let note = format!(
            "{} subscriptions start after the as-of date and are left out",
            counts.not_started
        );
        log.note(&note);
        heading.push(note);
    }
    if counts.cohorts.is_empty() {
        return Err(ClmError::BadData(format!(
            "{}: no subscription starts on or before the as-of date {}",
            subs.source,
            format_day(as_of)
        ))
        .into());
    }
    Ok((counts.cohorts, as_of))
}

/// The cohorts of a survival table, checked (alive counts that never rise).
pub fn table_cohorts(table: &SurvivalTable) -> Result<Vec<(String, SurvivalCounts)>> {
    table
        .cohorts
        .iter()
        .map(|(label, alive)| {
            SurvivalCounts::from_alive(alive)
                .map(|counts| (label.clone(), counts))
                .map_err(|e| {
                    ClmError::BadData(format!("{}: cohort '{label}': {e}", table.source)).into()
                })
        })
        .collect()
}

/// Fits every cohort and the pool, or takes their parameters from the saved model.
pub fn fit_all(
    groups: Vec<(String, SurvivalCounts)>,
    saved: Option<&SavedRetention>,
) -> Result<Vec<CohortFit>> {
    let saved_fits = match saved {
        Some(saved) => Some(
            saved
                .fits()
                .map_err(|e| ClmError::BadData(format!("saved model: {e}")))?,
        ),
        None => None,
    };
    Ok(fit_cohorts(groups, saved_fits.as_deref()))
}

/// The fit of all subscriptions pooled (`cohorts[0]`); none is bad data.
pub fn pooled_fit(cohorts: &[CohortFit]) -> Result<&SbgFit> {
    cohorts[0].own.as_ref().map_err(|why| {
        ClmError::BadData(format!(
            "cannot fit the sBG model to all subscriptions pooled: {why}"
        ))
        .into()
    })
}

/// The heading lines of the pooled fit: parameters, retention, lifetimes, discount.
pub fn describe_pool(
    pool: &CohortFit,
    fit: &SbgFit,
    discount: f64,
    unit: PeriodUnit,
) -> Vec<String> {
    let p = &fit.report.params;
    let lifetime = fit.params.expected_lifetime();
    let mut lines = vec![format!(
        "pooled fit: alpha = {:.4} (se {:.4}), beta = {:.4} (se {:.4}), LL = {:.2}, {} customers",
        p[0].value,
        p[0].std_error,
        p[1].value,
        p[1].std_error,
        fit.report.log_likelihood,
        pool.counts.customers()
    )];
    if fit.at_boundary() {
        lines.push(
            "alpha and beta ran to the boundary: retention does not rise with tenure in these data, a constant rate fits (figures below use it)".to_string(),
        );
    }
    lines.push(format!(
        "retention at renewal 1: {:.3}; expected lifetime: {}; median lifetime: {} {}s; discount {:.4} per {}",
        fit.params.retention_rate(1),
        if lifetime.is_finite() { format!("{lifetime:.2} {}s", unit.name()) } else { "unbounded (alpha <= 1)".into() },
        fit.params.median_lifetime(),
        unit.name(),
        discount,
        unit.name()
    ));
    lines
}

/// Per cohort: counts, parameters, lifetimes and value.
pub fn summary_table(cohorts: &[CohortFit], pooled: &SbgFit, discount: f64) -> Table {
    let column = |f: &dyn Fn(&CohortFit) -> f64, decimals| {
        Values::Float(cohorts.iter().map(f).collect(), decimals)
    };
    let own = |c: &CohortFit, i: usize| {
        c.own
            .as_ref()
            .map_or(f64::NAN, |f| f.report.params[i].value)
    };
    let own_se = |c: &CohortFit, i: usize| {
        c.own
            .as_ref()
            .map_or(f64::NAN, |f| f.report.params[i].std_error)
    };
    let model = |c: &CohortFit| c.model(pooled).params;
    Table::default()
        .with(
            "cohort",
            Values::Text(cohorts.iter().map(|c| c.label.clone()).collect()),
        )
        .with(
            "customers",
            Values::Int(
                cohorts
                    .iter()
                    .map(|c| c.counts.customers() as i64)
                    .collect(),
            ),
        )
        .with(
            "active",
            Values::Int(cohorts.iter().map(|c| c.counts.active() as i64).collect()),
        )
        .with(
            "renewals_observed",
            Values::Int(
                cohorts
                    .iter()
                    .map(|c| c.counts.renewals_observed() as i64)
                    .collect(),
            ),
        )
        .with("alpha", column(&|c| own(c, 0), 4))
        .with("alpha_se", column(&|c| own_se(c, 0), 4))
        .with("beta", column(&|c| own(c, 1), 4))
        .with("beta_se", column(&|c| own_se(c, 1), 4))
        .with("retention_1", column(&|c| model(c).retention_rate(1), 3))
        .with(
            "expected_lifetime",
            column(&|c| model(c).expected_lifetime(), 2),
        )
        .with(
            "median_lifetime",
            column(&|c| model(c).median_lifetime(), 0),
        )
        .with(
            "discounted_lifetime",
            column(&|c| model(c).discounted_expected_lifetime(discount), 2),
        )
        .with(
            "mean_derl_active",
            column(&|c| c.mean_derl(pooled, discount), 2),
        )
        .with(
            "model",
            Values::Text(
                cohorts
                    .iter()
                    .map(|c| match &c.own {
                        Ok(fit) if fit.at_boundary() => format!(
                            "{} (alpha, beta unbounded: a constant retention rate fits)",
                            c.label
                        ),
                        Ok(_) => c.label.clone(),
                        Err(why) => format!("{POOLED} ({why})"),
                    })
                    .collect(),
            ),
        )
}

/// Periods the terminal shows of a long curve: the first 12, then about 24 more evenly spaced,
/// and always the last observed and the last projected one. Files get every period.
const TERMINAL_FIRST_PERIODS: u32 = 12;
const TERMINAL_MORE_PERIODS: u32 = 24;

fn shown_on_terminal(t: u32, last_observed: u32, last: u32) -> bool {
    let step = last
        .saturating_sub(TERMINAL_FIRST_PERIODS)
        .div_ceil(TERMINAL_MORE_PERIODS)
        .max(1);
    t <= TERMINAL_FIRST_PERIODS || t.is_multiple_of(step) || t == last_observed || t == last
}

/// The pooled curve for the terminal, thinned when long, with a note saying so.
pub fn terminal_curve(pool: &CohortFit, pooled: &SbgFit, horizon: u32) -> Vec<String> {
    let table = curve_table(
        std::slice::from_ref(pool),
        pooled,
        horizon,
        shown_on_terminal,
    );
    let all = pool.counts.risk_sets().len() as u32 + horizon;
    let mut lines = vec![render_table(&table)];
    if (table.height() as u32) < all {
        lines.push(format!(
            "({} of {all} periods shown; -o FILE or a pipe gives all of them, per cohort)",
            table.height()
        ));
    }
    lines
}

/// Kaplan–Meier beside the sBG curve, per cohort and period, observed then projected; `keep`
/// picks the periods (period, last observed, last).
pub fn curve_table(
    cohorts: &[CohortFit],
    pooled: &SbgFit,
    horizon: u32,
    keep: fn(u32, u32, u32) -> bool,
) -> Table {
    let mut cohort = Vec::new();
    let (mut period, mut at_risk, mut churned) = (Vec::new(), Vec::new(), Vec::new());
    let (mut km, mut km_se, mut km_lower, mut km_upper) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut survival, mut retention, mut observed) = (Vec::new(), Vec::new(), Vec::new());
    for c in cohorts {
        let params = c.model(pooled).params;
        let sets = c.counts.risk_sets();
        let estimate = kaplan_meier(&sets, Z_95);
        let last = sets.len() as u32 + horizon;
        for t in (1..=last).filter(|&t| keep(t, sets.len() as u32, last)) {
            let point = estimate.get(t as usize - 1);
            cohort.push(c.label.clone());
            period.push(i64::from(t));
            at_risk.push(point.map_or(f64::NAN, |p| p.at_risk));
            churned.push(point.map_or(f64::NAN, |p| p.events));
            km.push(point.map_or(f64::NAN, |p| p.survival));
            km_se.push(point.map_or(f64::NAN, |p| p.std_error));
            km_lower.push(point.map_or(f64::NAN, |p| p.lower));
            km_upper.push(point.map_or(f64::NAN, |p| p.upper));
            survival.push(params.survival(t));
            retention.push(params.retention_rate(t));
            observed.push(
                if point.is_some() {
                    "observed"
                } else {
                    "projected"
                }
                .to_string(),
            );
        }
    }
    Table::default()
        .with("cohort", Values::Text(cohort))
        .with("period", Values::Int(period))
        .with("at_risk", Values::Float(at_risk, 0))
        .with("churned", Values::Float(churned, 0))
        .with("km_survival", Values::Float(km, 4))
        .with("km_std_error", Values::Float(km_se, 4))
        .with("km_lower", Values::Float(km_lower, 4))
        .with("km_upper", Values::Float(km_upper, 4))
        .with("sbg_survival", Values::Float(survival, 4))
        .with("sbg_retention", Values::Float(retention, 4))
        .with("observed", Values::Text(observed))
}

/// Active subscriptions with their renewals, next renewal date, retention probability at it
/// and DERL, from their cohort's model.
pub fn customer_table(
    subs: &Subscriptions,
    unit: PeriodUnit,
    as_of: i32,
    cohorts: &[CohortFit],
    pooled: &SbgFit,
    discount: f64,
) -> Table {
    let counts = cohort_counts(unit, &subs.start, &subs.end, as_of);
    // cohorts[0] is the pool; cohort i of `counts` is cohorts[i + 1] unless there is only one.
    let cohort_of = |index: usize| cohorts.get(index + 1).unwrap_or(&cohorts[0]);
    let (mut ids, mut labels, mut starts, mut renewals_done) =
        (PackedText::default(), Vec::new(), Vec::new(), Vec::new());
    let (mut next, mut p_renew, mut derl, mut models) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (row, (index, standing)) in counts.rows.iter().enumerate() {
        let Standing::Active { renewals } = *standing else {
            continue;
        };
        let cohort = cohort_of(*index);
        let fit = cohort.model(pooled);
        let start = date_of_day(subs.start[row]);
        ids.push(subs.customer_id.get(row));
        labels.push(counts.cohorts[*index].0.clone());
        starts.push(subs.start[row]);
        renewals_done.push(i64::from(renewals));
        next.push(
            unit.anniversary(start, renewals + 1)
                .map_or(i32::MIN, crate::data::dates::day_number),
        );
        p_renew.push(fit.params.retention_rate(renewals + 1));
        derl.push(fit.params.discounted_residual_lifetime(discount, renewals));
        models.push(if cohort.own.is_ok() {
            cohort.label.clone()
        } else {
            POOLED.to_string()
        });
    }
    Table::default()
        .with("customer_id", Values::PackedText(ids))
        .with("cohort", Values::Text(labels))
        .with("start", Values::Date(starts))
        .with("renewals", Values::Int(renewals_done))
        .with("next_renewal", Values::Date(next))
        .with("p_renew_next", Values::Float(p_renew, 4))
        .with("derl", Values::Float(derl, 3))
        .with("model", Values::Text(models))
}

/// Reads a saved retention model (`--model-in`).
pub fn read_model(path: &Path) -> Result<SavedRetention> {
    let text = read_model_text(path)?;
    SavedRetention::from_json(&text)
        .map_err(|e| ClmError::BadData(format!("model file '{}': {e}", path.display())).into())
}

/// Writes the cohorts' own fits as a saved retention model (`--model-out`).
pub fn save_model(
    path: &Path,
    cohorts: &[CohortFit],
    unit: PeriodUnit,
    as_of: Option<i32>,
) -> Result<()> {
    let saved = SavedRetention {
        format: SAVED_FORMAT.to_string(),
        version: SAVED_VERSION,
        model: "sbg".to_string(),
        period: unit.name().to_string(),
        as_of: as_of.map(format_day).unwrap_or_default(),
        cohorts: cohorts
            .iter()
            .filter_map(|c| {
                let fit = c.own.as_ref().ok()?;
                Some(SavedCohort {
                    cohort: c.label.clone(),
                    fit: SavedFit::from_report(&fit.report),
                })
            })
            .collect(),
    };
    write_text(path, &saved.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_curve_is_thinned_on_the_terminal_but_keeps_its_landmarks() {
        let shown: Vec<u32> = (1..=200)
            .filter(|&t| shown_on_terminal(t, 150, 200))
            .collect();
        assert!(shown.starts_with(&(1..=12).collect::<Vec<_>>()));
        assert!(shown.contains(&150) && shown.contains(&200));
        assert!(shown.len() <= 12 + 24 + 2, "{}", shown.len());
        assert_eq!(
            (1..=30).filter(|&t| shown_on_terminal(t, 20, 30)).count(),
            30
        );
    }
}
