//! The output layer shared by all subcommands: one in-memory [`Table`], written as a terminal
//! table, CSV, TSV, JSON, JSON lines or Parquet, to stdout or atomically to a file.

pub mod labels;
mod options;
mod plural;
mod pretty;
mod progress;
mod text;
mod timing;
mod writer;
mod xlsx;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::ClmError;

pub use labels::Lang;
pub use options::{OutputArgs, OutputFormat};
pub use plural::counted;
pub use pretty::{human_header, render_table, set_lang, set_wide};
pub use progress::{LARGE_TABLE_ROWS, Progress, set_progress_shown};
pub use text::PackedText;
pub use timing::Stopwatch;
pub use writer::{Stream, standard_stream, write_atomically, write_to_path};
pub use xlsx::workbook_with_scales;

/// A column of values of one type.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Text, one `String` per row (small tables).
    Text(Vec<String>),
    /// Text of many rows in one buffer (the ids of millions of customers).
    PackedText(PackedText),
    /// Text drawn from a short list (segment names): row `i` reads `labels[codes[i]]`.
    Labels {
        labels: Vec<String>,
        codes: Vec<u32>,
    },
    Int(Vec<i64>),
    /// Floats with the number of decimals to print in text formats ([`ROUND_TRIP`]: in full).
    Float(Vec<f64>, usize),
    /// Days since 1970-01-01, printed as ISO dates; [`NO_DAY`] is an empty cell.
    Date(Vec<i32>),
}

/// Decimals of a [`Values::Float`] written in full: the shortest text that reads back as the
/// same float (tables that another program or `clm` reads again, such as the summary).
pub const ROUND_TRIP: usize = usize::MAX;

/// A missing date in a [`Values::Date`] column (an empty cell, null in Parquet).
pub const NO_DAY: i32 = i32::MIN;

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::PackedText(v) => v.len(),
            Values::Labels { codes, .. } => codes.len(),
            Values::Int(v) => v.len(),
            Values::Float(v, _) => v.len(),
            Values::Date(v) => v.len(),
        }
    }

    /// The first `n` rows (all when there are fewer).
    pub fn head(&self, n: usize) -> Values {
        let n = n.min(self.len());
        match self {
            Values::Text(v) => Values::Text(v[..n].to_vec()),
            Values::PackedText(v) => Values::PackedText(v.iter().take(n).collect()),
            Values::Labels { labels, codes } => Values::Labels {
                labels: labels.clone(),
                codes: codes[..n].to_vec(),
            },
            Values::Int(v) => Values::Int(v[..n].to_vec()),
            Values::Float(v, decimals) => Values::Float(v[..n].to_vec(), *decimals),
            Values::Date(v) => Values::Date(v[..n].to_vec()),
        }
    }

    /// The text of row `row` of a text column; `None` for numbers and dates.
    pub fn text(&self, row: usize) -> Option<&str> {
        match self {
            Values::Text(v) => Some(&v[row]),
            Values::PackedText(v) => Some(v.get(row)),
            Values::Labels { labels, codes } => Some(&labels[codes[row] as usize]),
            Values::Int(_) | Values::Float(..) | Values::Date(_) => None,
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub names: Vec<String>,
    pub columns: Vec<Values>,
}

impl Table {
    /// Adds a column (builder style).
    pub fn with(mut self, name: &str, values: Values) -> Table {
        debug_assert!(self.columns.first().is_none_or(|c| c.len() == values.len()));
        self.names.push(name.to_string());
        self.columns.push(values);
        self
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, Values::len)
    }

    /// One cell as display text (dates ISO, floats with their decimals).
    pub fn cell(&self, column: usize, row: usize) -> String {
        match &self.columns[column] {
            Values::Int(v) => v[row].to_string(),
            Values::Float(v, decimals) => format_float(v[row], *decimals),
            Values::Date(v) => format_day(v[row]),
            text => text.text(row).unwrap_or_default().to_string(),
        }
    }
}

/// A float with at most `decimals` decimals; non-finite values print as empty cells.
pub fn format_float(value: f64, decimals: usize) -> String {
    if value.is_finite() && decimals == ROUND_TRIP {
        value.to_string()
    } else if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        String::new()
    }
}

