//! The opening every transaction command shares: read the export behind a spinner, print the
//! standard notes on what loading did, and find the date of the last transaction.

use anyhow::Result;

use crate::data::dates::resolve_as_of;
use crate::data::load::LoadStats;
use crate::data::options::InputArgs;
use crate::data::options::MemoryArgs;
use crate::data::options::ReturnsPolicy;
use crate::data::placeholders::{OUTSIZED_SHARE, OutsizedId, outsized_ids};
use crate::data::stream::{BATCH_BYTES_VAR, in_memory_estimate, memory_budget, spill_transactions};
use crate::data::summary::{InputKind, SummaryFile, SummaryRecords};
use crate::data::survey::{Survey, SurveyAggregation};
use crate::data::{Transactions, load_transactions};
use crate::error::ClmError;
use crate::features::churn::{Histories, histories};
use crate::features::rfm::{Monetary, RfmMeasures, rfm_from_summaries, rfm_measures};
use crate::features::summary::{SpilledSummary, Summaries};
use crate::output::{Log, Stopwatch, counted, format_day};

/// Reads the transactions, prints the standard notes ([`log_load`]) and returns them with the
/// day of the last transaction; no transaction at all is bad data (exit 65).
pub fn read_transactions(
    input: &InputArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Transactions, i32)> {
    let (tx, last_day, _) = read_transactions_and_outsized_ids(input, log, timer)?;
    Ok((tx, last_day))
}

