//! `clm lifecycle`: where each customer is in the relationship, and how lapsed ones left.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rayon::prelude::*;

use crate::commands::opening::read_histories;
use crate::data::dates::resolve_as_of;
use crate::data::options::{AsOfArgs, InputArgs};
use crate::error::ClmError;
use crate::features::churn::Histories;
use crate::features::lifecycle::{
    CustomerLifecycle, LifecycleWindows, gap_quantile, inter_purchase_gaps, lifecycle_at,
};
use crate::output::OutputArgs;
use crate::output::{
    Log, PackedText, Report, Stopwatch, Table, Values, emit, format_day, format_from_extension,
    render_table, write_table_to,
};
use crate::segment::lifecycle::{ExitPattern, Stage, StageTable};

/// Relationship stage per customer, and how each lapsed relationship ended.
///
/// Stages are exploration, formation, stability, decline and lapsed; the exit pattern of a
/// lapsed customer is early abort, mid-way, early exit or long-term. Stages come from each
/// customer's own rhythm (median days between purchases), how overdue they are against it,
/// and the trend of their purchase rate (the last --trend-days against the time before),
/// through a rule table (first match wins; --rules FILE for your own). A customer with no
/// purchase in the lapse window is lapsed; the window defaults to a high quantile of all
/// inter-purchase gaps and is shown. See docs/lifecycle.md.
///
/// Per-customer columns: customer_id, stage, exit_pattern, tenure_days, purchases,
/// recency_days, rhythm_days, trend, action.
///
/// Examples:
///   clm lifecycle fixtures/transactions.csv
///   clm lifecycle orders.parquet --compare 90d --transitions moves.csv -o stages.csv
///   clm lifecycle orders.csv --lapse-days 180 --rules my-stages.toml
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct LifecycleArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub output: OutputArgs,

    /// Days without a purchase after which a customer is lapsed (default: the rule table's
    /// quantile, 90 %, of all gaps between purchase days).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub lapse_days: Option<u32>,

    /// Length of the recent window of the trend (default: the lapse window).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub trend_days: Option<u32>,

    /// Stage table (TOML: lapse_quantile, long_term_days, [[rule]] stage with optional
    /// purchases, tenure_days, overdue, trend ranges { min, max }).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Also compare with the stages this long before the as-of date (e.g. 90d, 13w): a
    /// transition matrix of customers and their revenue in between.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_days)]
    pub compare: Option<i32>,

    /// Write the transition matrix of --compare as rows (from_stage, to_stage, customers,
    /// revenue) to this file.
    #[arg(long, value_name = "FILE", requires = "compare")]
    pub transitions: Option<PathBuf>,
}

/// A duration in days from `90d`, `13w` or a bare number of days.
fn parse_duration_days(text: &str) -> Result<i32, String> {
    let text = text.trim();
    let (number, unit) = match text.strip_suffix(['d', 'w']) {
        Some(number) => (number, if text.ends_with('w') { 7 } else { 1 }),
        None => (text, 1),
    };
    match number.parse::<i32>() {
        Ok(n) if n > 0 && n <= 100_000 => Ok(n * unit),
        _ => Err(format!(
            "'{text}' is not a duration such as 90d or 13w (days or weeks)"
        )),
    }
}

