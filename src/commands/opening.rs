//! The opening every transaction command shares: read the export behind a spinner, print the
//! standard notes on what loading did, and find the date of the last transaction.

use anyhow::Result;

use crate::data::options::InputArgs;
use crate::data::placeholders::{OUTSIZED_SHARE, outsized_ids};
use crate::data::survey::{Survey, SurveyAggregation};
use crate::data::{Transactions, load_transactions};
use crate::error::ClmError;
use crate::features::churn::{Histories, histories};
use crate::output::{Log, Stopwatch, counted};

/// Reads the transactions, prints the standard notes ([`log_load`]) and returns them with the
/// day of the last transaction; no transaction at all is bad data (exit 65).
pub fn read_transactions(
    input: &InputArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Transactions, i32)> {
    let spinner = log.spinner(&reading_message(input));
    let tx = load_transactions(input)?;
    drop(spinner);
    timer.lap("load");
    log_load(log, &tx);
    let last_day = tx
        .last_day()
        .ok_or_else(|| ClmError::BadData(format!("{}: no transactions", tx.source)))?;
    Ok((tx, last_day))
}

/// What the spinner says while a file is read: its name and size ("reading big.csv (412 MB)").
fn reading_message(input: &InputArgs) -> String {
    let name = input.input.display();
    match std::fs::metadata(&input.input).map(|meta| meta.len()) {
        Ok(bytes) if bytes >= 1 << 20 => format!("reading {name} ({} MB)", bytes >> 20),
        _ => format!("reading {name}"),
    }
}

/// Reads the transactions as [`read_transactions`] does and groups them into customer histories,
/// freeing the rows; returns the histories, the name of the source and the last day.
pub fn read_histories(
    input: &InputArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Histories, String, i32)> {
    let (tx, last_day) = read_transactions(input, log, timer)?;
    let spinner = log.spinner("building customer histories");
    let histories = histories(&tx)?;
    let source = tx.source.clone();
    drop(tx);
    drop(spinner);
    timer.lap("histories");
    Ok((histories, source, last_day))
}

/// Notes on what loading did, shared by the subcommands that read transactions.
pub fn log_load(log: &Log, tx: &Transactions) {
    log.detail(format!(
        "{}: {}; {}",
        tx.source,
        counted(tx.frame.height(), "row"),
        tx.columns.describe()
    ));
    if tx.trimmed_ids > 0 {
        log.note(trimmed_ids_note(&tx.source, tx.trimmed_ids));
    }
    for skipped in &tx.skipped {
        log.note(format!(
            "{}: skipped {}: {}",
            tx.source,
            counted(skipped.rows, "row"),
            skipped.reason
        ));
    }
    if tx.return_rows > 0 && !tx.skipped.iter().any(|s| s.reason.contains("returns")) {
        log.note(format!(
            "{}: {} (see --returns)",
            tx.source,
            counted(tx.return_rows, "return or cancellation row")
        ));
    }
    if !tx.exclusion.not_found.is_empty() {
        log.note(format!(
            "{}: no rows for these --exclude-ids: {}",
            tx.source,
            tx.exclusion.not_found_list()
        ));
    }
    log_outsized_ids(log, tx);
}

/// Names an id holding an outsized share of the rows or sales (a placeholder such as `0` or
/// `guest` standing for many customers would otherwise lead every analysis), and the flag that
/// leaves it out. Nothing is left out by default.
///
/// A warning, printed under `--quiet` too: a cron job acting on such a list should hear of it.
fn log_outsized_ids(log: &Log, tx: &Transactions) {
    let outsized = match outsized_ids(&tx.frame) {
        Ok(outsized) => outsized,
        Err(e) => {
            log.note(format!("{}: could not check id shares: {e}", tx.source));
            return;
        }
    };
    let rows = tx.frame.height();
    for id in outsized {
        let flag = format!("--exclude-ids {}", shell_word(&id.id));
        log.warn(if id.row_share >= OUTSIZED_SHARE {
            format!(
                "{}: customer '{}' is on {:.1} % of the rows ({} of {rows}; {:.1} % of the sales): \
                 an id shared by many customers (unknown, guest, test) distorts every analysis; \
                 if it is one, leave it out with {flag}",
                tx.source,
                id.id,
                100.0 * id.row_share,
                id.rows,
                100.0 * id.sales_share,
            )
        } else {
            format!(
                "{}: customer '{}' holds {:.1} % of the sales (on {} of {rows} rows): check it is \
                 not a data error or a placeholder; if it is, leave it out with {flag}",
                tx.source,
                id.id,
                100.0 * id.sales_share,
                id.rows,
            )
        });
    }
}

/// `id` as one shell word for a suggested command line: quoted when it holds anything but
/// letters, digits and `._-`; a comma would split the list, so such an id goes in an @FILE.
fn shell_word(id: &str) -> String {
    if id.contains(',') {
        return "@FILE (one id per line; this id holds a comma)".into();
    }
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return id.to_string();
    }
    format!("'{}'", id.replace('\'', r"'\''"))
}

/// The note for customer ids read without the whitespace around them, the same for the
/// transactions and the survey.
pub fn trimmed_ids_note(source: &str, rows: usize) -> String {
    format!(
        "{source}: whitespace trimmed around the customer id in {rows} row{} ('A ' and 'A' are one customer)",
        if rows == 1 { "" } else { "s" },
    )
}

/// Notes on what reading the survey did: its columns and questions (detail), answers after the
/// as-of date, trimmed ids, invalid answers left out, repeated answers resolved.
pub fn log_survey(log: &Log, survey: &Survey) {
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
