//! `clm report`: every analysis the data allows, in one self-contained HTML page or one Excel
//! workbook.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::commands::opening::read_transactions_and_outsized_ids;
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::output::{Lang, Log, Stopwatch, check_outputs, counted, format_day, write_to_path};
use crate::report::{self, Document, Section};

/// Write one report of every analysis the data allows: an offline HTML page with charts, or an
/// Excel workbook with a sheet per analysis.
///
/// Sections: data overview (rows, customers, dates, skipped rows, returns, placeholder ids);
/// RFM segments (customers and revenue per segment, the recency × frequency grid, actions);
/// the loyalty matrix with NPS per quadrant (with --survey);
/// CLV (model fit, actual against predicted repeat purchases over calibration and holdout,
/// P(alive) by frequency and recency, the value-tier pyramid); churn (back-test gains, risk
/// bands, the 20 customers with the most value at risk and why); cohorts (retention heat map)
/// and lifecycle stages with their migration over the last 90 days. A section the data does not
/// allow says why instead. With --lang zh, titles, headers and names are in Chinese. Settings
/// are the commands' defaults (see docs/report.md).
///
/// The HTML page fetches nothing when viewed (styles inline, charts as inline SVG), prints one
/// section per page, and stays small whatever the number of customers: charts summarise.
///
/// Examples:
///   clm report fixtures/online_retail_sample.csv -o report.html
///   clm report fixtures/transactions.csv --survey fixtures/survey.csv -o report.html
///   clm report orders.parquet --as-of 2025-06-30 -o monday.xlsx
///   clm report fixtures/transactions.csv --lang zh -o report_zh.html
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,

    /// Survey answers (customer id, NPS, satisfaction, …) for the loyalty matrix, read as
    /// `clm loyalty --survey` reads them; without it the report has no loyalty section.
    #[arg(long, value_name = "FILE")]
    pub survey: Option<PathBuf>,

    /// The report to write (atomically): .html (or .htm) for the page, .xlsx for the workbook.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Language of section titles, table headers, and segment, quadrant, tier, stage and band
    /// names in tables and charts (en or zh; readings stay in English). The workbook keeps the
    /// English codes and gains a <column>_label column beside each (docs/labels.md).
    #[arg(long, value_enum, default_value_t = Lang::En, value_name = "LANG")]
    pub lang: Lang,
}

/// What the report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Html,
    Xlsx,
}

/// Runs `clm report`.
pub fn run(args: ReportArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("report");
    let format = report_format(&args.output)?;
    check_outputs(
        &Default::default(),
        &[Some(args.output.as_path())],
        &[Some(args.input.input.as_path()), args.survey.as_deref()],
    )?;
    let (tx, last_day, outsized) =
        read_transactions_and_outsized_ids(&args.input, &log, &mut timer)?;
    let explicit_as_of = args
        .as_of
        .as_of
        .as_deref()
        .map(|text| resolve_as_of(Some(text), last_day))
        .transpose()?;
    let as_of = explicit_as_of.unwrap_or(last_day);
    let spinner = log.spinner("building customer histories");
    let customers = report::customers(&tx, as_of)?;
    let histories = customers.histories;
    drop(spinner);
    timer.lap("histories");

    let overview = report::overview_section(&tx, &histories, &outsized, as_of);
    let loyalty = match &args.survey {
        Some(path) => Some(report::loyalty_section(
            (&customers.rfm, &tx.source),
            path,
            (as_of, explicit_as_of),
            &log,
        )?),
        None => None,
    };
    let source = tx.source.clone();
    drop(tx);
    timer.lap("overview, loyalty");

    // Churn's model fits run alone, as in `clm churn`, so that its figures are the command's
    // to the last bit (see analysis::churn::Context::backtest_and_training).
    let spinner = log.spinner("RFM and CLV");
    let (rfm, clv) = rayon::join(
        || report::rfm_section(customers.rfm, as_of),
        || report::clv_section(customers.btyd, &histories, as_of, &log),
    );
    drop(spinner);
    timer.lap("rfm, clv");
    let spinner = log.spinner("churn back-test and scores");
    let churn = report::churn_section(&histories, &source, as_of, last_day, &log);
    drop(spinner);
    timer.lap("churn");
    let (cohorts, lifecycle) = rayon::join(
        || report::cohorts_section(&histories, as_of),
        || report::lifecycle_section(&histories, &source, as_of),
    );
    timer.lap("cohorts, lifecycle");
    let mut sections: Vec<Section> = vec![overview, rfm];
    sections.extend(loyalty);
    sections.extend([clv, churn, cohorts, lifecycle]);
    let mut document = Document {
        lang: Lang::En,
        title: format!("Customer report: {}", file_name(&source)),
        subtitle: format!(
            "As of {}: {} from {}. Written by clm {}.",
            format_day(as_of),
            counted(histories.len(), "customer"),
            source,
            env!("CARGO_PKG_VERSION")
        ),
        sections,
    };
    for section in &document.sections {
        for block in &section.blocks {
            if let report::Block::Unavailable(why) = block {
                log.note(format!("{}: {why}", section.title));
            }
        }
    }
    // After the notes above, which stay in English as every message on stderr.
    report::localize(&mut document, args.lang);
    write(&document, &args.output, format)?;
    timer.lap("write");
    Ok(())
}

/// The format of the report file, from its extension.
fn report_format(path: &Path) -> Result<ReportFormat> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_lowercase();
    match extension.as_str() {
        "html" | "htm" => Ok(ReportFormat::Html),
        "xlsx" => Ok(ReportFormat::Xlsx),
        _ => Err(ClmError::Usage(format!(
            "cannot tell the report format of '{}': use .html for the page or .xlsx for the workbook",
            path.display()
        ))
        .into()),
    }
}

/// Writes the document atomically (to a temporary file renamed into place).
fn write(document: &Document, path: &Path, format: ReportFormat) -> Result<()> {
    let bytes = match format {
        ReportFormat::Html => report::page(document)
            .map_err(|e| ClmError::Output(format!("cannot write '{}': {e}", path.display())))?
            .into_bytes(),
        ReportFormat::Xlsx => report::workbook(document)?,
    };
    write_to_path(path, |out| Ok(out.write_all(&bytes)?))
}

/// The last part of a path, for the title.
fn file_name(source: &str) -> String {
    Path::new(source)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.to_string())
}
