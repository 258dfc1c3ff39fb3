//! `clm loyalty`: the loyalty matrix (attitude × behaviour, Dick & Basu 1994), NPS and the
//! loyalty ladder, from a transaction export and a survey export joined on customer id.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use crate::commands::opening::{read_rfm_measures, trimmed_ids_note};
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::data::summary::InputKind;
use crate::data::survey::{
    AttitudeSpec, Survey, SurveyAggregation, SurveyOptions, load_survey, parse_attitude_specs,
};
use crate::error::ClmError;
use crate::features::loyalty::{BehaviourWeights, behaviour_index};
use crate::features::rfm::Monetary;
use crate::output::OutputArgs;
use crate::output::{
    Log, Report, Stopwatch, Table, Values, counted, emit, format_day, format_float,
};
use crate::segment::loyalty::{
    LadderFacts, LadderRule, LadderStage, LoyaltyQuadrant, NpsSummary, ResolvedThresholds,
    SurveyQuestion, Thresholds, attitudinal_index, classify, ladder_stage, resolve_thresholds,
};

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

/// Below this share of survey ids matching a customer with a purchase, a warning says that
/// the two files may not use the same ids. Surveys go to customers: most respondents should
/// have bought (prospects are the exception), whatever the response rate.
const FEW_MATCHES: f64 = 0.5;

/// One row of the matrix: a customer with purchases, or a survey-only prospect.
struct CustomerRow<'a> {
    id: &'a str,
    frequency: u32,
    /// `None` for prospects.
    recency_days: Option<i64>,
    tenure_days: i64,
    monetary: f64,
    behaviour: f64,
    attitude: Option<f64>,
    nps: Option<f64>,
    satisfaction_gap: Option<f64>,
}

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
        args.input_kind,
        args.as_of.as_of.as_deref(),
        Monetary::Total,
        &log,
        &mut timer,
    )?;
    if measures.rows_after_as_of > 0 {
        log.note(format!(
            "{} dated after the as-of date {} ignored",
            counted(measures.rows_after_as_of, "row"),
            format_day(as_of)
        ));
    }
    if measures.returns_only_customers > 0 {
        log.note(format!(
            "{} with only returns up to the as-of date have no purchases (Prospects if surveyed)",
            counted(measures.returns_only_customers, "customer")
        ));
    }
    let recency: Vec<f64> = measures.recency_days.iter().map(|&d| d as f64).collect();
    let behaviour = behaviour_index(&measures.frequency, &recency, &weights)
        .map_err(|e| ClmError::BadData(format!("{source}: {e}")))?;

    let buyers: Vec<CustomerRow> = (0..measures.customer_id.len())
        .map(|i| CustomerRow {
            id: measures.customer_id.get(i),
            frequency: measures.frequency[i],
            recency_days: Some(measures.recency_days[i]),
            tenure_days: measures.tenure_days[i],
            monetary: measures.monetary[i],
            behaviour: behaviour[i],
            attitude: None,
            nps: None,
            satisfaction_gap: None,
        })
        .collect();
    let example_buyers: Vec<&str> = buyers.iter().take(2).map(|b| b.id).collect();
    let (rows, prospects) = join_survey(buyers, &survey)?;
    check_matches(&log, &survey, prospects, &source, &example_buyers, as_of)?;
    if prospects > 0 {
        log.note(format!(
            "{}: {prospects} of {} respondents match no customer with a purchase up to {}; they are listed as Prospects (behaviour index 0)",
            survey.source,
            survey.respondents.len(),
            format_day(as_of)
        ));
    }
    if rows.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {} and no survey answers",
            format_day(as_of)
        ))
        .into());
    }
    timer.lap("behaviour and survey join");

    // Behaviour medians over buyers only (prospects' 0 would pull them down); attitude medians
    // over every respondent.
    let known_attitude: Vec<Option<f64>> = rows.iter().map(|r| r.attitude).collect();
    let context = MatrixContext {
        survey: &survey,
        thresholds,
        resolved: resolve_thresholds(thresholds, &known_attitude, &behaviour),
        weights,
        as_of,
        prospects,
    };
    let report = loyalty_report(&rows, &context)?;
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

