//! Reading contractual data for `clm retention` (CSV, TSV, either gzip-compressed, or Parquet):
//! either subscription records (`customer_id, start, end`, an empty end = still active) or a
//! survival table (`cohort, period, alive`). Every bad cell is one clear error naming file,
//! row, column and value.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::columns::CUSTOMER_NAMES;
use super::dates::{Detected, day_number, detect_format, parse_date};
use super::table::{
    RowReader, detect, find_column, format_of, not_csv, open_delimited, read_headers, read_table_as,
};
use crate::data::options::InputFormat;
use crate::error::ClmError;
use crate::output::PackedText;

const START_NAMES: &[&str] = &[
    "start",
    "startdate",
    "startedat",
    "subscriptionstart",
    "contractstart",
    "signupdate",
    "signup",
    "activationdate",
    "activatedat",
    "joindate",
    "joined",
    "validfrom",
    "from",
];
const END_NAMES: &[&str] = &[
    "end",
    "enddate",
    "endedat",
    "subscriptionend",
    "contractend",
    "canceldate",
    "cancellationdate",
    "cancelledat",
    "canceledat",
    "churndate",
    "terminationdate",
    "validto",
    "to",
];
const COHORT_NAMES: &[&str] = &["cohort", "segment", "group", "startperiod", "acquisition"];
const PERIOD_NAMES: &[&str] = &["period", "year", "month", "renewals", "t"];
const ALIVE_NAMES: &[&str] = &[
    "alive",
    "active",
    "survivors",
    "surviving",
    "retained",
    "customers",
    "subscribers",
];

/// Which columns to read; `None` means detect.
#[derive(Debug, Clone, Default)]
pub struct ContractColumns<'a> {
    pub customer: Option<&'a str>,
    pub start: Option<&'a str>,
    pub end: Option<&'a str>,
    pub cohort: Option<&'a str>,
    pub period: Option<&'a str>,
    pub alive: Option<&'a str>,
    /// strftime format of the dates (default: detected).
    pub date_format: Option<&'a str>,
}

/// Subscription records, one per row in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriptions {
    pub source: String,
    /// The columns read: customer, start, end.
    pub columns: [String; 3],
    pub customer_id: PackedText,
    /// Start day (days since 1970-01-01).
    pub start: Vec<i32>,
    /// End day, `None` while active.
    pub end: Vec<Option<i32>>,
}

/// Survival counts per cohort: alive at the start of each period, from acquisition on.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalTable {
    pub source: String,
    /// `(cohort, alive counts)` in cohort order; the first count is the cohort's size.
    pub cohorts: Vec<(String, Vec<f64>)>,
}

/// What the file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ContractData {
    Subscriptions(Subscriptions),
    Table(SurvivalTable),
}

/// Reads `path` as subscriptions or, when `table` is true or (being `None`) the headers name a
/// period and an alive column but no start date, as a survival table.
pub fn load_contracts(
    path: &Path,
    columns: &ContractColumns<'_>,
    table: Option<bool>,
) -> Result<ContractData, ClmError> {
    let source = path.display().to_string();
    if source == "-" {
        return Err(ClmError::Usage(
            "clm retention reads a file (CSV, TSV, .gz or Parquet), not stdin".to_string(),
        ));
    }
    let format = format_of(&source);
    if format != InputFormat::Parquet && table != Some(true) {
        let headers = read_headers(
            &source,
            &mut open_delimited(path, &source, format, "input")?,
        )?;
        let looks_like_table = columns.start.is_none()
            && detect(&headers, START_NAMES).is_none()
            && detect(&headers, ALIVE_NAMES).is_some();
        if table == Some(false) || !looks_like_table {
            return stream_subscriptions(path, &source, format, &headers, columns)
                .map(ContractData::Subscriptions);
        }
    }
    let raw = read_table_as(path, &source, format, "input")?;
    let reader = Cells {
        rows: RowReader {
            source: &source,
            raw: &raw,
        },
    };
    let is_table = table.unwrap_or_else(|| {
        columns.start.is_none()
            && detect(&raw.headers, START_NAMES).is_none()
            && detect(&raw.headers, ALIVE_NAMES).is_some()
    });
    if is_table {
        read_table(&reader, columns).map(ContractData::Table)
    } else {
        read_subscriptions(&reader, columns).map(ContractData::Subscriptions)
    }
}

