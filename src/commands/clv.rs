//! `clm clv`: fit a buy-till-you-die model and Gamma-Gamma spend, predict each customer's
//! purchases, P(alive), spend and lifetime value, and sort customers into value tiers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::analysis::clv::{
    Context, bgbb_report, check_statistics, continuous_summary_report, fit_models, model_heading,
    value_report,
};
use crate::analysis::holdout::holdout_report;
use crate::analysis::options::{ValueArgs, bgbb_horizon, value_horizon};
use crate::analysis::saved::{
    read_model, resolve_unit, saved_purchase_model, saved_spend_model, write_model,
};
use crate::analysis::value::{self, NotFitted, PurchaseModelChoice, model_label};
use crate::commands::Span;
use crate::commands::opening::{
    Streamed, as_of_flag, read_transactions, require_cutoffs, stream_summaries,
    summaries_from_table,
};
use crate::data::dates::{day_number, resolve_as_of};
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::data::summary::InputKind;
use crate::data::table::read_table;
use crate::error::ClmError;
use crate::features::btyd::{
    BtydStatistics, ModelSummaries, TimeUnit, btyd_from_summaries, btyd_statistics,
    holdout_from_summaries, holdout_purchases, summaries_of_table,
};
use crate::features::summary::Summaries;
use crate::models::bgbb::{self, BgBbParams, DiscreteSummary};
use crate::models::saved::SavedModel;
use crate::models::{FitReport, compress_triples};
use crate::output::OutputArgs;
use crate::output::{Log, Report, Stopwatch, emit, format_day};
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

/// Which purchase model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelChoice {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    Bgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    Mbgnbd,
    /// All three; the lowest BIC wins.
    Auto,
    /// BG/BB (Fader, Hardie & Shang 2010), for discrete-time summaries (--input-kind summary
    /// with frequency,recency,periods).
    Bgbb,
}

impl ModelChoice {
    /// The continuous-time purchase model this choice fits; `None` for BG/BB.
    fn purchase_model(self) -> Option<PurchaseModelChoice> {
        match self {
            ModelChoice::Bgnbd => Some(PurchaseModelChoice::BgNbd),
            ModelChoice::ParetoNbd => Some(PurchaseModelChoice::ParetoNbd),
            ModelChoice::Mbgnbd => Some(PurchaseModelChoice::MbgNbd),
            ModelChoice::Auto => Some(PurchaseModelChoice::Auto),
            ModelChoice::Bgbb => None,
        }
    }
}

/// Which models fit which inputs, for the usage errors.
const MODELS_FOR_INPUTS: &str = "bgnbd, pareto-nbd, mbgnbd and auto fit transactions and x,t_x,T summaries (continuous time); bgbb fits frequency,recency,periods summaries (discrete transaction opportunities, --input-kind summary)";

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
        InputKind::Transactions => run_transactions(&args, saved, &tier_shares, &log),
    }
}

fn run_transactions(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    tier_shares: &[f64],
    log: &Log,
) -> Result<()> {
    let mut clock = Stopwatch::start("clv");
    let fitting = fitting(args, saved.as_ref(), "transactions")?;
    let cutoffs = |last_day| {
        let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
        let end = holdout_end(args, as_of)?;
        Ok((as_of, [Some(as_of), end].into_iter().flatten().collect()))
    };
    let statistics = match stream_summaries(&args.input, &args.memory, cutoffs, log, &mut clock)? {
        Some(streamed) => streamed_statistics(args, streamed, log)?,
        None => whole_statistics(args, log, &mut clock)?,
    };
    clock.lap("statistics");
    model_and_report(
        args,
        saved,
        tier_shares,
        log,
        (statistics, fitting),
        &mut clock,
    )
}

/// The statistics of the transactions read whole.
fn whole_statistics(args: &ClvArgs, log: &Log, clock: &mut Stopwatch) -> Result<Statistics> {
    let (tx, last_day) = read_transactions(&args.input, log, clock)?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let holdout_end = holdout_end(args, as_of)?;
    let stats = btyd_statistics(&tx, as_of)?;
    check_statistics(&stats, &tx.source, as_of, holdout_end.is_some(), log)?;
    let holdout = holdout_end
        .map(|end| {
            Ok::<_, anyhow::Error>((end, holdout_purchases(&tx, &stats.customer_id, as_of, end)?))
        })
        .transpose()?;
    Ok(Statistics {
        stats,
        as_of,
        holdout,
    })
}

