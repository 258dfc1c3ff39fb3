//! What `clm loyalty` computes from the purchase measures and the survey: each customer's row
//! (buyers and survey-only prospects, joined on id), the quadrant and ladder stage, and the
//! matrix report (per-customer table, per-quadrant summary with NPS, the heading). The rule
//! tables are [`crate::segment::loyalty`]'s, the behaviour index
//! [`crate::features::loyalty`]'s.

use rayon::prelude::*;

use crate::data::survey::{AttitudeSpec, Survey};
use crate::error::ClmError;
use crate::features::loyalty::{BehaviourWeights, attitudinal_index, behaviour_index};
use crate::features::rfm::RfmMeasures;
use crate::output::{Log, Report, Table, Values, counted, format_day, format_float};
use crate::segment::loyalty::{
    LadderFacts, LadderRule, LadderStage, LoyaltyQuadrant, NpsSummary, ResolvedThresholds,
    SurveyQuestion, Thresholds, classify, ladder_stage, resolve_thresholds,
};

/// Below this share of survey ids matching a customer with a purchase, a warning says that
/// the two files may not use the same ids. Surveys go to customers: most respondents should
/// have bought (prospects are the exception), whatever the response rate.
const FEW_MATCHES: f64 = 0.5;

/// One row of the matrix: a customer with purchases, or a survey-only prospect.
pub struct CustomerRow<'a> {
    pub id: &'a str,
    pub frequency: u32,
    /// `None` for prospects.
    pub recency_days: Option<i64>,
    pub tenure_days: i64,
    pub monetary: f64,
    pub behaviour: f64,
    pub attitude: Option<f64>,
    pub nps: Option<f64>,
    pub satisfaction_gap: Option<f64>,
}

/// The loyalty matrix as of `as_of`: buyers from the purchase measures (`source` names the
/// transactions), joined with the survey, split into quadrants by `thresholds`, with the
/// notes on prospects and on a survey whose ids hardly match.
pub fn loyalty_matrix(
    measures: &RfmMeasures,
    survey: &Survey,
    (weights, thresholds): (BehaviourWeights, Thresholds),
    (source, as_of): (&str, i32),
    log: &Log,
) -> Result<Report, ClmError> {
    let recency: Vec<f64> = measures.recency_days.iter().map(|&d| d as f64).collect();
    let behaviour = behaviour_index(&measures.frequency, &recency, &weights)
        .map_err(|e| ClmError::BadData(format!("{source}: {e}")))?;

    let buyers: Vec<CustomerRow> = (0..measures.customer_id.len())
        .map(|i| CustomerRow {
            id: measures.customer_id.get(i),
            frequency: measures.frequency[i],
            recency_days: Some(measures.recency_days[i]),
            tenure_days: measures.tenure_days[i],
            monetary: measures.monetary[i],
            behaviour: behaviour[i],
            attitude: None,
            nps: None,
            satisfaction_gap: None,
        })
        .collect();
    let example_buyers: Vec<&str> = buyers.iter().take(2).map(|b| b.id).collect();
    let (rows, prospects) = join_survey(buyers, survey)?;
    check_matches(log, survey, prospects, source, &example_buyers, as_of)?;
    if prospects > 0 {
        log.note(format!(
            "{}: {prospects} of {} respondents match no customer with a purchase up to {}; they are listed as Prospects (behaviour index 0)",
            survey.source,
            survey.respondents.len(),
            format_day(as_of)
        ));
    }
    if rows.is_empty() {
        return Err(ClmError::BadData(format!(
            "{source}: no purchases on or before {} and no survey answers",
            format_day(as_of)
        )));
    }

    // Behaviour medians over buyers only (prospects' 0 would pull them down); attitude medians
    // over every respondent.
    let known_attitude: Vec<Option<f64>> = rows.iter().map(|r| r.attitude).collect();
    let context = MatrixContext {
        survey,
        thresholds,
        resolved: resolve_thresholds(thresholds, &known_attitude, &behaviour),
        weights,
        as_of,
        prospects,
    };
    loyalty_report(&rows, &context)
}

