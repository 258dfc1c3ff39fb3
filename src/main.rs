//! `clm`: parse the command line, dispatch, turn errors into exit codes.

use clap::Parser;
use clm::{cli, commands, error};

fn main() {
    let cli = cli::Cli::parse();
    if cli.command.reuses_freed_memory() {
        clm::allocator::reuse_freed_memory();
    }
    clm::output::set_wide(cli.wide);
    clm::output::set_progress_shown(!cli.quiet);
    if let Some(output) = cli.command.output_args() {
        clm::output::set_lang(output.lang);
    }
    // Without the handlers a signal still stops clm, only leaving its temporary files behind.
    if let Err(e) = clm::cleanup::install_signal_handlers() {
        eprintln!("clm: warning: temporary files may be left behind on Ctrl-C: {e}");
    }
    let result = match cli.command {
        cli::Command::Clv(args) => commands::clv::run(args, cli.quiet),
        cli::Command::Churn(args) => commands::churn::run(args, cli.quiet),
        cli::Command::Cohorts(args) => commands::cohorts::run(args, cli.quiet),
        cli::Command::Lifecycle(args) => commands::lifecycle::run(args, cli.quiet),
        cli::Command::Rfm(args) => commands::rfm::run(args, cli.quiet),
        cli::Command::Loyalty(args) => commands::loyalty::run(args, cli.quiet),
        cli::Command::Retention(args) => commands::retention::run(args, cli.quiet),
        cli::Command::Summary(args) => commands::summary::run(args, cli.quiet),
        cli::Command::Report(args) => commands::report::run(args, cli.quiet),
        cli::Command::Simulate(args) => commands::simulate::run(args, cli.quiet),
        cli::Command::Sql(args) => commands::sql::run(args, cli.quiet),
    };
    if let Err(err) = result {
        let code = error::exit_code_for(&err);
        if code != error::EXIT_OK {
            eprintln!("clm: error: {err:#}");
        }
        std::process::exit(code);
    }
}
