//! What `clm lifecycle` computes and reports: the lapse window, every customer's stage at a
//! cut-off, the notes on who is left out, the per-customer rows, the stage summary and the
//! transitions between two dates. The per-customer rules are [`crate::features::lifecycle`]'s
//! and [`crate::segment::lifecycle`]'s.

use rayon::prelude::*;

use crate::error::ClmError;
use crate::features::churn::Histories;
use crate::features::lifecycle::{
    CustomerLifecycle, LifecycleWindows, gap_quantile, inter_purchase_gaps, lifecycle_at,
};
use crate::features::log_as_of_notes;
use crate::output::{Log, PackedText, Table, Values, format_day};
use crate::segment::lifecycle::{ExitPattern, Stage, StageTable};

/// The lapse window in days and how it was set: `--lapse-days`, else the stage table's
/// quantile of every gap between purchase days up to `as_of` (at least 1 day). Without a
/// customer who bought twice there is no gap, which is bad data naming `source`.
pub fn lapse_window(
    histories: &Histories,
    as_of: i32,
    table: &StageTable,
    lapse_days: Option<u32>,
    source: &str,
) -> Result<(i32, String), ClmError> {
    if let Some(days) = lapse_days {
        return Ok((days as i32, "set by --lapse-days".to_string()));
    }
    let gaps = inter_purchase_gaps(histories, as_of);
    let count = gaps.len();
    let days = gap_quantile(gaps, table.lapse_quantile).ok_or_else(|| {
        ClmError::BadData(format!(
            "{source}: no customer bought twice by {}, so the lapse window cannot come from the data; pass --lapse-days",
            format_day(as_of)
        ))
    })?;
    let quantile = 100.0 * table.lapse_quantile;
    Ok((
        days.max(1),
        format!("the {quantile:.0} % quantile of {count} gaps between purchase days"),
    ))
}

/// Rows after the as-of date and customers with only returns up to it are left out: say so.
pub fn log_left_out(
    log: &Log,
    histories: &Histories,
    now: &[Option<CustomerLifecycle>],
    as_of: i32,
) {
    let (mut rows_after, mut returns_only) = (0u64, 0usize);
    for (i, stage) in now.iter().enumerate() {
        let days = histories.days_of(i);
        let known = days.partition_point(|d| d.day <= as_of);
        rows_after += days[known..].iter().map(|d| u64::from(d.rows)).sum::<u64>();
        returns_only += usize::from(stage.is_none() && known > 0);
    }
    log_as_of_notes(
        log,
        as_of,
        (rows_after as usize, "ignored"),
        (returns_only, "left out"),
    );
}

/// Every customer's lifecycle at `cutoff` (`None` before their first purchase).
pub fn classify(
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

/// The position of a stage in [`Stage::ALL`].
fn stage_code(stage: Stage) -> u32 {
    Stage::ALL.iter().position(|&s| s == stage).unwrap_or(0) as u32
}

/// The exit pattern labels, "" first for customers without one.
fn exit_labels() -> Vec<String> {
    std::iter::once(String::new())
        .chain(ExitPattern::ALL.iter().map(|p| p.name().to_string()))
        .collect()
}

/// A customer's action: their stage's, or their exit pattern's when lapsed.
fn action_of(c: &CustomerLifecycle) -> &'static str {
    c.exit_pattern.map_or(c.stage.action(), ExitPattern::action)
}

/// One row per customer with a stage: stage, exit pattern, tenure, purchases, recency,
/// rhythm, trend and action.
pub fn customer_rows(ids: &PackedText, stages: &[Option<CustomerLifecycle>]) -> Table {
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
pub fn stage_summary(stages: &[Option<CustomerLifecycle>]) -> Table {
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
pub fn transitions(
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
pub fn transition_matrix(moves: &Table) -> Table {
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