/// Runs `clm lifecycle`.
pub fn run(args: LifecycleArgs, quiet: bool) -> Result<()> {
    let log = Log { quiet };
    let mut timer = Stopwatch::start("lifecycle");
    let table = load_stage_table(args.rules.as_ref())?;
    if let Some(path) = &args.transitions {
        format_from_extension(path)?;
        refuse_input_as_transitions(path, &args.input.input)?;
    }
    let (histories, source, last_day) = read_histories(&args.input, &log, &mut timer)?;
    let as_of = resolve_as_of(args.as_of.as_of.as_deref(), last_day)?;
    let (lapse_days, lapse_note) = match args.lapse_days {
        Some(days) => (days as i32, "set by --lapse-days".to_string()),
        None => {
            let gaps = inter_purchase_gaps(&histories, as_of);
            let count = gaps.len();
            let days = gap_quantile(gaps, table.lapse_quantile).ok_or_else(|| {
                ClmError::BadData(format!(
                    "{source}: no customer bought twice by {}, so the lapse window cannot come from the data; pass --lapse-days",
                    format_day(as_of)
                ))
            })?;
            let quantile = 100.0 * table.lapse_quantile;
            (
                days.max(1),
                format!("the {quantile:.0} % quantile of {count} gaps between purchase days"),
            )
        }
    };
    let windows = LifecycleWindows {
        lapse_days,
        trend_days: args.trend_days.map_or(lapse_days, |d| d as i32),
    };
    let now = classify(&histories, as_of, &table, windows, true);
    let customers = now.iter().flatten().count();
    if customers == 0 {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {}",
            format_day(as_of)
        ))
        .into());
    }
    timer.lap("stages");
    log_left_out(&log, &histories, &now, as_of);
    let mut heading = vec![format!(
        "Lifecycle as of {}: {customers} customers; lapsed after {lapse_days} days without a purchase ({lapse_note}); trend over the last {} days against the time before; long-term exit after {} days in stability",
        format_day(as_of),
        windows.trend_days,
        table.long_term_days
    )];
    if let Some(days) = args.compare {
        let before = classify(&histories, as_of - days, &table, windows, false);
        let moves = transitions(&histories, &before, &now, as_of - days, as_of);
        heading.push(format!(
            "Stage on {} (rows) against {} (columns): customers / net revenue in between",
            format_day(as_of - days),
            format_day(as_of)
        ));
        heading.push(render_table(&transition_matrix(&moves)));
        if let Some(path) = &args.transitions {
            write_table_to(Some(path), &moves, format_from_extension(path)?)?;
        }
    }
    let report = Report {
        heading,
        summary: stage_summary(&now),
        rows: customer_rows(&histories.customer_id, &now),
    };
    emit(&report, &args.output, &[args.input.input.as_path()])?;
    timer.lap("output");
    Ok(())
}

/// Rows after the as-of date and customers with only returns up to it are left out: say so.
fn log_left_out(log: &Log, histories: &Histories, now: &[Option<CustomerLifecycle>], as_of: i32) {
    let (mut rows_after, mut returns_only) = (0u64, 0usize);
    for (i, stage) in now.iter().enumerate() {
        let days = histories.days_of(i);
        let known = days.partition_point(|d| d.day <= as_of);
        rows_after += days[known..].iter().map(|d| u64::from(d.rows)).sum::<u64>();
        returns_only += usize::from(stage.is_none() && known > 0);
    }
    if rows_after > 0 {
        log.note(format!(
            "{rows_after} rows dated after the as-of date {} ignored",
            format_day(as_of)
        ));
    }
    if returns_only > 0 {
        log.note(format!(
            "{returns_only} customers with only returns up to the as-of date left out"
        ));
    }
}

/// `--transitions` is written directly, not through `emit`: it gets the same guard.
fn refuse_input_as_transitions(path: &std::path::Path, input: &std::path::Path) -> Result<()> {
    if let (Ok(a), Ok(b)) = (path.canonicalize(), input.canonicalize())
        && a == b
    {
        return Err(ClmError::Usage(format!(
            "refusing to overwrite the input file '{}' with the transitions",
            path.display()
        ))
        .into());
    }
    Ok(())
}

fn load_stage_table(path: Option<&PathBuf>) -> Result<StageTable> {
    let Some(path) = path else {
        return Ok(StageTable::default());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClmError::InputMissing(format!("cannot read stage table '{name}': {e}")))?;
    Ok(StageTable::from_toml(&text).map_err(|e| ClmError::BadData(format!("{name}: {e}")))?)
}

/// Every customer's lifecycle at `cutoff` (`None` before their first purchase).
fn classify(
    histories: &Histories,
    cutoff: i32,
    table: &StageTable,
    windows: LifecycleWindows,
    with_exit: bool,
) -> Vec<Option<CustomerLifecycle>> {
    (0..histories.len())
        .into_par_iter()
        .map(|i| lifecycle_at(histories.days_of(i), cutoff, table, windows, with_exit))
        .collect()
}

