//! Reading a survey export (CSV, TSV, either gzip-compressed, or Parquet): one row per answer sheet, with a customer id,
//! attitude questions on declared scales, and optionally a date, an expectation and an
//! experience column. Every bad cell is one clear error naming file, row, column and value.

use std::path::Path;

use super::columns::{CUSTOMER_NAMES, normalize};
use super::customers::CustomerRows;
use super::dates::{Detected, day_number, detect_format, parse_date};
/// The side-table reader, under the names the survey's readers have used.
#[allow(unused_imports)]
pub(crate) use super::table::{RawTable as RawSurvey, RowReader, format_of};
use super::table::{check_duplicate_headers, detect, list, read_table, require};
use crate::error::ClmError;
use crate::segment::loyalty::Scale;

/// Attitude questions recognised by name (after [`normalize`]) with their usual scale.
const KNOWN_QUESTIONS: &[(&str, f64, f64)] = &[
    ("nps", 0.0, 10.0),
    ("npsscore", 0.0, 10.0),
    ("netpromoterscore", 0.0, 10.0),
    ("likelihoodtorecommend", 0.0, 10.0),
    ("ltr", 0.0, 10.0),
    ("recommend", 0.0, 10.0),
    ("wouldrecommend", 0.0, 10.0),
    ("satisfaction", 1.0, 5.0),
    ("overallsatisfaction", 1.0, 5.0),
    ("satisfactionscore", 1.0, 5.0),
    ("csat", 1.0, 5.0),
    ("csatscore", 1.0, 5.0),
    ("repurchaseintent", 1.0, 5.0),
    ("intenttorepurchase", 1.0, 5.0),
    ("repurchaseintention", 1.0, 5.0),
];
const SURVEY_DATE_NAMES: &[&str] = &[
    "surveydate",
    "responsedate",
    "answerdate",
    "submittedat",
    "completedat",
    "date",
    "timestamp",
];
const EXPECTATION_NAMES: &[&str] = &[
    "expectation",
    "expectations",
    "expected",
    "expectationscore",
];
const EXPERIENCE_NAMES: &[&str] = &[
    "experience",
    "experiencescore",
    "perceivedperformance",
    "perception",
];

/// One attitude question as declared with `--attitude name:min-max[:weight]` or detected.
#[derive(Debug, Clone, PartialEq)]
pub struct AttitudeSpec {
    /// Column name in the survey file.
    pub column: String,
    /// Declared scale of the answers.
    pub scale: Scale,
    /// Weight in the attitudinal index.
    pub weight: f64,
}

/// Parses `nps:0-10,satisfaction:1-5:2` into attitude specs (a usage error when malformed).
pub fn parse_attitude_specs(text: &str) -> Result<Vec<AttitudeSpec>, ClmError> {
    let usage = |item: &str, why: &str| {
        ClmError::Usage(format!(
            "--attitude '{item}': {why}; write name:min-max[:weight], e.g. nps:0-10,satisfaction:1-5:2"
        ))
    };
    let mut specs = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.rsplitn(3, ':').collect();
        let (column, range, weight) = match parts.as_slice() {
            [range, column] => (*column, *range, None),
            [weight, range, column] if range.contains('-') => (*column, *range, Some(*weight)),
            // "a:b:0-10": the column name itself holds a colon.
            [range, middle, first] => (
                &item[..first.len() + 1 + middle.len()],
                *range,
                None::<&str>,
            ),
            _ => return Err(usage(item, "no scale given")),
        };
        let (min, max) =
            split_range(range).ok_or_else(|| usage(item, "the scale is not min-max"))?;
        let scale = Scale::new(min, max).map_err(|e| usage(item, &e.to_string()))?;
        let weight = match weight {
            None => 1.0,
            Some(w) => w
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| usage(item, "the weight is not a number ≥ 0"))?,
        };
        specs.push(AttitudeSpec {
            column: column.trim().to_string(),
            scale,
            weight,
        });
    }
    if specs.is_empty() {
        return Err(usage(text, "no question given"));
    }
    Ok(specs)
}

