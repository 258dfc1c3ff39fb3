//! The command tree: the top-level options and one subcommand per analysis. The option groups
//! the subcommands share are defined once, beside the layer that reads them (input, columns and
//! as-of date in `data::options`, output in `output::options`), and flattened into each
//! subcommand; nothing below `commands` imports this module.

use clap::{Parser, Subcommand};

use crate::commands::summary::SummaryArgs;
use crate::commands::{
    churn::ChurnArgs, clv::ClvArgs, cohorts::CohortsArgs, lifecycle::LifecycleArgs,
    loyalty::LoyaltyArgs, report::ReportArgs, retention::RetentionArgs, rfm::RfmArgs,
    simulate::SimulateArgs, sql::SqlArgs,
};

/// Customer analytics from transaction exports: RFM segments, the loyalty matrix, CLV and churn.
///
/// Every analysis reads a transaction export (CSV, CSV.gz, Parquet or CSV on stdin), maps its
/// columns to customer id, date and amount, and writes a table: a pretty summary on a terminal,
/// CSV when piped, or any format with --format / -o.
///
/// Exit codes: 0 success, 1 other failure, 2 usage error, 3 model below the quality asked
/// (churn --min-auc), 65 bad input data, 66 input missing or unreadable, 73 output cannot be
/// created.
#[derive(Debug, Parser)]
#[command(name = "clm", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Print nothing on stderr except errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show every column in terminal tables, however wide (by default a table wider than the
    /// terminal hides its action column and wraps text between words).
    #[arg(long, global = true)]
    pub wide: bool,

    #[command(subcommand)]
    pub command: Command,
}

impl Command {
    /// The output options of the subcommand, when it has the shared group.
    /// Whether the command keeps freed memory for reuse ([`crate::allocator`]): the model
    /// commands, which have no memory budget and free a column of every customer after another.
    pub fn reuses_freed_memory(&self) -> bool {
        matches!(self, Command::Clv(_) | Command::Churn(_))
    }

    pub fn output_args(&self) -> Option<&crate::output::OutputArgs> {
        match self {
            Command::Rfm(args) => Some(&args.output),
            Command::Loyalty(args) => Some(&args.output),
            Command::Clv(args) => Some(&args.output),
            Command::Churn(args) => Some(&args.output),
            Command::Cohorts(args) => Some(&args.output),
            Command::Lifecycle(args) => Some(&args.output),
            Command::Retention(args) => Some(&args.output),
            Command::Summary(args) => Some(&args.output),
            Command::Report(_) | Command::Simulate(_) | Command::Sql(_) => None,
        }
    }
}

/// The subcommands; each one's help text (with examples) is the doc comment of its `Args`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Rfm(RfmArgs),
    Loyalty(LoyaltyArgs),
    Clv(ClvArgs),
    Churn(ChurnArgs),
    Cohorts(CohortsArgs),
    Lifecycle(LifecycleArgs),
    Retention(RetentionArgs),
    Summary(SummaryArgs),
    Report(ReportArgs),
    Simulate(SimulateArgs),
    Sql(SqlArgs),
}
