//! `clm loyalty`: the loyalty matrix (attitude × behaviour, Dick & Basu 1994), NPS and the
//! loyalty ladder, from a transaction export and a survey export joined on customer id.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::analysis::loyalty::loyalty_matrix;
use crate::commands::opening::{log_survey, read_rfm_measures};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs, MemoryArgs};
use crate::data::summary::InputKind;
use crate::data::survey::{SurveyAggregation, SurveyOptions, load_survey, parse_attitude_specs};
use crate::error::ClmError;
use crate::features::log_as_of_notes;
use crate::features::loyalty::BehaviourWeights;
use crate::features::rfm::Monetary;
use crate::output::OutputArgs;
use crate::output::{Log, Stopwatch, emit};
use crate::segment::loyalty::Thresholds;

/// Place every customer in the loyalty matrix: attitude (survey) × behaviour (purchases).
///
/// The attitudinal index is the weighted mean of the survey answers, each rescaled to [0, 1]
/// by its declared scale. The behavioural index is the weighted mean of the percentile ranks
/// of repeat purchase rate, frequency and recency (reversed). High means at or above the
/// threshold: true loyalty (high, high), latent (high attitude, low behaviour), spurious (low
/// attitude, high behaviour), no loyalty (low, low); customers without an answer are
/// "Attitude unknown". Survey ids with no purchase are kept as Prospects (behaviour index 0).
/// The summary gives each cell's size, revenue, NPS and recommended action.
///
/// Per-customer columns: customer_id, frequency, recency_days, monetary, behaviour_index,
/// attitude_index, quadrant, ladder_stage, nps, [satisfaction_gap,] action.
///
/// Examples:
///   clm loyalty fixtures/transactions.csv --survey fixtures/survey.csv
///   clm loyalty orders.parquet --survey nps.csv --attitude nps:0-10,satisfaction:1-5 --split median -o loyalty.csv
///   clm loyalty orders.csv --survey survey-export.csv --survey-customer-col "Member No"
///   clm loyalty summary.csv --input-kind summary --survey survey.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct LoyaltyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Survey file (.csv, .tsv, .csv.gz or .parquet), required: one row per answer sheet with
    /// a customer id and attitude questions, e.g. the header customer_id,survey_date,nps,satisfaction.
    #[arg(long, value_name = "FILE", help_heading = "Survey")]
    pub survey: Option<PathBuf>,

    /// Survey column holding the customer id (default: detected like --customer-col).
    #[arg(long, value_name = "NAME", help_heading = "Survey")]
    pub survey_customer_col: Option<String>,

    /// Survey column holding the answer date, for repeated surveys (default: detected, e.g.
    /// survey_date, response_date, date).
    #[arg(long, value_name = "NAME", help_heading = "Survey")]
    pub survey_date_col: Option<String>,

    /// Format of the survey dates in strftime syntax (default: detected).
    #[arg(long, value_name = "FORMAT", help_heading = "Survey")]
    pub survey_date_format: Option<String>,

    /// Several answers of one customer: keep the latest answer to each question (needs a
    /// date column) or take the mean.
    #[arg(long, value_enum, default_value_t = SurveyAggregation::Latest, help_heading = "Survey")]
    pub survey_agg: SurveyAggregation,

    /// Attitude questions with their scales and optional weights, e.g.
    /// nps:0-10,satisfaction:1-5:2 (default: detected by name: nps, likelihood_to_recommend or
    /// a question mentioning recommend 0-10; satisfaction, csat, repurchase_intent 1-5).
    #[arg(
        long,
        value_name = "NAME:MIN-MAX[:WEIGHT],...",
        help_heading = "Survey"
    )]
    pub attitude: Option<String>,

    /// Leave out answers outside their declared scale or that are not numbers (counted per
    /// column on stderr) instead of stopping at the first: they count as unanswered.
    #[arg(long, help_heading = "Survey")]
    pub skip_invalid_answers: bool,

    /// Survey column with the expected level, for the satisfaction gap (default: detected,
    /// e.g. expectation).
    #[arg(long, value_name = "NAME", help_heading = "Survey")]
    pub expectation_col: Option<String>,

    /// Survey column with the experienced level, for the satisfaction gap (default:
    /// detected, e.g. experience).
    #[arg(long, value_name = "NAME", help_heading = "Survey")]
    pub experience_col: Option<String>,

    /// Weights of the behavioural index components; components not named keep weight 1.
    #[arg(
        long,
        value_name = "repeat=W,frequency=W,recency=W",
        help_heading = "Matrix"
    )]
    pub behaviour_weights: Option<String>,

    /// How to split high from low: fixed thresholds, or each index at its median.
    #[arg(long, value_enum, default_value_t = Split::Fixed, help_heading = "Matrix")]
    pub split: Split,

    /// High attitude when the attitudinal index is at least this (with --split fixed).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 0.5,
        value_name = "0..1",
        help_heading = "Matrix"
    )]
    pub attitude_threshold: f64,

    /// High behaviour when the behavioural index is at least this (with --split fixed).
    #[arg(
        allow_negative_numbers = true,
        long,
        default_value_t = 0.5,
        value_name = "0..1",
        help_heading = "Matrix"
    )]
    pub behaviour_threshold: f64,

    /// What the input holds: transactions, or their per-customer summary (clm summary,
    /// docs/summary.md).
    #[arg(long, value_enum, default_value_t = InputKind::Transactions)]
    pub input_kind: InputKind,
}

