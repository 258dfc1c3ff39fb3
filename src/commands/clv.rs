//! `clm clv`: fit a buy-till-you-die model and Gamma-Gamma spend, predict each customer's
//! purchases, P(alive), spend and lifetime value, and sort customers into value tiers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::analysis::value::{
    self, MAX_HORIZON_DAYS, NotFitted, PurchaseModel, PurchaseModelChoice, Valuation, model_label,
};
use crate::commands::Span;
use crate::commands::opening::log_load;
use crate::data::dates::{day_number, resolve_as_of};
use crate::data::load_transactions;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::features::btyd::{
    BtydStatistics, Summaries, TimeUnit, btyd_statistics, holdout_purchases, parse_summaries,
};
use crate::models::bgbb::{self, BgBbParams, DiscreteSummary};
use crate::models::gamma_gamma::{self, GammaGammaParams};
use crate::models::predict::Btyd;
use crate::models::saved::{FORMAT, SavedFit, SavedModel, VERSION, param_names};
use crate::models::{FitReport, Triple, compress_triples};
use crate::output::OutputArgs;
use crate::output::{
    Log, Report, Stopwatch, Table, Values, counted, emit, format_day, render_table,
};
use crate::segment::tiers::{TIER_NAMES, parse_tier_shares, value_tiers};

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
        value_parser = crate::commands::parse_span,
        help_heading = "Value"
    )]
    pub horizon: Option<Span>,

    /// Discount rate per year (0.10 = 10 %), converted to the time unit.
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 0.10,
        value_name = "RATE",
        help_heading = "Value"
    )]
    pub discount_rate: f64,

    /// Margin applied to expected spend (1 = CLV as revenue).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 1.0,
        help_heading = "Value"
    )]
    pub margin: f64,

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

    /// What the input holds: transactions, or per-customer summaries with columns
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

/// What the input file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// One row per transaction.
    Transactions,
    /// One row per customer or per group of identical customers.
    Summary,
}

/// Value settings checked once.
struct ValueSettings {
    margin: f64,
    annual_discount: f64,
    tier_shares: Vec<f64>,
}

/// Runs `clm clv`.
pub fn run(args: ClvArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let reads = [Some(args.input.input.as_path()), args.model_in.as_deref()];
    crate::output::check_outputs(&args.output, &[args.model_out.as_deref()], &reads)?;
    let settings = check_settings(&args)?;
    let saved = args.model_in.as_deref().map(read_model).transpose()?;
    match args.input_kind {
        InputKind::Summary => run_summaries(&args, saved, &settings, &log),
        InputKind::Transactions => run_transactions(&args, saved, &settings, &log),
    }
}

fn check_settings(args: &ClvArgs) -> Result<ValueSettings> {
    let usage = |m: String| -> anyhow::Error { ClmError::Usage(m).into() };
    if !(args.margin.is_finite() && args.margin > 0.0) {
        return Err(usage(format!(
            "--margin must be positive, got {}",
            args.margin
        )));
    }
    if !(args.discount_rate.is_finite() && args.discount_rate >= 0.0) {
        return Err(usage(format!(
            "--discount-rate is a yearly rate >= 0 such as 0.10, got {}",
            args.discount_rate
        )));
    }
    let tier_shares = parse_tier_shares(&args.tiers).map_err(|e| usage(format!("--tiers: {e}")))?;
    Ok(ValueSettings {
        margin: args.margin,
        annual_discount: args.discount_rate,
        tier_shares,
    })
}

/// The horizon in `unit`: `--horizon`, at most 100 years, or 52 weeks / 365 days.
fn horizon_in(args: &ClvArgs, unit: TimeUnit) -> Result<f64> {
    let Some(span) = args.horizon else {
        return Ok(match unit {
            TimeUnit::Week => 52.0,
            TimeUnit::Day => 365.0,
        });
    };
    let horizon = span.in_units_of(unit.days());
    let limit = (MAX_HORIZON_DAYS / unit.days()).floor();
    if horizon > limit {
        return Err(ClmError::Usage(format!(
            "--horizon {horizon} is too long: at most {limit} {}s (100 years)",
            unit.name()
        ))
        .into());
    }
    Ok(horizon)
}