/// Days since 1970-01-01 as an ISO date.
pub fn format_day(day: i32) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    epoch
        .checked_add_signed(chrono::Duration::days(i64::from(day)))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// What a command produced: a summary for people and per-customer rows for machines.
pub struct Report {
    /// Lines printed above the summary table on a terminal (model parameters, notes).
    pub heading: Vec<String>,
    pub summary: Table,
    pub rows: Table,
}

/// Messages on stderr, silenced by `--quiet`.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub quiet: bool,
}

impl Log {
    /// Prints a note on stderr unless quiet.
    pub fn note(&self, message: impl AsRef<str>) {
        if !self.quiet {
            progress::above_progress(|| eprintln!("{}", message.as_ref()));
        }
    }

    /// A warning that a cron log must keep: printed even with --quiet.
    pub fn warn(&self, message: impl AsRef<str>) {
        progress::above_progress(|| eprintln!("clm: warning: {}", message.as_ref()));
    }

    /// A spinner on stderr while long work runs, only on a terminal and unless quiet (see
    /// [`Progress`]); it clears itself when dropped.
    pub fn spinner(&self, message: &str) -> Option<Spinner> {
        if self.quiet {
            return None;
        }
        let progress = Progress::spinner(message);
        progress.is_shown().then_some(Spinner(progress))
    }

    /// Prints a note only when stderr is a terminal (details a log file does not need).
    pub fn detail(&self, message: impl AsRef<str>) {
        if std::io::stderr().is_terminal() {
            self.note(message);
        }
    }
}

/// A running spinner; see [`Log::spinner`].
pub struct Spinner(Progress);

impl Spinner {
    /// Changes the message shown beside the spinner.
    pub fn set(&self, message: &str) {
        self.0.set_message(message);
    }
}