/// How the indices are split into high and low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// At --attitude-threshold and --behaviour-threshold.
    Fixed,
    /// At the median of each index (behaviour: buyers; attitude: respondents).
    Median,
}

/// What `clm loyalty` says when `--survey` is missing: what the file should hold.
const SURVEY_NEEDED: &str =
    "clm loyalty needs a survey: --survey FILE, a CSV, TSV (optionally .gz) or Parquet
file with one row per answer sheet, holding:
  - a customer id column with the transactions' ids (customer_id, Customer ID, member_no, ...;
    or name it with --survey-customer-col)
  - one or more attitude questions, found by name: nps, likelihood_to_recommend or a question
    like \"How likely are you to recommend us?\" on 0-10; satisfaction, csat, repurchase_intent
    on 1-5; declare others with --attitude name:min-max, e.g. --attitude preference:1-7
  - optionally a date (survey_date, response_date, ...) to keep each customer's latest answer,
    and expectation and experience columns for the satisfaction gap
Example header: customer_id,survey_date,nps,satisfaction
To try it: clm simulate --customers 1000 -o tx.csv --survey survey.csv
           clm loyalty tx.csv --survey survey.csv";

/// Runs `clm loyalty`.
pub fn run(args: LoyaltyArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let Some(survey_path) = args.survey.as_deref() else {
        return Err(ClmError::Usage(SURVEY_NEEDED.to_string()).into());
    };
    let mut timer = Stopwatch::start("loyalty");
    let reads = [Some(args.input.input.as_path()), args.survey.as_deref()];
    crate::output::check_outputs(&args.output, &[], &reads)?;
    let attitude = args
        .attitude
        .as_deref()
        .map(parse_attitude_specs)
        .transpose()?;
    let weights = match &args.behaviour_weights {
        Some(text) => BehaviourWeights::parse(text)?,
        None => BehaviourWeights::default(),
    };
    let thresholds = thresholds(&args)?;
    // An explicit as-of date is known before the transactions (otherwise it is their last
    // day): survey answers after it are left out.
    let explicit_as_of = args
        .as_of
        .as_of
        .as_deref()
        .map(|text| resolve_as_of(Some(text), 0))
        .transpose()?;
    let spinner = log.spinner("reading the survey");
    let survey = load_survey(&SurveyOptions {
        path: survey_path,
        customer_col: args.survey_customer_col.as_deref(),
        date_col: args.survey_date_col.as_deref(),
        date_format: args.survey_date_format.as_deref(),
        attitude,
        expectation_col: args.expectation_col.as_deref(),
        experience_col: args.experience_col.as_deref(),
        aggregation: args.survey_agg,
        not_after: explicit_as_of,
        skip_invalid_answers: args.skip_invalid_answers,
    })?;
    drop(spinner);
    log_survey(&log, &survey);

    timer.lap("survey");
    let (measures, source, as_of) = read_rfm_measures(
        &args.input,
        &args.memory,
        args.input_kind,
        args.as_of.as_of.as_deref(),
        Monetary::Total,
        &log,
        &mut timer,
    )?;
    log_as_of_notes(
        &log,
        as_of,
        (measures.rows_after_as_of, "ignored"),
        (
            measures.returns_only_customers,
            "have no purchases (Prospects if surveyed)",
        ),
    );
    let report = loyalty_matrix(
        &measures,
        &survey,
        (weights, thresholds),
        (&source, as_of),
        &log,
    )?;
    timer.lap("matrix");
    let inputs = [args.input.input.as_path(), survey_path];
    emit(&report, &args.output, &inputs)?;
    timer.lap("output");
    Ok(())
}

fn thresholds(args: &LoyaltyArgs) -> Result<Thresholds, ClmError> {
    for (flag, value) in [
        ("--attitude-threshold", args.attitude_threshold),
        ("--behaviour-threshold", args.behaviour_threshold),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(ClmError::Usage(format!(
                "{flag} must be between 0 and 1, got {value}"
            )));
        }
    }
    Ok(match args.split {
        Split::Fixed => Thresholds::Fixed {
            attitude: args.attitude_threshold,
            behaviour: args.behaviour_threshold,
        },
        Split::Median => Thresholds::MedianSplit,
    })
}