/// Label of a customer's exit pattern, or "" (index 0) when they have none.
fn exit_code(c: &CustomerLifecycle) -> u32 {
    c.exit_pattern.map_or(0, |p| {
        1 + ExitPattern::ALL.iter().position(|&q| q == p).unwrap_or(0) as u32
    })
}

fn stage_code(stage: Stage) -> u32 {
    Stage::ALL.iter().position(|&s| s == stage).unwrap_or(0) as u32
}

fn exit_labels() -> Vec<String> {
    std::iter::once(String::new())
        .chain(ExitPattern::ALL.iter().map(|p| p.name().to_string()))
        .collect()
}

/// A customer's action: their stage's, or their exit pattern's when lapsed.
fn action_of(c: &CustomerLifecycle) -> &'static str {
    c.exit_pattern.map_or(c.stage.action(), ExitPattern::action)
}

fn customer_rows(ids: &PackedText, stages: &[Option<CustomerLifecycle>]) -> Table {
    let kept: Vec<(usize, &CustomerLifecycle)> = stages
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
        .collect();
    let actions: Vec<&'static str> = Stage::ALL
        .iter()
        .map(|s| s.action())
        .chain(ExitPattern::ALL.iter().map(|p| p.action()))
        .collect();
    let action_code =
        |c: &CustomerLifecycle| actions.iter().position(|&a| a == action_of(c)).unwrap_or(0) as u32;
    Table::default()
        .with(
            "customer_id",
            Values::PackedText(kept.iter().map(|&(i, _)| ids.get(i)).collect()),
        )
        .with(
            "stage",
            Values::Labels {
                labels: Stage::ALL.iter().map(|s| s.name().to_string()).collect(),
                codes: kept.iter().map(|(_, c)| stage_code(c.stage)).collect(),
            },
        )
        .with(
            "exit_pattern",
            Values::Labels {
                labels: exit_labels(),
                codes: kept.iter().map(|(_, c)| exit_code(c)).collect(),
            },
        )
        .with(
            "tenure_days",
            Values::Int(kept.iter().map(|(_, c)| i64::from(c.tenure_days)).collect()),
        )
        .with(
            "purchases",
            Values::Int(kept.iter().map(|(_, c)| i64::from(c.purchases)).collect()),
        )
        .with(
            "recency_days",
            Values::Int(
                kept.iter()
                    .map(|(_, c)| i64::from(c.recency_days))
                    .collect(),
            ),
        )
        .with(
            "rhythm_days",
            Values::Float(kept.iter().map(|(_, c)| c.rhythm_days).collect(), 1),
        )
        .with(
            "trend",
            Values::Float(kept.iter().map(|(_, c)| c.trend).collect(), 2),
        )
        .with(
            "action",
            Values::Labels {
                labels: actions.iter().map(|a| a.to_string()).collect(),
                codes: kept.iter().map(|(_, c)| action_code(c)).collect(),
            },
        )
}

