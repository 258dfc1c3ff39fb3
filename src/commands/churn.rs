//! `clm churn`: who is about to stop buying, how sure we are, why, and what they are worth.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::analysis::churn::{
    Backtest, Context, Metrics, Reasons, Scorer, Scores, Window, chance_warning, choose_scorer,
    customer_value, mean_of, risk_bands, usable_scorer,
};
use crate::analysis::value::Valuation;
use crate::commands::opening::read_histories;
use crate::data::customer_inputs::{CustomerInputs, read_customer_inputs};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;
use crate::features::churn::CutoffFeatures;
use crate::features::churn_reasons::MAX_REASONS;
use crate::models::logistic::LogisticModel;
use crate::output::{
    Log, PackedText, Report, Stopwatch, Table, Values, counted, emit, format_day, render_table,
};
use crate::output::{OutputArgs, OutputFormat};
use crate::segment::risk::{RISK_BANDS, band_of};

/// Score each customer's risk of making no purchase in the next --horizon days.
///
/// A customer churns by A + h when they make no purchase in (A, A + h], A being the as-of date.
/// Two scorers: the BG/NBD probability of no purchase in the horizon (btyd), and a regularised
/// logistic regression (supervised) trained on features at A − h (recency, frequency, spend,
/// tenure, gaps between orders, how overdue, spend trend, returns, --inputs columns) with the
/// churn observed in (A − h, A], then applied at A. The back-test trains the same way one
/// horizon earlier and scores the latest fully observed window: AUC, lift and capture in the
/// top decile, Brier score. --model auto (default) uses the scorer with the best back-test AUC.
///
/// Rows are sorted by value at risk (risk × CLV; CLV from BG/NBD with Gamma-Gamma spend) or by
/// risk, with up to three reasons per customer. Columns: rank, customer_id, churn_risk,
/// risk_band, clv, value_at_risk, recency_days, purchase_days, monetary, tenure_days,
/// overdue_ratio, btyd_risk, supervised_risk, reason_1, reason_2, reason_3 (docs/churn.md).
///
/// Examples:
///   clm churn fixtures/transactions.csv --horizon 90
///   clm churn orders.parquet --as-of today --horizon 90 --top 500 --min-clv 50 -o churn-$(date +%F).csv --quiet
///   clm churn orders.csv --horizon 60 --backtest
///   clm churn orders.csv --inputs support_tickets.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Churn horizon: churned = no purchase in the next N days; also 13w, 3m, 1y.
    #[arg(long, default_value = "90", value_name = "DAYS", allow_negative_numbers = true, value_parser = crate::commands::days_between(1, 3650))]
    pub horizon: u32,

    /// Scorer: btyd, supervised, their mean (ensemble), or auto: the best back-test AUC.
    #[arg(long, value_enum, default_value_t = ScorerChoice::Auto, help_heading = "Model")]
    pub model: ScorerChoice,

    /// Fail with exit code 3 (writing nothing) when the scorer used has no back-test or a
    /// back-test AUC below this: for cron jobs that must not act on a chance-level list.
    #[arg(long, value_name = "AUC", help_heading = "Model")]
    pub min_auc: Option<f64>,

    /// Write the back-test table (one row per scorer) instead of the customer list.
    #[arg(long, help_heading = "Model")]
    pub backtest: bool,

    /// Extra numeric inputs per customer for the supervised model: a CSV with a customer id
    /// column and numeric columns (taken as known at every cut-off).
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub inputs: Option<PathBuf>,

    /// Customer id column of --inputs (default: detected, else the first column).
    #[arg(long, value_name = "NAME", help_heading = "Model")]
    pub inputs_customer_col: Option<String>,

    /// Sort by value at risk (risk × CLV) or by risk.
    #[arg(long, value_enum, default_value_t = SortBy::Value, help_heading = "Selection")]
    pub sort: SortBy,

    /// Keep the first N customers after sorting.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::at_least::<usize>(0), value_name = "N", help_heading = "Selection")]
    pub top: Option<usize>,

    /// Keep customers whose CLV is at least this.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "VALUE",
        help_heading = "Selection"
    )]
    pub min_clv: Option<f64>,

    /// CLV horizon in days; also 52w, 12m, 1y.
    #[arg(long, default_value = "365", value_name = "DAYS", allow_negative_numbers = true, value_parser = crate::commands::days_between(1, 36500), help_heading = "Value")]
    pub clv_horizon: u32,

    /// Discount rate per year for CLV (0.10 = 10 %).
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
}

/// Which score ranks the customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScorerChoice {
    /// The best back-test AUC among btyd, supervised and ensemble (btyd without a back-test).
    Auto,
    /// BG/NBD probability of no purchase in the horizon.
    Btyd,
    /// Logistic regression on the customer's features.
    Supervised,
    /// The mean of the two probabilities.
    Ensemble,
}

