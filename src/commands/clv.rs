//! `clm clv`: fit a buy-till-you-die model and Gamma-Gamma spend, predict each customer's
//! purchases, P(alive), spend and lifetime value, and sort customers into value tiers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::analysis::clv::{
    ClvInputs, bgbb_report, check_statistics, clv_report, continuous_summary_report, fit_models,
};
use crate::analysis::options::{ModelChoice, ValueArgs, bgbb_horizon, holdout_end, value_horizon};
use crate::analysis::saved::{
    read_model, resolve_unit, saved_bgbb_model, saved_purchase_model, saved_spend_model,
    write_model,
};
use crate::analysis::value::{self, NotFitted, PurchaseModelChoice, model_label};
use crate::commands::Span;
use crate::commands::opening::{
    as_of_flag, read_transactions, require_cutoffs, stream_summaries, summaries_from_file,
};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::data::summary::{InputKind, SummaryFile};
use crate::error::ClmError;
use crate::features::btyd::{ModelSummaries, TimeUnit, summaries_of_table};
use crate::models::bgbb;
use crate::models::compress_triples;
use crate::models::saved::SavedModel;
use crate::output::OutputArgs;
use crate::output::{Log, Stopwatch, emit, format_day};
use crate::segment::tiers::parse_tier_shares;

/// Customer lifetime value from a buy-till-you-die model with Gamma-Gamma spend.
///
/// Per customer (purchases on the same day are one transaction; returns are not purchases):
/// x = repeat purchase days, t_x = first to last purchase, T = first purchase to the as-of date,
/// in weeks (default) or days. The purchase model (BG/NBD, Pareto/NBD, MBG/NBD, or the best by
/// BIC with --model auto) is fitted on the distinct (x, t_x, T) histories; Gamma-Gamma on the
/// repeat buyers' mean repeat spend. CLV = margin × expected spend × discounted expected
/// purchases over the horizon. Tiers: platinum, gold, iron, lead (top 5 %, next 15 %, next 40 %,
/// the rest). Under BG/NBD P(alive) = 1 for every one-time buyer.
///
/// Per-customer columns: customer_id, x, t_x, T, p_alive, expected_purchases, expected_spend,
/// clv, tier. See docs/clv.md for the formulas and the --model-out JSON layout.
///
/// Examples:
///   clm clv fixtures/transactions.csv
///   clm clv fixtures/cdnow_sample.csv --as-of 1997-09-30 --time-unit week --model bgnbd
///   clm clv orders.parquet --model auto --horizon 52 --discount-rate 0.10 --margin 0.3 -o clv.parquet
///   clm clv orders.csv --as-of 2025-03-31 --holdout-end 2025-06-30
///   clm clv orders.csv --model-out model.json;  clm clv new.csv --model-in model.json
///   clm clv fixtures/donations_summary.csv --input-kind summary
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ClvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Purchase model. bgnbd, pareto-nbd, mbgnbd and auto (fits those three, keeps the lowest
    /// BIC) take transactions or x,t_x,T summaries; bgbb takes frequency,recency,periods
    /// summaries (discrete time).
    #[arg(long, value_enum, default_value_t = ModelChoice::Bgnbd, help_heading = "Model")]
    pub model: ModelChoice,

    /// Unit of t_x, T, the horizon and every fitted rate (week = 7 days)
    /// [default: week, or the unit saved in --model-in].
    #[arg(long, value_enum, help_heading = "Model")]
    pub time_unit: Option<TimeUnit>,

    /// Prediction horizon in the time unit, or with its own unit: 90d, 13w, 12m, 1y
    /// [default: 52 weeks or 365 days; 5 periods for BG/BB].
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "UNITS",
        value_parser = crate::analysis::options::parse_span,
        help_heading = "Value"
    )]
    pub horizon: Option<Span>,

    #[command(flatten)]
    pub value: ValueArgs,

    /// Percent of customers in platinum, gold and iron from the top; lead takes the rest.
    #[arg(
        long,
        default_value = "5,15,40",
        value_name = "P,G,I",
        help_heading = "Value"
    )]
    pub tiers: String,

    /// Validate: fit on purchases up to --as-of, then compare predicted with actual repeat
    /// purchases in (as-of, DATE], in total, by calibration frequency and per customer.
    #[arg(long, value_name = "DATE", requires = "as_of", help_heading = "Model")]
    pub holdout_end: Option<String>,

    /// Save the fitted parameters (with standard errors, LL, AIC, BIC) as JSON.
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub model_out: Option<PathBuf>,

    /// Score with a saved model instead of fitting one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["model", "model_out"], help_heading = "Model")]
    pub model_in: Option<PathBuf>,

    /// What the input holds: transactions, or per-customer summaries: the summary of
    /// docs/summary.md (clm summary; it has a summary_version column), or rows with columns
    /// frequency,recency,periods[,weights] (BG/BB) or x,t_x,T[,weights] (in --time-unit).
    #[arg(long, value_enum, default_value_t = InputKind::Transactions)]
    pub input_kind: InputKind,
}

