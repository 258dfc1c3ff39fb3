//! `clm simulate`: a transaction log with known parameters, for tests, demos and benchmarks.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;

use crate::commands::retention::PeriodArg;
use crate::data::dates::day_number;
use crate::error::ClmError;
use crate::features::loyalty::{BehaviourWeights, behaviour_index};
use crate::features::retention::simulate_subscriptions;
use crate::models::sbg::SbgParams;
use crate::models::simulate::{
    SimulationParameters, SimulationSettings, TransactionColumns, customer_id,
    simulate_transactions,
};
use crate::models::simulate_survey::{SurveySimulation, simulate_survey};
use crate::output::OutputFormat;
use crate::output::{Log, Table, Values, counted, format_day, output_format};
use crate::segment::loyalty::LoyaltyError;

/// Write a transaction log drawn from a BG/NBD purchase process with Gamma-Gamma spend.
///
/// Each customer makes a first purchase at a uniform time in the acquisition window, then buys
/// at a Poisson rate λ ~ Gamma(r, α) per week and, after each repeat purchase, drops out with
/// probability p ~ Beta(a, b). Each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ).
/// The parameters used are printed on stderr, so fitted models can be checked against them.
///
/// With --kind subscriptions it writes subscriptions instead (customer_id, start, end; an empty
/// end = still active at the end of the period): each starts at a uniform time in the
/// acquisition window and, with churn probability θ ~ Beta(--churn-alpha, --churn-beta), renews
/// at every anniversary (--period) until the first non-renewal, the sBG model of `clm retention`.
///
/// Examples:
///   clm simulate --customers 3000 --seed 7 -o fixtures/transactions.csv
///   clm simulate --kind subscriptions --customers 20000 --churn-alpha 0.7 --churn-beta 1.2 -o subs.csv
///   clm simulate --customers 4000000 -o big.parquet
///   clm simulate --customers 3000 --seed 7 -o fixtures/transactions.csv --survey fixtures/survey.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SimulateArgs {
    /// Output file (.csv, .tsv, .parquet, …); stdout as CSV when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Also write a survey (customer_id, nps 0-10, satisfaction 1-5) of the simulated customers,
    /// whose attitude correlates with their behavioural index (see `clm loyalty`).
    #[arg(long, value_name = "FILE", help_heading = "Survey")]
    pub survey: Option<PathBuf>,

    /// Correlation between latent attitude and the behavioural index, in [0, 1].
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 0.5,
        help_heading = "Survey"
    )]
    pub survey_correlation: f64,

    /// Share of customers who answer the survey, in [0, 1].
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 0.6,
        help_heading = "Survey"
    )]
    pub survey_response_rate: f64,

    /// What to simulate: transactions, or subscriptions for `clm retention`.
    #[arg(long, value_enum, default_value_t = SimulationKind::Transactions)]
    pub kind: SimulationKind,

    /// Number of customers.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::at_least::<usize>(1), default_value_t = 1000)]
    pub customers: usize,

    /// First day of the simulated period.
    #[arg(long, default_value = "2024-01-01")]
    pub start: NaiveDate,

    /// Length of the period in days.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::at_least::<u32>(1), default_value_t = 730)]
    pub days: u32,

    /// First purchases fall uniformly in the first this-many days (default: half the period).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::at_least::<u32>(1))]
    pub acquisition_days: Option<u32>,

    /// Random seed; the same seed gives the same file.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::at_least::<u64>(0), default_value_t = 42)]
    pub seed: u64,

    /// BG/NBD shape r of the purchase rate (per week).
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().r, help_heading = "Parameters")]
    pub r: f64,
    /// BG/NBD rate α of the purchase rate (per week).
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().alpha, help_heading = "Parameters")]
    pub alpha: f64,
    /// BG/NBD dropout Beta a.
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().a, help_heading = "Parameters")]
    pub a: f64,
    /// BG/NBD dropout Beta b.
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().b, help_heading = "Parameters")]
    pub b: f64,
    /// Gamma-Gamma shape p of a transaction's value.
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().p, help_heading = "Parameters")]
    pub p: f64,
    /// Gamma-Gamma shape q of the spend rate.
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().q, help_heading = "Parameters")]
    pub q: f64,
    /// Gamma-Gamma rate γ of the spend rate.
    #[arg(long, allow_negative_numbers = true, default_value_t = SimulationParameters::default().gamma, help_heading = "Parameters")]
    pub gamma: f64,

    /// Subscriptions: the contract period; renewals fall on each start's anniversaries.
    #[arg(long, value_enum, default_value_t = PeriodArg::Month, help_heading = "Subscriptions")]
    pub period: PeriodArg,
    /// Subscriptions: sBG α of the churn probability θ ~ Beta(α, β).
    #[arg(long, default_value_t = 0.7, help_heading = "Subscriptions")]
    pub churn_alpha: f64,
    /// Subscriptions: sBG β of the churn probability θ ~ Beta(α, β).
    #[arg(long, default_value_t = 1.2, help_heading = "Subscriptions")]
    pub churn_beta: f64,
}

