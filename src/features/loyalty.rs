//! The two indices of the loyalty matrix: the attitudinal index from survey answers, and the
//! behavioural index (percentile ranks of purchase measures) built from the RFM measures (see
//! [`crate::features::rfm::rfm_measures`], which also gives the days since the first purchase
//! for the loyalty ladder). The scales, quadrants and ladder are [`crate::segment::loyalty`]'s.

use rayon::prelude::*;

use crate::error::ClmError;
use crate::segment::loyalty::{LoyaltyError, SurveyQuestion, check_length, check_weight};

/// Weights of the behavioural index's components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BehaviourWeights {
    /// Repeat purchase rate, (orders − 1) / orders.
    pub repeat: f64,
    /// Number of orders.
    pub frequency: f64,
    /// Days since the last purchase (reversed: recent is high).
    pub recency: f64,
}

impl Default for BehaviourWeights {
    fn default() -> Self {
        Self {
            repeat: 1.0,
            frequency: 1.0,
            recency: 1.0,
        }
    }
}

impl BehaviourWeights {
    /// Parses `repeat=1,frequency=2,recency=1`; components not named keep weight 1.
    pub fn parse(text: &str) -> Result<BehaviourWeights, ClmError> {
        let usage = |why: String| {
            ClmError::Usage(format!(
                "--behaviour-weights '{text}': {why}; write e.g. repeat=1,frequency=1,recency=2"
            ))
        };
        let mut weights = BehaviourWeights::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| usage(format!("'{item}' is not name=weight")))?;
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| usage(format!("'{value}' is not a weight ≥ 0")))?;
            match name.trim() {
                "repeat" => weights.repeat = value,
                "frequency" => weights.frequency = value,
                "recency" => weights.recency = value,
                other => {
                    return Err(usage(format!(
                        "unknown component '{other}' (components: repeat, frequency, recency)"
                    )));
                }
            }
        }
        if weights.repeat + weights.frequency + weights.recency <= 0.0 {
            return Err(usage("at least one weight must be positive".into()));
        }
        Ok(weights)
    }

    /// "repeat purchase rate ×1, frequency ×1, recency (reversed) ×1".
    pub fn describe(&self) -> String {
        format!(
            "repeat purchase rate ×{}, frequency ×{}, recency (reversed) ×{}",
            self.repeat, self.frequency, self.recency
        )
    }
}

/// Behavioural index per customer in [0, 1]: the weighted mean of the percentile ranks of the
/// repeat purchase rate, the frequency and the recency (reversed).
pub fn behaviour_index(
    frequency: &[u32],
    recency_days: &[f64],
    weights: &BehaviourWeights,
) -> Result<Vec<f64>, LoyaltyError> {
    let repeat: Vec<f64> = frequency
        .iter()
        .map(|&f| repeat_purchase_share(f))
        .collect();
    let orders: Vec<f64> = frequency.iter().map(|&f| f64::from(f)).collect();
    behavioural_index(&[
        WeightedComponent {
            component: BehaviourComponent::RepeatPurchaseRate,
            weight: weights.repeat,
            values: &repeat,
        },
        WeightedComponent {
            component: BehaviourComponent::Frequency,
            weight: weights.frequency,
            values: &orders,
        },
        WeightedComponent {
            component: BehaviourComponent::Recency,
            weight: weights.recency,
            values: recency_days,
        },
    ])
}

/// Attitudinal index of one customer: the weighted mean of the rescaled
/// answers present, Σ wᵢ·sᵢ / Σ wᵢ over answered questions. `None` when no
/// question was answered (or all answered questions weigh 0).
///
/// `answers[i]` answers `questions[i]`.
pub fn attitudinal_index(
    answers: &[Option<f64>],
    questions: &[SurveyQuestion],
) -> Result<Option<f64>, LoyaltyError> {
    check_length(questions.len(), answers.len())?;
    let mut weighted_sum = 0.0;
    let mut weight_sum = 0.0;
    for (answer, question) in answers.iter().zip(questions) {
        check_weight(question.weight)?;
        let Some(answer) = answer else { continue };
        weighted_sum += question.weight * question.scale.rescale(*answer)?;
        weight_sum += question.weight;
    }
    if weight_sum > 0.0 {
        Ok(Some((weighted_sum / weight_sum).clamp(0.0, 1.0)))
    } else {
        Ok(None)
    }
}

