//! `clm retention`: contractual retention with the shifted-beta-geometric model per acquisition
//! cohort, beside the Kaplan–Meier curve of the same subscriptions.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::data::dates::resolve_as_of;
use crate::data::options::AsOfArgs;
use crate::data::subscriptions::{
    ContractColumns, ContractData, Subscriptions, SurvivalTable, load_contracts,
};
use crate::error::ClmError;
use crate::features::retention::{
    CohortFit, POOLED, PeriodUnit, Standing, cohort_counts, date_of_day, fit_cohorts,
};
use crate::models::kaplan_meier::{Z_95, kaplan_meier};
use crate::models::saved::SavedFit;
use crate::models::sbg::{
    SAVED_FORMAT, SAVED_VERSION, SavedCohort, SavedRetention, SbgFit, SurvivalCounts,
};
use crate::output::OutputArgs;
use crate::output::{
    Log, PackedText, Report, Table, Values, emit, format_day, format_from_extension, render_table,
    write_table_to,
};

/// Contractual retention: the shifted-beta-geometric (sBG) model per acquisition cohort.
///
/// Reads subscriptions (customer_id, start, end; an empty end = still active) or a survival
/// table (cohort, period, alive: customers alive at the start of each period, from the
/// acquisition period on). Renewals fall on each subscription's anniversaries (--period).
/// Period 1 is the period of acquisition; the first renewal decision falls at its end.
///
/// For each cohort (start month, year or ISO week) and for all subscriptions pooled, sBG
/// (Fader & Hardie 2007) is fitted by maximum likelihood: α and β with standard errors, the
/// retention rate r(t) = (β+t−1)/(α+β+t−1) at renewal t, survival S(t) projected --horizon
/// periods past the data, the expected and median lifetime, the discounted expected lifetime
/// of a new customer and the mean DERL (Fader & Hardie 2010) of the active customers.
/// Kaplan–Meier with Greenwood errors and 95 % log-log intervals is given beside the fit.
///
/// Output: the summary per cohort on a terminal (with the pooled curve, KM beside sBG);
/// rows are the curve per cohort and period: cohort, period, at_risk, churned, km_survival,
/// km_std_error, km_lower, km_upper, sbg_survival, sbg_retention, observed. --customers writes
/// the active subscriptions with their DERL. See docs/retention.md.
///
/// Examples:
///   clm retention subscriptions.csv --period month
///   clm retention subscriptions.csv --period year --horizon 5 --discount-rate 0.1 -o curve.csv
///   clm retention survival.csv --period year --input-kind table
///   clm retention subs.csv --model-out sbg.json;  clm retention new.csv --model-in sbg.json
///   clm retention subs.csv --customers derl.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RetentionArgs {
    /// Subscriptions or a survival table: .csv, .csv.gz, .tsv, .parquet.
    pub input: PathBuf,

    /// What the input holds (default: a table when it has an alive column and no start column).
    #[arg(long, value_enum)]
    pub input_kind: Option<ContractKind>,

    /// Contract period: renewals fall every period after a subscription's start
    /// [default: month, or the period saved in --model-in].
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,

    /// Periods to project past the last renewal observed.
    #[arg(long, default_value_t = 12, value_name = "PERIODS")]
    pub horizon: u32,

    /// Discount rate per year (0.10 = 10 %), converted to the period, for DERL.
    #[arg(long, default_value_t = 0.10, value_name = "RATE")]
    pub discount_rate: f64,

    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// Column holding the customer id (default: detected, e.g. customer_id, CustomerID).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub customer_col: Option<String>,
    /// Column holding the start date (default: detected, e.g. start, start_date, signup_date).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub start_col: Option<String>,
    /// Column holding the end date, empty while active (default: detected, e.g. end, cancel_date).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub end_col: Option<String>,
    /// Date format in strftime syntax, e.g. %d/%m/%Y (default: detected).
    #[arg(long, value_name = "FORMAT", help_heading = "Columns")]
    pub date_format: Option<String>,
    /// Survival table: the cohort column (default: detected, e.g. cohort; else one cohort).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub cohort_col: Option<String>,
    /// Survival table: the period column, consecutive whole numbers per cohort, the smallest
    /// being the acquisition period (default: detected, e.g. period).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub period_col: Option<String>,
    /// Survival table: the column of customers alive at the start of the period
    /// (default: detected, e.g. alive, active).
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub alive_col: Option<String>,

    /// Save the fitted parameters per cohort (with standard errors, LL, AIC, BIC) as JSON.
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub model_out: Option<PathBuf>,

    /// Use saved parameters instead of fitting (a cohort missing from the file uses its 'all').
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "model_out",
        help_heading = "Model"
    )]
    pub model_in: Option<PathBuf>,

    /// Also write the active subscriptions with their renewals, next renewal, retention
    /// probability and DERL (format from the extension).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// What the input file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContractKind {
    /// One row per subscription: customer_id, start, end.
    Subscriptions,
    /// Customers alive per cohort and period.
    Table,
}

/// The contract period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Week,
    Month,
    Year,
}

impl PeriodArg {
    /// The period as the features layer knows it.
    pub fn unit(self) -> PeriodUnit {
        match self {
            PeriodArg::Week => PeriodUnit::Week,
            PeriodArg::Month => PeriodUnit::Month,
            PeriodArg::Year => PeriodUnit::Year,
        }
    }
}