/// As [`read_transactions`], also returning the ids with an outsized share of the rows or
/// sales that it warned about, for a caller that shows them again (the report's overview)
/// without scanning the rows a second time.
pub fn read_transactions_and_outsized_ids(
    input: &InputArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Transactions, i32, Vec<OutsizedId>)> {
    if let Some(estimate) = in_memory_estimate(input).filter(|&e| e > memory_budget(None)) {
        log.note(format!(
            "{}: about {} in memory, more than half of this machine's RAM: read whole all the same (only rfm, clv, churn, loyalty and summary read an input in batches, with --memory-limit; docs/scale.md)",
            input.input.display(),
            size(estimate)
        ));
    }
    let spinner = log.spinner(&reading_message(input));
    let tx = load_transactions(input)?;
    drop(spinner);
    timer.lap("load");
    let outsized = log_load(log, &tx);
    let last_day = tx
        .last_day()
        .ok_or_else(|| ClmError::BadData(format!("{}: no transactions", tx.source)))?;
    Ok((tx, last_day, outsized))
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

/// Reads a per-customer summary (`--input-kind summary`, docs/summary.md); returns it with the
/// name of the source and its latest cut-off, the default as-of date. Flags that shape rows
/// (`--exclude-ids`, `--returns`, column names) apply when the summary is made, so they are a
/// usage error here rather than silently ignored.
pub fn read_summaries(
    input: &InputArgs,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Summaries, String, i32)> {
    refuse_row_flags(input)?;
    let file = SummaryFile::open(&input.input, "summary")?;
    summaries_from_file(input, &file, log, timer)
}

/// [`read_summaries`] on a file already opened (to tell its shape by its columns).
pub(crate) fn summaries_from_file(
    input: &InputArgs,
    file: &SummaryFile,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Summaries, String, i32)> {
    refuse_row_flags(input)?;
    let spinner = log.spinner("reading the summary");
    let records = file.read()?;
    drop(spinner);
    grouped_summaries(records, log, timer)
}

fn grouped_summaries(
    records: SummaryRecords,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(Summaries, String, i32)> {
    let source = records.source.clone();
    let summaries = Summaries::from_records(records);
    timer.lap("summary");
    log.detail(format!(
        "{source}: {} at {}",
        counted(summaries.len(), "customer"),
        counted(summaries.cutoffs.len(), "cut-off")
    ));
    let latest = summaries
        .latest()
        .ok_or_else(|| ClmError::BadData(format!("{source}: the summary has no rows")))?;
    Ok((summaries, source, latest))
}

fn refuse_row_flags(input: &InputArgs) -> Result<(), ClmError> {
    let mut given = Vec::new();
    if !input.exclude_ids.is_empty() {
        given.push("--exclude-ids");
    }
    if input.returns != ReturnsPolicy::Net {
        given.push("--returns");
    }
    for (flag, value) in [
        ("--customer-col", &input.columns.customer_col),
        ("--date-col", &input.columns.date_col),
        ("--amount-col", &input.columns.amount_col),
        ("--order-col", &input.columns.order_col),
        ("--date-format", &input.columns.date_format),
    ] {
        if value.is_some() {
            given.push(flag);
        }
    }
    if given.is_empty() {
        return Ok(());
    }
    Err(ClmError::Usage(format!(
        "{} {} the transaction rows: give {} to clm summary when making the summary, not with --input-kind summary",
        given.join(", "),
        if given.len() == 1 { "shapes" } else { "shape" },
        if given.len() == 1 { "it" } else { "them" }
    )))
}

/// Checks that the summary holds every cut-off in `needed`; else bad data (exit 65) naming the
/// `clm summary` command that makes one that does.
pub fn require_cutoffs(
    summaries: &Summaries,
    source: &str,
    needed: &[i32],
    make: &str,
) -> Result<(), ClmError> {
    let missing = summaries.missing_cutoffs(needed);
    if missing.is_empty() {
        return Ok(());
    }
    let days = |days: &[i32]| {
        days.iter()
            .map(|&d| format_day(d))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(ClmError::BadData(format!(
        "{source}: the summary has no rows at the cut-off{} {} that this analysis needs (it has {}); make one with: clm summary TRANSACTIONS {make} -o summary.csv",
        if missing.len() == 1 { "" } else { "s" },
        days(&missing),
        days(&summaries.cutoffs),
    )))
}

/// The RFM measures at the as-of date (`--as-of`, else the last transaction day or the
/// summary's latest cut-off) from the transactions or their summary, with the standard notes;
/// returns them with the name of the source and the as-of date.
pub fn read_rfm_measures(
    input: &InputArgs,
    memory: &MemoryArgs,
    kind: InputKind,
    as_of: Option<&str>,
    monetary: Monetary,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<(RfmMeasures, String, i32)> {
    if kind == InputKind::Summary {
        let (summaries, source, latest) = read_summaries(input, log, timer)?;
        let as_of = resolve_as_of(as_of, latest)?;
        require_cutoffs(&summaries, &source, &[as_of], &as_of_flag(as_of))?;
        return Ok((
            rfm_from_summaries(&summaries, as_of, monetary),
            source,
            as_of,
        ));
    }
    let at_as_of = |last_day| {
        let as_of = resolve_as_of(as_of, last_day)?;
        Ok((as_of, vec![as_of]))
    };
    if let Some(streamed) = stream_summaries(input, memory, at_as_of, log, timer)? {
        let mut measures = rfm_from_summaries(&streamed.summaries, streamed.as_of, monetary);
        measures.rows_after_as_of = streamed.rows_after_as_of;
        return Ok((measures, streamed.source, streamed.as_of));
    }
    let (tx, last_day) = read_transactions(input, log, timer)?;
    let as_of = resolve_as_of(as_of, last_day)?;
    let spinner = log.spinner("computing recency, frequency and monetary value");
    let measures = rfm_measures(&tx, as_of, monetary)?;
    drop(spinner);
    timer.lap("measures");
    Ok((measures, tx.source.clone(), as_of))
}

/// Transactions over the memory budget, summarised per customer in batches.
pub struct Streamed {
    /// The summary at the cut-offs asked for.
    pub summaries: Summaries,
    /// The input's name for messages.
    pub source: String,
    /// The as-of date.
    pub as_of: i32,
    /// The last transaction day.
    pub last_day: i32,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: usize,
}

/// Smallest and largest batch read when streaming, in bytes of text.
const BATCH_BYTES: (u64, u64) = (64 << 10, 256 << 20);
/// At most this many temporary files (partitions of the customers).
const MAX_PARTITIONS: u64 = 512;

/// The per-customer summary of transactions whose in-memory size would exceed the memory
/// budget (`--memory-limit`, docs/scale.md), read in batches and spilled to temporary files by
/// customer; `None` when they fit (or their size cannot be told: standard input), for the
/// caller to read them whole. `cutoffs` turns the last transaction day into the as-of date and
/// the cut-offs the analysis needs. The notes are those of [`read_transactions`], plus one
/// saying that the input is read in batches.
pub fn stream_summaries(
    input: &InputArgs,
    memory: &MemoryArgs,
    cutoffs: impl FnOnce(i32) -> Result<(i32, Vec<i32>)>,
    log: &Log,
    timer: &mut Stopwatch,
) -> Result<Option<Streamed>> {
    let budget = memory_budget(memory.memory_limit);
    let Some(estimate) = in_memory_estimate(input).filter(|&e| e > budget) else {
        return Ok(None);
    };
    // A batch takes about TEXT_EXPANSION times its text in memory: a third of the budget.
    let batch_bytes = std::env::var(BATCH_BYTES_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or((budget / 16).clamp(BATCH_BYTES.0, BATCH_BYTES.1));
    // A partition read back and summarised takes about 7 times its text (its rows, their
    // grouping by customer, the customers' days): a quarter of the budget, the rest for the
    // summaries of the customers and the analysis.
    let partitions = (estimate * 6).div_ceil(budget).clamp(2, MAX_PARTITIONS) as usize;
    log.note(format!(
        "{}: about {} in memory, over the memory budget of {} (--memory-limit): summarising it per customer in batches of {} through {partitions} temporary files",
        input.input.display(),
        size(estimate),
        size(budget),
        size(batch_bytes),
    ));
    let spinner = log.spinner(&reading_message(input));
    let spilled = spill_transactions(input, batch_bytes as usize, partitions)?;
    drop(spinner);
    timer.lap("load in batches");
    let source = spilled.stats.source.clone();
    let last_day = spilled
        .last_day
        .ok_or_else(|| ClmError::BadData(format!("{source}: no transactions")))?;
    let (as_of, cutoffs) = cutoffs(last_day)?;
    let spinner = log.spinner("summarising customers");
    let summary = SpilledSummary::new(&spilled, &cutoffs, as_of)?;
    drop(spinner);
    timer.lap("summary");
    log_loading(log, &spilled.stats);
    log_outsized_ids(log, &source, spilled.stats.rows, &summary.outsized);
    Ok(Some(Streamed {
        summaries: summary.summaries,
        source,
        as_of,
        last_day,
        rows_after_as_of: summary.rows_after_as_of,
    }))
}

/// A size in bytes for a note: `512 B`, `3 KB`, `120 MB`, `3.4 GB` (powers of 1024).
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{} KB", bytes >> 10),
        1_048_576..1_073_741_824 => format!("{} MB", bytes >> 20),
        _ => format!("{:.1} GB", bytes as f64 / f64::from(1u32 << 30)),
    }
}

/// `--as-of D` for a suggested `clm summary` command.
pub fn as_of_flag(as_of: i32) -> String {
    format!("--as-of {}", format_day(as_of))
}

/// Notes on what loading did, shared by the subcommands that read transactions; returns the
/// ids with an outsized share it warned about.
pub fn log_load(log: &Log, tx: &Transactions) -> Vec<OutsizedId> {
    log_loading(log, &tx.stats());
    match outsized_ids(&tx.frame) {
        Ok(outsized) => {
            log_outsized_ids(log, &tx.source, tx.frame.height(), &outsized);
            outsized
        }
        Err(e) => {
            log.note(format!("{}: could not check id shares: {e}", tx.source));
            Vec::new()
        }
    }
}

/// Notes on what loading did (all but the id shares).
fn log_loading(log: &Log, tx: &LoadStats) {
    log.detail(format!(
        "{}: {}; {}",
        tx.source,
        counted(tx.rows, "row"),
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
}

/// Names an id holding an outsized share of the rows or sales (a placeholder such as `0` or
/// `guest` standing for many customers would otherwise lead every analysis), and the flag that
/// leaves it out. Nothing is left out by default.
///
/// A warning, printed under `--quiet` too: a cron job acting on such a list should hear of it.
fn log_outsized_ids(log: &Log, source: &str, rows: usize, outsized: &[OutsizedId]) {
    for id in outsized {
        let flag = format!("--exclude-ids {}", shell_word(&id.id));
        log.warn(if id.row_share >= OUTSIZED_SHARE {
            format!(
                "{}: customer '{}' is on {:.1} % of the rows ({} of {rows}; {:.1} % of the sales): \
                 an id shared by many customers (unknown, guest, test) distorts every analysis; \
                 if it is one, leave it out with {flag}",
                source,
                id.id,
                100.0 * id.row_share,
                id.rows,
                100.0 * id.sales_share,
            )
        } else {
            format!(
                "{}: customer '{}' holds {:.1} % of the sales (on {} of {rows} rows): check it is \
                 not a data error or a placeholder; if it is, leave it out with {flag}",
                source,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_notes() {
        assert_eq!(size(1), "1 B");
        assert_eq!(size(5000), "4 KB");
        assert_eq!(size(300 << 20), "300 MB");
        assert_eq!(size(3 << 29), "1.5 GB");
    }
}