/// A survey none of whose ids matches a customer with a purchase is bad data (most often the
/// files use different ids); one where fewer than [`FEW_MATCHES`] of them do gets a warning.
fn check_matches(
    log: &Log,
    survey: &Survey,
    prospects: usize,
    transactions: &str,
    example_buyers: &[&str],
    as_of: i32,
) -> Result<(), ClmError> {
    let respondents = survey.respondents.len();
    let matched = respondents - prospects;
    if respondents == 0 {
        return Ok(());
    }
    if matched == 0 {
        let quoted = |ids: &mut dyn Iterator<Item = &str>| {
            ids.take(2)
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ClmError::BadData(format!(
            "{}: 0 of {} survey ids match a customer of {transactions} with a purchase up to {} (survey ids such as {}; customer ids such as {}); check that the survey's customer column (--survey-customer-col) holds the transactions' ids",
            survey.source,
            thousands(respondents),
            format_day(as_of),
            quoted(&mut survey.respondents.iter().map(String::as_str)),
            quoted(&mut example_buyers.iter().copied()),
        )));
    }
    let share = matched as f64 / respondents as f64;
    if share < FEW_MATCHES {
        log.note(format!(
            "warning: {}: only {} of {} survey ids ({}%) match a customer with a purchase; check that both files use the same customer ids",
            survey.source,
            thousands(matched),
            thousands(respondents),
            format_float(100.0 * share, 1)
        ));
    }
    Ok(())
}

/// 1802 → "1,802".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn log_survey(log: &Log, survey: &Survey) {
    let questions: Vec<String> = survey
        .questions
        .iter()
        .map(|q| {
            format!(
                "'{}' {}-{} ×{}",
                q.column, q.scale.min, q.scale.max, q.weight
            )
        })
        .collect();
    log.detail(format!(
        "{}: {}, {}; customer '{}'{}; attitude {}",
        survey.source,
        counted(survey.rows, "row"),
        counted(survey.respondents.len(), "respondent"),
        survey.customer_column,
        survey
            .date_column
            .as_ref()
            .map(|d| format!(", date '{d}'"))
            .unwrap_or_default(),
        questions.join(", ")
    ));
    if survey.rows_after_as_of > 0 {
        log.note(format!(
            "{}: {} dated after the as-of date left out",
            survey.source,
            counted(survey.rows_after_as_of, "row")
        ));
    }
    if survey.trimmed_ids > 0 {
        log.note(trimmed_ids_note(&survey.source, survey.trimmed_ids));
    }
    if !survey.invalid_answers.is_empty() {
        log.note(invalid_answers_note(survey));
    }
    if survey.repeated_rows > 0 {
        log.note(format!(
            "{}: {} resolved ({} per customer and question)",
            survey.source,
            counted(survey.repeated_rows, "repeated answer"),
            match survey.aggregation {
                SurveyAggregation::Latest => "latest",
                SurveyAggregation::Mean => "mean",
            }
        ));
    }
}

/// "survey.csv: 4 invalid answers left out (--skip-invalid-answers): 'nps' 2 outside 0-10
/// (first: row 2 (line 3), '11') and 1 not a number (first: …); 'satisfaction' …".
fn invalid_answers_note(survey: &Survey) -> String {
    let first = |first: &Option<(String, String)>| match first {
        Some((row, value)) => format!(" (first: {row}, '{value}')"),
        None => String::new(),
    };
    let mut total = 0;
    let columns: Vec<String> = survey
        .invalid_answers
        .iter()
        .map(|invalid| {
            total += invalid.outside_scale + invalid.not_numbers;
            let mut parts = Vec::new();
            if let (n @ 1.., Some(scale)) = (invalid.outside_scale, invalid.scale) {
                parts.push(format!(
                    "{n} outside {}-{}{}",
                    scale.min,
                    scale.max,
                    first(&invalid.first_outside_scale)
                ));
            }
            if invalid.not_numbers > 0 {
                parts.push(format!(
                    "{} not a number{}",
                    invalid.not_numbers,
                    first(&invalid.first_not_number)
                ));
            }
            format!("'{}' {}", invalid.column, parts.join(" and "))
        })
        .collect();
    format!(
        "{}: {total} invalid answer{} left out (--skip-invalid-answers): {}",
        survey.source,
        if total == 1 { "" } else { "s" },
        columns.join("; ")
    )
}

