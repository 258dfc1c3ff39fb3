//! `clm churn`: who is about to stop buying, how sure we are, why, and what they are worth.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::analysis::value::{self, PurchaseModel, PurchaseModelChoice, Valuation};
use crate::cli::{AsOfArgs, InputArgs, OutputArgs, OutputFormat};
use crate::commands::rfm::log_load;
use crate::data::customer_inputs::{CustomerInputs, read_customer_inputs};
use crate::data::dates::resolve_as_of;
use crate::data::load_transactions;
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;
use crate::features::churn::{
    CutoffFeatures, Histories, INPUT_NAMES, churned, features_at, histories, model_inputs,
};
use crate::models::bgnbd::BgNbdParams;
use crate::models::evaluation::{auc, brier, top_decile};
use crate::models::logistic::{self, LogisticModel, Rows};
use crate::models::no_purchase::bgnbd_no_purchase;
use crate::models::predict::Btyd;
use crate::models::{Triple, compress_triples, compress_triples_indexed};
use crate::output::{
    Log, PackedText, Report, Stopwatch, Table, Values, emit, format_day, render_table,
};
use crate::segment::churn_reasons::{ExtraInput, MAX_REASONS, model_reasons, rule_reasons};

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
/// risk_band, clv, value_at_risk, recency_days, frequency, monetary, tenure_days,
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

    /// Churn horizon in days: churned = no purchase in the next N days.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub horizon: u32,

    /// Scorer: btyd, supervised, their mean (ensemble), or auto: the best back-test AUC.
    #[arg(long, value_enum, default_value_t = ScorerChoice::Auto, help_heading = "Model")]
    pub model: ScorerChoice,

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
    #[arg(long, value_name = "N", help_heading = "Selection")]
    pub top: Option<usize>,

    /// Keep customers whose CLV is at least this.
    #[arg(long, value_name = "VALUE", help_heading = "Selection")]
    pub min_clv: Option<f64>,

    /// CLV horizon in days.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36500), help_heading = "Value")]
    pub clv_horizon: u32,

    /// Discount rate per year for CLV (0.10 = 10 %).
    #[arg(
        long,
        default_value_t = 0.10,
        value_name = "RATE",
        help_heading = "Value"
    )]
    pub discount_rate: f64,

    /// Margin applied to expected spend (1 = CLV as revenue).
    #[arg(long, default_value_t = 1.0, help_heading = "Value")]
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

/// Row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    /// Expected value at risk (risk × CLV), highest first.
    Value,
    /// Churn risk, highest first.
    Risk,
}

/// A scorer that produced probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scorer {
    Btyd,
    Supervised,
    Ensemble,
}

impl Scorer {
    fn name(self) -> &'static str {
        match self {
            Scorer::Btyd => "btyd",
            Scorer::Supervised => "supervised",
            Scorer::Ensemble => "ensemble",
        }
    }
}

/// The supervised model needs at least this many churners and as many repeat buyers in its
/// training window; with fewer it is not trained and the BTYD score is used.
pub const MIN_PER_CLASS: usize = 30;

/// L2 penalty of the logistic regression (on standardised inputs).
const PENALTY: f64 = 1.0;

/// The supervised model learns from at most this many labelled customers, evenly spaced in id
/// order when there are more: a dozen coefficients are pinned down long before that, and
/// training time stays flat for millions of customers.
pub const MAX_TRAINING_CUSTOMERS: usize = 500_000;

/// Risk bands of the summary: lower bounds, highest first.
const RISK_BANDS: [(&str, f64); 5] = [
    ("very high", 0.8),
    ("high", 0.6),
    ("medium", 0.4),
    ("low", 0.2),
    ("very low", f64::NEG_INFINITY),
];