/// The statistics of transactions read in batches: views of their summary, as from a
/// summary file, with the rows after the as-of date the batches counted.
fn streamed_statistics(args: &ClvArgs, streamed: Streamed, log: &Log) -> Result<Statistics> {
    let as_of = streamed.as_of;
    let holdout_end = holdout_end(args, as_of)?;
    let mut stats = btyd_from_summaries(&streamed.summaries, as_of);
    stats.rows_after_as_of = streamed.rows_after_as_of;
    check_statistics(&stats, &streamed.source, as_of, holdout_end.is_some(), log)?;
    let holdout = holdout_end.map(|end| {
        let purchases = holdout_from_summaries(&streamed.summaries, &stats.customer_id, as_of, end);
        (end, purchases)
    });
    Ok(Statistics {
        stats,
        as_of,
        holdout,
    })
}

/// `clm clv --input-kind summary` on a per-customer summary (docs/summary.md): the BTYD
/// statistics at the as-of date (and the holdout purchases from a cut-off at --holdout-end)
/// are views of it, then the same fit and report as from the transactions.
fn run_customer_summaries(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    tier_shares: &[f64],
    log: &Log,
    (summaries, source, latest): (Summaries, String, i32),
) -> Result<()> {
    let mut clock = Stopwatch::start("clv");
    let fitting = fitting(args, saved.as_ref(), "per-customer summaries")?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), latest)?;
    let holdout_end = holdout_end(args, as_of)?;
    let (needed, make) = match holdout_end {
        Some(end) => (
            vec![as_of, end],
            format!("--as-of {} --horizon {}d", format_day(end), end - as_of),
        ),
        None => (vec![as_of], as_of_flag(as_of)),
    };
    require_cutoffs(&summaries, &source, &needed, &make)?;
    let stats = btyd_from_summaries(&summaries, as_of);
    let holdout = holdout_end.map(|end| {
        (
            end,
            holdout_from_summaries(&summaries, &stats.customer_id, as_of, end),
        )
    });
    drop(summaries);
    clock.lap("statistics");
    check_statistics(&stats, &source, as_of, holdout_end.is_some(), log)?;
    let statistics = Statistics {
        stats,
        as_of,
        holdout,
    };
    model_and_report(
        args,
        saved,
        tier_shares,
        log,
        (statistics, fitting),
        &mut clock,
    )
}

/// The model settings, checked before the input is read.
struct Fitting {
    unit: TimeUnit,
    purchase_choice: PurchaseModelChoice,
    horizon: f64,
}

/// The settings of a fit on `input` (what the input holds, for the messages).
fn fitting(args: &ClvArgs, saved: Option<&SavedModel>, input: &str) -> Result<Fitting> {
    let unit = resolve_unit(args.time_unit, saved)?;
    Ok(Fitting {
        unit,
        purchase_choice: continuous_model(args.model, input)?,
        horizon: value_horizon(args.horizon, unit)?,
    })
}

/// What the fit needs from the input, whatever its kind.
struct Statistics {
    stats: BtydStatistics,
    as_of: i32,
    /// The holdout end and each customer's purchase days in `(as_of, end]`.
    holdout: Option<(i32, Vec<u32>)>,
}

/// Fits (or loads) the models on the statistics and writes the value report, or the holdout
/// table with --holdout-end.
fn model_and_report(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    tier_shares: &[f64],
    log: &Log,
    (statistics, fitting): (Statistics, Fitting),
    clock: &mut Stopwatch,
) -> Result<()> {
    let Statistics {
        stats,
        as_of,
        holdout,
    } = statistics;
    let Fitting {
        unit,
        purchase_choice,
        horizon,
    } = fitting;
    let (histories, history_of) = stats.histories(unit);
    clock.lap("histories");
    let (model, spend) = match &saved {
        Some(saved) => (saved_purchase_model(saved)?, saved_spend_model(saved)?),
        None => {
            let fitted = fit_models(purchase_choice, &stats, &histories, holdout.is_some(), log);
            clock.lap("fit");
            fitted.map_err(|e| fit_failure(e, args.model))?
        }
    };
    if let Some(path) = &args.model_out {
        let as_of = format_day(as_of);
        let names = (model.btyd.name(), unit.name(), as_of.as_str());
        write_model(path, names, &model.report, spend.as_ref().map(|s| &s.1))?;
    }
    let context = Context {
        unit,
        as_of,
        customers: stats.len(),
    };
    let mut heading = model_heading(&context, &model, spend.as_ref(), &stats);
    let inputs = [args.input.input.as_path()];
    if let Some((end, actual)) = holdout {
        let triples = stats.triples(unit);
        let (lines, table) = holdout_report(&model.btyd, &triples, &actual, unit, (as_of, end));
        heading.extend(lines);
        let report = Report {
            heading,
            summary: table.clone(),
            rows: table,
        };
        return emit(&report, &args.output, &inputs);
    }
    let Some((spend_params, _)) = spend else {
        return Err(ClmError::BadData(format!(
            "{}: the saved model has no Gamma-Gamma spend model, needed for CLV",
            args.model_in
                .as_deref()
                .map(Path::display)
                .map(|d| d.to_string())
                .unwrap_or_default()
        ))
        .into());
    };
    let report = value_report(
        stats,
        (&histories, &history_of),
        &model,
        &spend_params,
        &args.value.valuation(unit, horizon),
        tier_shares,
        heading,
        log,
        clock,
    );
    emit(&report, &args.output, &inputs)?;
    clock.lap("write");
    Ok(())
}