fn read_subscriptions(
    reader: &Cells<'_>,
    columns: &ContractColumns<'_>,
) -> Result<Subscriptions, ClmError> {
    let customer = reader.column_for(
        columns.customer,
        CUSTOMER_NAMES,
        "customer id",
        "--customer-col",
    )?;
    let start = reader
        .column_for(columns.start, START_NAMES, "start date", "--start-col")
        .map_err(|e| {
            ClmError::BadData(format!(
                "{e} (the input is subscriptions: customer id, start, end; or a survival table: cohort, period, alive)"
            ))
        })?;
    let end = reader.column_for(columns.end, END_NAMES, "end date", "--end-col")?;
    let customer_id = reader.rows.customer_ids(&customer)?;
    let format = reader.date_format(&[&start, &end], columns.date_format)?;
    let start_days = reader.days(&start, &format, false)?;
    let end_days = reader.days(&end, &format, true)?;
    for (row, (s, e)) in start_days.iter().zip(&end_days).enumerate() {
        if let (Some(s), Some(e)) = (s, e)
            && e < s
        {
            return Err(reader.rows.bad_cell(
                row,
                &end,
                format!(
                    "the subscription ends ({}) before it starts ({})",
                    crate::output::format_day(*e),
                    crate::output::format_day(*s)
                ),
            ));
        }
    }
    Ok(Subscriptions {
        source: reader.rows.source.to_string(),
        columns: [customer, start, end],
        customer_id: customer_id.iter().collect(),
        start: start_days.into_iter().flatten().collect(),
        end: end_days,
    })
}

fn read_table(
    reader: &Cells<'_>,
    columns: &ContractColumns<'_>,
) -> Result<SurvivalTable, ClmError> {
    let period = reader.column_for(columns.period, PERIOD_NAMES, "period", "--period-col")?;
    let alive = reader.column_for(columns.alive, ALIVE_NAMES, "alive count", "--alive-col")?;
    let cohort = match columns.cohort {
        Some(name) => Some(reader.require(name, "--cohort-col")?),
        None => detect(&reader.rows.raw.headers, COHORT_NAMES),
    };
    let periods = reader.numbers(&period)?;
    let counts = reader.numbers(&alive)?;
    let mut by_cohort: BTreeMap<String, Vec<(i64, f64, usize)>> = BTreeMap::new();
    for (row, (&p, &n)) in periods.iter().zip(&counts).enumerate() {
        if p.fract() != 0.0 || p < 0.0 {
            return Err(reader.rows.bad_cell(
                row,
                &period,
                format!("'{p}' is not a whole number >= 0"),
            ));
        }
        if n < 0.0 {
            return Err(reader
                .rows
                .bad_cell(row, &alive, format!("'{n}' is negative")));
        }
        let label = match &cohort {
            Some(c) => reader.text(c, row).unwrap_or_default().to_string(),
            None => "all".to_string(),
        };
        by_cohort.entry(label).or_default().push((p as i64, n, row));
    }
    let mut cohorts = Vec::new();
    for (label, mut rows) in by_cohort {
        rows.sort_by_key(|r| r.0);
        for pair in rows.windows(2) {
            let (previous, next) = (pair[0], pair[1]);
            if next.0 != previous.0 + 1 {
                let what = if next.0 == previous.0 {
                    "repeats"
                } else {
                    "skips to"
                };
                return Err(reader.rows.bad_cell(
                    next.2,
                    &period,
                    format!(
                        "cohort '{label}': period {} {what} after period {}; give one row per period, consecutively",
                        next.0, previous.0
                    ),
                ));
            }
            if next.1 > previous.1 {
                return Err(reader.rows.bad_cell(
                    next.2,
                    &alive,
                    format!(
                        "cohort '{label}': {} alive in period {} but only {} in period {}; counts must not rise",
                        next.1, next.0, previous.1, previous.0
                    ),
                ));
            }
        }
        cohorts.push((label, rows.iter().map(|r| r.1).collect()));
    }
    Ok(SurvivalTable {
        source: reader.rows.source.to_string(),
        cohorts,
    })
}