/// Sets attitude, NPS and gap of the buyers who answered the survey and adds the respondents
/// without purchases as prospects, keeping the rows sorted by id. Returns the rows and the
/// number of prospects.
fn join_survey<'a>(
    mut buyers: Vec<CustomerRow<'a>>,
    survey: &'a Survey,
) -> Result<(Vec<CustomerRow<'a>>, usize), ClmError> {
    let questions: Vec<SurveyQuestion> = survey
        .questions
        .iter()
        .map(|q: &AttitudeSpec| SurveyQuestion {
            scale: q.scale,
            weight: q.weight,
        })
        .collect();
    // Buyers come sorted by id (byte order), so a respondent is found by binary search, and a
    // prospect's place among the buyers is where the search ends.
    // Indices and places in parallel (reads only), then the rows updated in survey order.
    let answers: Vec<(Option<f64>, Result<usize, usize>)> = survey
        .respondents
        .par_iter()
        .enumerate()
        .map(|(r, id)| {
            let attitude = attitudinal_index(&survey.answers[r], &questions).map_err(|e| {
                ClmError::BadData(format!("{}: customer '{id}': {e}", survey.source))
            })?;
            let place = buyers.binary_search_by(|row| row.id.cmp(id.as_str()));
            Ok((attitude, place))
        })
        .collect::<Vec<Result<_, ClmError>>>()
        .into_iter()
        .collect::<Result<_, _>>()?; // the first error in survey order
    let mut prospects: Vec<(usize, CustomerRow<'a>)> = Vec::new();
    for (r, (id, (attitude, place))) in survey.respondents.iter().zip(answers).enumerate() {
        let nps = survey.nps_question.and_then(|q| survey.answers[r][q]);
        let gap = survey.satisfaction_gap[r];
        match place {
            Ok(i) => {
                let row = &mut buyers[i];
                row.attitude = attitude;
                row.nps = nps;
                row.satisfaction_gap = gap;
            }
            Err(place) => prospects.push((
                place,
                CustomerRow {
                    id,
                    frequency: 0,
                    recency_days: None,
                    tenure_days: 0,
                    monetary: 0.0,
                    behaviour: 0.0,
                    attitude,
                    nps,
                    satisfaction_gap: gap,
                },
            )),
        }
    }
    let count = prospects.len();
    // Sorting by id also sorts by place (a stable sort keeps repeated ids in survey order).
    prospects.sort_by(|a, b| a.1.id.cmp(b.1.id));
    Ok((merge_at_places(buyers, prospects), count))
}

/// Buyers with each prospect inserted before the buyer at its place (places ascending).
fn merge_at_places<'a>(
    buyers: Vec<CustomerRow<'a>>,
    prospects: Vec<(usize, CustomerRow<'a>)>,
) -> Vec<CustomerRow<'a>> {
    let mut rows = Vec::with_capacity(buyers.len() + prospects.len());
    let mut prospects = prospects.into_iter().peekable();
    for (i, buyer) in buyers.into_iter().enumerate() {
        while let Some((_, prospect)) = prospects.next_if(|(place, _)| *place == i) {
            rows.push(prospect);
        }
        rows.push(buyer);
    }
    rows.extend(prospects.map(|(_, prospect)| prospect));
    rows
}

/// NPS answer as a whole number 0–10 (means of repeated answers are rounded).
fn nps_answer(nps: Option<f64>) -> Option<u8> {
    nps.map(|v| v.round().clamp(0.0, 10.0) as u8)
}

/// The short form of an action: the words before its first colon.
fn short_action(quadrant: LoyaltyQuadrant) -> &'static str {
    let action = quadrant.recommended_action();
    action.split(':').next().unwrap_or(action)
}

/// What the report needs besides the rows.
struct MatrixContext<'a> {
    survey: &'a Survey,
    thresholds: Thresholds,
    resolved: ResolvedThresholds,
    weights: BehaviourWeights,
    as_of: i32,
    prospects: usize,
}