impl ScorerChoice {
    /// The scorer asked for; `None` for auto.
    fn requested(self) -> Option<Scorer> {
        match self {
            ScorerChoice::Auto => None,
            ScorerChoice::Btyd => Some(Scorer::Btyd),
            ScorerChoice::Supervised => Some(Scorer::Supervised),
            ScorerChoice::Ensemble => Some(Scorer::Ensemble),
        }
    }
}

/// Row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// Expected value at risk (risk × CLV), highest first.
    Value,
    /// Churn risk, highest first.
    Risk,
}

/// Runs `clm churn`.
pub fn run(args: ChurnArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("churn");
    let reads = [Some(args.input.input.as_path()), args.inputs.as_deref()];
    crate::output::check_outputs(&args.output, &[], &reads)?;
    check_settings(&args)?;
    let (histories, source, last_day) = read_histories(&args.input, &log, &mut timer)?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let extra = match &args.inputs {
        Some(path) => {
            let inputs = read_customer_inputs(
                path,
                args.inputs_customer_col.as_deref(),
                &histories.customer_id,
            )?;
            log_inputs(&log, path, &inputs);
            Some(inputs)
        }
        None => None,
    };
    if as_of > last_day {
        log.note(format!(
            "the as-of date {} is after the last transaction ({}): the training labels in the last {} are incomplete",
            format_day(as_of),
            format_day(last_day),
            counted(args.horizon, "day")
        ));
    }
    let context = Context {
        histories: &histories,
        extra: extra.as_ref(),
        horizon: args.horizon as i32,
    };

    let spinner = log.spinner("back-testing");
    let evaluation = context.window(as_of.min(last_day - context.horizon), true);
    let backtest = context.backtest(&evaluation);
    drop(spinner);
    timer.lap("back-test");
    if args.backtest {
        let report = backtest_report(&backtest, &context);
        return emit(&report, &args.output, &[args.input.input.as_path()]);
    }

    let spinner = log.spinner("training and scoring");
    // With the default as-of date the back-test's window is also the training window.
    let trained = if evaluation.cutoff == as_of - context.horizon {
        context.train_on(&evaluation)
    } else {
        context.train_on(&context.window(as_of - context.horizon, true))
    };
    drop(evaluation);
    timer.lap("training");
    let scoring = context.window(as_of, false);
    if scoring.customers.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {}",
            format_day(as_of)
        ))
        .into());
    }
    let scores = context.score(&scoring, trained.as_ref().ok(), &log)?;
    timer.lap("scoring");
    let (scorer, why) = usable_scorer(
        choose_scorer(args.model.requested(), &backtest, &trained),
        &scores,
        &trained,
        &source,
        scoring.cutoff,
        &log,
    )?;
    let warning = chance_warning(scorer, &backtest);
    let auc = backtest.auc_of(scorer.name());
    if let Some(min) = args.min_auc
        && auc.is_none_or(|auc| auc < min)
    {
        let finding = warning.unwrap_or_else(|| {
            format!(
                "the {} scores have back-test AUC {}",
                scorer.name(),
                fixed(auc, 3)
            )
        });
        return Err(ClmError::Quality(format!(
            "{finding}; --min-auc {min} asks for better, so nothing was written"
        ))
        .into());
    }
    if let Some(warning) = warning {
        log.warn(warning);
    }
    let params = scores.btyd_params.as_ref().ok().copied();
    let valuation = Valuation {
        unit: TimeUnit::Week,
        horizon: f64::from(args.clv_horizon) / TimeUnit::Week.days(),
        annual_discount: args.discount_rate,
        margin: args.margin,
    };
    let value = customer_value(&scoring, &params, &valuation, &log);
    drop(spinner);
    timer.lap("clv");

    let risk: Vec<f64> = match scorer {
        Scorer::Btyd => scores.btyd.clone(),
        Scorer::Supervised => scores.supervised.clone(),
        Scorer::Ensemble => mean_of(&scores.btyd, &scores.supervised),
    };
    let mut heading = vec![format!(
        "Churn as of {}: {}; churned = no purchase by {} ({})",
        format_day(as_of),
        counted(scoring.customers.len(), "customer"),
        format_day(as_of + context.horizon),
        counted(args.horizon, "day")
    )];
    heading.push(format!("Scorer: {} ({why})", scorer.name()));
    let backtest_line = backtest_summary(&backtest);
    let heading_shown =
        std::io::stdout().is_terminal() || args.output.format == Some(OutputFormat::Table);
    if !heading_shown {
        log.note(&backtest_line);
    }
    heading.push(backtest_line);
    if let Err(reason) = &trained {
        heading.push(format!("Supervised model not trained: {reason}"));
    }
    let reason_model = scores.model.as_ref().filter(|_| scorer != Scorer::Btyd);
    let rows = customer_rows(
        &context,
        &scoring,
        &scores,
        reason_model,
        &risk,
        &value,
        &args,
    );
    timer.lap("rows and reasons");
    heading.push(format!(
        "Top customers by {} (of {} listed):",
        match args.sort {
            SortBy::Value => "value at risk",
            SortBy::Risk => "churn risk",
        },
        rows.height()
    ));
    heading.push(render_table(&top_table(&rows, 10)));
    heading.push("Risk bands (all scored customers):".to_string());
    let report = Report {
        heading,
        summary: risk_bands(&risk, &value),
        rows,
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("write");
    Ok(())
}