/// Runs `clm clv`.
pub fn run(args: ClvArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let reads = [Some(args.input.input.as_path()), args.model_in.as_deref()];
    crate::output::check_outputs(&args.output, &[args.model_out.as_deref()], &reads)?;
    args.value.check()?;
    let tier_shares =
        parse_tier_shares(&args.tiers).map_err(|e| ClmError::Usage(format!("--tiers: {e}")))?;
    let saved = args.model_in.as_deref().map(read_model).transpose()?;
    match args.input_kind {
        InputKind::Summary => run_summaries(&args, saved, &tier_shares, &log),
        InputKind::Transactions => run_histories(&args, saved, &tier_shares, &log, None),
    }
}

/// `clm clv` on the customers' histories: the transactions, or their per-customer summary
/// (docs/summary.md), whose BTYD statistics at the as-of date (and holdout purchases from a
/// cut-off at --holdout-end) are views of it; then the same fit and report.
fn run_histories(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    tier_shares: &[f64],
    log: &Log,
    summary: Option<&SummaryFile>,
) -> Result<()> {
    let mut clock = Stopwatch::start("clv");
    let input = match summary {
        Some(_) => "per-customer summaries",
        None => "transactions",
    };
    let unit = resolve_unit(args.time_unit, saved.as_ref())?;
    let purchase_choice = args.model.continuous(input)?;
    let horizon = value_horizon(args.horizon, unit)?;
    let (as_of, holdout) = (args.as_of.as_of.as_deref(), args.holdout_end.as_deref());
    let (inputs, source) = match summary {
        None => {
            let cutoffs = |last_day| {
                let as_of = resolve_as_of(as_of, last_day)?;
                let end = holdout_end(holdout, as_of)?;
                Ok((as_of, [Some(as_of), end].into_iter().flatten().collect()))
            };
            // Over the memory budget: the summary made in batches, then the summary's views
            // with the rows after the as-of date the batches counted.
            match stream_summaries(&args.input, &args.memory, cutoffs, log, &mut clock)? {
                Some(streamed) => {
                    let end = holdout_end(holdout, streamed.as_of)?;
                    let mut inputs =
                        ClvInputs::from_summaries(streamed.summaries, streamed.as_of, end);
                    inputs.stats.rows_after_as_of = streamed.rows_after_as_of;
                    (inputs, streamed.source)
                }
                None => {
                    let (tx, last_day) = read_transactions(&args.input, log, &mut clock)?;
                    let as_of = resolve_as_of(as_of, last_day)?;
                    let holdout_end = holdout_end(holdout, as_of)?;
                    let inputs = ClvInputs::from_transactions(&tx, as_of, holdout_end)?;
                    (inputs, tx.source.clone())
                }
            }
        }
        Some(file) => {
            let (summaries, source, latest) =
                summaries_from_file(&args.input, file, log, &mut clock)?;
            let as_of = resolve_as_of(as_of, latest)?;
            let holdout_end = holdout_end(holdout, as_of)?;
            let (needed, make) = match holdout_end {
                Some(end) => (
                    vec![as_of, end],
                    format!("--as-of {} --horizon {}d", format_day(end), end - as_of),
                ),
                None => (vec![as_of], as_of_flag(as_of)),
            };
            require_cutoffs(&summaries, &source, &needed, &make)?;
            (
                ClvInputs::from_summaries(summaries, as_of, holdout_end),
                source,
            )
        }
    };
    clock.lap("statistics");
    let has_holdout = inputs.holdout.is_some();
    check_statistics(&inputs.stats, &source, inputs.as_of, has_holdout, log)?;
    let (histories, history_of) = inputs.stats.histories(unit);
    clock.lap("histories");
    let (model, spend) = match &saved {
        Some(saved) => (saved_purchase_model(saved)?, saved_spend_model(saved)?),
        None => {
            let fitted = fit_models(purchase_choice, &inputs.stats, &histories, has_holdout, log);
            clock.lap("fit");
            fitted.map_err(|e| fit_failure(e, args.model))?
        }
    };
    if let Some(path) = &args.model_out {
        let as_of = format_day(inputs.as_of);
        let names = (model.btyd.name(), unit.name(), as_of.as_str());
        write_model(path, names, &model.report, spend.as_ref().map(|s| &s.1))?;
    }
    let valuation = args.value.valuation(unit, horizon);
    let models = (&model, spend.as_ref());
    let histories = (&histories[..], &history_of[..]);
    let report = clv_report(
        inputs,
        histories,
        models,
        &valuation,
        tier_shares,
        log,
        &mut clock,
    )
    .ok_or_else(|| {
        let path = args.model_in.as_deref().unwrap_or(Path::new(""));
        ClmError::BadData(format!(
            "{}: the saved model has no Gamma-Gamma spend model, needed for CLV",
            path.display()
        ))
    })?;
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    clock.lap("write");
    Ok(())
}