/// Percentile ranks in [0, 1] with ties averaged (mid-rank):
/// (mid-rank − 1) / (n − 1), where the mid-rank of tied values is the mean of
/// the 1-based positions they occupy in sorted order. The smallest value gets
/// 0 and the largest 1 unless tied; a single value (or all values tied) gets
/// 0.5. Equal values get equal ranks; a larger value gets a larger rank.
pub fn percentile_ranks(values: &[f64]) -> Result<Vec<f64>, LoyaltyError> {
    if let Some(position) = values.iter().position(|value| value.is_nan()) {
        return Err(LoyaltyError::NotANumber { position });
    }
    let n = values.len();
    if n == 1 {
        return Ok(vec![0.5]);
    }
    // Sorting (value, index) pairs keeps the sort in contiguous memory (millions of customers).
    let mut order: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    order.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut ranks = vec![0.0; n];
    let mut tie_start = 0;
    while tie_start < n {
        let tie_end = end_of_tie(&order, tie_start);
        // Positions tie_start..tie_end (0-based) share the mean 0-based position.
        let mean_position = (tie_start + tie_end - 1) as f64 / 2.0;
        for &(_, index) in &order[tie_start..tie_end] {
            ranks[index] = mean_position / (n - 1) as f64;
        }
        tie_start = tie_end;
    }
    Ok(ranks)
}

/// First position after the run of values equal to `order[start]`'s.
fn end_of_tie(order: &[(f64, usize)], start: usize) -> usize {
    let tied_value = order[start].0;
    let run = order[start..]
        .iter()
        .take_while(|&&(value, _)| value == tied_value)
        .count();
    start + run
}

/// A measure of purchase behaviour that enters the behavioural index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BehaviourComponent {
    /// Share of orders that are repeat orders (see [`repeat_purchase_share`]).
    RepeatPurchaseRate,
    /// Number of orders (or orders per period).
    Frequency,
    /// Days since the last purchase; reversed, so more recent is higher.
    Recency,
    /// Share of the customer's category spend that is with us, in [0, 1].
    ShareOfWallet,
}

impl BehaviourComponent {
    /// Whether a larger raw value means more loyal behaviour.
    pub fn higher_is_more_loyal(self) -> bool {
        !matches!(self, Self::Recency)
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RepeatPurchaseRate => "repeat purchase rate",
            Self::Frequency => "frequency",
            Self::Recency => "recency",
            Self::ShareOfWallet => "share of wallet",
        }
    }
}

/// One component's values for all customers and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedComponent<'a> {
    /// Which measure.
    pub component: BehaviourComponent,
    /// Weight in the weighted mean (finite, ≥ 0).
    pub weight: f64,
    /// Raw values, one per customer, in customer order.
    pub values: &'a [f64],
}

/// Share of a customer's orders that are repeat orders: (orders − 1) / orders,
/// 0 for no orders.
pub fn repeat_purchase_share(order_count: u32) -> f64 {
    if order_count == 0 {
        return 0.0;
    }
    f64::from(order_count - 1) / f64::from(order_count)
}