/// Runs `clm retention`.
pub fn run(args: RetentionArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    check_settings(&args)?;
    let saved = args.model_in.as_deref().map(read_model).transpose()?;
    let unit = resolve_period(args.period, saved.as_ref())?;
    let discount = (1.0 + args.discount_rate).powf(unit.years()) - 1.0;
    let columns = ContractColumns {
        customer: args.customer_col.as_deref(),
        start: args.start_col.as_deref(),
        end: args.end_col.as_deref(),
        cohort: args.cohort_col.as_deref(),
        period: args.period_col.as_deref(),
        alive: args.alive_col.as_deref(),
        date_format: args.date_format.as_deref(),
    };
    let table = args.input_kind.map(|k| k == ContractKind::Table);
    let data = load_contracts(&args.input, &columns, table)?;
    let mut heading = vec![format!(
        "sBG retention per {} (Fader & Hardie 2007): period 1 is the period of acquisition, renewal t falls at its end",
        unit.name()
    )];
    let (groups, subscriptions, as_of) = match &data {
        ContractData::Subscriptions(subs) => {
            let (groups, as_of) = subscription_cohorts(subs, unit, &args, &log, &mut heading)?;
            (groups, Some(subs), Some(as_of))
        }
        ContractData::Table(table) => (table_cohorts(table)?, None, None),
    };
    let cohorts = fit_all(groups, saved.as_ref())?;
    let pooled = pooled_fit(&cohorts)?;
    heading.extend(describe_pool(&cohorts[0], pooled, discount, unit));
    heading.extend(terminal_curve(&cohorts[0], pooled, args.horizon));
    if let Some(path) = &args.model_out {
        save_model(path, &cohorts, unit, as_of)?;
    }
    if let (Some(path), Some(subs), Some(as_of)) = (&args.customers, subscriptions, as_of) {
        let table = customer_table(subs, unit, as_of, &cohorts, pooled, discount);
        let format = format_from_extension(path)?;
        write_table_to(Some(path), &table, format)?;
        log.note(format!(
            "{} active subscriptions written to {}",
            table.height(),
            path.display()
        ));
    } else if args.customers.is_some() {
        log.note("--customers needs subscription records; a survival table has no customers");
    }
    let report = Report {
        heading,
        summary: summary_table(&cohorts, pooled, discount),
        rows: curve_table(&cohorts, pooled, args.horizon, |_, _, _| true),
    };
    emit(&report, &args.output, &[args.input.as_path()])
}

/// `--period`, else the saved model's, else month; a `--period` other than the saved one is
/// refused, since α and β describe renewals every saved period.
fn resolve_period(period: Option<PeriodArg>, saved: Option<&SavedRetention>) -> Result<PeriodUnit> {
    let saved_unit = match saved {
        Some(saved) => Some(PeriodUnit::from_name(&saved.period).ok_or_else(|| {
            ClmError::BadData(format!("saved model: unknown period '{}'", saved.period))
        })?),
        None => None,
    };
    match (period.map(PeriodArg::unit), saved_unit) {
        (Some(unit), Some(saved)) if unit != saved => Err(ClmError::Usage(format!(
            "--period {} does not match the saved model's period '{}': its alpha and beta describe renewals every {}",
            unit.name(),
            saved.name(),
            saved.name()
        ))
        .into()),
        (Some(unit), _) | (None, Some(unit)) => Ok(unit),
        (None, None) => Ok(PeriodUnit::Month),
    }
}

fn check_settings(args: &RetentionArgs) -> Result<()> {
    if let Some(path) = &args.customers {
        format_from_extension(path)?;
    }
    if args.horizon == 0 || args.horizon > 10_000 {
        return Err(ClmError::Usage("--horizon must be between 1 and 10000 periods".into()).into());
    }
    if !(args.discount_rate.is_finite() && args.discount_rate >= 0.0) {
        return Err(
            ClmError::Usage("--discount-rate must be a rate >= 0, e.g. 0.10".into()).into(),
        );
    }
    for (flag, output) in [
        ("--customers", &args.customers),
        ("--model-out", &args.model_out),
    ] {
        if let Some(output) = output
            && same_file(output, &args.input)
        {
            return Err(ClmError::Usage(format!(
                "refusing to overwrite the input file '{}' with {flag}",
                output.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// Whether two paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Cohort counts of subscription records, as of `--as-of` (default: the last start or end).
fn subscription_cohorts(
    subs: &Subscriptions,
    unit: PeriodUnit,
    args: &RetentionArgs,
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
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
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

fn table_cohorts(table: &SurvivalTable) -> Result<Vec<(String, SurvivalCounts)>> {
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
fn fit_all(
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

fn pooled_fit(cohorts: &[CohortFit]) -> Result<&SbgFit> {
    cohorts[0].own.as_ref().map_err(|why| {
        ClmError::BadData(format!(
            "cannot fit the sBG model to all subscriptions pooled: {why}"
        ))
        .into()
    })
}

fn describe_pool(pool: &CohortFit, fit: &SbgFit, discount: f64, unit: PeriodUnit) -> Vec<String> {
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
fn summary_table(cohorts: &[CohortFit], pooled: &SbgFit, discount: f64) -> Table {
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

/// Kaplan–Meier beside the sBG curve, per cohort and period, observed then projected.
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
fn terminal_curve(pool: &CohortFit, pooled: &SbgFit, horizon: u32) -> Vec<String> {
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

fn curve_table(
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
fn customer_table(
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

fn read_model(path: &Path) -> Result<SavedRetention> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read model file '{name}': {e}")))?;
    SavedRetention::from_json(&text)
        .map_err(|e| ClmError::BadData(format!("model file '{name}': {e}")).into())
}

fn save_model(
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
    let text = saved.to_json();
    crate::output::write_atomically(path, |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    })
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
