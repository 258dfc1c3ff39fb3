//! `clm retention`: contractual retention with the shifted-beta-geometric model per acquisition
//! cohort, beside the Kaplan–Meier curve of the same subscriptions.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::analysis::retention::{
    curve_table, customer_table, describe_pool, fit_all, pooled_fit, read_model, save_model,
    subscription_cohorts, summary_table, table_cohorts, terminal_curve,
};
use crate::data::options::AsOfArgs;
use crate::data::subscriptions::{ContractColumns, ContractData, load_contracts};
use crate::error::ClmError;
use crate::features::retention::PeriodUnit;
use crate::models::sbg::SavedRetention;
use crate::output::OutputArgs;
use crate::output::{Log, Report, emit, format_from_extension, write_table_to};

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
            let (groups, as_of) =
                subscription_cohorts(subs, unit, args.as_of.as_of.as_deref(), &log, &mut heading)?;
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
    let reads = [Some(args.input.as_path())];
    let others = [args.customers.as_deref(), args.model_out.as_deref()];
    crate::output::check_outputs(&args.output, &others, &reads)
}