/// "0-10" → (0, 10); "-2-2" → (−2, 2).
fn split_range(range: &str) -> Option<(f64, f64)> {
    let range = range.trim();
    let cut = range.char_indices().skip(1).find(|&(_, c)| c == '-')?.0;
    let min = range[..cut].trim().parse().ok()?;
    let max = range[cut + 1..].trim().parse().ok()?;
    Some((min, max))
}

/// How several answers of one customer become one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SurveyAggregation {
    /// The latest answer to each question (needs a date column; the later row wins on a tie).
    Latest,
    /// The mean of the customer's answers to each question.
    Mean,
}

/// What to read from the survey file.
#[derive(Debug, Clone)]
pub struct SurveyOptions<'a> {
    pub path: &'a Path,
    pub customer_col: Option<&'a str>,
    pub date_col: Option<&'a str>,
    pub date_format: Option<&'a str>,
    /// Declared questions; `None` detects them by name.
    pub attitude: Option<Vec<AttitudeSpec>>,
    pub expectation_col: Option<&'a str>,
    pub experience_col: Option<&'a str>,
    pub aggregation: SurveyAggregation,
    /// Answers dated after this day (days since 1970-01-01) are left out, when there is a
    /// date column: the analysis looks back from this day.
    pub not_after: Option<i32>,
    /// Leave out answers outside their scale or not numbers (counted in
    /// [`Survey::invalid_answers`]) instead of stopping at the first.
    pub skip_invalid_answers: bool,
}

/// Answers of one column left out by [`SurveyOptions::skip_invalid_answers`].
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidAnswers {
    /// Column name in the survey file.
    pub column: String,
    /// The column's declared scale (none for expectation and experience).
    pub scale: Option<Scale>,
    /// Numbers outside the scale, with the first as (row label, value).
    pub outside_scale: usize,
    pub first_outside_scale: Option<(String, String)>,
    /// Cells that are not numbers, with the first as (row label, value).
    pub not_numbers: usize,
    pub first_not_number: Option<(String, String)>,
}

/// The survey, one entry per respondent (sorted by customer id).
#[derive(Debug, Clone)]
pub struct Survey {
    /// The file's name for messages.
    pub source: String,
    pub customer_column: String,
    pub date_column: Option<String>,
    pub questions: Vec<AttitudeSpec>,
    /// Which question is the 0–10 recommend question used for NPS.
    pub nps_question: Option<usize>,
    /// Expectation and experience columns, when both exist.
    pub gap_columns: Option<(String, String)>,
    pub respondents: Vec<String>,
    /// `answers[r][q]`: respondent `r`'s resolved answer to question `q`.
    pub answers: Vec<Vec<Option<f64>>>,
    /// Experience − expectation per respondent, when both were answered.
    pub satisfaction_gap: Vec<Option<f64>>,
    /// Data rows read.
    pub rows: usize,
    /// Rows that repeated a respondent and were resolved into one answer.
    pub repeated_rows: usize,
    /// Rows dated after [`SurveyOptions::not_after`], left out.
    pub rows_after_as_of: usize,
    /// How repeated answers were resolved.
    pub aggregation: SurveyAggregation,
    /// Rows whose customer id had whitespace around it, trimmed (`"A "` is `"A"`), as in the
    /// transactions: the two files are joined on the id.
    pub trimmed_ids: usize,
    /// Per answer column with any, the answers left out by
    /// [`SurveyOptions::skip_invalid_answers`].
    pub invalid_answers: Vec<InvalidAnswers>,
}