/// What `clm simulate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimulationKind {
    /// A transaction log (BG/NBD purchases, Gamma-Gamma spend).
    Transactions,
    /// Subscription records (sBG renewals).
    Subscriptions,
}

/// Runs `clm simulate`.
pub fn run(args: SimulateArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    if args.kind == SimulationKind::Subscriptions {
        return simulate_subscription_records(&args, &log);
    }
    let parameters = SimulationParameters {
        r: args.r,
        alpha: args.alpha,
        a: args.a,
        b: args.b,
        p: args.p,
        q: args.q,
        gamma: args.gamma,
    };
    let mut settings = SimulationSettings::new(args.customers, args.start, args.days, args.seed);
    settings.parameters = parameters;
    if let Some(days) = args.acquisition_days {
        settings.acquisition_days = days;
    }
    let outputs = crate::output::OutputArgs {
        output: args.output.clone(),
        format: args.format,
        summary: false,
        ..Default::default()
    };
    crate::output::check_outputs(&outputs, &[args.survey.as_deref()], &[])?;
    let format = match (&args.output, args.format) {
        (_, Some(format)) => format,
        (Some(path), None) => output_format(path, None)?,
        (None, None) => OutputFormat::Csv,
    };
    let simulation =
        simulate_transactions(&settings).map_err(|e| ClmError::Usage(e.to_string()))?;
    let tx = &simulation.transactions;
    log.note(format!(
        "simulated {}, {} from {} over {} (acquisition in the first {}), seed {}",
        counted(args.customers, "customer"),
        counted(tx.len(), "transaction"),
        args.start,
        counted(args.days, "day"),
        settings.acquisition_days,
        args.seed
    ));
    log.note(format!(
        "BG/NBD (per week): r={} alpha={} a={} b={}; Gamma-Gamma: p={} q={} gamma={}",
        parameters.r,
        parameters.alpha,
        parameters.a,
        parameters.b,
        parameters.p,
        parameters.q,
        parameters.gamma
    ));
    let start = day_number(args.start);
    let table = Table::default()
        .with(
            "customer_id",
            Values::Text(
                tx.customer
                    .iter()
                    .map(|&c| customer_id(c, args.customers))
                    .collect(),
            ),
        )
        .with(
            "date",
            Values::Date(tx.day.iter().map(|&d| start + d).collect()),
        )
        .with("amount", Values::Float(tx.amount.clone(), 2));
    if let Some(survey) = &args.survey {
        let survey_format = match args.format {
            Some(format) if format != OutputFormat::Table => format,
            _ => output_format(survey, None)?,
        };
        let answers = simulated_survey(&simulation.transactions, &args)?;
        log.note(format!(
            "survey: {} of {} customers answered (response rate {}, correlation {} with behaviour)",
            answers.height(),
            args.customers,
            args.survey_response_rate,
            args.survey_correlation
        ));
        crate::output::write_table_to(Some(survey), &answers, survey_format)?;
    }
    crate::output::write_table_to(args.output.as_deref(), &table, format)
}