/// Checks, before any input is read, what a command will write: the format of `-o` is known,
/// and no output (`-o` and `others`, such as `--model-out`) is one of the files it reads
/// (`inputs`) or another output. Optional files not given are `None`.
pub fn check_outputs(
    args: &OutputArgs,
    others: &[Option<&Path>],
    inputs: &[Option<&Path>],
) -> Result<()> {
    if let Some(path) = &args.output {
        output_format(path, args.format)?;
    }
    let inputs: Vec<&Path> = inputs.iter().flatten().copied().collect();
    let outputs: Vec<&Path> = std::iter::once(args.output.as_deref())
        .chain(others.iter().copied())
        .flatten()
        .collect();
    for (i, output) in outputs.iter().enumerate() {
        refuse_input_overwrite(output, &inputs)?;
        // Two outputs into /dev/null or a terminal do not overwrite each other.
        let replaced = |path: &Path| !is_special(path);
        if let Some(earlier) = outputs[..i]
            .iter()
            .find(|earlier| replaced(output) && same_file(earlier, output))
        {
            return Err(ClmError::Usage(format!(
                "'{}' and '{}' are the same file: give each output its own",
                earlier.display(),
                output.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// The format of output `path`: `--format` when given, else from the extension; standard
/// output, devices and FIFOs without an extension take CSV, as a pipe does.
pub fn output_format(path: &Path, flag: Option<OutputFormat>) -> Result<OutputFormat> {
    if let Some(format) = flag {
        return Ok(format);
    }
    if is_special(path) && path.extension().is_none() {
        return Ok(OutputFormat::Csv);
    }
    format_from_extension(path)
}

/// Whether output `path` is written into rather than replaced: standard output or error, a
/// device, a FIFO or a socket.
fn is_special(path: &Path) -> bool {
    standard_stream(path).is_some()
        || std::fs::metadata(path).is_ok_and(|meta| !meta.is_file() && !meta.is_dir())
}

/// Writes a report as the output options ask: per-customer rows (or the summary with
/// `--summary`) to `-o` or stdout; the summary table on a terminal.
pub fn emit(report: &Report, args: &OutputArgs, inputs: &[&Path]) -> Result<()> {
    let stdout_is_terminal = std::io::stdout().is_terminal();
    match &args.output {
        Some(path) => {
            let format = output_format(path, args.format)?;
            refuse_input_overwrite(path, inputs)?;
            if format == OutputFormat::Xlsx {
                let book = workbook_of(report, args.summary, args.lang)?;
                writer::write_to_path(path, |out| Ok(out.write_all(&book)?))?;
                if stdout_is_terminal {
                    print_summary(report)?;
                }
                return Ok(());
            }
            let table = if args.summary {
                &report.summary
            } else {
                &report.rows
            };
            writer::write_file_atomically(path, &for_file(table, args.lang), format)?;
            // Rows written to stdout are not followed by the summary.
            if stdout_is_terminal && standard_stream(path) != Some(Stream::Stdout) {
                print_summary(report)?;
            }
            Ok(())
        }
        None => {
            let format = args.format.unwrap_or(if stdout_is_terminal {
                OutputFormat::Table
            } else {
                OutputFormat::Csv
            });
            if format == OutputFormat::Table {
                return print_summary(report);
            }
            if format == OutputFormat::Xlsx && stdout_is_terminal {
                return Err(ClmError::Usage(
                    "an Excel workbook is binary: write it with -o FILE.xlsx".to_string(),
                )
                .into());
            }
            let table = if args.summary {
                &report.summary
            } else {
                &report.rows
            };
            writer::write_stdout(&for_file(table, args.lang), format)
        }
    }
}

/// The report as an Excel workbook: a sheet of per-customer rows (unless only the summary is
/// asked for, or the rows are the summary) and a sheet of the summary.
fn workbook_of(report: &Report, summary_only: bool, lang: Lang) -> Result<Vec<u8>> {
    let mut sheets = Vec::new();
    if !summary_only && report.rows != report.summary {
        sheets.push(("customers", for_file(&report.rows, lang)));
    }
    sheets.push(("summary", for_file(&report.summary, lang)));
    let sheets: Vec<(&str, &Table)> = sheets.iter().map(|(name, t)| (*name, &**t)).collect();
    xlsx::workbook(&sheets)
}

/// A table as a file holds it: with `<column>_label` columns in a language other than English.
fn for_file(table: &Table, lang: Lang) -> std::borrow::Cow<'_, Table> {
    match lang {
        Lang::En => std::borrow::Cow::Borrowed(table),
        _ => std::borrow::Cow::Owned(labels::with_label_columns(table, lang)),
    }
}

fn print_summary(report: &Report) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in &report.heading {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}", render_table(&report.summary))?;
    Ok(())
}

/// The output format an extension implies.
pub fn format_from_extension(path: &Path) -> Result<OutputFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_lowercase();
    Ok(match ext.as_str() {
        "csv" => OutputFormat::Csv,
        "tsv" | "tab" => OutputFormat::Tsv,
        "json" => OutputFormat::Json,
        "jsonl" | "ndjson" => OutputFormat::Jsonl,
        "parquet" | "pq" => OutputFormat::Parquet,
        "xlsx" => OutputFormat::Xlsx,
        _ => {
            return Err(ClmError::Usage(format!(
                "cannot tell the format of '{}' from its extension; use .csv, .tsv, .json, .jsonl, .parquet or .xlsx, or pass --format",
                path.display()
            ))
            .into());
        }
    })
}

/// Refuses an output that is one of the regular files read as input, whatever path names it.
fn refuse_input_overwrite(output: &Path, inputs: &[&Path]) -> Result<()> {
    if standard_stream(output).is_some() {
        return Ok(());
    }
    for input in inputs {
        let is_file = std::fs::metadata(input).is_ok_and(|meta| meta.is_file());
        if is_file && same_file(input, output) {
            return Err(ClmError::Usage(format!(
                "refusing to overwrite the input file '{}' with the output",
                output.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// Whether two paths name one file: the same absolute path once links and `..` are resolved
/// (also for an output that does not exist yet), or the same inode (a hard link).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b))
        && a.dev() == b.dev()
        && a.ino() == b.ino()
    {
        return true;
    }
    match (canonical_target(a), canonical_target(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The absolute path an output would have, whether or not it exists yet.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(parent.join(path.file_name()?))
}

/// Writes one table to a file (atomically) or to stdout.
pub fn write_table_to(path: Option<&Path>, table: &Table, format: OutputFormat) -> Result<()> {
    match path {
        Some(path) => writer::write_file_atomically(path, table, format),
        None => writer::write_stdout(table, format),
    }
}