/// Customers, share, revenue share and mean value per stage, lapsed ones per exit pattern.
fn stage_summary(stages: &[Option<CustomerLifecycle>]) -> Table {
    let mut groups: Vec<(Stage, Option<ExitPattern>)> =
        Stage::ALL[..4].iter().map(|&s| (s, None)).collect();
    groups.extend(ExitPattern::ALL.iter().map(|&p| (Stage::Lapsed, Some(p))));
    let mut customers = vec![0usize; groups.len()];
    let mut value = vec![0.0; groups.len()];
    for c in stages.iter().flatten() {
        let g = groups
            .iter()
            .position(|&(s, p)| s == c.stage && p == c.exit_pattern)
            .unwrap_or(0);
        customers[g] += 1;
        value[g] += c.value;
    }
    let total_customers = customers.iter().sum::<usize>() as f64;
    let total_value: f64 = value.iter().sum();
    let present: Vec<usize> = (0..groups.len()).filter(|&g| customers[g] > 0).collect();
    let column = |f: &dyn Fn(usize) -> f64, decimals| {
        Values::Float(present.iter().map(|&g| f(g)).collect(), decimals)
    };
    Table::default()
        .with(
            "stage",
            Values::Text(
                present
                    .iter()
                    .map(|&g| groups[g].0.name().to_string())
                    .collect(),
            ),
        )
        .with(
            "exit_pattern",
            Values::Text(
                present
                    .iter()
                    .map(|&g| groups[g].1.map_or("", ExitPattern::name).to_string())
                    .collect(),
            ),
        )
        .with(
            "customers",
            Values::Int(present.iter().map(|&g| customers[g] as i64).collect()),
        )
        .with(
            "share_pct",
            column(&|g| 100.0 * customers[g] as f64 / total_customers, 1),
        )
        .with(
            "revenue_share_pct",
            column(
                &|g| {
                    if total_value != 0.0 {
                        100.0 * value[g] / total_value
                    } else {
                        f64::NAN
                    }
                },
                1,
            ),
        )
        .with("mean_value", column(&|g| value[g] / customers[g] as f64, 2))
        .with(
            "action",
            Values::Text(
                present
                    .iter()
                    .map(|&g| {
                        groups[g]
                            .1
                            .map_or(groups[g].0.action(), ExitPattern::action)
                            .to_string()
                    })
                    .collect(),
            ),
        )
}

/// Names of the rows of the transition matrix: the stages, then customers acquired since.
const NEW: &str = "new";

/// Customers and their net revenue in `(from, to]` per (stage at `from`, stage at `to`).
fn transitions(
    histories: &Histories,
    before: &[Option<CustomerLifecycle>],
    now: &[Option<CustomerLifecycle>],
    from: i32,
    to: i32,
) -> Table {
    let rows = Stage::ALL.len() + 1;
    let mut customers = vec![0i64; rows * Stage::ALL.len()];
    let mut revenue = vec![0.0; rows * Stage::ALL.len()];
    for (i, (then, now)) in before.iter().zip(now).enumerate() {
        let Some(now) = now else { continue };
        let row = then.map_or(Stage::ALL.len(), |c| stage_code(c.stage) as usize);
        let cell = row * Stage::ALL.len() + stage_code(now.stage) as usize;
        customers[cell] += 1;
        revenue[cell] += histories
            .days_of(i)
            .iter()
            .filter(|d| d.day > from && d.day <= to)
            .map(|d| d.total)
            .sum::<f64>();
    }
    let from_name = |cell: usize| {
        Stage::ALL
            .get(cell / Stage::ALL.len())
            .map_or(NEW, |s| s.name())
            .to_string()
    };
    let cells: Vec<usize> = (0..customers.len()).collect();
    Table::default()
        .with(
            "from_stage",
            Values::Text(cells.iter().map(|&c| from_name(c)).collect()),
        )
        .with(
            "to_stage",
            Values::Text(
                cells
                    .iter()
                    .map(|&c| Stage::ALL[c % Stage::ALL.len()].name().to_string())
                    .collect(),
            ),
        )
        .with("customers", Values::Int(customers))
        .with("revenue", Values::Float(revenue, 2))
}

/// The transition rows as a matrix: one row per earlier stage, "customers / revenue" cells.
fn transition_matrix(moves: &Table) -> Table {
    let (Values::Int(customers), Values::Float(revenue, _)) =
        (&moves.columns[2], &moves.columns[3])
    else {
        return Table::default();
    };
    let width = Stage::ALL.len();
    let from: Vec<String> = Stage::ALL
        .iter()
        .map(|s| s.name().to_string())
        .chain([NEW.to_string()])
        .collect();
    let mut table = Table::default().with("from \\ to", Values::Text(from.clone()));
    for (k, stage) in Stage::ALL.iter().enumerate() {
        let cells = (0..from.len())
            .map(|r| {
                format!(
                    "{} / {:.0}",
                    customers[r * width + k],
                    revenue[r * width + k]
                )
            })
            .collect();
        table = table.with(stage.name(), Values::Text(cells));
    }
    table
}