/// Reads, validates and resolves a survey file.
pub fn load_survey(options: &SurveyOptions<'_>) -> Result<Survey, ClmError> {
    let source = options.path.display().to_string();
    let raw = read_table(options.path, "survey")?;
    check_duplicate_headers(&source, &raw.headers)?;
    let headers = &raw.headers;
    let customer_column = match options.customer_col {
        Some(name) => require(&source, headers, name, "--survey-customer-col")?,
        None => detect(headers, CUSTOMER_NAMES).ok_or_else(|| {
            ClmError::BadData(format!(
                "{source}: no customer id column found among {}; name it with --survey-customer-col",
                list(headers)
            ))
        })?,
    };
    let date_column = match options.date_col {
        Some(name) => Some(require(&source, headers, name, "--survey-date-col")?),
        None => detect(headers, SURVEY_DATE_NAMES),
    };
    let questions = match &options.attitude {
        Some(specs) => {
            for spec in specs {
                require(&source, headers, &spec.column, "--attitude")?;
            }
            specs.clone()
        }
        None => detect_questions(headers),
    };
    if questions.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: no attitude column recognised among {}; declare them with --attitude, e.g. --attitude nps:0-10,satisfaction:1-5",
            list(headers)
        )));
    }
    let expectation = match options.expectation_col {
        Some(name) => Some(require(&source, headers, name, "--expectation-col")?),
        None => detect(headers, EXPECTATION_NAMES),
    };
    let experience = match options.experience_col {
        Some(name) => Some(require(&source, headers, name, "--experience-col")?),
        None => detect(headers, EXPERIENCE_NAMES),
    };
    let gap_columns = expectation.zip(experience);
    let nps_question = questions
        .iter()
        .position(|q| q.scale == Scale::NPS && is_recommend_question(&q.column))
        .or_else(|| questions.iter().position(|q| q.scale == Scale::NPS));

    let reader = RowReader {
        source: &source,
        raw: &raw,
    };
    let mut ids = reader.customer_ids(&customer_column)?;
    let mut days = match &date_column {
        Some(column) => Some(reader.days(column, options.date_format)?),
        None => None,
    };
    let mut numeric_columns: Vec<Vec<Option<f64>>> = Vec::new();
    let mut invalid_answers = Vec::new();
    let answer_columns = questions
        .iter()
        .map(|q| (q.column.as_str(), Some(q.scale)))
        .chain(
            gap_columns
                .iter()
                .flat_map(|(e, x)| [(e.as_str(), None), (x.as_str(), None)]),
        );
    for (column, scale) in answer_columns {
        let (values, invalid) = reader.numbers(column, scale, options.skip_invalid_answers)?;
        numeric_columns.push(values);
        if invalid.outside_scale + invalid.not_numbers > 0 {
            invalid_answers.push(invalid);
        }
    }
    let rows_after_as_of =
        drop_rows_after(&mut ids, &mut days, &mut numeric_columns, options.not_after);
    let resolved = resolve_repeats(
        &reader,
        &ids,
        days.as_deref(),
        &numeric_columns,
        options.aggregation,
        &customer_column,
    )?;
    let trimmed_ids = reader.padded(&customer_column);
    let question_count = questions.len();
    let satisfaction_gap = resolved
        .values
        .iter()
        .map(
            |values| match (gap_columns.is_some(), values.get(question_count..)) {
                (true, Some([Some(expectation), Some(experience)])) => {
                    Some(experience - expectation)
                }
                _ => None,
            },
        )
        .collect();
    let answers = resolved
        .values
        .into_iter()
        .map(|mut values| {
            values.truncate(question_count);
            values
        })
        .collect();
    Ok(Survey {
        source,
        customer_column,
        date_column,
        questions,
        nps_question,
        gap_columns,
        respondents: resolved.respondents,
        answers,
        satisfaction_gap,
        rows: ids.len() + rows_after_as_of,
        repeated_rows: resolved.repeated_rows,
        rows_after_as_of,
        aggregation: options.aggregation,
        trimmed_ids,
        invalid_answers,
    })
}