/// Behavioural index per customer: the weighted mean of the components'
/// percentile ranks (recency reversed: rank of the most recent is highest),
/// Σ wⱼ·rankⱼ / Σ wⱼ. Every component needs a value for every customer.
/// With no components, or all weights 0, every customer gets 0.5 (no
/// information).
pub fn behavioural_index(components: &[WeightedComponent<'_>]) -> Result<Vec<f64>, LoyaltyError> {
    let customer_count = components.first().map_or(0, |first| first.values.len());
    let mut weighted_sum = vec![0.0; customer_count];
    let mut weight_sum = 0.0;
    for component in components {
        check_weight(component.weight)?;
        check_length(customer_count, component.values.len())?;
        let ranks = percentile_ranks(component.values)?;
        let reverse = !component.component.higher_is_more_loyal();
        for (sum, rank) in weighted_sum.iter_mut().zip(ranks) {
            let oriented = if reverse { 1.0 - rank } else { rank };
            *sum += component.weight * oriented;
        }
        weight_sum += component.weight;
    }
    if weight_sum <= 0.0 {
        return Ok(vec![0.5; customer_count]);
    }
    Ok(weighted_sum
        .into_iter()
        .map(|sum| (sum / weight_sum).clamp(0.0, 1.0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_default_to_one() {
        let w = BehaviourWeights::parse("recency=2").unwrap();
        assert_eq!((w.repeat, w.frequency, w.recency), (1.0, 1.0, 2.0));
        assert!(BehaviourWeights::parse("loyalty=1").is_err());
        assert!(BehaviourWeights::parse("repeat=0,frequency=0,recency=0").is_err());
        assert!(BehaviourWeights::parse("repeat=-1").is_err());
    }

    #[test]
    fn index_orders_customers_by_behaviour() {
        // Three customers: 1 order long ago, 2 orders, 5 recent orders.
        let index = behaviour_index(
            &[1, 2, 5],
            &[300.0, 100.0, 3.0],
            &BehaviourWeights::default(),
        )
        .unwrap();
        assert_eq!(index, vec![0.0, 0.5, 1.0]);
    }

    // --- the indices, moved here from segment::loyalty with them ---

    use crate::models::simulate_survey::{SimulatedAnswers, SurveySimulation, simulate_survey};
    use crate::segment::loyalty::{LoyaltyQuadrant, Scale, Thresholds, classify_customers};
    use proptest::prelude::*;

    const EPSILON: f64 = 1e-12;

    fn close(left: f64, right: f64) -> bool {
        (left - right).abs() < EPSILON
    }

    fn question(scale: Scale, weight: f64) -> SurveyQuestion {
        SurveyQuestion { scale, weight }
    }

    #[test]
    fn attitudinal_index_is_weighted_mean_of_answers_present() {
        let questions = [
            question(Scale::NPS, 2.0),
            question(Scale::FIVE_POINT, 1.0),
            question(Scale::SEVEN_POINT, 1.0),
        ];
        // NPS 10 → 1.0 (weight 2), satisfaction missing, 7-point 1 → 0.0 (weight 1).
        let index = attitudinal_index(&[Some(10.0), None, Some(1.0)], &questions);
        assert_eq!(index, Ok(Some(2.0 / 3.0)));
    }

    #[test]
    fn attitudinal_index_is_none_without_answers() {
        let questions = [question(Scale::NPS, 1.0), question(Scale::FIVE_POINT, 0.0)];
        assert_eq!(attitudinal_index(&[None, None], &questions), Ok(None));
        assert_eq!(attitudinal_index(&[None, Some(4.0)], &questions), Ok(None));
    }

    #[test]
    fn attitudinal_index_reports_bad_input() {
        let questions = [question(Scale::FIVE_POINT, 1.0)];
        assert!(matches!(
            attitudinal_index(&[Some(6.0)], &questions),
            Err(LoyaltyError::AnswerOutsideScale { value, .. }) if value == 6.0
        ));
        assert!(attitudinal_index(&[Some(3.0), None], &questions).is_err());
        let negative = [question(Scale::FIVE_POINT, -1.0)];
        assert_eq!(
            attitudinal_index(&[Some(3.0)], &negative),
            Err(LoyaltyError::InvalidWeight(-1.0))
        );
    }

    // --- percentile ranks and behaviour ---

    #[test]
    fn percentile_ranks_average_ties() {
        // Sorted: 1, 2, 2, 3 → 0-based positions 0, 1.5, 1.5, 3 → / 3.
        let ranks = percentile_ranks(&[2.0, 1.0, 3.0, 2.0]);
        assert_eq!(ranks, Ok(vec![0.5, 0.0, 1.0, 0.5]));
    }

    #[test]
    fn percentile_ranks_of_degenerate_inputs() {
        assert_eq!(percentile_ranks(&[]), Ok(vec![]));
        assert_eq!(percentile_ranks(&[42.0]), Ok(vec![0.5]));
        assert_eq!(percentile_ranks(&[3.0, 3.0, 3.0]), Ok(vec![0.5, 0.5, 0.5]));
        assert_eq!(
            percentile_ranks(&[1.0, f64::NAN]),
            Err(LoyaltyError::NotANumber { position: 1 })
        );
    }

    #[test]
    fn behavioural_index_reverses_recency() {
        let frequency = [1.0, 2.0, 3.0];
        let recency_days = [300.0, 30.0, 3.0];
        let index = behavioural_index(&[
            WeightedComponent {
                component: BehaviourComponent::Frequency,
                weight: 1.0,
                values: &frequency,
            },
            WeightedComponent {
                component: BehaviourComponent::Recency,
                weight: 1.0,
                values: &recency_days,
            },
        ]);
        assert_eq!(index, Ok(vec![0.0, 0.5, 1.0]));
    }

    #[test]
    fn behavioural_index_weights_components() {
        let repeat_share = [0.0, 0.5];
        let share_of_wallet = [0.9, 0.1];
        let index = behavioural_index(&[
            WeightedComponent {
                component: BehaviourComponent::RepeatPurchaseRate,
                weight: 3.0,
                values: &repeat_share,
            },
            WeightedComponent {
                component: BehaviourComponent::ShareOfWallet,
                weight: 1.0,
                values: &share_of_wallet,
            },
        ]);
        assert_eq!(index, Ok(vec![0.25, 0.75]));
    }

    #[test]
    fn behavioural_index_needs_one_value_per_customer() {
        let short = [1.0];
        let long = [1.0, 2.0];
        let result = behavioural_index(&[
            WeightedComponent {
                component: BehaviourComponent::Frequency,
                weight: 1.0,
                values: &long,
            },
            WeightedComponent {
                component: BehaviourComponent::Recency,
                weight: 1.0,
                values: &short,
            },
        ]);
        assert_eq!(
            result,
            Err(LoyaltyError::LengthMismatch {
                expected: 2,
                found: 1
            })
        );
    }

    #[test]
    fn repeat_purchase_share_counts_orders_after_the_first() {
        assert_eq!(repeat_purchase_share(0), 0.0);
        assert_eq!(repeat_purchase_share(1), 0.0);
        assert_eq!(repeat_purchase_share(4), 0.75);
    }

    // --- the loyalty rules on simulated answers ---

    fn behaviour_grid(count: usize) -> Vec<f64> {
        let ranks: Vec<f64> = (0..count).map(|i| (i * 7919 % count) as f64).collect();
        percentile_ranks(&ranks).unwrap_or_default()
    }

    fn attitude_of(answers: &[Option<SimulatedAnswers>]) -> Vec<Option<f64>> {
        let questions = [question(Scale::NPS, 1.0), question(Scale::FIVE_POINT, 1.0)];
        answers
            .iter()
            .map(|answer| {
                let given =
                    answer.map(|a| [Some(f64::from(a.nps)), Some(f64::from(a.satisfaction))]);
                attitudinal_index(&given.unwrap_or([None, None]), &questions).unwrap_or(None)
            })
            .collect()
    }

    #[test]
    fn simulated_survey_fills_all_four_quadrants() {
        let behaviour = behaviour_grid(10_000);
        let settings = SurveySimulation {
            correlation: 0.5,
            response_rate: 0.3,
            seed: 1,
        };
        let answers = simulate_survey(&behaviour, &settings).unwrap();
        let attitude = attitude_of(&answers);
        let quadrants = match classify_customers(&attitude, &behaviour, Thresholds::MedianSplit) {
            Ok((_, quadrants)) => quadrants,
            Err(error) => panic!("classify: {error}"),
        };
        for quadrant in LoyaltyQuadrant::ALL {
            let count = quadrants.iter().filter(|&&q| q == quadrant).count();
            assert!(count > 300, "{quadrant}: only {count} customers");
        }
    }

    fn answers_strategy() -> impl Strategy<Value = Vec<Option<f64>>> {
        prop::collection::vec(prop::option::of(0.0..=10.0_f64), 1..6)
    }

    proptest! {
        #[test]
        fn attitudinal_index_stays_in_unit_interval(answers in answers_strategy(), weights in prop::collection::vec(0.0..5.0_f64, 6)) {
            let questions: Vec<SurveyQuestion> =
                weights.iter().take(answers.len()).map(|&weight| question(Scale::NPS, weight)).collect();
            let index = attitudinal_index(&answers, &questions)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            if let Some(index) = index {
                prop_assert!((0.0..=1.0).contains(&index));
            }
        }

        #[test]
        fn behavioural_index_stays_in_unit_interval(
            rows in prop::collection::vec((0.0..1.0e4_f64, 0.0..1.0e3_f64, 0.0..1.0_f64), 1..200),
            weights in prop::collection::vec(0.0..5.0_f64, 3),
        ) {
            let frequency: Vec<f64> = rows.iter().map(|row| row.0.round()).collect();
            let recency: Vec<f64> = rows.iter().map(|row| row.1.round()).collect();
            let repeat: Vec<f64> = rows.iter().map(|row| row.2).collect();
            let index = behavioural_index(&[
                WeightedComponent { component: BehaviourComponent::Frequency, weight: weights[0], values: &frequency },
                WeightedComponent { component: BehaviourComponent::Recency, weight: weights[1], values: &recency },
                WeightedComponent { component: BehaviourComponent::RepeatPurchaseRate, weight: weights[2], values: &repeat },
            ]).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(index.len(), rows.len());
            prop_assert!(index.iter().all(|value| (0.0..=1.0).contains(value)));
        }

        #[test]
        fn percentile_ranks_are_monotone_in_the_value(values in prop::collection::vec(-100i32..100, 0..300)) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let ranks = percentile_ranks(&values).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert!(ranks.iter().all(|rank| (0.0..=1.0).contains(rank)));
            for i in 0..values.len() {
                for j in 0..values.len() {
                    if values[i] < values[j] {
                        prop_assert!(ranks[i] < ranks[j]);
                    } else if values[i] == values[j] {
                        prop_assert!(close(ranks[i], ranks[j]));
                    }
                }
            }
        }
    }
}