/// Rows read before the date format is detected from them.
const DATE_SAMPLE_ROWS: usize = 1000;

/// Subscriptions from a CSV or TSV file in one pass, keeping only the three columns: ids packed,
/// each distinct date text parsed once. Millions of rows stay a few bytes each.
fn stream_subscriptions(
    path: &Path,
    source: &str,
    format: InputFormat,
    headers: &[String],
    columns: &ContractColumns<'_>,
) -> Result<Subscriptions, ClmError> {
    let find =
        |given, spellings, role, flag| find_column(source, headers, given, spellings, role, flag);
    let customer = find(
        columns.customer,
        CUSTOMER_NAMES,
        "customer id",
        "--customer-col",
    )?;
    let start = find(columns.start, START_NAMES, "start date", "--start-col").map_err(|e| {
        ClmError::BadData(format!(
            "{e} (the input is subscriptions: customer id, start, end; or a survival table: cohort, period, alive)"
        ))
    })?;
    let end = find(columns.end, END_NAMES, "end date", "--end-col")?;
    let index = |name: &str| headers.iter().position(|h| h == name).unwrap_or_default();
    let (id_at, start_at, end_at) = (index(&customer), index(&start), index(&end));
    let bad = |row: usize, column: &str, what: String| {
        ClmError::BadData(format!(
            "{source}: row {} (line {}), column '{column}': {what}",
            row + 1,
            row + 2
        ))
    };
    let mut reader = open_delimited(path, source, format, "input")?;
    let mut records = reader.byte_records();
    // The first rows as text, to detect the date format from.
    let mut sample: Vec<csv::ByteRecord> = Vec::new();
    for record in records.by_ref().take(DATE_SAMPLE_ROWS) {
        sample.push(record.map_err(|e| not_csv(source, e))?);
    }
    if sample.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: the file has a header but no data rows"
        )));
    }
    let date_format = match columns.date_format {
        Some(format) => format.to_string(),
        None => {
            let texts: Vec<String> = sample
                .iter()
                .flat_map(|r| [field(r, start_at), field(r, end_at)])
                .filter(|t| !t.is_empty())
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            detected_format(source, &texts, &[&start, &end])?
        }
    };
    let mut parsed: HashMap<Vec<u8>, Option<i32>> = HashMap::new();
    let mut day_of = |text: &[u8]| -> Option<i32> {
        if let Some(day) = parsed.get(text) {
            return *day;
        }
        let day = std::str::from_utf8(text)
            .ok()
            .and_then(|t| parse_date(t, &date_format))
            .map(day_number);
        parsed.insert(text.to_vec(), day);
        day
    };
    let mut subs = Subscriptions {
        source: source.to_string(),
        columns: [customer.clone(), start.clone(), end.clone()],
        customer_id: PackedText::default(),
        start: Vec::new(),
        end: Vec::new(),
    };
    let rest = records.map(|r| r.map_err(|e| not_csv(source, e)));
    for (row, record) in sample.into_iter().map(Ok).chain(rest).enumerate() {
        let record = record?;
        let id = std::str::from_utf8(field(&record, id_at))
            .map_err(|_| bad(row, &customer, "the customer id is not UTF-8 text".into()))?;
        if id.is_empty() {
            return Err(bad(row, &customer, "the customer id is empty".into()));
        }
        let start_text = field(&record, start_at);
        if start_text.is_empty() {
            return Err(bad(row, &start, "the date is empty".into()));
        }
        let not_a_date = |text: &[u8]| {
            format!(
                "'{}' is not a date in the format {date_format}",
                String::from_utf8_lossy(text)
            )
        };
        let start_day =
            day_of(start_text).ok_or_else(|| bad(row, &start, not_a_date(start_text)))?;
        let end_text = field(&record, end_at);
        let end_day = match end_text.is_empty() {
            true => None,
            false => Some(day_of(end_text).ok_or_else(|| bad(row, &end, not_a_date(end_text)))?),
        };
        if let Some(end_day) = end_day
            && end_day < start_day
        {
            return Err(bad(
                row,
                &end,
                format!(
                    "the subscription ends ({}) before it starts ({})",
                    crate::output::format_day(end_day),
                    crate::output::format_day(start_day)
                ),
            ));
        }
        subs.customer_id.push(id);
        subs.start.push(start_day);
        subs.end.push(end_day);
    }
    subs.customer_id = without_float_suffix(subs.customer_id);
    Ok(subs)
}