/// Drops the rows dated after `not_after` (none without a date column or a limit) from the
/// ids, days and value columns; returns how many were dropped. Row numbers shift, but the only
/// later error naming a row (a repeat with no date to order by) needs no date column, and then
/// nothing is dropped.
fn drop_rows_after(
    ids: &mut Vec<String>,
    days: &mut Option<Vec<i32>>,
    columns: &mut [Vec<Option<f64>>],
    not_after: Option<i32>,
) -> usize {
    let (Some(limit), Some(day)) = (not_after, days.as_mut()) else {
        return 0;
    };
    let keep: Vec<bool> = day.iter().map(|&d| d <= limit).collect();
    fn retain_kept<T>(values: &mut Vec<T>, keep: &[bool]) {
        let mut kept = keep.iter();
        values.retain(|_| *kept.next().expect("one flag per row"));
    }
    retain_kept(day, &keep);
    retain_kept(ids, &keep);
    for column in columns {
        retain_kept(column, &keep);
    }
    keep.iter().filter(|&&k| !k).count()
}

/// Questions known by name, and, when none of them is on 0–10, the first header worded like
/// the Net Promoter question ("How likely are you to recommend us?") as the 0–10 NPS question.
fn detect_questions(headers: &[String]) -> Vec<AttitudeSpec> {
    let known_scale = |header: &str| {
        let name = normalize(header);
        KNOWN_QUESTIONS
            .iter()
            .find(|(known, _, _)| *known == name)
            .map(|&(_, min, max)| Scale { min, max })
    };
    let mut nps_found = headers.iter().any(|h| known_scale(h) == Some(Scale::NPS));
    headers
        .iter()
        .filter_map(|header| {
            let scale = known_scale(header).or_else(|| {
                (!nps_found && is_nps_wording(header)).then(|| {
                    nps_found = true;
                    Scale::NPS
                })
            })?;
            Some(AttitudeSpec {
                column: header.clone(),
                scale,
                weight: 1.0,
            })
        })
        .collect()
}

/// Words of a free-text follow-up ("Why would you recommend us?", "recommend_comment"): such a
/// column holds reasons, not a score.
const FREE_TEXT_WORDS: &[&str] = &[
    "why", "reason", "comment", "because", "explain", "feedback", "verbatim", "text",
];

/// A header worded like the Net Promoter question: it mentions recommending (or the net
/// promoter score) and is not a free-text follow-up.
fn is_nps_wording(header: &str) -> bool {
    let name = normalize(header);
    (name.contains("recommend") || name.contains("netpromoter"))
        && !FREE_TEXT_WORDS.iter().any(|word| name.contains(word))
}

fn is_recommend_question(column: &str) -> bool {
    let name = normalize(column);
    name.contains("nps") || name.contains("recommend") || name.contains("promoter") || name == "ltr"
}