/// Runs `clm churn`.
pub fn run(args: ChurnArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("churn");
    check_settings(&args)?;
    let spinner = log.spinner("reading transactions");
    let tx = load_transactions(&args.input)?;
    drop(spinner);
    timer.lap("load");
    log_load(&log, &tx);
    let last_day = tx
        .last_day()
        .ok_or_else(|| ClmError::BadData(format!("{}: no transactions", tx.source)))?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let spinner = log.spinner("building customer histories");
    let histories = histories(&tx)?;
    let source = tx.source.clone();
    drop(tx);
    drop(spinner);
    timer.lap("histories");
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
            "the as-of date {} is after the last transaction ({}): the training labels in the last {} days are incomplete",
            format_day(as_of),
            format_day(last_day),
            args.horizon
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
    let (scorer, why) = choose_scorer(args.model, &backtest, &trained);
    let scores = context.score(&scoring, trained.as_ref().ok(), &log)?;
    timer.lap("scoring");
    let value = customer_value(&scoring, &scores.btyd_params, &args, &log);
    drop(spinner);
    timer.lap("clv");

    let risk: Vec<f64> = match scorer {
        Scorer::Btyd => scores.btyd.clone(),
        Scorer::Supervised => scores.supervised.clone(),
        Scorer::Ensemble => mean_of(&scores.btyd, &scores.supervised),
    };
    let mut heading = vec![format!(
        "Churn as of {}: {} customers; churned = no purchase by {} ({} days)",
        format_day(as_of),
        scoring.customers.len(),
        format_day(as_of + context.horizon),
        args.horizon
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
    let rows = customer_rows(&context, &scoring, &scores, &risk, &value, &args);
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
    Ok(())
}

fn log_inputs(log: &Log, path: &std::path::Path, inputs: &CustomerInputs) {
    let name = path.display();
    log.detail(format!("{name}: extra inputs {}", inputs.names.join(", ")));
    if inputs.unmatched_rows > 0 {
        log.note(format!(
            "{name}: {} rows whose customer id matches no customer left out",
            inputs.unmatched_rows
        ));
    }
    if inputs.customers_missing > 0 || inputs.empty_cells > 0 {
        log.note(format!(
            "{name}: {} customers absent and {} empty cells filled with the column mean",
            inputs.customers_missing, inputs.empty_cells
        ));
    }
}

/// The customers who had bought by a cut-off, their features, and (when labelled) whether they
/// churned in the horizon after it.
struct Window {
    cutoff: i32,
    customers: Vec<usize>,
    features: Vec<CutoffFeatures>,
    churned: Vec<bool>,
}

impl Window {
    fn churners(&self) -> usize {
        self.churned.iter().filter(|&&c| c).count()
    }
}

/// What every step shares: the histories, the extra inputs, the horizon in days.
struct Context<'a> {
    histories: &'a Histories,
    extra: Option<&'a CustomerInputs>,
    horizon: i32,
}

/// A trained supervised model, or why there is none.
type Trained = std::result::Result<LogisticModel, String>;

/// Each scorer's probabilities for one window.
struct Scores {
    btyd_params: Option<BgNbdParams>,
    btyd: Vec<f64>,
    /// NaN when there is no supervised model.
    supervised: Vec<f64>,
    model: Option<LogisticModel>,
}

/// One scorer's back-test figures.
struct Metrics {
    scorer: &'static str,
    auc: Option<f64>,
    lift: Option<f64>,
    capture: Option<f64>,
    brier: Option<f64>,
}

/// The back-test: models as of `cutoff − h` (supervised) or `cutoff` (btyd), scored at
/// `cutoff`, against churn in `(cutoff, cutoff + h]`.
struct Backtest {
    cutoff: i32,
    customers: usize,
    base_rate: f64,
    metrics: Vec<Metrics>,
    /// Why there is no back-test, or no supervised row in it.
    missing: Option<String>,
}

impl Context<'_> {
    fn window(&self, cutoff: i32, labelled: bool) -> Window {
        let rows: Vec<(usize, CutoffFeatures, bool)> = (0..self.histories.len())
            .into_par_iter()
            .filter_map(|i| {
                let days = self.histories.days_of(i);
                let features = features_at(days, cutoff)?;
                Some((i, features, labelled && churned(days, cutoff, self.horizon)))
            })
            .collect();
        let mut window = Window {
            cutoff,
            customers: Vec::with_capacity(rows.len()),
            features: Vec::with_capacity(rows.len()),
            churned: Vec::with_capacity(if labelled { rows.len() } else { 0 }),
        };
        for (i, features, churned) in rows {
            window.customers.push(i);
            window.features.push(features);
            if labelled {
                window.churned.push(churned);
            }
        }
        window
    }

    fn input_count(&self) -> usize {
        INPUT_NAMES.len() + self.extra.map_or(0, |e| e.names.len())
    }

    /// Appends the supervised model's inputs for the window's customer at position `i`.
    fn push_inputs(&self, window: &Window, i: usize, out: &mut Vec<f64>) {
        out.extend(model_inputs(&window.features[i]));
        if let Some(extra) = self.extra {
            out.extend(extra.row(window.customers[i]));
        }
    }

    /// Trains the supervised model on a labelled window: features at its cut-off and churn in
    /// the horizon after it.
    fn train_on(&self, window: &Window) -> Trained {
        let cutoff = window.cutoff;
        let churners = window.churners();
        let stayers = window.customers.len() - churners;
        if churners < MIN_PER_CLASS || stayers < MIN_PER_CLASS {
            return Err(format!(
                "at the training cut-off {} there are {churners} churners and {stayers} repeat buyers; it needs {MIN_PER_CLASS} of each",
                format_day(cutoff)
            ));
        }
        let step = window.customers.len().div_ceil(MAX_TRAINING_CUSTOMERS);
        let sample: Vec<usize> = (0..window.customers.len()).step_by(step).collect();
        let mut values = Vec::with_capacity(sample.len() * self.input_count());
        for &i in &sample {
            self.push_inputs(window, i, &mut values);
        }
        let labels: Vec<bool> = sample.iter().map(|&i| window.churned[i]).collect();
        let rows = Rows {
            values: &values,
            columns: self.input_count(),
        };
        logistic::fit(rows, &labels, PENALTY)
            .ok_or_else(|| "the logistic regression did not converge".to_string())
    }

    /// BTYD and supervised probabilities of churn for a window's customers.
    fn score(&self, window: &Window, model: Option<&LogisticModel>, log: &Log) -> Result<Scores> {
        let mut timer = Stopwatch::start("churn score");
        let h_weeks = f64::from(self.horizon) / TimeUnit::Week.days();
        let btyd_params = fit_btyd(window, log);
        timer.lap("BG/NBD fit");
        let btyd = match &btyd_params {
            Some(params) => window
                .features
                .par_iter()
                .map(|f| bgnbd_no_purchase(params, &triple_in_weeks(f), h_weeks))
                .collect(),
            None => vec![f64::NAN; window.customers.len()],
        };
        let supervised = match model {
            Some(model) => (0..window.customers.len())
                .into_par_iter()
                .map_init(Vec::new, |row, i| {
                    row.clear();
                    self.push_inputs(window, i, row);
                    model.probability(row)
                })
                .collect(),
            None => vec![f64::NAN; window.customers.len()],
        };
        timer.lap("probabilities");
        Ok(Scores {
            btyd_params,
            btyd,
            supervised,
            model: model.cloned(),
        })
    }

    /// Back-test on a labelled window (the latest whose horizon the data covers).
    fn backtest(&self, evaluation: &Window) -> Backtest {
        let cutoff = evaluation.cutoff;
        let mut backtest = Backtest {
            cutoff,
            customers: 0,
            base_rate: f64::NAN,
            metrics: Vec::new(),
            missing: None,
        };
        let churners = evaluation.churners();
        backtest.customers = evaluation.customers.len();
        if churners == 0 || churners == evaluation.customers.len() {
            backtest.missing = Some(format!(
                "no back-test: at {} the data has {} customers, {churners} of them churned in the following {} days; both outcomes are needed",
                format_day(cutoff),
                evaluation.customers.len(),
                self.horizon
            ));
            return backtest;
        }
        backtest.base_rate = churners as f64 / evaluation.customers.len() as f64;
        let mut timer = Stopwatch::start("churn back-test");
        let training = self.window(cutoff - self.horizon, true);
        timer.lap("training window");
        let trained = self.train_on(&training);
        drop(training);
        timer.lap("training");
        let quiet = Log { quiet: true };
        let Ok(scores) = self.score(evaluation, trained.as_ref().ok(), &quiet) else {
            return backtest;
        };
        timer.lap("scoring");
        let labels = &evaluation.churned;
        let metrics = |scorer: &'static str, probabilities: &[f64], calibrated: bool| {
            let decile = top_decile(probabilities, labels);
            Metrics {
                scorer,
                auc: auc(probabilities, labels),
                lift: decile.map(|d| d.lift),
                capture: decile.map(|d| d.capture),
                brier: calibrated.then(|| brier(probabilities, labels)),
            }
        };
        if scores.btyd_params.is_some() {
            backtest.metrics.push(metrics("btyd", &scores.btyd, true));
        }
        match &trained {
            Ok(_) => {
                backtest
                    .metrics
                    .push(metrics("supervised", &scores.supervised, true));
                if scores.btyd_params.is_some() {
                    let ensemble = mean_of(&scores.btyd, &scores.supervised);
                    backtest.metrics.push(metrics("ensemble", &ensemble, true));
                }
            }
            Err(reason) => backtest.missing = Some(format!("no supervised back-test: {reason}")),
        }
        let recency: Vec<f64> = evaluation
            .features
            .iter()
            .map(|f| f64::from(f.recency_days))
            .collect();
        backtest
            .metrics
            .push(metrics("recency only", &recency, false));
        timer.lap("metrics");
        backtest
    }
}