fn check_settings(args: &ChurnArgs) -> Result<()> {
    let usage = |message: String| Err(ClmError::Usage(message).into());
    if !(args.margin.is_finite() && args.margin > 0.0) {
        return usage(format!(
            "--margin {} must be a positive number",
            args.margin
        ));
    }
    if !(args.discount_rate.is_finite() && args.discount_rate >= 0.0) {
        return usage(format!(
            "--discount-rate {} must be 0 or more (0.10 = 10 % a year)",
            args.discount_rate
        ));
    }
    if args.min_clv.is_some_and(|v| !v.is_finite()) {
        return usage("--min-clv must be a number".to_string());
    }
    if let Some(min) = args.min_auc
        && !(0.0..=1.0).contains(&min)
    {
        return usage(format!(
            "--min-auc {min} must be between 0 and 1 (0.5 is chance)"
        ));
    }
    Ok(())
}

fn log_inputs(log: &Log, path: &std::path::Path, inputs: &CustomerInputs) {
    let name = path.display();
    log.detail(format!("{name}: extra inputs {}", inputs.names.join(", ")));
    if inputs.unmatched_rows > 0 {
        log.note(format!(
            "{name}: {} whose customer id matches no customer left out",
            counted(inputs.unmatched_rows, "row")
        ));
    }
    if inputs.customers_missing > 0 || inputs.empty_cells > 0 {
        log.note(format!(
            "{name}: {} absent and {} filled with the column mean",
            counted(inputs.customers_missing, "customer"),
            counted(inputs.empty_cells, "empty cell")
        ));
    }
}

fn backtest_summary(backtest: &Backtest) -> String {
    if backtest.metrics.is_empty() {
        let why = match backtest.missing.is_empty() {
            true => "not available".to_string(),
            false => backtest.missing.join("; "),
        };
        return format!("Back-test: {why}");
    }
    let figures: Vec<String> = backtest
        .metrics
        .iter()
        .map(|m| {
            let mut text = format!("{} AUC {}", m.scorer, fixed(m.auc, 3));
            if m.scorer != "recency only" {
                text.push_str(&format!(
                    ", lift {}, capture {} %, Brier {}",
                    fixed(m.lift, 2),
                    fixed(m.capture.map(|c| 100.0 * c), 1),
                    fixed(m.brier, 3)
                ));
            }
            text
        })
        .collect();
    let mut line = format!(
        "Back-test at {} ({}, {:.1} % churned): {}",
        format_day(backtest.cutoff),
        counted(backtest.customers, "customer"),
        100.0 * backtest.base_rate,
        figures.join("; ")
    );
    for missing in &backtest.missing {
        line.push_str(&format!("; {missing}"));
    }
    line
}

fn fixed(value: Option<f64>, decimals: usize) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.decimals$}"))
}

fn backtest_report(backtest: &Backtest, context: &Context) -> Report {
    let m = &backtest.metrics;
    let column =
        |get: fn(&Metrics) -> Option<f64>| m.iter().map(|x| get(x).unwrap_or(f64::NAN)).collect();
    let constant = |v: f64| vec![v; m.len()];
    let table = Table::default()
        .with(
            "scorer",
            Values::Text(m.iter().map(|x| x.scorer.to_string()).collect()),
        )
        .with("auc", Values::Float(column(|x| x.auc), 4))
        .with("top_decile_lift", Values::Float(column(|x| x.lift), 3))
        .with(
            "top_decile_capture_pct",
            Values::Float(column(|x| x.capture.map(|c| 100.0 * c)), 2),
        )
        .with("brier", Values::Float(column(|x| x.brier), 4))
        .with(
            "base_churn_pct",
            Values::Float(constant(100.0 * backtest.base_rate), 2),
        )
        .with(
            "customers",
            Values::Int(vec![backtest.customers as i64; m.len()]),
        )
        .with("cutoff", Values::Date(vec![backtest.cutoff; m.len()]))
        .with(
            "window_end",
            Values::Date(vec![backtest.cutoff + context.horizon; m.len()]),
        );
    let mut heading = vec![format!(
        "Back-test: scores at {} against churn in the next {} (to {}); supervised model trained at {}",
        format_day(backtest.cutoff),
        counted(context.horizon, "day"),
        format_day(backtest.cutoff + context.horizon),
        format_day(backtest.cutoff - context.horizon)
    )];
    heading.extend(backtest.missing.iter().cloned());
    Report {
        heading,
        summary: table.clone(),
        rows: table,
    }
}