impl RowReader<'_> {
    fn days(&self, column: &str, format: Option<&str>) -> Result<Vec<i32>, ClmError> {
        let cells = self.column(column);
        let format = match format {
            Some(format) => format.to_string(),
            None => {
                let sample: Vec<&str> = cells
                    .iter()
                    .flatten()
                    .take(1000)
                    .map(String::as_str)
                    .collect();
                match detect_format(&sample) {
                    Detected::Format(f) | Detected::Unknown { best: Some(f), .. } => f.to_string(),
                    Detected::Ambiguous(a, b) => {
                        return Err(ClmError::BadData(format!(
                            "{}: dates in column '{column}' read both as {a} and {b}; choose with --survey-date-format",
                            self.source
                        )));
                    }
                    Detected::Unknown {
                        best: None,
                        first_failure,
                    } => {
                        return Err(ClmError::BadData(format!(
                            "{}: column '{column}' does not hold dates in a known format (first value '{first_failure}'); give one with --survey-date-format",
                            self.source
                        )));
                    }
                }
            }
        };
        cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let Some(text) = cell else {
                    return Err(self.bad_cell(index, column, "the date is empty".into()));
                };
                parse_date(text, &format).map(day_number).ok_or_else(|| {
                    self.bad_cell(
                        index,
                        column,
                        format!("'{text}' is not a date in the format {format}"),
                    )
                })
            })
            .collect()
    }

    /// Numbers of one column (empty cells are unanswered), checked against `scale` if given.
    /// An invalid answer (outside the scale, not a number) stops with the first one, or with
    /// `skip_invalid` is left out as unanswered and counted.
    fn numbers(
        &self,
        column: &str,
        scale: Option<Scale>,
        skip_invalid: bool,
    ) -> Result<(Vec<Option<f64>>, InvalidAnswers), ClmError> {
        let mut invalid = InvalidAnswers {
            column: column.to_string(),
            scale,
            outside_scale: 0,
            first_outside_scale: None,
            not_numbers: 0,
            first_not_number: None,
        };
        // The first invalid answer in row order: (row, is outside the scale).
        let mut first_invalid: Option<(usize, bool)> = None;
        let mut values = Vec::with_capacity(self.column(column).len());
        for (index, cell) in self.column(column).iter().enumerate() {
            let Some(text) = cell else {
                values.push(None);
                continue;
            };
            let (count, first, outside) = match text.parse::<f64>().ok().filter(|v| v.is_finite()) {
                None => (
                    &mut invalid.not_numbers,
                    &mut invalid.first_not_number,
                    false,
                ),
                Some(value) if scale.is_none_or(|s| (s.min..=s.max).contains(&value)) => {
                    values.push(Some(value));
                    continue;
                }
                Some(_) => (
                    &mut invalid.outside_scale,
                    &mut invalid.first_outside_scale,
                    true,
                ),
            };
            *count += 1;
            first.get_or_insert_with(|| (self.row_label(index), text.clone()));
            first_invalid.get_or_insert((index, outside));
            values.push(None);
        }
        match first_invalid {
            Some((index, outside)) if !skip_invalid => {
                Err(self.invalid_answer(index, &invalid, outside))
            }
            _ => Ok((values, invalid)),
        }
    }

    /// The error for the first invalid answer of a column, with how many more there are.
    fn invalid_answer(&self, index: usize, invalid: &InvalidAnswers, outside: bool) -> ClmError {
        let text = self.column(&invalid.column)[index]
            .clone()
            .unwrap_or_default();
        let what = match (outside, invalid.scale) {
            (true, Some(scale)) => {
                let more = match invalid.outside_scale {
                    1 => String::new(),
                    n => format!("; {n} answers in this column are outside it"),
                };
                format!(
                    "'{text}' is outside the scale {}-{} declared for it (see --attitude){more}",
                    scale.min, scale.max
                )
            }
            _ => {
                let more = match invalid.not_numbers {
                    1 => String::new(),
                    n => format!("; {n} answers in this column are not numbers"),
                };
                format!("'{text}' is not a number{more}")
            }
        };
        self.bad_cell(
            index,
            &invalid.column,
            format!("{what}; pass --skip-invalid-answers to leave such answers out"),
        )
    }
}

struct Resolved {
    respondents: Vec<String>,
    values: Vec<Vec<Option<f64>>>,
    repeated_rows: usize,
}