/// The BG/BB horizon in periods: `--horizon`, at most [`MAX_BGBB_HORIZON`], or 5.
fn bgbb_horizon(args: &ClvArgs) -> Result<f64> {
    let horizon = match args.horizon {
        None => 5.0,
        Some(Span {
            amount,
            unit_days: None,
        }) => amount,
        Some(_) => {
            return Err(ClmError::Usage(
                "BG/BB's --horizon counts transaction opportunities: give a plain number".into(),
            )
            .into());
        }
    };
    if horizon > MAX_BGBB_HORIZON {
        return Err(ClmError::Usage(format!(
            "--horizon {horizon} is too long for BG/BB: at most {MAX_BGBB_HORIZON} periods"
        ))
        .into());
    }
    Ok(horizon)
}

/// The longest BG/BB horizon, in periods (transaction opportunities).
const MAX_BGBB_HORIZON: f64 = 1000.0;

fn run_transactions(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    settings: &ValueSettings,
    log: &Log,
) -> Result<()> {
    let mut clock = Stopwatch::start("clv");
    let unit = resolve_unit(args.time_unit, saved.as_ref())?;
    let purchase_choice = continuous_model(args.model, "transactions")?;
    let horizon = horizon_in(args, unit)?;
    let tx = load_transactions(&args.input)?;
    clock.lap("load");
    log_load(log, &tx);
    let last_day = tx
        .last_day()
        .ok_or_else(|| ClmError::BadData(format!("{}: no transactions", tx.source)))?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let holdout_end = args
        .holdout_end
        .as_deref()
        .map(|text| parse_holdout_end(text, as_of))
        .transpose()?;
    let stats = btyd_statistics(&tx, as_of)?;
    clock.lap("statistics");
    if stats.rows_after_as_of > 0 {
        let what = if holdout_end.is_some() {
            "not used for fitting (the holdout is up to --holdout-end)"
        } else {
            "ignored"
        };
        log.note(format!(
            "{} dated after the as-of date {} {what}",
            counted(stats.rows_after_as_of, "row"),
            format_day(as_of)
        ));
    }
    if stats.returns_only_customers > 0 {
        log.note(format!(
            "{} with only returns up to the as-of date left out",
            counted(stats.returns_only_customers, "customer")
        ));
    }
    if stats.is_empty() {
        return Err(ClmError::BadData(format!(
            "{}: no purchases on or before {}",
            tx.source,
            format_day(as_of)
        ))
        .into());
    }
    let (histories, history_of) = stats.histories(unit);
    clock.lap("histories");
    let (model, spend) = match &saved {
        Some(saved) => (saved_purchase_model(saved)?, saved_spend_model(saved)?),
        None => {
            // The two models are independent: fitted side by side.
            let (model, spend) = rayon::join(
                || value::fit_purchase_model(purchase_choice, &histories, log),
                || value::fit_spend(&stats.repeat_purchases, &stats.mean_repeat_spend),
            );
            let model = model.map_err(|e| fit_failure(e, args.model))?;
            let spend = match spend {
                Ok(fit) => Some((fit.params, fit.report)),
                Err(e) if holdout_end.is_some() => {
                    log.note(format!("{e}; the holdout needs only the purchase model"));
                    None
                }
                Err(e) => return Err(fit_failure(e, args.model)),
            };
            clock.lap("fit");
            (model, spend)
        }
    };
    if let Some(path) = &args.model_out {
        write_model(path, &model, spend.as_ref().map(|s| &s.1), unit, as_of)?;
    }
    let context = Context {
        unit,
        as_of,
        customers: stats.len(),
    };
    let mut heading = model_heading(&context, &model, spend.as_ref(), &stats);
    let inputs = [args.input.input.as_path()];
    if let Some(end) = holdout_end {
        let actual = holdout_purchases(&tx, &stats.customer_id, as_of, end)?;
        let triples = stats.triples(unit);
        let (lines, table) = holdout_report(&model.btyd, &triples, &actual, unit, as_of, end);
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
        &context,
        stats,
        (&histories, &history_of),
        &model,
        &spend_params,
        horizon,
        settings,
        heading,
        log,
        &mut clock,
    );
    emit(&report, &args.output, &inputs)?;
    clock.lap("write");
    Ok(())
}

/// Facts printed beside every figure.
struct Context {
    unit: TimeUnit,
    as_of: i32,
    customers: usize,
}