/// `--kind subscriptions`: customer_id, start, end from the sBG process.
fn simulate_subscription_records(args: &SimulateArgs, log: &Log) -> Result<()> {
    if args.survey.is_some() {
        return Err(ClmError::Usage("--survey goes with --kind transactions".into()).into());
    }
    let format = match (&args.output, args.format) {
        (_, Some(format)) => format,
        (Some(path), None) => output_format(path, None)?,
        (None, None) => OutputFormat::Csv,
    };
    let params = SbgParams {
        alpha: args.churn_alpha,
        beta: args.churn_beta,
    };
    let first_day = day_number(args.start);
    let last_day = first_day + args.days as i32;
    let acquisition_days = args.acquisition_days.unwrap_or(args.days / 2);
    let unit = args.period.unit();
    let window = (first_day, acquisition_days, last_day);
    let subscriptions = simulate_subscriptions(params, unit, args.customers, window, args.seed)
        .map_err(ClmError::Usage)?;
    let active = subscriptions.iter().filter(|s| s.1.is_none()).count();
    log.note(format!(
        "simulated {} subscriptions ({active} active at {}) starting in the first {acquisition_days} days from {}, seed {}",
        args.customers,
        format_day(last_day),
        args.start,
        args.seed
    ));
    log.note(format!(
        "sBG per {}: alpha={} beta={}; fit them back with clm retention FILE --period {} --as-of {}",
        unit.name(),
        params.alpha,
        params.beta,
        unit.name(),
        format_day(last_day)
    ));
    let table = Table::default()
        .with(
            "customer_id",
            Values::Text(
                (0..args.customers)
                    .map(|c| customer_id(c as u32, args.customers))
                    .collect(),
            ),
        )
        .with(
            "start",
            Values::Date(subscriptions.iter().map(|s| s.0).collect()),
        )
        .with(
            "end",
            // Text, so that an active subscription's end is an empty cell in every format.
            Values::Text(
                subscriptions
                    .iter()
                    .map(|s| s.1.map(format_day).unwrap_or_default())
                    .collect(),
            ),
        );
    crate::output::write_table_to(args.output.as_deref(), &table, format)
}

/// Survey answers drawn by [`simulate_survey`] from each customer's behavioural index, computed
/// from the simulated transactions as `clm loyalty` computes it (as of the last transaction day).
fn simulated_survey(tx: &TransactionColumns, args: &SimulateArgs) -> Result<Table> {
    let customers = args.customers;
    let mut purchase_days: Vec<Vec<i32>> = vec![Vec::new(); customers];
    for (&customer, &day) in tx.customer.iter().zip(&tx.day) {
        if let Some(days) = purchase_days.get_mut(customer as usize) {
            days.push(day);
        }
    }
    let as_of = tx.day.iter().copied().max().unwrap_or(0);
    let mut ids = Vec::new();
    let mut frequency = Vec::new();
    let mut recency = Vec::new();
    for (customer, days) in purchase_days.iter_mut().enumerate() {
        let Some(&last) = days.iter().max() else {
            continue;
        };
        days.sort_unstable();
        days.dedup();
        ids.push(customer_id(customer as u32, customers));
        frequency.push(days.len() as u32);
        recency.push(f64::from(as_of - last));
    }
    let usage = |e: LoyaltyError| ClmError::Usage(format!("survey simulation: {e}"));
    let behaviour =
        behaviour_index(&frequency, &recency, &BehaviourWeights::default()).map_err(usage)?;
    let settings = SurveySimulation {
        correlation: args.survey_correlation,
        response_rate: args.survey_response_rate,
        seed: args.seed,
    };
    let answers = simulate_survey(&behaviour, &settings)
        .map_err(|e| ClmError::Usage(format!("survey simulation: {e}")))?;
    let (mut respondents, mut nps, mut satisfaction) = (Vec::new(), Vec::new(), Vec::new());
    for (id, answer) in ids.into_iter().zip(answers) {
        if let Some(answer) = answer {
            respondents.push(id);
            nps.push(i64::from(answer.nps));
            satisfaction.push(i64::from(answer.satisfaction));
        }
    }
    Ok(Table::default()
        .with("customer_id", Values::Text(respondents))
        .with("nps", Values::Int(nps))
        .with("satisfaction", Values::Int(satisfaction)))
}