fn triple_in_weeks(f: &CutoffFeatures) -> Triple {
    let t = f.triple_in_days();
    let week = TimeUnit::Week.days();
    Triple::new(t.x, t.t_x / week, t.t_cal / week)
}

/// BG/NBD fitted on the window's customers in weeks, through the fitting path `clm clv` uses
/// (customers with T = 0 left out); `None`, with a note, when that path refuses the fit: no
/// btyd scores and no CLV then.
fn fit_btyd(window: &Window, log: &Log) -> Option<BgNbdParams> {
    let triples: Vec<Triple> = window.features.iter().map(triple_in_weeks).collect();
    let quiet = Log { quiet: true };
    match value::fit_purchase_model(
        PurchaseModelChoice::BgNbd,
        &compress_triples(&triples),
        &quiet,
    ) {
        Ok(PurchaseModel {
            btyd: Btyd::BgNbd(params),
            ..
        }) => Some(params),
        Ok(_) => None,
        Err(error) => {
            log.note(format!(
                "as of {}, {error}: no btyd scores and no CLV",
                format_day(window.cutoff)
            ));
            None
        }
    }
}

fn mean_of(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| (x + y) / 2.0).collect()
}

/// The scorer to use and why.
fn choose_scorer(choice: ScorerChoice, backtest: &Backtest, trained: &Trained) -> (Scorer, String) {
    let requested = match choice {
        ScorerChoice::Auto => None,
        ScorerChoice::Btyd => Some(Scorer::Btyd),
        ScorerChoice::Supervised => Some(Scorer::Supervised),
        ScorerChoice::Ensemble => Some(Scorer::Ensemble),
    };
    if trained.is_err() {
        let why = match requested {
            Some(Scorer::Btyd) => "as asked",
            Some(_) => "asked for a supervised score, but there is too little labelled history",
            None => "too little labelled history for the supervised model",
        };
        return (Scorer::Btyd, why.to_string());
    }
    if let Some(scorer) = requested {
        return (scorer, "as asked".to_string());
    }
    let best = [Scorer::Btyd, Scorer::Supervised, Scorer::Ensemble]
        .into_iter()
        .filter_map(|s| {
            let m = backtest.metrics.iter().find(|m| m.scorer == s.name())?;
            Some((s, m.auc?))
        })
        .fold(None, |best: Option<(Scorer, f64)>, (s, auc)| match best {
            Some((_, top)) if top >= auc => best,
            _ => Some((s, auc)),
        });
    match best {
        Some((scorer, auc)) => (scorer, format!("best back-test AUC, {auc:.3}")),
        None => (Scorer::Btyd, "no back-test to choose by".to_string()),
    }
}