fn resolve_unit(requested: Option<TimeUnit>, saved: Option<&SavedModel>) -> Result<TimeUnit> {
    let Some(saved) = saved else {
        return Ok(requested.unwrap_or(TimeUnit::Week));
    };
    let saved_unit = TimeUnit::from_name(&saved.time_unit).ok_or_else(|| {
        ClmError::BadData(format!(
            "the saved model's time unit '{}' is not day or week",
            saved.time_unit
        ))
    })?;
    if let Some(requested) = requested
        && requested != saved_unit
    {
        return Err(ClmError::Usage(format!(
            "--time-unit {} differs from the saved model's unit ({}); its rates are per {}",
            requested.name(),
            saved_unit.name(),
            saved_unit.name()
        ))
        .into());
    }
    Ok(saved_unit)
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

fn read_model(path: &Path) -> Result<SavedModel> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read model file '{name}': {e}")))?;
    let bad = |e: String| ClmError::BadData(format!("model file '{name}': {e}"));
    let saved = SavedModel::from_json(&text).map_err(bad)?;
    // Check the parameters now, so that an error names the file they come from.
    if saved.model == "bgbb" {
        saved.bgbb().map_err(bad)?;
    } else {
        saved.btyd().map_err(bad)?;
    }
    saved.gamma_gamma().map_err(bad)?;
    Ok(saved)
}

fn saved_purchase_model(saved: &SavedModel) -> Result<PurchaseModel> {
    let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
    let btyd = saved.btyd().map_err(bad)?;
    let names = param_names(btyd.name()).unwrap_or(&[]);
    let report = saved.fit.to_report(names).map_err(bad)?;
    Ok(PurchaseModel {
        btyd,
        report,
        selection: None,
    })
}

fn saved_spend_model(saved: &SavedModel) -> Result<Option<(GammaGammaParams, FitReport)>> {
    let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
    let Some(params) = saved.gamma_gamma().map_err(bad)? else {
        return Ok(None);
    };
    let report = saved
        .gamma_gamma
        .as_ref()
        .map(|fit| fit.to_report(&gamma_gamma::PARAM_NAMES))
        .transpose()
        .map_err(bad)?;
    Ok(report.map(|report| (params, report)))
}

fn write_model(
    path: &Path,
    model: &PurchaseModel,
    spend: Option<&FitReport>,
    unit: TimeUnit,
    as_of: i32,
) -> Result<()> {
    let saved = SavedModel {
        format: FORMAT.to_string(),
        version: VERSION,
        model: model.btyd.name().to_string(),
        time_unit: unit.name().to_string(),
        as_of: format_day(as_of),
        fit: SavedFit::from_report(&model.report),
        gamma_gamma: spend.map(SavedFit::from_report),
    };
    write_text_atomically(path, &saved.to_json())
}

fn write_text_atomically(path: &Path, text: &str) -> Result<()> {
    crate::output::write_atomically(path, |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    })
}