/// One value per respondent and column: the latest non-empty answer, or the mean.
fn resolve_repeats(
    reader: &RowReader<'_>,
    ids: &[String],
    days: Option<&[i32]>,
    columns: &[Vec<Option<f64>>],
    aggregation: SurveyAggregation,
    customer_column: &str,
) -> Result<Resolved, ClmError> {
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let grouped = CustomerRows::new(&id_refs);
    let rows_of = |r: usize| grouped.rows_of(r).iter().map(|&row| row as usize);
    let repeated_rows = ids.len() - grouped.customers();
    if repeated_rows > 0 && aggregation == SurveyAggregation::Latest && days.is_none() {
        let (id, rows) = (0..grouped.customers())
            .map(|r| (grouped.ids.get(r), grouped.rows_of(r)))
            .find(|(_, rows)| rows.len() > 1)
            .expect("a repeated respondent exists");
        return Err(reader.bad_cell(
            rows[1] as usize,
            customer_column,
            format!(
                "customer '{id}' answered again (first at {}) and there is no date to pick the latest; name the date column with --survey-date-col or pass --survey-agg mean",
                reader.row_label(rows[0] as usize)
            ),
        ));
    }
    let values = (0..grouped.customers())
        .map(|r| {
            columns
                .iter()
                .map(|column| match aggregation {
                    SurveyAggregation::Latest => rows_of(r)
                        .filter_map(|row| column[row].map(|v| (days.map_or(0, |d| d[row]), row, v)))
                        .max_by_key(|&(day, row, _)| (day, row))
                        .map(|(_, _, v)| v),
                    SurveyAggregation::Mean => {
                        let answered: Vec<f64> = rows_of(r).filter_map(|row| column[row]).collect();
                        (!answered.is_empty())
                            .then(|| answered.iter().sum::<f64>() / answered.len() as f64)
                    }
                })
                .collect()
        })
        .collect();
    Ok(Resolved {
        respondents: grouped.ids.iter().map(str::to_string).collect(),
        values,
        repeated_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attitude_specs_parse_scales_and_weights() {
        let specs = parse_attitude_specs("nps:0-10, satisfaction:1-5:2,Q:a:-3-3").unwrap();
        assert_eq!(specs[0].column, "nps");
        assert_eq!(specs[0].scale, Scale::NPS);
        assert_eq!(specs[1].weight, 2.0);
        assert_eq!(specs[2].column, "Q:a");
        assert_eq!(
            specs[2].scale,
            Scale {
                min: -3.0,
                max: 3.0
            }
        );
    }

    fn load(content: &str, aggregation: SurveyAggregation) -> Result<Survey, ClmError> {
        load_until(content, aggregation, None)
    }

    fn load_until(
        content: &str,
        aggregation: SurveyAggregation,
        not_after: Option<i32>,
    ) -> Result<Survey, ClmError> {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::io::Write::write_all(&mut file, content.as_bytes()).unwrap();
        load_survey(&SurveyOptions {
            path: file.path(),
            customer_col: None,
            date_col: None,
            date_format: None,
            attitude: None,
            expectation_col: None,
            experience_col: None,
            aggregation,
            not_after,
            skip_invalid_answers: false,
        })
    }

    #[test]
    fn latest_non_empty_answer_per_question_wins() {
        // B's latest sheet skips NPS: its NPS comes from the earlier sheet. A's two sheets on
        // the same day: the later row wins.
        let survey = load(
            "Customer ID,Response Date,NPS,CSAT,expectation,experience\n\
             B,2025-03-01,6,2,4,3\n\
             A,2025-03-01,1,1,,\n\
             B,2025-04-01,,5,4,5\n\
             A,2025-03-01,10,4,,\n",
            SurveyAggregation::Latest,
        )
        .unwrap();
        assert_eq!(survey.customer_column, "Customer ID");
        assert_eq!(survey.date_column.as_deref(), Some("Response Date"));
        assert_eq!(survey.nps_question, Some(0));
        assert_eq!(survey.respondents, ["A", "B"]);
        assert_eq!(
            survey.answers,
            [[Some(10.0), Some(4.0)], [Some(6.0), Some(5.0)]]
        );
        assert_eq!(survey.satisfaction_gap, [None, Some(1.0)]);
        assert_eq!(survey.repeated_rows, 2);
    }

    #[test]
    fn mean_of_repeated_answers() {
        let survey = load(
            "member_no,satisfaction\n7.0,2\n7.0,\n7.0,5\n8.0,3\n",
            SurveyAggregation::Mean,
        )
        .unwrap();
        assert_eq!(survey.respondents, ["7", "8"]);
        assert_eq!(survey.answers, [[Some(3.5)], [Some(3.0)]]);
        assert_eq!(survey.nps_question, None);
    }

    #[test]
    fn malformed_attitude_specs_are_usage_errors() {
        for bad in ["nps", "nps:10-0", "nps:0-10:-1", "nps:zero-10", ""] {
            assert!(
                matches!(parse_attitude_specs(bad), Err(ClmError::Usage(_))),
                "{bad}"
            );
        }
    }

    /// Answers dated after the as-of date are left out and counted: the latest answer on or
    /// before it counts, and a respondent with only later answers is no respondent.
    #[test]
    fn answers_after_the_as_of_date_are_left_out() {
        let text = "customer_id,survey_date,nps\nA,2025-05-01,4\nA,2025-07-01,9\nB,2025-08-01,10\n";
        let as_of = day_number(chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        let survey = load_until(text, SurveyAggregation::Latest, Some(as_of)).unwrap();
        assert_eq!(survey.respondents, vec!["A"]);
        assert_eq!(survey.answers[0][0], Some(4.0));
        assert_eq!((survey.rows, survey.rows_after_as_of), (3, 2));
        let all = load(text, SurveyAggregation::Latest).unwrap();
        assert_eq!(all.respondents, vec!["A", "B"]);
        assert_eq!(all.answers[0][0], Some(9.0));
        assert_eq!(all.rows_after_as_of, 0);
    }

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// The recommend wording is the NPS question only when no known 0–10 column exists, and
    /// never a free-text follow-up; the file's column order is kept.
    #[test]
    fn nps_wording_is_detected_once_and_not_in_free_text() {
        let detected = detect_questions(&headers(&[
            "Satisfaction",
            "Why would you recommend us?",
            "How likely are you to recommend us?",
            "Would you recommend us to a colleague?",
        ]));
        let found: Vec<(&str, Scale)> = detected
            .iter()
            .map(|q| (q.column.as_str(), q.scale))
            .collect();
        assert_eq!(
            found,
            [
                ("Satisfaction", Scale::FIVE_POINT),
                ("How likely are you to recommend us?", Scale::NPS)
            ]
        );
        let with_known = detect_questions(&headers(&["How likely to recommend?", "NPS"]));
        assert_eq!(with_known.len(), 1);
        assert_eq!(with_known[0].column, "NPS");
        assert!(detect_questions(&headers(&["recommend_comment", "mood"])).is_empty());
    }

    /// Skipped answers are unanswered: the latest valid answer counts; ids are trimmed and
    /// counted.
    #[test]
    fn skipped_answers_leave_the_latest_valid_one() {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::io::Write::write_all(
            &mut file,
            b"customer_id,survey_date,nps\nA,2025-01-01,7\n\"A \",2025-02-01,12\nB,2025-01-01,x\n",
        )
        .unwrap();
        let survey = load_survey(&SurveyOptions {
            path: file.path(),
            customer_col: None,
            date_col: None,
            date_format: None,
            attitude: None,
            expectation_col: None,
            experience_col: None,
            aggregation: SurveyAggregation::Latest,
            not_after: None,
            skip_invalid_answers: true,
        })
        .unwrap();
        assert_eq!(survey.respondents, ["A", "B"]);
        assert_eq!(survey.answers, [[Some(7.0)], [None]]);
        assert_eq!(survey.trimmed_ids, 1);
        let invalid = &survey.invalid_answers[0];
        assert_eq!((invalid.outside_scale, invalid.not_numbers), (1, 1));
        assert_eq!(
            invalid.first_outside_scale,
            Some(("row 2 (line 3)".to_string(), "12".to_string()))
        );
    }
}