/// A survey none of whose ids matches a customer with a purchase is bad data (most often the
/// files use different ids); one where fewer than [`FEW_MATCHES`] of them do gets a warning.
fn check_matches(
    log: &Log,
    survey: &Survey,
    prospects: usize,
    transactions: &str,
    example_buyers: &[&str],
    as_of: i32,
) -> Result<(), ClmError> {
    let respondents = survey.respondents.len();
    let matched = respondents - prospects;
    if respondents == 0 {
        return Ok(());
    }
    if matched == 0 {
        let quoted = |ids: &mut dyn Iterator<Item = &str>| {
            ids.take(2)
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ClmError::BadData(format!(
            "{}: 0 of {} survey ids match a customer of {transactions} with a purchase up to {} (survey ids such as {}; customer ids such as {}); check that the survey's customer column (--survey-customer-col) holds the transactions' ids",
            survey.source,
            thousands(respondents),
            format_day(as_of),
            quoted(&mut survey.respondents.iter().map(String::as_str)),
            quoted(&mut example_buyers.iter().copied()),
        )));
    }
    let share = matched as f64 / respondents as f64;
    if share < FEW_MATCHES {
        log.note(format!(
            "warning: {}: only {} of {} survey ids ({}%) match a customer with a purchase; check that both files use the same customer ids",
            survey.source,
            thousands(matched),
            thousands(respondents),
            format_float(100.0 * share, 1)
        ));
    }
    Ok(())
}

/// 1802 → "1,802".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Sets attitude, NPS and gap of the buyers who answered the survey and adds the respondents
/// without purchases as prospects, keeping the rows sorted by id. Returns the rows and the
/// number of prospects.
fn join_survey<'a>(
    mut buyers: Vec<CustomerRow<'a>>,
    survey: &'a Survey,
) -> Result<(Vec<CustomerRow<'a>>, usize), ClmError> {
    let questions: Vec<SurveyQuestion> = survey
        .questions
        .iter()
        .map(|q: &AttitudeSpec| SurveyQuestion {
            scale: q.scale,
            weight: q.weight,
        })
        .collect();
    // Buyers come sorted by id (byte order), so a respondent is found by binary search, and a
    // prospect's place among the buyers is where the search ends.
    // Indices and places in parallel (reads only), then the rows updated in survey order.
    let answers: Vec<(Option<f64>, Result<usize, usize>)> = survey
        .respondents
        .par_iter()
        .enumerate()
        .map(|(r, id)| {
            let attitude = attitudinal_index(&survey.answers[r], &questions).map_err(|e| {
                ClmError::BadData(format!("{}: customer '{id}': {e}", survey.source))
            })?;
            let place = buyers.binary_search_by(|row| row.id.cmp(id.as_str()));
            Ok((attitude, place))
        })
        .collect::<Vec<Result<_, ClmError>>>()
        .into_iter()
        .collect::<Result<_, _>>()?; // the first error in survey order
    let mut prospects: Vec<(usize, CustomerRow<'a>)> = Vec::new();
    for (r, (id, (attitude, place))) in survey.respondents.iter().zip(answers).enumerate() {
        let nps = survey.nps_question.and_then(|q| survey.answers[r][q]);
        let gap = survey.satisfaction_gap[r];
        match place {
            Ok(i) => {
                let row = &mut buyers[i];
                row.attitude = attitude;
                row.nps = nps;
                row.satisfaction_gap = gap;
            }
            Err(place) => prospects.push((
                place,
                CustomerRow {
                    id,
                    frequency: 0,
                    recency_days: None,
                    tenure_days: 0,
                    monetary: 0.0,
                    behaviour: 0.0,
                    attitude,
                    nps,
                    satisfaction_gap: gap,
                },
            )),
        }
    }
    let count = prospects.len();
    // Sorting by id also sorts by place (a stable sort keeps repeated ids in survey order).
    prospects.sort_by(|a, b| a.1.id.cmp(b.1.id));
    Ok((merge_at_places(buyers, prospects), count))
}

/// Buyers with each prospect inserted before the buyer at its place (places ascending).
fn merge_at_places<'a>(
    buyers: Vec<CustomerRow<'a>>,
    prospects: Vec<(usize, CustomerRow<'a>)>,
) -> Vec<CustomerRow<'a>> {
    let mut rows = Vec::with_capacity(buyers.len() + prospects.len());
    let mut prospects = prospects.into_iter().peekable();
    for (i, buyer) in buyers.into_iter().enumerate() {
        while let Some((_, prospect)) = prospects.next_if(|(place, _)| *place == i) {
            rows.push(prospect);
        }
        rows.push(buyer);
    }
    rows.extend(prospects.map(|(_, prospect)| prospect));
    rows
}