/// A parameters table: name, estimate, standard error, and the unit a rate is per.
fn params_table(report: &FitReport, unit_of: impl Fn(&str) -> &'static str) -> Table {
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

fn fit_line(report: &FitReport) -> String {
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
fn rate_unit(unit: TimeUnit) -> impl Fn(&str) -> &'static str {
    move |name| match name {
        "alpha" | "beta" => match unit {
            TimeUnit::Week => "weeks",
            TimeUnit::Day => "days",
        },
        _ => "",
    }
}

fn model_heading(
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

#[allow(clippy::too_many_arguments)]
fn value_report(
    context: &Context,
    stats: BtydStatistics,
    (histories, history_of): (&[Triple], &[u32]),
    model: &PurchaseModel,
    spend: &GammaGammaParams,
    horizon: f64,
    settings: &ValueSettings,
    mut heading: Vec<String>,
    log: &Log,
    clock: &mut Stopwatch,
) -> Report {
    let unit = context.unit;
    let valuation = Valuation {
        unit,
        horizon,
        annual_discount: settings.annual_discount,
        margin: settings.margin,
    };
    let discount_rate = valuation.discount_rate();
    let values = value::customer_values(
        &model.btyd,
        spend,
        (histories, history_of),
        (&stats.repeat_purchases, &stats.mean_repeat_spend),
        &valuation,
        log,
    );
    let (predictions, expected_spend, clv) =
        (values.predictions, values.expected_spend, values.clv);
    clock.lap("predict, value");
    let tiers = value_tiers(&clv, &settings.tier_shares);
    clock.lap("value, tiers");

    let unit_name = unit.name();
    let in_unit = |days: &[i32]| days.par_iter().map(|&d| unit.from_days(d)).collect();
    heading.push(format!(
        "Horizon {}; discount {:.2} % a year = {:.4} % a {unit_name}; margin {}",
        counted(horizon, unit_name),
        100.0 * settings.annual_discount,
        100.0 * discount_rate,
        settings.margin
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
    let total_clv: f64 = clv.iter().filter(|v| v.is_finite()).sum();
    heading.push(format!(
        "Total CLV {total_clv:.2} over {}; value tiers:",
        counted(stats.len(), "customer")
    ));

    let rows = Table::default()
        .with("customer_id", Values::PackedText(stats.customer_id))
        .with(
            "x",
            Values::Int(
                stats
                    .repeat_purchases
                    .iter()
                    .map(|&x| i64::from(x))
                    .collect(),
            ),
        )
        .with("t_x", Values::Float(in_unit(&stats.t_x_days), 4))
        .with("T", Values::Float(in_unit(&stats.t_cal_days), 4))
        .with(
            "p_alive",
            Values::Float(predictions.iter().map(|p| p.p_alive).collect(), 4),
        )
        .with(
            "expected_purchases",
            Values::Float(
                predictions.iter().map(|p| p.expected_purchases).collect(),
                4,
            ),
        )
        .with("expected_spend", Values::Float(expected_spend, 2))
        .with("clv", Values::Float(clv.clone(), 2))
        .with(
            "tier",
            Values::Labels {
                labels: TIER_NAMES.iter().map(|t| t.to_string()).collect(),
                codes: tiers.iter().map(|&t| t as u32).collect(),
            },
        );
    let summary = value::tier_summary(&clv, &tiers, &predictions, total_clv);
    clock.lap("table");
    Report {
        heading,
        summary,
        rows,
    }
}

/// Pearson correlation; NaN when either series is constant.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    if a.is_empty() {
        return f64::NAN;
    }
    let (mean_a, mean_b) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - mean_a) * (y - mean_b);
        var_a += (x - mean_a).powi(2);
        var_b += (y - mean_b).powi(2);
    }
    if var_a == 0.0 || var_b == 0.0 {
        return f64::NAN;
    }
    cov / (var_a * var_b).sqrt()
}

/// Calibration frequency groups of the holdout table: 0..=6 and 7+.
const HOLDOUT_GROUPS: usize = 8;

fn holdout_report(
    btyd: &Btyd,
    triples: &[Triple],
    actual: &[u32],
    unit: TimeUnit,
    as_of: i32,
    end: i32,
) -> (Vec<String>, Table) {
    let horizon = unit.from_days(end - as_of);
    let predicted: Vec<f64> = triples
        .iter()
        .map(|t| btyd.expected_purchases(t, horizon))
        .collect();
    let actual: Vec<f64> = actual.iter().map(|&a| f64::from(a)).collect();
    let group_of = |t: &Triple| (t.x as usize).min(HOLDOUT_GROUPS - 1);
    let mut labels: Vec<String> = (0..HOLDOUT_GROUPS - 1).map(|g| g.to_string()).collect();
    labels.push(format!("{}+", HOLDOUT_GROUPS - 1));
    labels.push("all".to_string());
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); HOLDOUT_GROUPS + 1];
    for (i, t) in triples.iter().enumerate() {
        members[group_of(t)].push(i);
        members[HOLDOUT_GROUPS].push(i);
    }
    let pick = |values: &[f64], group: &[usize]| -> Vec<f64> {
        group.iter().map(|&i| values[i]).collect()
    };
    let mut rows = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (g, group) in members.iter().enumerate() {
        let a = pick(&actual, group);
        let p = pick(&predicted, group);
        let n = group.len() as f64;
        let mae = a.iter().zip(&p).map(|(x, y)| (x - y).abs()).sum::<f64>() / n;
        rows.0.push(labels[g].clone());
        rows.1.push(group.len() as i64);
        rows.2.push(a.iter().sum::<f64>());
        rows.3.push(p.iter().sum::<f64>());
        rows.4.push(p.iter().sum::<f64>() / n);
        rows.5.push(mae);
        rows.6.push(correlation(&a, &p));
    }
    let total_actual = *rows.2.last().unwrap_or(&0.0);
    let total_predicted = *rows.3.last().unwrap_or(&0.0);
    let lines = vec![
        format!(
            "Holdout ({}, {}]: {horizon:.2} {}s; repeat purchases (distinct purchase days) actual {total_actual}, predicted {total_predicted:.1} ({:+.1} %)",
            format_day(as_of),
            format_day(end),
            unit.name(),
            100.0 * (total_predicted - total_actual) / total_actual.max(1.0)
        ),
        format!(
            "Per customer: mean absolute error {:.4}, correlation {:.4}; by repeat purchases in calibration:",
            rows.5.last().unwrap_or(&f64::NAN),
            rows.6.last().unwrap_or(&f64::NAN)
        ),
    ];
    let table = Table::default()
        .with("calibration_x", Values::Text(rows.0))
        .with("customers", Values::Int(rows.1))
        .with("actual", Values::Float(rows.2, 0))
        .with("predicted", Values::Float(rows.3, 2))
        .with("mean_predicted", Values::Float(rows.4, 4))
        .with("mae", Values::Float(rows.5, 4))
        .with("correlation", Values::Float(rows.6, 4));
    (lines, table)
}