/// A model that cannot be fitted is a property of the data: exit 65, with what to try. The
/// advice never leads into a model that was just refused.
fn fit_failure(error: NotFitted, choice: ModelChoice) -> anyhow::Error {
    let advice = if error.model == model_label("gamma-gamma") {
        "the spend model needs mean repeat spends that differ between customers more than single purchases differ; check the amount column, or validate the purchase model alone with --holdout-end"
    } else if choice == ModelChoice::Auto || error.model == PurchaseModelChoice::Auto.label() {
        "no purchase model fits these histories; a longer calibration period (an earlier start, more customers with repeat purchases) may help, and clm rfm ranks customers without a model"
    } else if choice == ModelChoice::Bgbb {
        "check that frequency, recency and periods are whole numbers of periods per customer"
    } else {
        "try --model auto (fits BG/NBD, Pareto/NBD and MBG/NBD and keeps the best by BIC), or a longer calibration period"
    };
    ClmError::BadData(format!("{error}; {advice}")).into()
}

/// `--input-kind summary`: a per-customer summary (it names `summary_version`), or model
/// summaries (x,t_x,T or frequency,recency,periods), told apart by their columns.
fn run_summaries(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    tier_shares: &[f64],
    log: &Log,
) -> Result<()> {
    let path = args.input.input.as_path();
    let name = path.display().to_string();
    let inputs = [path];
    let file = SummaryFile::open(path, "input")?;
    if file.headers()?.iter().any(|h| h == "summary_version") {
        return run_histories(args, saved, tier_shares, log, Some(&file));
    }
    let report = match summaries_of_table(&name, &file.raw_table()?)? {
        ModelSummaries::Discrete(summaries) => {
            args.model.check_discrete(&name)?;
            let (params, fit) = match &saved {
                Some(saved) => saved_bgbb_model(saved)?,
                None => {
                    let refused = |error| NotFitted {
                        model: model_label("bgbb"),
                        error,
                    };
                    let fit = bgbb::fit(&summaries)
                        .map_err(|e| fit_failure(refused(e), ModelChoice::Bgbb))?;
                    (fit.params, fit.report)
                }
            };
            if let Some(path) = &args.model_out {
                write_model(path, ("bgbb", "period", ""), &fit, None)?;
            }
            bgbb_report(&params, &fit, &summaries, bgbb_horizon(args.horizon)?)
        }
        ModelSummaries::Continuous(triples) => {
            let unit = resolve_unit(args.time_unit, saved.as_ref())?;
            let model = match &saved {
                Some(saved) => saved_purchase_model(saved)?,
                None => value::fit_purchase_model(
                    args.model.continuous("x,t_x,T summaries")?,
                    &compress_triples(&triples),
                    log,
                )
                .map_err(|e| fit_failure(e, args.model))?,
            };
            if let Some(path) = &args.model_out {
                let names = (model.btyd.name(), unit.name(), "");
                write_model(path, names, &model.report, None)?;
            }
            let horizon = value_horizon(args.horizon, unit)?;
            continuous_summary_report(&model, &triples, unit, horizon)
        }
    };
    emit(&report, &args.output, &inputs)
}