/// The per-customer rows, sorted and selected as asked.
fn customer_rows(
    context: &Context,
    window: &Window,
    scores: &Scores,
    reason_model: Option<&LogisticModel>,
    risk: &[f64],
    value: &[f64],
    args: &ChurnArgs,
) -> Table {
    let mut timer = Stopwatch::start("churn rows");
    let ids = &context.histories.customer_id;
    let at_risk: Vec<f64> = risk.iter().zip(value).map(|(r, v)| r * v).collect();
    let key = match args.sort {
        SortBy::Value => &at_risk,
        SortBy::Risk => risk,
    };
    // (key, customer, position), ties by customer: customers are numbered in id order, so
    // equal keys list by id without reading the ids.
    let mut sorted: Vec<(f64, usize, usize)> = (0..window.customers.len())
        .filter(|&i| args.min_clv.is_none_or(|min| value[i] >= min))
        .map(|i| (key[i], window.customers[i], i))
        .collect();
    sorted.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    if let Some(top) = args.top {
        sorted.truncate(top);
    }
    let order: Vec<usize> = sorted.iter().map(|s| s.2).collect();
    timer.lap("sort");
    let reasons = Reasons::new(context, window, reason_model);
    let reasons_of = |i: usize| reasons.of(i);
    // Reasons in parallel blocks of rows, each block packed into its own columns, then joined.
    let blocks: Vec<[PackedText; MAX_REASONS]> = order
        .par_chunks(16_384)
        .map(|block| {
            let mut columns: [PackedText; MAX_REASONS] = Default::default();
            for &i in block {
                let reasons = reasons_of(i);
                for (k, column) in columns.iter_mut().enumerate() {
                    column.push(reasons.get(k).map_or("", String::as_str));
                }
            }
            columns
        })
        .collect();
    let mut reason_columns: [PackedText; MAX_REASONS] = Default::default();
    for block in &blocks {
        for (column, part) in reason_columns.iter_mut().zip(block) {
            column.append(part);
        }
    }
    drop(blocks);
    timer.lap("reasons");
    let pick = |values: &[f64]| order.par_iter().map(|&i| values[i]).collect::<Vec<f64>>();
    let feature = |get: fn(&CutoffFeatures) -> f64| {
        order
            .par_iter()
            .map(|&i| get(&window.features[i]))
            .collect::<Vec<f64>>()
    };
    let mut table = Table::default()
        .with("rank", Values::Int((1..=order.len() as i64).collect()))
        .with(
            "customer_id",
            Values::PackedText(sorted.iter().map(|s| ids.get(s.1)).collect()),
        )
        .with("churn_risk", Values::Float(pick(risk), 4))
        .with(
            "risk_band",
            Values::Labels {
                labels: RISK_BANDS.iter().map(|b| b.name.to_string()).collect(),
                codes: order.iter().map(|&i| band_of(risk[i]) as u32).collect(),
            },
        )
        .with("clv", Values::Float(pick(value), 2))
        .with("value_at_risk", Values::Float(pick(&at_risk), 2))
        .with(
            "recency_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].recency_days))
                    .collect(),
            ),
        )
        .with(
            "purchase_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].frequency))
                    .collect(),
            ),
        )
        .with("monetary", Values::Float(feature(|f| f.monetary), 2))
        .with(
            "tenure_days",
            Values::Int(
                order
                    .par_iter()
                    .map(|&i| i64::from(window.features[i].tenure_days))
                    .collect(),
            ),
        )
        .with(
            "overdue_ratio",
            Values::Float(feature(|f| f.overdue_ratio().unwrap_or(f64::NAN)), 2),
        )
        .with("btyd_risk", Values::Float(pick(&scores.btyd), 4))
        .with(
            "supervised_risk",
            Values::Float(pick(&scores.supervised), 4),
        );
    for (k, column) in reason_columns.into_iter().enumerate() {
        table = table.with(&format!("reason_{}", k + 1), Values::PackedText(column));
    }
    timer.lap("columns");
    table
}

/// The first `n` rows with the columns a person reads first.
fn top_table(rows: &Table, n: usize) -> Table {
    let keep = [
        "rank",
        "customer_id",
        "churn_risk",
        "clv",
        "value_at_risk",
        "reason_1",
    ];
    let mut top = Table::default();
    for (name, values) in rows.names.iter().zip(&rows.columns) {
        if keep.contains(&name.as_str()) {
            top = top.with(name, values.head(n));
        }
    }
    top
}