fn backtest_summary(backtest: &Backtest) -> String {
    if backtest.metrics.is_empty() {
        return format!(
            "Back-test: {}",
            backtest.missing.as_deref().unwrap_or("not available")
        );
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
    format!(
        "Back-test at {} ({} customers, {:.1} % churned): {}",
        format_day(backtest.cutoff),
        backtest.customers,
        100.0 * backtest.base_rate,
        figures.join("; ")
    )
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
        "Back-test: scores at {} against churn in the next {} days (to {}); supervised model trained at {}",
        format_day(backtest.cutoff),
        context.horizon,
        format_day(backtest.cutoff + context.horizon),
        format_day(backtest.cutoff - context.horizon)
    )];
    if let Some(missing) = &backtest.missing {
        heading.push(missing.clone());
    }
    Report {
        heading,
        summary: table.clone(),
        rows: table,
    }
}

/// Each scored customer's CLV: margin × Gamma-Gamma expected spend × discounted BG/NBD expected
/// purchases over the CLV horizon, valued as `clm clv` values them. NaN for everyone when
/// either model was refused (with a note): a refused fit is never used.
fn customer_value(
    window: &Window,
    params: &Option<BgNbdParams>,
    args: &ChurnArgs,
    log: &Log,
) -> Vec<f64> {
    let Some(params) = params else {
        log.note("no BG/NBD model: CLV and value at risk are left empty");
        return vec![f64::NAN; window.customers.len()];
    };
    let repeat_purchases: Vec<u32> = window.features.iter().map(|f| f.frequency - 1).collect();
    let mean_repeat_spend: Vec<f64> = window
        .features
        .iter()
        .map(|f| f.mean_repeat_spend)
        .collect();
    let spend = match value::fit_spend(&repeat_purchases, &mean_repeat_spend) {
        Ok(fit) => fit.params,
        Err(error) => {
            log.note(format!("{error}: CLV and value at risk are left empty"));
            return vec![f64::NAN; window.customers.len()];
        }
    };
    let valuation = Valuation {
        unit: TimeUnit::Week,
        horizon: f64::from(args.clv_horizon) / TimeUnit::Week.days(),
        annual_discount: args.discount_rate,
        margin: args.margin,
    };
    let triples: Vec<Triple> = window.features.iter().map(triple_in_weeks).collect();
    let (histories, history_of) = compress_triples_indexed(&triples);
    value::customer_values(
        &Btyd::BgNbd(*params),
        &spend,
        (&histories, &history_of),
        (&repeat_purchases, &mean_repeat_spend),
        &valuation,
        log,
    )
    .clv
}

