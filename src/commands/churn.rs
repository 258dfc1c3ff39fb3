//! `clm churn`: who is about to stop buying, how sure we are, why, and what they are worth.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::analysis::churn::{
    Context, Scorer, chance_warning, choose_scorer, cutoffs_read, evaluation_cutoff, mean_of,
    usable_scorer,
};
use crate::analysis::churn_report::{
    Selection, SortBy, backtest_report, backtest_summary, customer_rows, customer_value, fixed,
    top_table,
};
use crate::analysis::options::ValueArgs;
use crate::commands::opening::{
    as_of_flag, read_histories, read_summaries, require_cutoffs, stream_summaries,
};
use crate::data::customer_inputs::{CustomerInputs, read_customer_inputs};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::data::summary::InputKind;
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;
use crate::features::churn::{CustomerWindows, Histories};
use crate::features::summary::Summaries;
use crate::output::{Log, PackedText, Report, Stopwatch, counted, emit, format_day, render_table};
use crate::output::{OutputArgs, OutputFormat};
use crate::segment::risk_bands::risk_band_summary;

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
///   clm summary orders.csv --horizon 90d -o s.csv && clm churn s.csv --input-kind summary
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
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

    /// CLV horizon in days, or with its own unit: 90d, 13w, 12m, 1y.
    #[arg(long, default_value = "365", value_name = "DAYS", allow_negative_numbers = true, value_parser = crate::commands::days_between(1, 36500), help_heading = "Value")]
    pub clv_horizon: u32,

    #[command(flatten)]
    pub value: ValueArgs,

    /// What the input holds: transactions, or their per-customer summary at the as-of date,
    /// as-of − horizon and as-of − 2 × horizon (clm summary --horizon, docs/summary.md).
    #[arg(long, value_enum, default_value_t = InputKind::Transactions)]
    pub input_kind: InputKind,
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

/// Runs `clm churn`.
pub fn run(args: ChurnArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("churn");
    let reads = [Some(args.input.input.as_path()), args.inputs.as_deref()];
    crate::output::check_outputs(&args.output, &[], &reads)?;
    check_settings(&args)?;
    let (histories, source, last_day) = read_customer_windows(&args, &log, &mut timer)?;
    let histories = &histories;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    if let Some(summaries) = histories.summaries() {
        let needed = cutoffs_read(as_of, last_day, args.horizon as i32);
        let make = format!("{} --horizon {}d", as_of_flag(as_of), args.horizon);
        require_cutoffs(summaries, &source, &needed, &make)?;
    }
    let extra = match &args.inputs {
        Some(path) => {
            let inputs = read_customer_inputs(
                path,
                args.inputs_customer_col.as_deref(),
                histories.customer_ids(),
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
        histories: histories.windows(),
        extra: extra.as_ref(),
        horizon: args.horizon as i32,
    };

    let evaluation = context.window(evaluation_cutoff(as_of, last_day, context.horizon), true);
    if args.backtest {
        let spinner = log.spinner("back-testing");
        let backtest = context.backtest(&evaluation);
        drop(spinner);
        timer.lap("back-test");
        let report = backtest_report(&backtest, &context);
        return emit(&report, &args.output, &[args.input.input.as_path()]);
    }

    let spinner = log.spinner("back-testing, training and scoring");
    let (backtest, trained, scoring) = context.backtest_and_training(&evaluation, as_of);
    drop(evaluation);
    timer.lap("back-test and training");
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
    let weeks = f64::from(args.clv_horizon) / TimeUnit::Week.days();
    let valuation = args.value.valuation(TimeUnit::Week, weeks);
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
    let reason_model = scores.reason_model(scorer);
    let rows = customer_rows(
        &context,
        &scoring,
        &scores,
        reason_model,
        &risk,
        &value,
        &Selection {
            sort: args.sort,
            min_clv: args.min_clv,
            top: args.top,
        },
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
        summary: risk_band_summary(&risk, &value),
        rows,
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("write");
    Ok(())
}

/// The customers' day histories from the transactions, or their summary with
/// `--input-kind summary`; with the name of the source and the last day (of the transactions,
/// or the summary's latest cut-off).
fn read_customer_windows(
    args: &ChurnArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Windows, String, i32)> {
    Ok(match args.input_kind {
        InputKind::Transactions => {
            let cutoffs = |last_day| {
                let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
                Ok((as_of, cutoffs_read(as_of, last_day, args.horizon as i32)))
            };
            if let Some(s) = stream_summaries(&args.input, &args.memory, cutoffs, log, timer)? {
                return Ok((Windows::Summaries(s.summaries), s.source, s.last_day));
            }
            let (histories, source, last_day) = read_histories(&args.input, log, timer)?;
            (Windows::Histories(histories), source, last_day)
        }
        InputKind::Summary => {
            let (summaries, source, latest) = read_summaries(&args.input, log, timer)?;
            (Windows::Summaries(summaries), source, latest)
        }
    })
}

/// Where churn reads its windows from.
enum Windows {
    Histories(Histories),
    Summaries(Summaries),
}

impl Windows {
    fn windows(&self) -> &dyn CustomerWindows {
        match self {
            Windows::Histories(h) => h,
            Windows::Summaries(s) => s,
        }
    }

    fn customer_ids(&self) -> &PackedText {
        self.windows().customer_ids()
    }

    fn summaries(&self) -> Option<&Summaries> {
        match self {
            Windows::Summaries(s) => Some(s),
            Windows::Histories(_) => None,
        }
    }
}

fn check_settings(args: &ChurnArgs) -> Result<()> {
    let usage = |message: String| Err(ClmError::Usage(message).into());
    args.value.check()?;
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
