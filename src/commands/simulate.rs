//! `clm simulate`: a transaction log with known parameters, for tests, demos and benchmarks.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;

use crate::cli::OutputFormat;
use crate::data::dates::day_number;
use crate::error::ClmError;
use crate::models::simulate::{
    SimulationParameters, SimulationSettings, customer_id, simulate_transactions,
};
use crate::output::{Log, Table, Values, format_from_extension};

/// Write a transaction log drawn from a BG/NBD purchase process with Gamma-Gamma spend.
///
/// Each customer makes a first purchase at a uniform time in the acquisition window, then buys
/// at a Poisson rate λ ~ Gamma(r, α) per week and, after each repeat purchase, drops out with
/// probability p ~ Beta(a, b). Each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ).
/// The parameters used are printed on stderr, so fitted models can be checked against them.
///
/// Examples:
///   clm simulate --customers 3000 --seed 7 -o fixtures/transactions.csv
///   clm simulate --customers 4000000 -o big.parquet
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SimulateArgs {
    /// Output file (.csv, .tsv, .parquet, …); stdout as CSV when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Number of customers.
    #[arg(long, default_value_t = 1000)]
    pub customers: usize,

    /// First day of the simulated period.
    #[arg(long, default_value = "2024-01-01")]
    pub start: NaiveDate,

    /// Length of the period in days.
    #[arg(long, default_value_t = 730)]
    pub days: u32,

    /// First purchases fall uniformly in the first this-many days (default: half the period).
    #[arg(long)]
    pub acquisition_days: Option<u32>,

    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// BG/NBD shape r of the purchase rate (per week).
    #[arg(long, default_value_t = SimulationParameters::default().r, help_heading = "Parameters")]
    pub r: f64,
    /// BG/NBD rate α of the purchase rate (per week).
    #[arg(long, default_value_t = SimulationParameters::default().alpha, help_heading = "Parameters")]
    pub alpha: f64,
    /// BG/NBD dropout Beta a.
    #[arg(long, default_value_t = SimulationParameters::default().a, help_heading = "Parameters")]
    pub a: f64,
    /// BG/NBD dropout Beta b.
    #[arg(long, default_value_t = SimulationParameters::default().b, help_heading = "Parameters")]
    pub b: f64,
    /// Gamma-Gamma shape p of a transaction's value.
    #[arg(long, default_value_t = SimulationParameters::default().p, help_heading = "Parameters")]
    pub p: f64,
    /// Gamma-Gamma shape q of the spend rate.
    #[arg(long, default_value_t = SimulationParameters::default().q, help_heading = "Parameters")]
    pub q: f64,
    /// Gamma-Gamma rate γ of the spend rate.
    #[arg(long, default_value_t = SimulationParameters::default().gamma, help_heading = "Parameters")]
    pub gamma: f64,
}

/// Runs `clm simulate`.
pub fn run(args: SimulateArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
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
    let format = match (&args.output, args.format) {
        (_, Some(format)) => format,
        (Some(path), None) => format_from_extension(path)?,
        (None, None) => OutputFormat::Csv,
    };
    let simulation =
        simulate_transactions(&settings).map_err(|e| ClmError::Usage(e.to_string()))?;
    let tx = &simulation.transactions;
    log.note(format!(
        "simulated {} customers, {} transactions from {} over {} days (acquisition in the first {}), seed {}",
        args.customers,
        tx.len(),
        args.start,
        args.days,
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
    crate::output::write_table_to(args.output.as_deref(), &table, format)
}