fn band_of(risk: f64) -> usize {
    RISK_BANDS
        .iter()
        .position(|&(_, lower)| risk >= lower)
        .unwrap_or(RISK_BANDS.len() - 1)
}

/// The per-customer rows, sorted and selected as asked.
fn customer_rows(
    context: &Context,
    window: &Window,
    scores: &Scores,
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
    let typical_recency = match scores.model {
        Some(_) => f64::NAN, // only the rules need it
        None => median(window.features.iter().map(|f| f64::from(f.recency_days))),
    };
    let reasons_of = |i: usize| -> Vec<String> {
        let features = &window.features[i];
        let Some(model) = &scores.model else {
            return rule_reasons(features, typical_recency);
        };
        let mut row = Vec::with_capacity(context.input_count());
        context.push_inputs(window, i, &mut row);
        let contributions = model.contributions(&row);
        let standardised: Vec<f64> = (0..row.len())
            .map(|j| model.standardise(j, row[j]))
            .collect();
        let extra_inputs: Vec<ExtraInput> = match context.extra {
            Some(extra) => extra
                .names
                .iter()
                .zip(extra.row(window.customers[i]))
                .map(|(name, &value)| ExtraInput { name, value })
                .collect(),
            None => Vec::new(),
        };
        model_reasons(features, &contributions, &standardised, &extra_inputs)
    };
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
                labels: RISK_BANDS.iter().map(|b| b.0.to_string()).collect(),
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
            "frequency",
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

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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

/// Customers, expected churners, CLV and value at risk per risk band.
fn risk_bands(risk: &[f64], value: &[f64]) -> Table {
    let k = RISK_BANDS.len();
    let (mut customers, mut risk_sum, mut clv, mut at_risk) =
        (vec![0usize; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (&r, &v) in risk.iter().zip(value) {
        let band = band_of(r);
        customers[band] += 1;
        risk_sum[band] += r;
        if v.is_finite() {
            clv[band] += v;
            at_risk[band] += r * v;
        }
    }
    let total = risk.len().max(1) as f64;
    Table::default()
        .with(
            "risk_band",
            Values::Text(RISK_BANDS.iter().map(|b| b.0.to_string()).collect()),
        )
        .with(
            "customers",
            Values::Int(customers.iter().map(|&c| c as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(
                customers
                    .iter()
                    .map(|&c| 100.0 * c as f64 / total)
                    .collect(),
                1,
            ),
        )
        .with(
            "mean_risk",
            Values::Float(
                (0..k)
                    .map(|b| risk_sum[b] / customers[b].max(1) as f64)
                    .collect(),
                3,
            ),
        )
        .with("expected_churners", Values::Float(risk_sum, 0))
        .with("clv", Values::Float(clv, 0))
        .with("value_at_risk", Values::Float(at_risk, 0))
}
