//! RFM scores and segments: recency, frequency and monetary measures become quantile scores
//! (or the R package's), each customer gets the first segment of the table whose ranges hold
//! their scores, and a summary row per segment. `clm rfm` and `clm report` both score here.

use clap::ValueEnum;

use crate::features::rfm::RfmMeasures;
use crate::output::{Report, Table, Values, counted, format_day};
use crate::segment::rfm::{SegmentTable, quantile_scores, r_rfm_scores};

/// How measures become scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scoring {
    /// Bins as even as ties allow; frequency counts orders (or purchase days).
    Quantile,
    /// The R package `rfm` (`rfm_table_order`): its breakpoints (type-7 quantiles plus one),
    /// and its frequency, which counts rows.
    RRfm,
}

/// Scores, segments and the summary table.
pub fn rfm_report(
    measures: RfmMeasures,
    table: &SegmentTable,
    bins: u32,
    as_of: i32,
    scoring: Scoring,
) -> Report {
    let days: Vec<f64> = measures.recency_days.iter().map(|&d| d as f64).collect();
    let frequency: Vec<f64> = measures.frequency.iter().map(|&f| f64::from(f)).collect();
    let (r, f, m) = match scoring {
        Scoring::Quantile => {
            let recency: Vec<f64> = days.iter().map(|d| -d).collect();
            (
                quantile_scores(&recency, bins),
                quantile_scores(&frequency, bins),
                quantile_scores(&measures.monetary, bins),
            )
        }
        // R bins recency days upwards and reverses the score: fewest days, highest score.
        Scoring::RRfm => (
            r_rfm_scores(&days, bins)
                .iter()
                .map(|s| bins + 1 - s)
                .collect(),
            r_rfm_scores(&frequency, bins),
            r_rfm_scores(&measures.monetary, bins),
        ),
    };
    let segment: Vec<u32> = (0..r.len())
        .map(|i| table.assign(r[i], f[i], m[i]) as u32)
        .collect();
    let summary = segment_summary(&measures, &segment, table, bins);
    let scored = match scoring {
        Scoring::Quantile => "",
        Scoring::RRfm => "; scored as the R package rfm, frequency = rows",
    };
    let heading = vec![format!(
        "RFM as of {}: {}, {bins} bins (recency in days; monetary = net spend{scored})",
        format_day(as_of),
        counted(measures.customer_id.len(), "customer")
    )];

    // Score codes and segment names repeat: one label each, and a code per customer.
    let score_code = |i: usize| ((r[i] - 1) * bins + (f[i] - 1)) * bins + (m[i] - 1);
    let scores = |s: &[u32]| Values::Int(s.iter().map(|&x| i64::from(x)).collect());
    let rows = Table::default()
        .with("customer_id", Values::PackedText(measures.customer_id))
        .with("recency_days", Values::Int(measures.recency_days))
        .with(
            "frequency",
            Values::Int(measures.frequency.iter().map(|&x| i64::from(x)).collect()),
        )
        .with("monetary", Values::Float(measures.monetary, 2))
        .with("r", scores(&r))
        .with("f", scores(&f))
        .with("m", scores(&m))
        .with(
            "rfm",
            Values::Labels {
                labels: score_labels(bins),
                codes: (0..r.len()).map(score_code).collect(),
            },
        )
        .with(
            "segment",
            Values::Labels {
                labels: table.names().iter().map(|n| n.to_string()).collect(),
                codes: segment,
            },
        );
    Report {
        heading,
        summary,
        rows,
    }
}

/// Every score code ("111" … "555", or "1-1-1" … with 10 or more bins), in the order
/// `((r - 1) × bins + f - 1) × bins + m - 1`.
fn score_labels(bins: u32) -> Vec<String> {
    let mut labels = Vec::with_capacity((bins * bins * bins) as usize);
    for r in 1..=bins {
        for f in 1..=bins {
            for m in 1..=bins {
                labels.push(if bins < 10 {
                    format!("{r}{f}{m}")
                } else {
                    format!("{r}-{f}-{m}")
                });
            }
        }
    }
    labels
}

/// One row per segment of the table, empty ones included (so runs compare row by row); Others
/// only when the table leaves some scores to it or a customer landed there.
fn segment_summary(
    measures: &RfmMeasures,
    segment: &[u32],
    table: &SegmentTable,
    bins: u32,
) -> Table {
    let groups = table.rules.len() + 1;
    let mut customers = vec![0usize; groups];
    let (mut recency, mut frequency, mut monetary) =
        (vec![0.0; groups], vec![0.0; groups], vec![0.0; groups]);
    for (i, &s) in segment.iter().enumerate() {
        let s = s as usize;
        customers[s] += 1;
        recency[s] += measures.recency_days[i] as f64;
        frequency[s] += f64::from(measures.frequency[i]);
        monetary[s] += measures.monetary[i];
    }
    let total_customers = segment.len() as f64;
    let total_revenue: f64 = monetary.iter().sum();
    let others = table.rules.len();
    let others_reachable = table.cells_owned(bins)[others] > 0 || customers[others] > 0;
    let present: Vec<usize> = (0..groups)
        .filter(|&g| g < others || others_reachable)
        .collect();
    let mean = |sums: &[f64]| {
        present
            .iter()
            // An empty segment has no mean: NaN, written as an empty cell.
            .map(|&g| sums[g] / customers[g] as f64)
            .collect()
    };
    let names = table.names();
    let actions = table.actions();
    Table::default()
        .with(
            "segment",
            Values::Text(present.iter().map(|&g| names[g].to_string()).collect()),
        )
        .with(
            "customers",
            Values::Int(present.iter().map(|&g| customers[g] as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(
                present
                    .iter()
                    .map(|&g| 100.0 * customers[g] as f64 / total_customers.max(1.0))
                    .collect(),
                1,
            ),
        )
        .with("mean_recency_days", Values::Float(mean(&recency), 1))
        .with("mean_frequency", Values::Float(mean(&frequency), 2))
        .with("mean_monetary", Values::Float(mean(&monetary), 2))
        .with(
            "revenue_share_pct",
            Values::Float(
                present
                    .iter()
                    .map(|&g| {
                        if total_revenue != 0.0 {
                            100.0 * monetary[g] / total_revenue
                        } else {
                            0.0
                        }
                    })
                    .collect(),
                1,
            ),
        )
        .with(
            "action",
            Values::Text(present.iter().map(|&g| actions[g].to_string()).collect()),
        )
}