/// A cell's bytes with surrounding whitespace trimmed (empty when the row is short).
fn field(record: &csv::ByteRecord, index: usize) -> &[u8] {
    record.get(index).unwrap_or_default().trim_ascii()
}

/// Ids written as floats (`17850.0`) lose the `.0` when all of them have it.
fn without_float_suffix(ids: PackedText) -> PackedText {
    let float_ids = ids.iter().all(|v| {
        v.strip_suffix(".0")
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    });
    if !float_ids {
        return ids;
    }
    ids.iter().map(|id| id.trim_end_matches(".0")).collect()
}

/// The date format the sample reads in, or an error naming the columns.
fn detected_format(source: &str, sample: &[&str], columns: &[&str]) -> Result<String, ClmError> {
    match detect_format(sample) {
        Detected::Format(f) | Detected::Unknown { best: Some(f), .. } => Ok(f.to_string()),
        Detected::Ambiguous(a, b) => Err(ClmError::BadData(format!(
            "{source}: dates in columns {} read both as {a} and {b}; choose with --date-format",
            columns.join(", ")
        ))),
        Detected::Unknown {
            best: None,
            first_failure,
        } => Err(ClmError::BadData(format!(
            "{source}: columns {} do not hold dates in a known format (first value '{first_failure}'); give one with --date-format",
            columns.join(", ")
        ))),
    }
}

/// Text cells of one file with row-level errors: the survey's reader, and what subscription
/// records and survival tables need besides.
struct Cells<'a> {
    rows: RowReader<'a>,
}