/// `--holdout-end`, checked to be after the as-of date.
fn holdout_end(args: &ClvArgs, as_of: i32) -> Result<Option<i32>> {
    args.holdout_end
        .as_deref()
        .map(|text| parse_holdout_end(text, as_of))
        .transpose()
}

fn parse_holdout_end(text: &str, as_of: i32) -> Result<i32> {
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(day_number)
        .map_err(|_| {
            ClmError::Usage(format!(
                "--holdout-end '{text}' is not a date like 2025-06-30"
            ))
        })?;
    if day <= as_of {
        return Err(ClmError::Usage(format!(
            "--holdout-end {text} must be after the as-of date {}",
            format_day(as_of)
        ))
        .into());
    }
    Ok(day)
}

/// The continuous-time model asked for, or a usage error when it is BG/BB (`input`: what the
/// input holds, for the message).
fn continuous_model(choice: ModelChoice, input: &str) -> Result<PurchaseModelChoice> {
    choice.purchase_model().ok_or_else(|| {
        ClmError::Usage(format!(
            "--model bgbb cannot be fitted on {input}: {MODELS_FOR_INPUTS}"
        ))
        .into()
    })
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
    let raw = read_table(path, "input")?;
    if raw.headers.iter().any(|h| h == "summary_version") {
        let mut timer = Stopwatch::start("summary");
        let summaries = summaries_from_table(&args.input, &raw, log, &mut timer)?;
        drop(raw);
        return run_customer_summaries(args, saved, tier_shares, log, summaries);
    }
    match summaries_of_table(&name, &raw)? {
        ModelSummaries::Discrete(summaries) => {
            if matches!(
                args.model,
                ModelChoice::ParetoNbd | ModelChoice::Mbgnbd | ModelChoice::Auto
            ) {
                return Err(ClmError::Usage(format!(
                    "{name} holds frequency,recency,periods summaries (discrete time), which only BG/BB fits: {MODELS_FOR_INPUTS}"
                ))
                .into());
            }
            let (params, fit) = bgbb_model(saved.as_ref(), &summaries)?;
            if let Some(path) = &args.model_out {
                write_model(path, ("bgbb", "period", ""), &fit, None)?;
            }
            let horizon = bgbb_horizon(args.horizon)?;
            let report = bgbb_report(&params, &fit, &summaries, horizon);
            emit(&report, &args.output, &inputs)
        }
        ModelSummaries::Continuous(triples) => {
            let unit = resolve_unit(args.time_unit, saved.as_ref())?;
            let model = match &saved {
                Some(saved) => saved_purchase_model(saved)?,
                None => value::fit_purchase_model(
                    continuous_model(args.model, "x,t_x,T summaries")?,
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
            let report = continuous_summary_report(&model, &triples, unit, horizon);
            emit(&report, &args.output, &inputs)
        }
    }
}

/// The BG/BB model: the saved one, or fitted on the summaries.
fn bgbb_model(
    saved: Option<&SavedModel>,
    summaries: &[DiscreteSummary],
) -> Result<(BgBbParams, FitReport)> {
    if let Some(saved) = saved {
        let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
        return Ok((
            saved.bgbb().map_err(bad)?,
            saved.fit.to_report(&bgbb::PARAM_NAMES).map_err(bad)?,
        ));
    }
    let fit = bgbb::fit(summaries).map_err(|error| {
        fit_failure(
            NotFitted {
                model: model_label("bgbb"),
                error,
            },
            ModelChoice::Bgbb,
        )
    })?;
    Ok((fit.params, fit.report))
}
