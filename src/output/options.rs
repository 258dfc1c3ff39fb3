//! The output options every command shares, defined here beside the writers and flattened into
//! each subcommand.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::labels::Lang;

/// Where and how a command writes its report.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Write per-customer rows to this file (atomically); format from the extension
    /// (.csv .tsv .json .jsonl .parquet .xlsx) unless --format is given.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format. Default: table on a terminal, CSV when piped, or from -o's extension.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Write the summary table in the chosen format instead of per-customer rows.
    #[arg(long)]
    pub summary: bool,

    /// Language of segment, quadrant, tier, stage and band names, actions and headers in tables
    /// (en or zh). Files keep the English codes; with zh each coded column and the action gain a
    /// <column>_label column beside them (docs/labels.md).
    #[arg(long, value_enum, default_value_t = Lang::En, value_name = "LANG")]
    pub lang: Lang,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Pretty table for a terminal.
    Table,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Excel workbook: the per-customer rows and the summary, one sheet each.
    Xlsx,
}