impl Cells<'_> {
    fn column(&self, name: &str) -> &[Option<String>] {
        self.rows.column(name)
    }

    fn text(&self, column: &str, row: usize) -> Option<&str> {
        self.column(column)[row].as_deref()
    }

    fn require(&self, name: &str, flag: &str) -> Result<String, ClmError> {
        find_column(
            self.rows.source,
            &self.rows.raw.headers,
            Some(name),
            &[],
            "",
            flag,
        )
    }

    fn column_for(
        &self,
        given: Option<&str>,
        spellings: &[&str],
        role: &str,
        flag: &str,
    ) -> Result<String, ClmError> {
        find_column(
            self.rows.source,
            &self.rows.raw.headers,
            given,
            spellings,
            role,
            flag,
        )
    }

    /// The date format: given, or detected from the non-empty cells of `columns`.
    fn date_format(&self, columns: &[&str], given: Option<&str>) -> Result<String, ClmError> {
        if let Some(format) = given {
            return Ok(format.to_string());
        }
        let sample: Vec<&str> = columns
            .iter()
            .flat_map(|c| self.column(c).iter().flatten().take(DATE_SAMPLE_ROWS))
            .map(String::as_str)
            .collect();
        detected_format(self.rows.source, &sample, columns)
    }

    /// Days of a date column; empty cells are `None` where `may_be_empty`, an error otherwise.
    fn days(
        &self,
        column: &str,
        format: &str,
        may_be_empty: bool,
    ) -> Result<Vec<Option<i32>>, ClmError> {
        // Millions of subscriptions share a few thousand dates: parse each text once.
        let mut parsed: HashMap<&str, Option<i32>> = HashMap::new();
        self.column(column)
            .iter()
            .enumerate()
            .map(|(index, cell)| match cell {
                None if may_be_empty => Ok(None),
                None => Err(self
                    .rows
                    .bad_cell(index, column, "the date is empty".into())),
                Some(text) => {
                    let day = *parsed
                        .entry(text.as_str())
                        .or_insert_with(|| parse_date(text, format).map(day_number));
                    day.map(Some).ok_or_else(|| {
                        self.rows.bad_cell(
                            index,
                            column,
                            format!("'{text}' is not a date in the format {format}"),
                        )
                    })
                }
            })
            .collect()
    }

    /// Numbers of a column; an empty cell is an error.
    fn numbers(&self, column: &str) -> Result<Vec<f64>, ClmError> {
        self.column(column)
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let Some(text) = cell else {
                    return Err(self
                        .rows
                        .bad_cell(index, column, "the cell is empty".into()));
                };
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        self.rows
                            .bad_cell(index, column, format!("'{text}' is not a number"))
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn reads_subscriptions_with_detected_columns() {
        let file =
            write("Customer ID,Start Date,End Date\n7.0,2024-01-05,2024-03-05\n8.0,2024-02-01,\n");
        let ContractData::Subscriptions(subs) =
            load_contracts(file.path(), &ContractColumns::default(), None).unwrap()
        else {
            panic!("expected subscriptions")
        };
        assert_eq!(subs.customer_id.iter().collect::<Vec<_>>(), ["7", "8"]);
        assert_eq!(subs.end[1], None);
        assert_eq!(subs.end[0].unwrap() - subs.start[0], 60);
    }

    #[test]
    fn end_before_start_names_row_and_column() {
        let file =
            write("customer_id,start,end\na,2024-01-05,2024-03-05\nb,2024-02-01,2024-01-01\n");
        let err = load_contracts(file.path(), &ContractColumns::default(), None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("row 2 (line 3), column 'end'"), "{text}");
        assert!(matches!(err, ClmError::BadData(_)));
    }

    #[test]
    fn reads_a_survival_table_and_checks_its_counts() {
        let file = write("cohort,period,alive\nB,1,50\nA,0,100\nA,1,60\nB,0,80\n");
        let ContractData::Table(table) =
            load_contracts(file.path(), &ContractColumns::default(), None).unwrap()
        else {
            panic!("expected a table")
        };
        assert_eq!(
            table.cohorts,
            [
                ("A".into(), vec![100.0, 60.0]),
                ("B".into(), vec![80.0, 50.0])
            ]
        );
        let rising = write("cohort,period,alive\nA,0,100\nA,1,120\n");
        let err = load_contracts(rising.path(), &ContractColumns::default(), None).unwrap_err();
        assert!(
            err.to_string().contains("row 2 (line 3), column 'alive'"),
            "{err}"
        );
        let gap = write("cohort,period,alive\nA,0,100\nA,2,90\n");
        let err = load_contracts(gap.path(), &ContractColumns::default(), None).unwrap_err();
        assert!(err.to_string().contains("skips to"), "{err}");
    }

    #[test]
    fn missing_file_is_input_missing() {
        let err = load_contracts(
            Path::new("/no/such/file.csv"),
            &ContractColumns::default(),
            None,
        )
        .unwrap_err();
        assert!(matches!(err, ClmError::InputMissing(_)));
    }
}