/// NPS answer as a whole number 0–10 (means of repeated answers are rounded).
fn nps_answer(nps: Option<f64>) -> Option<u8> {
    nps.map(|v| v.round().clamp(0.0, 10.0) as u8)
}

/// The short form of an action: the words before its first colon.
fn short_action(quadrant: LoyaltyQuadrant) -> &'static str {
    let action = quadrant.recommended_action();
    action.split(':').next().unwrap_or(action)
}

/// What the report needs besides the rows.
struct MatrixContext<'a> {
    survey: &'a Survey,
    thresholds: Thresholds,
    resolved: ResolvedThresholds,
    weights: BehaviourWeights,
    as_of: i32,
    prospects: usize,
}

fn loyalty_report(
    rows: &[CustomerRow<'_>],
    context: &MatrixContext<'_>,
) -> Result<Report, ClmError> {
    let survey = context.survey;
    let quadrant: Vec<LoyaltyQuadrant> = rows
        .iter()
        .map(|r| classify(r.attitude, r.behaviour, &context.resolved))
        .collect();
    let rule = LadderRule::default();
    let ladder: Vec<LadderStage> = rows
        .iter()
        .map(|r| {
            ladder_stage(
                &LadderFacts {
                    order_count: r.frequency,
                    days_since_first_order: r.tenure_days as f64,
                    days_since_last_order: r.recency_days.unwrap_or(0) as f64,
                    nps_answer: nps_answer(r.nps),
                    referrals: None,
                },
                &rule,
            )
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ClmError::BadData(format!("{}: {e}", survey.source)))?;
    let has_gap = survey.gap_columns.is_some();
    let nps_decimals = usize::from(rows.iter().any(|r| r.nps.is_some_and(|v| v.fract() != 0.0)));
    let optional = |v: Option<f64>| v.unwrap_or(f64::NAN);
    // `LoyaltyQuadrant::ALL` lists the quadrants in declaration order: `q as usize` indexes it.
    let quadrant_codes: Vec<u32> = quadrant.iter().map(|&q| q as u32).collect();

    let mut table = Table::default()
        .with(
            "customer_id",
            Values::PackedText(rows.iter().map(|r| r.id).collect()),
        )
        .with(
            "frequency",
            Values::Int(rows.iter().map(|r| i64::from(r.frequency)).collect()),
        )
        .with(
            "recency_days",
            Values::Float(
                rows.iter()
                    .map(|r| optional(r.recency_days.map(|d| d as f64)))
                    .collect(),
                0,
            ),
        )
        .with(
            "monetary",
            Values::Float(rows.iter().map(|r| r.monetary).collect(), 2),
        )
        .with(
            "behaviour_index",
            Values::Float(rows.iter().map(|r| r.behaviour).collect(), 3),
        )
        .with(
            "attitude_index",
            Values::Float(rows.iter().map(|r| optional(r.attitude)).collect(), 3),
        )
        .with(
            "quadrant",
            Values::Labels {
                labels: quadrant_labels(LoyaltyQuadrant::name),
                codes: quadrant_codes.clone(),
            },
        )
        .with(
            "ladder_stage",
            Values::Labels {
                labels: LadderStage::ALL
                    .iter()
                    .map(|s| s.name().to_string())
                    .collect(),
                codes: ladder.iter().map(|&s| s as u32).collect(),
            },
        )
        .with(
            "nps",
            Values::Float(rows.iter().map(|r| optional(r.nps)).collect(), nps_decimals),
        );
    if has_gap {
        table = table.with(
            "satisfaction_gap",
            Values::Float(
                rows.iter().map(|r| optional(r.satisfaction_gap)).collect(),
                2,
            ),
        );
    }
    table = table.with(
        "action",
        Values::Labels {
            labels: quadrant_labels(short_action),
            codes: quadrant_codes,
        },
    );

    let summary = matrix_summary(rows, &quadrant, has_gap);
    let heading = heading(rows, &quadrant, &ladder, context);
    Ok(Report {
        heading,
        summary,
        rows: table,
    })
}

/// One text per quadrant, in [`LoyaltyQuadrant::ALL`] order.
fn quadrant_labels(text: fn(LoyaltyQuadrant) -> &'static str) -> Vec<String> {
    LoyaltyQuadrant::ALL
        .iter()
        .map(|&q| text(q).to_string())
        .collect()
}

/// Sums per quadrant, in [`LoyaltyQuadrant::ALL`] order.
#[derive(Default, Clone)]
struct Cell {
    customers: usize,
    revenue: f64,
    orders: f64,
    nps: NpsSummary,
    gap_sum: f64,
    gap_count: usize,
}

fn cells(rows: &[CustomerRow<'_>], quadrant: &[LoyaltyQuadrant]) -> Vec<Cell> {
    let mut cells = vec![Cell::default(); LoyaltyQuadrant::ALL.len()];
    for (row, q) in rows.iter().zip(quadrant) {
        let cell = &mut cells[*q as usize];
        cell.customers += 1;
        cell.revenue += row.monetary;
        cell.orders += f64::from(row.frequency);
        add_nps(&mut cell.nps, row.nps);
        if let Some(gap) = row.satisfaction_gap {
            cell.gap_sum += gap;
            cell.gap_count += 1;
        }
    }
    cells
}

/// Counts a customer's NPS answer, if any, in the segment's categories.
fn add_nps(summary: &mut NpsSummary, nps: Option<f64>) {
    // `nps_answer` clamps to 0–10, where every answer has a category: `add` cannot fail.
    if let Some(answer) = nps_answer(nps) {
        summary.add(answer).ok();
    }
}

fn matrix_summary(rows: &[CustomerRow<'_>], quadrant: &[LoyaltyQuadrant], has_gap: bool) -> Table {
    let cells = cells(rows, quadrant);
    let total_customers = rows.len() as f64;
    let total_revenue: f64 = cells.iter().map(|c| c.revenue).sum();
    let ratio = |num: f64, den: f64| if den != 0.0 { num / den } else { f64::NAN };
    let per_cell = |f: &dyn Fn(&Cell) -> f64| cells.iter().map(f).collect::<Vec<f64>>();
    let mut table = Table::default()
        .with(
            "quadrant",
            Values::Text(
                LoyaltyQuadrant::ALL
                    .iter()
                    .map(|q| q.name().to_string())
                    .collect(),
            ),
        )
        .with(
            "customers",
            Values::Int(cells.iter().map(|c| c.customers as i64).collect()),
        )
        .with(
            "share_pct",
            Values::Float(
                per_cell(&|c| 100.0 * ratio(c.customers as f64, total_customers)),
                1,
            ),
        )
        .with(
            "revenue_share_pct",
            Values::Float(per_cell(&|c| 100.0 * ratio(c.revenue, total_revenue)), 1),
        )
        .with(
            "mean_monetary",
            Values::Float(per_cell(&|c| ratio(c.revenue, c.customers as f64)), 2),
        )
        .with(
            "mean_frequency",
            Values::Float(per_cell(&|c| ratio(c.orders, c.customers as f64)), 2),
        )
        .with(
            "nps_respondents",
            Values::Int(cells.iter().map(|c| c.nps.respondents() as i64).collect()),
        )
        .with(
            "nps",
            Values::Float(per_cell(&|c| c.nps.score().unwrap_or(f64::NAN)), 1),
        );
    if has_gap {
        table = table.with(
            "mean_satisfaction_gap",
            Values::Float(per_cell(&|c| ratio(c.gap_sum, c.gap_count as f64)), 2),
        );
    }
    table.with(
        "action",
        Values::Text(
            LoyaltyQuadrant::ALL
                .iter()
                .map(|&q| short_action(q).to_string())
                .collect(),
        ),
    )
}

fn heading(
    rows: &[CustomerRow<'_>],
    quadrant: &[LoyaltyQuadrant],
    ladder: &[LadderStage],
    context: &MatrixContext<'_>,
) -> Vec<String> {
    let MatrixContext {
        survey,
        thresholds,
        resolved,
        weights,
        as_of,
        prospects,
    } = *context;
    let cells = cells(rows, quadrant);
    let total = rows.len();
    let answered = rows.iter().filter(|r| r.attitude.is_some()).count();
    let questions: Vec<String> = survey
        .questions
        .iter()
        .map(|q| format!("{} {}-{} ×{}", q.column, q.scale.min, q.scale.max, q.weight))
        .collect();
    let split = match thresholds {
        Thresholds::Fixed { .. } => "fixed",
        Thresholds::MedianSplit => "median split",
    };
    let mut overall = NpsSummary::default();
    for row in rows {
        add_nps(&mut overall, row.nps);
    }
    let nps_line = match overall.score() {
        Some(score) => format!(
            "NPS overall: {score:+.1} ({}: {}, {}, {})",
            counted(overall.respondents(), "respondent"),
            counted(overall.promoters, "promoter"),
            counted(overall.passives, "passive"),
            counted(overall.detractors, "detractor")
        ),
        None => "NPS overall: no 0-10 recommend question in the survey".to_string(),
    };
    let cell = |q: LoyaltyQuadrant| {
        let c = &cells[q as usize];
        format!(
            "{} {} ({}%)",
            q.name(),
            c.customers,
            format_float(100.0 * c.customers as f64 / total as f64, 1)
        )
    };
    let stages: Vec<String> = LadderStage::ALL
        .iter()
        .map(|&s| {
            format!(
                "{} {}",
                s.name(),
                ladder.iter().filter(|&&l| l == s).count()
            )
        })
        .collect();
    vec![
        format!(
            "Loyalty matrix as of {}: {} ({} with purchases, {answered} with survey answers, {})",
            format_day(as_of),
            counted(total, "customer"),
            total - prospects,
            counted(prospects, "survey-only prospect"),
        ),
        format!("Attitude: {} from {}", questions.join(", "), survey.source),
        format!("Behaviour: percentile ranks of {}", weights.describe()),
        format!(
            "High when attitude index >= {:.3} and behaviour index >= {:.3} ({split})",
            resolved.attitude, resolved.behaviour
        ),
        format!(
            "  high attitude: {:<36} | {}",
            cell(LoyaltyQuadrant::True),
            cell(LoyaltyQuadrant::Latent)
        ),
        format!(
            "  low attitude:  {:<36} | {}",
            cell(LoyaltyQuadrant::Spurious),
            cell(LoyaltyQuadrant::NoLoyalty)
        ),
        format!(
            "  {:<51}   (high behaviour | low behaviour)",
            cell(LoyaltyQuadrant::AttitudeUnknown)
        ),
        nps_line,
        format!("Ladder: {}", stages.join(", ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> CustomerRow<'_> {
        CustomerRow {
            id,
            frequency: 1,
            recency_days: Some(10),
            tenure_days: 10,
            monetary: 5.0,
            behaviour: 0.5,
            attitude: None,
            nps: None,
            satisfaction_gap: None,
        }
    }

    #[test]
    fn prospects_go_before_the_buyer_at_their_place_and_after_the_last() {
        let buyers = vec![row("b"), row("d")];
        let prospects = vec![(0, row("a")), (1, row("c")), (1, row("c2")), (2, row("e"))];
        let ids: Vec<&str> = merge_at_places(buyers, prospects)
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["a", "b", "c", "c2", "d", "e"]);
    }

    #[test]
    fn nps_answers_are_rounded_clamped_and_counted_by_category() {
        assert_eq!(nps_answer(Some(8.6)), Some(9));
        assert_eq!(nps_answer(Some(12.0)), Some(10));
        assert_eq!(nps_answer(None), None);
        let mut summary = NpsSummary::default();
        for answer in [Some(10.0), Some(8.6), Some(7.0), Some(3.0), None] {
            add_nps(&mut summary, answer);
        }
        assert_eq!(
            (summary.promoters, summary.passives, summary.detractors),
            (2, 1, 1)
        );
    }

    #[test]
    fn thousands_group_digits_by_three() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1802), "1,802");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn cells_sum_customers_revenue_and_gaps_per_quadrant() {
        let mut rows = vec![row("a"), row("b"), row("c")];
        rows[1].satisfaction_gap = Some(-1.0);
        rows[2].monetary = 20.0;
        let quadrant = [
            LoyaltyQuadrant::True,
            LoyaltyQuadrant::True,
            LoyaltyQuadrant::NoLoyalty,
        ];
        let cells = cells(&rows, &quadrant);
        let true_cell = &cells[LoyaltyQuadrant::True as usize];
        assert_eq!((true_cell.customers, true_cell.revenue), (2, 10.0));
        assert_eq!((true_cell.gap_sum, true_cell.gap_count), (-1.0, 1));
        assert_eq!(cells[LoyaltyQuadrant::NoLoyalty as usize].revenue, 20.0);
        assert_eq!(cells[LoyaltyQuadrant::Latent as usize].customers, 0);
    }
}