fn loyalty_report(rows: &[CustomerRow<'_>], context: &MatrixContext<'_>) -> Result<Report> {
    let survey = context.survey;
    let quadrant: Vec<LoyaltyQuadrant> = rows
        .iter()
        .map(|r| classify(r.attitude, r.behaviour, &context.resolved))
        .collect();
    let rule = LadderRule::default();
    let ladder: Vec<LadderStage> = rows
        .iter()
        .map(|r| {
            ladder_stage(
                &LadderFacts {
                    order_count: r.frequency,
                    days_since_first_order: r.tenure_days as f64,
                    days_since_last_order: r.recency_days.unwrap_or(0) as f64,
                    nps_answer: nps_answer(r.nps),
                    referrals: None,
                },
                &rule,
            )
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ClmError::BadData(format!("{}: {e}", survey.source)))?;
    let has_gap = survey.gap_columns.is_some();
    let nps_decimals = usize::from(rows.iter().any(|r| r.nps.is_some_and(|v| v.fract() != 0.0)));
    let optional = |v: Option<f64>| v.unwrap_or(f64::NAN);
    // `LoyaltyQuadrant::ALL` lists the quadrants in declaration order: `q as usize` indexes it.
    let quadrant_codes: Vec<u32> = quadrant.iter().map(|&q| q as u32).collect();

    let mut table = Table::default()
        .with(
            "customer_id",
            Values::PackedText(rows.iter().map(|r| r.id).collect()),
        )
        .with(
            "frequency",
            Values::Int(rows.iter().map(|r| i64::from(r.frequency)).collect()),
        )
        .with(
            "recency_days",
            Values::Float(
                rows.iter()
                    .map(|r| optional(r.recency_days.map(|d| d as f64)))
                    .collect(),
                0,
            ),
        )
        .with(
            "monetary",
            Values::Float(rows.iter().map(|r| r.monetary).collect(), 2),
        )
        .with(
            "behaviour_index",
            Values::Float(rows.iter().map(|r| r.behaviour).collect(), 3),
        )
        .with(
            "attitude_index",
            Values::Float(rows.iter().map(|r| optional(r.attitude)).collect(), 3),
        )
        .with(
            "quadrant",
            Values::Labels {
                labels: quadrant_labels(LoyaltyQuadrant::name),
                codes: quadrant_codes.clone(),
            },
        )
        .with(
            "ladder_stage",
            Values::Labels {
                labels: LadderStage::ALL
                    .iter()
                    .map(|s| s.name().to_string())
                    .collect(),
                codes: ladder.iter().map(|&s| s as u32).collect(),
            },
        )
        .with(
            "nps",
            Values::Float(rows.iter().map(|r| optional(r.nps)).collect(), nps_decimals),
        );
    if has_gap {
        table = table.with(
            "satisfaction_gap",
            Values::Float(
                rows.iter().map(|r| optional(r.satisfaction_gap)).collect(),
                2,
            ),
        );
    }
    table = table.with(
        "action",
        Values::Labels {
            labels: quadrant_labels(short_action),
            codes: quadrant_codes,
        },
    );

    let summary = matrix_summary(rows, &quadrant, has_gap);
    let heading = heading(rows, &quadrant, &ladder, context);
    Ok(Report {
        heading,
        summary,
        rows: table,
    })
}

/// One text per quadrant, in [`LoyaltyQuadrant::ALL`] order.
fn quadrant_labels(text: fn(LoyaltyQuadrant) -> &'static str) -> Vec<String> {
    LoyaltyQuadrant::ALL
        .iter()
        .map(|&q| text(q).to_string())
        .collect()
}

/// Sums per quadrant, in [`LoyaltyQuadrant::ALL`] order.
#[derive(Default, Clone)]
struct Cell {
    customers: usize,
    revenue: f64,
    orders: f64,
    nps: NpsSummary,
    gap_sum: f64,
    gap_count: usize,
}

fn cells(rows: &[CustomerRow<'_>], quadrant: &[LoyaltyQuadrant]) -> Vec<Cell> {
    let mut cells = vec![Cell::default(); LoyaltyQuadrant::ALL.len()];
    for (row, q) in rows.iter().zip(quadrant) {
        let cell = &mut cells[*q as usize];
        cell.customers += 1;
        cell.revenue += row.monetary;
        cell.orders += f64::from(row.frequency);
        add_nps(&mut cell.nps, row.nps);
        if let Some(gap) = row.satisfaction_gap {
            cell.gap_sum += gap;
            cell.gap_count += 1;
        }
    }
    cells
}

fn add_nps(summary: &mut NpsSummary, nps: Option<f64>) {
    match nps_answer(nps) {
        Some(9..=10) => summary.promoters += 1,
        Some(7..=8) => summary.passives += 1,
        Some(_) => summary.detractors += 1,
        None => {}
    }
}

fn matrix_summary(rows: &[CustomerRow<'_>], quadrant: &[LoyaltyQuadrant], has_gap: bool) -> Table {
    let cells = cells(rows, quadrant);
    let total_customers = rows.len() as f64;
    let total_revenue: f64 = cells.iter().map(|c| c.revenue).sum();
    let ratio = |num: f64, den: f64| if den != 0.0 { num / den } else { f64::NAN };
    let per_cell = |f: &dyn Fn(&Cell) -> f64| cells.iter().map(f).collect::<Vec<f64>>();
    let mut table = Table::default()
        .with(
            "quadrant",
            Values::Text(
                LoyaltyQuadrant::ALL
                    .iter()
                    .map(|q| q.name().to_string())
                    .collect(),
            ),
        )
        .with(
            "customers",
            Values::Int(cells.iter().map(|c| c.customers as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(
                per_cell(&|c| 100.0 * ratio(c.customers as f64, total_customers)),
                1,
            ),
        )
        .with(
            "revenue_share_pct",
            Values::Float(per_cell(&|c| 100.0 * ratio(c.revenue, total_revenue)), 1),
        )
        .with(
            "mean_monetary",
            Values::Float(per_cell(&|c| ratio(c.revenue, c.customers as f64)), 2),
        )
        .with(
            "mean_frequency",
            Values::Float(per_cell(&|c| ratio(c.orders, c.customers as f64)), 2),
        )
        .with(
            "nps_respondents",
            Values::Int(cells.iter().map(|c| c.nps.respondents() as i64).collect()),
        )
        .with(
            "nps",
            Values::Float(per_cell(&|c| c.nps.score().unwrap_or(f64::NAN)), 1),
        );
    if has_gap {
        table = table.with(
            "mean_satisfaction_gap",
            Values::Float(per_cell(&|c| ratio(c.gap_sum, c.gap_count as f64)), 2),
        );
    }
    table.with(
        "action",
        Values::Text(
            LoyaltyQuadrant::ALL
                .iter()
                .map(|&q| short_action(q).to_string())
                .collect(),
        ),
    )
}

fn heading(
    rows: &[CustomerRow<'_>],
    quadrant: &[LoyaltyQuadrant],
    ladder: &[LadderStage],
    context: &MatrixContext<'_>,
) -> Vec<String> {
    let MatrixContext {
        survey,
        thresholds,
        resolved,
        weights,
        as_of,
        prospects,
    } = *context;
    let cells = cells(rows, quadrant);
    let total = rows.len();
    let answered = rows.iter().filter(|r| r.attitude.is_some()).count();
    let questions: Vec<String> = survey
        .questions
        .iter()
        .map(|q| format!("{} {}-{} ×{}", q.column, q.scale.min, q.scale.max, q.weight))
        .collect();
    let split = match thresholds {
        Thresholds::Fixed { .. } => "fixed",
        Thresholds::MedianSplit => "median split",
    };
    let mut overall = NpsSummary::default();
    for row in rows {
        add_nps(&mut overall, row.nps);
    }
    let nps_line = match overall.score() {
        Some(score) => format!(
            "NPS overall: {score:+.1} ({}: {}, {}, {})",
            counted(overall.respondents(), "respondent"),
            counted(overall.promoters, "promoter"),
            counted(overall.passives, "passive"),
            counted(overall.detractors, "detractor")
        ),
        None => "NPS overall: no 0-10 recommend question in the survey".to_string(),
    };
    let cell = |q: LoyaltyQuadrant| {
        let c = &cells[q as usize];
        format!(
            "{} {} ({}%)",
            q.name(),
            c.customers,
            format_float(100.0 * c.customers as f64 / total as f64, 1)
        )
    };
    let stages: Vec<String> = LadderStage::ALL
        .iter()
        .map(|&s| {
            format!(
                "{} {}",
                s.name(),
                ladder.iter().filter(|&&l| l == s).count()
            )
        })
        .collect();
    vec![
        format!(
            "Loyalty matrix as of {}: {} ({} with purchases, {answered} with survey answers, {})",
            format_day(as_of),
            counted(total, "customer"),
            total - prospects,
            counted(prospects, "survey-only prospect"),
        ),
        format!("Attitude: {} from {}", questions.join(", "), survey.source),
        format!("Behaviour: percentile ranks of {}", weights.describe()),
        format!(
            "High when attitude index >= {:.3} and behaviour index >= {:.3} ({split})",
            resolved.attitude, resolved.behaviour
        ),
        format!(
            "  high attitude: {:<36} | {}",
            cell(LoyaltyQuadrant::True),
            cell(LoyaltyQuadrant::Latent)
        ),
        format!(
            "  low attitude:  {:<36} | {}",
            cell(LoyaltyQuadrant::Spurious),
            cell(LoyaltyQuadrant::NoLoyalty)
        ),
        format!(
            "  {:<51}   (high behaviour | low behaviour)",
            cell(LoyaltyQuadrant::AttitudeUnknown)
        ),
        nps_line,
        format!("Ladder: {}", stages.join(", ")),
    ]
}