fn read_summary_text(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        use std::io::Read;
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| ClmError::InputMissing(format!("cannot read standard input: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| {
        ClmError::InputMissing(format!("cannot read input file '{}': {e}", path.display())).into()
    })
}

fn run_summaries(
    args: &ClvArgs,
    saved: Option<SavedModel>,
    _settings: &ValueSettings,
    log: &Log,
) -> Result<()> {
    let path = args.input.input.as_path();
    let name = path.display().to_string();
    let text = read_summary_text(path)?;
    let inputs = [path];
    match parse_summaries(&name, &text)? {
        Summaries::Discrete(summaries) => {
            if matches!(
                args.model,
                ModelChoice::ParetoNbd | ModelChoice::Mbgnbd | ModelChoice::Auto
            ) {
                return Err(ClmError::Usage(format!(
                    "{name} holds frequency,recency,periods summaries (discrete time), which only BG/BB fits: {MODELS_FOR_INPUTS}"
                ))
                .into());
            }
            let report = bgbb_report(args, saved.as_ref(), &summaries)?;
            emit(&report, &args.output, &inputs)
        }
        Summaries::Continuous(triples) => {
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
                let saved = SavedModel {
                    format: FORMAT.to_string(),
                    version: VERSION,
                    model: model.btyd.name().to_string(),
                    time_unit: unit.name().to_string(),
                    as_of: String::new(),
                    fit: SavedFit::from_report(&model.report),
                    gamma_gamma: None,
                };
                write_text_atomically(path, &saved.to_json())?;
            }
            let horizon = horizon_in(args, unit)?;
            let report = continuous_summary_report(&model, &triples, unit, horizon);
            emit(&report, &args.output, &inputs)
        }
    }
}

fn continuous_summary_report(
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

fn bgbb_report(
    args: &ClvArgs,
    saved: Option<&SavedModel>,
    summaries: &[DiscreteSummary],
) -> Result<Report> {
    let (params, report): (BgBbParams, FitReport) = match saved {
        Some(saved) => {
            let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
            (
                saved.bgbb().map_err(bad)?,
                saved.fit.to_report(&bgbb::PARAM_NAMES).map_err(bad)?,
            )
        }
        None => {
            let fit = bgbb::fit(summaries).map_err(|error| {
                fit_failure(
                    NotFitted {
                        model: model_label("bgbb"),
                        error,
                    },
                    ModelChoice::Bgbb,
                )
            })?;
            (fit.params, fit.report)
        }
    };
    if let Some(path) = &args.model_out {
        let saved = SavedModel {
            format: FORMAT.to_string(),
            version: VERSION,
            model: "bgbb".to_string(),
            time_unit: "period".to_string(),
            as_of: String::new(),
            fit: SavedFit::from_report(&report),
            gamma_gamma: None,
        };
        write_text_atomically(path, &saved.to_json())?;
    }
    let horizon = bgbb_horizon(args)?;
    let mut heading = vec![
        "Purchase model: BG/BB (discrete transaction opportunities; time unit: period)".to_string(),
        render_table(&params_table(&report, |_| "")),
        fit_line(&report),
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
    Ok(Report {
        heading,
        summary: rows.clone(),
        rows,
    })
}
