//! Loyalty matrix core: attitude × behaviour (Dick & Basu 1994), NPS, the
//! loyalty ladder, and a survey simulator for demos and tests.
//!
//! Loyalty is intention plus behaviour. Two indices in [0, 1]:
//! - attitudinal: survey answers, each rescaled by its declared scale and
//!   averaged with weights ([`attitudinal_index`]);
//! - behavioural: percentile ranks of repeat purchase, frequency, recency
//!   (reversed) and optionally share of wallet, averaged with weights
//!   ([`behavioural_index`]).
//!
//! Splitting both at a threshold gives the four quadrants of
//! [`LoyaltyQuadrant`]; customers without survey answers are
//! [`LoyaltyQuadrant::AttitudeUnknown`], never dropped.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::fmt;

/// Errors from invalid scales, answers, weights or mismatched inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum LoyaltyError {
    /// A scale needs finite bounds with `min < max`.
    InvalidScale {
        /// Declared lower bound.
        min: f64,
        /// Declared upper bound.
        max: f64,
    },
    /// A survey answer lies outside its declared scale (or is NaN).
    AnswerOutsideScale {
        /// The answer as given.
        value: f64,
        /// The scale it was declared on.
        scale: Scale,
    },
    /// A weight must be finite and ≥ 0.
    InvalidWeight(f64),
    /// Inputs that describe the same customers have different lengths.
    LengthMismatch {
        /// Length of the first input.
        expected: usize,
        /// Length of the offending input.
        found: usize,
    },
    /// A value to rank is NaN.
    NotANumber {
        /// Position of the value.
        position: usize,
    },
    /// A probability or correlation outside [0, 1].
    OutsideUnitInterval {
        /// Which setting.
        name: &'static str,
        /// The rejected value.
        value: f64,
    },
}

impl fmt::Display for LoyaltyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidScale { min, max } => {
                write!(
                    f,
                    "invalid scale {min}–{max}: bounds must be finite and min < max"
                )
            }
            Self::AnswerOutsideScale { value, scale } => {
                write!(
                    f,
                    "answer {value} is outside the scale {}–{}",
                    scale.min, scale.max
                )
            }
            Self::InvalidWeight(weight) => {
                write!(f, "weight {weight} must be finite and not negative")
            }
            Self::LengthMismatch { expected, found } => {
                write!(
                    f,
                    "expected {} (one per customer), found {found}",
                    crate::output::counted(expected, "value")
                )
            }
            Self::NotANumber { position } => {
                write!(f, "value at position {position} is not a number")
            }
            Self::OutsideUnitInterval { name, value } => {
                write!(f, "{name} must be between 0 and 1, got {value}")
            }
        }
    }
}

impl std::error::Error for LoyaltyError {}

// ---------------------------------------------------------------------------
// Attitude
// ---------------------------------------------------------------------------

/// The declared range of a survey question, e.g. 0–10 for NPS, 1–5 Likert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Lowest possible answer.
    pub min: f64,
    /// Highest possible answer.
    pub max: f64,
}

impl Scale {
    /// Net Promoter question, 0–10.
    pub const NPS: Scale = Scale {
        min: 0.0,
        max: 10.0,
    };
    /// Five-point scale, 1–5.
    pub const FIVE_POINT: Scale = Scale { min: 1.0, max: 5.0 };
    /// Seven-point scale, 1–7.
    pub const SEVEN_POINT: Scale = Scale { min: 1.0, max: 7.0 };

    /// A scale with finite bounds and `min < max`.
    pub fn new(min: f64, max: f64) -> Result<Scale, LoyaltyError> {
        if min.is_finite() && max.is_finite() && min < max {
            Ok(Scale { min, max })
        } else {
            Err(LoyaltyError::InvalidScale { min, max })
        }
    }

    /// Rescale an answer to [0, 1]: (answer − min) / (max − min).
    pub fn rescale(&self, answer: f64) -> Result<f64, LoyaltyError> {
        let span = self.max - self.min;
        if !(span.is_finite() && span > 0.0) {
            return Err(LoyaltyError::InvalidScale {
                min: self.min,
                max: self.max,
            });
        }
        if !(self.min..=self.max).contains(&answer) {
            return Err(LoyaltyError::AnswerOutsideScale {
                value: answer,
                scale: *self,
            });
        }
        Ok((answer - self.min) / span)
    }
}

/// One survey question: its scale and its weight in the attitudinal index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveyQuestion {
    /// Declared scale of the answers.
    pub scale: Scale,
    /// Weight in the weighted mean (finite, ≥ 0).
    pub weight: f64,
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

fn check_weight(weight: f64) -> Result<(), LoyaltyError> {
    if weight.is_finite() && weight >= 0.0 {
        Ok(())
    } else {
        Err(LoyaltyError::InvalidWeight(weight))
    }
}

fn check_length(expected: usize, found: usize) -> Result<(), LoyaltyError> {
    if expected == found {
        Ok(())
    } else {
        Err(LoyaltyError::LengthMismatch { expected, found })
    }
}

// ---------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Quadrants
// ---------------------------------------------------------------------------

/// How to split the two indices into high and low.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thresholds {
    /// High when attitude ≥ `attitude` and behaviour ≥ `behaviour`.
    Fixed {
        /// Attitude threshold in [0, 1].
        attitude: f64,
        /// Behaviour threshold in [0, 1].
        behaviour: f64,
    },
    /// High when at or above the median of the customers' indices (attitude:
    /// median of the known values).
    MedianSplit,
}

/// Thresholds with numbers, after medians are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedThresholds {
    /// High attitude when the attitudinal index is ≥ this.
    pub attitude: f64,
    /// High behaviour when the behavioural index is ≥ this.
    pub behaviour: f64,
}

/// Median of the values (mean of the two middle ones for an even count);
/// `None` when there are no values other than NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values
        .iter()
        .copied()
        .filter(|value| !value.is_nan())
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[middle])
    } else {
        Some((sorted[middle - 1] + sorted[middle]) / 2.0)
    }
}

/// Turn thresholds into numbers. For a median split with no known attitude
/// (or no customers) the missing median is 0.5; it then decides nothing,
/// since every such customer is `AttitudeUnknown`.
pub fn resolve_thresholds(
    thresholds: Thresholds,
    attitude: &[Option<f64>],
    behaviour: &[f64],
) -> ResolvedThresholds {
    match thresholds {
        Thresholds::Fixed {
            attitude,
            behaviour,
        } => ResolvedThresholds {
            attitude,
            behaviour,
        },
        Thresholds::MedianSplit => {
            let known_attitude: Vec<f64> = attitude.iter().flatten().copied().collect();
            ResolvedThresholds {
                attitude: median(&known_attitude).unwrap_or(0.5),
                behaviour: median(behaviour).unwrap_or(0.5),
            }
        }
    }
}

/// Dick & Basu's loyalty quadrants, plus customers without survey answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoyaltyQuadrant {
    /// High attitude, high behaviour.
    True,
    /// High attitude, low behaviour.
    Latent,
    /// Low attitude, high behaviour (inertia).
    Spurious,
    /// Low attitude, low behaviour.
    NoLoyalty,
    /// Transactions but no survey answer.
    AttitudeUnknown,
}

impl LoyaltyQuadrant {
    /// All quadrants in report order.
    pub const ALL: [LoyaltyQuadrant; 5] = [
        Self::True,
        Self::Latent,
        Self::Spurious,
        Self::NoLoyalty,
        Self::AttitudeUnknown,
    ];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::True => "True loyalty",
            Self::Latent => "Latent loyalty",
            Self::Spurious => "Spurious loyalty",
            Self::NoLoyalty => "No loyalty",
            Self::AttitudeUnknown => "Attitude unknown",
        }
    }

    /// Recommended action (DESIGN.md, loyalty matrix).
    pub fn recommended_action(self) -> &'static str {
        match self {
            Self::True => {
                "Reward and involve: recognise them (early access, loyalty tiers, a personal thank-you), \
                 invite them to reviews, beta tests and communities, and ask for referrals. \
                 Protect the experience; don't spend discounts on people who buy anyway."
            }
            Self::Latent => {
                "Remove what keeps them from buying: find the barrier (price, delivery, access, \
                 assortment, rules that favour new customers) with a short survey, then make it \
                 easy: reminders at their usual interval, existing-customer offers, free shipping \
                 threshold, broader availability."
            }
            Self::Spurious => {
                "Build the relationship before a competitor's offer breaks the habit: find and fix \
                 what they dislike (follow up on low scores), add switching value (service, \
                 personalisation, loyalty benefits), and watch for declining frequency."
            }
            Self::NoLoyalty => {
                "Low priority: serve them efficiently with low-cost channels and standard offers; \
                 don't overspend on retention. Re-score later: some become latent or spurious."
            }
            Self::AttitudeUnknown => {
                "Ask: include them in the next survey (short NPS plus one satisfaction question) \
                 so they can be placed; meanwhile treat them by behaviour and RFM segment."
            }
        }
    }
}

impl fmt::Display for LoyaltyQuadrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Quadrant of one customer: high means at or above the threshold.
pub fn classify(
    attitude: Option<f64>,
    behaviour: f64,
    thresholds: &ResolvedThresholds,
) -> LoyaltyQuadrant {
    let Some(attitude) = attitude else {
        return LoyaltyQuadrant::AttitudeUnknown;
    };
    let high_attitude = attitude >= thresholds.attitude;
    let high_behaviour = behaviour >= thresholds.behaviour;
    match (high_attitude, high_behaviour) {
        (true, true) => LoyaltyQuadrant::True,
        (true, false) => LoyaltyQuadrant::Latent,
        (false, true) => LoyaltyQuadrant::Spurious,
        (false, false) => LoyaltyQuadrant::NoLoyalty,
    }
}

/// Quadrant of every customer; `attitude[i]` and `behaviour[i]` describe
/// customer `i`. Returns the resolved thresholds with the quadrants.
pub fn classify_customers(
    attitude: &[Option<f64>],
    behaviour: &[f64],
    thresholds: Thresholds,
) -> Result<(ResolvedThresholds, Vec<LoyaltyQuadrant>), LoyaltyError> {
    check_length(attitude.len(), behaviour.len())?;
    let resolved = resolve_thresholds(thresholds, attitude, behaviour);
    let quadrants = attitude
        .iter()
        .zip(behaviour)
        .map(|(&attitude, &behaviour)| classify(attitude, behaviour, &resolved))
        .collect();
    Ok((resolved, quadrants))
}

// ---------------------------------------------------------------------------
// NPS
// ---------------------------------------------------------------------------

/// Net Promoter category of a 0–10 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NpsCategory {
    /// 9–10.
    Promoter,
    /// 7–8.
    Passive,
    /// 0–6.
    Detractor,
}

/// Category of a 0–10 answer; answers above 10 are an error.
pub fn nps_category(answer: u8) -> Result<NpsCategory, LoyaltyError> {
    match answer {
        9..=10 => Ok(NpsCategory::Promoter),
        7..=8 => Ok(NpsCategory::Passive),
        0..=6 => Ok(NpsCategory::Detractor),
        _ => Err(LoyaltyError::AnswerOutsideScale {
            value: f64::from(answer),
            scale: Scale::NPS,
        }),
    }
}

/// Counts of NPS answers by category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpsSummary {
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
}

impl NpsSummary {
    /// Count the answers (0–10 each).
    pub fn from_answers(answers: &[u8]) -> Result<NpsSummary, LoyaltyError> {
        let mut summary = NpsSummary::default();
        for &answer in answers {
            summary.add(answer)?;
        }
        Ok(summary)
    }

    /// Counts one answer (0–10) in its category.
    pub fn add(&mut self, answer: u8) -> Result<(), LoyaltyError> {
        match nps_category(answer)? {
            NpsCategory::Promoter => self.promoters += 1,
            NpsCategory::Passive => self.passives += 1,
            NpsCategory::Detractor => self.detractors += 1,
        }
        Ok(())
    }

    /// Number of answers.
    pub fn respondents(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// NPS = % promoters − % detractors, in [−100, 100]; `None` with no answers.
    pub fn score(&self) -> Option<f64> {
        let respondents = self.respondents();
        if respondents == 0 {
            return None;
        }
        let difference = self.promoters as f64 - self.detractors as f64;
        Some(100.0 * difference / respondents as f64)
    }
}

// ---------------------------------------------------------------------------
// Loyalty ladder
// ---------------------------------------------------------------------------

/// Stage on the loyalty ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LadderStage {
    /// Known (e.g. surveyed) but no purchase yet.
    Prospect,
    /// One order.
    FirstTime,
    /// Two or more orders, not (or no longer) buying regularly.
    Repeat,
    /// Buys regularly (see [`LadderRule`]).
    Client,
    /// Repeat buyer who promotes us: NPS 9–10 or at least one referral.
    Advocate,
}

impl LadderStage {
    /// All stages from the bottom of the ladder up (the declaration order, so
    /// `ALL[stage as usize] == stage`).
    pub const ALL: [LadderStage; 5] = [
        Self::Prospect,
        Self::FirstTime,
        Self::Repeat,
        Self::Client,
        Self::Advocate,
    ];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Prospect => "Prospect",
            Self::FirstTime => "First-time customer",
            Self::Repeat => "Repeat customer",
            Self::Client => "Client",
            Self::Advocate => "Advocate",
        }
    }
}

impl fmt::Display for LadderStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the ladder needs to know about one customer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LadderFacts {
    /// Number of orders.
    pub order_count: u32,
    /// Days from the first order to the as-of date (ignored with no orders).
    pub days_since_first_order: f64,
    /// Days from the last order to the as-of date (ignored with no orders).
    pub days_since_last_order: f64,
    /// NPS answer (0–10) when surveyed.
    pub nps_answer: Option<u8>,
    /// Number of customers referred, when the data have it.
    pub referrals: Option<u32>,
}

/// The rule for the Client stage: at least `client_min_orders` orders and not
/// overdue, i.e. days since the last order ≤ `overdue_factor` × the
/// customer's own mean gap between orders, where the mean gap is
/// (days since first − days since last) / (orders − 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LadderRule {
    /// Fewest orders for a client.
    pub client_min_orders: u32,
    /// How many mean gaps may pass since the last order.
    pub overdue_factor: f64,
}

impl Default for LadderRule {
    /// Three orders, overdue after twice the mean gap (for exponential gaps
    /// about 1 in 7 regular buyers is past 2× at any moment, 1 in 5 past 1.5×).
    fn default() -> Self {
        Self {
            client_min_orders: 3,
            overdue_factor: 2.0,
        }
    }
}

/// Ladder stage of one customer. Advocate ranks above Client: a repeat buyer
/// (2+ orders) who is a promoter or has referred someone is an Advocate.
pub fn ladder_stage(facts: &LadderFacts, rule: &LadderRule) -> Result<LadderStage, LoyaltyError> {
    let promoter = match facts.nps_answer {
        Some(answer) => nps_category(answer)? == NpsCategory::Promoter,
        None => false,
    };
    let referred = facts.referrals.is_some_and(|count| count > 0);
    Ok(match facts.order_count {
        0 => LadderStage::Prospect,
        1 => LadderStage::FirstTime,
        _ if promoter || referred => LadderStage::Advocate,
        _ if is_regular_buyer(facts, rule) => LadderStage::Client,
        _ => LadderStage::Repeat,
    })
}

fn is_regular_buyer(facts: &LadderFacts, rule: &LadderRule) -> bool {
    if facts.order_count < rule.client_min_orders.max(2) {
        return false;
    }
    let active_days = facts.days_since_first_order - facts.days_since_last_order;
    let mean_gap = active_days / f64::from(facts.order_count - 1);
    mean_gap.is_finite() && facts.days_since_last_order <= rule.overdue_factor * mean_gap
}

// ---------------------------------------------------------------------------
// Survey simulation
// ---------------------------------------------------------------------------

/// Settings for [`simulate_survey`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveySimulation {
    /// Correlation ρ in [0, 1] between latent attitude and standardised behaviour.
    pub correlation: f64,
    /// Share of customers who answer, in [0, 1].
    pub response_rate: f64,
    /// Seed: the same seed gives the same answers.
    pub seed: u64,
}

/// One simulated respondent's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedAnswers {
    /// Likelihood to recommend, 0–10.
    pub nps: u8,
    /// Satisfaction, 1–5.
    pub satisfaction: u8,
}

/// Share of answers 0, 1, …, 10 on the NPS question at the population
/// average; a typical B2C spread: 27 % detractors, 35 % passives,
/// 38 % promoters (NPS ≈ 11).
const NPS_ANSWER_SHARES: [f64; 11] = [
    0.03, 0.02, 0.02, 0.03, 0.03, 0.06, 0.08, 0.15, 0.20, 0.18, 0.20,
];

/// Share of answers 1–5 on the satisfaction question.
const SATISFACTION_ANSWER_SHARES: [f64; 5] = [0.05, 0.10, 0.20, 0.40, 0.25];

/// How much of each answer's latent is the shared attitude; the rest is
/// question-specific noise, so NPS and satisfaction agree but not exactly.
const SHARED_ATTITUDE_LOADING: f64 = 0.9;

/// Simulate survey answers for customers with the given behavioural index.
///
/// Latent attitude = ρ·z(behaviour) + √(1 − ρ²)·ε, ε ~ N(0, 1), where z
/// standardises the behavioural index over all customers. Each answer is
/// drawn from the latent through the standard normal CDF and the answer
/// shares above (an ordered-probit model). A customer answers with
/// probability `response_rate`; non-respondents get `None`.
pub fn simulate_survey(
    behaviour: &[f64],
    settings: &SurveySimulation,
) -> Result<Vec<Option<SimulatedAnswers>>, LoyaltyError> {
    check_unit_interval("correlation", settings.correlation)?;
    check_unit_interval("response rate", settings.response_rate)?;
    if let Some(position) = behaviour.iter().position(|value| !value.is_finite()) {
        return Err(LoyaltyError::NotANumber { position });
    }
    let standardised = standardise(behaviour);
    let rho = settings.correlation;
    let noise_loading = (1.0 - rho * rho).sqrt();
    let question_noise_loading = (1.0 - SHARED_ATTITUDE_LOADING.powi(2)).sqrt();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
    let answers = standardised
        .iter()
        .map(|&z| {
            // Draw every number for every customer so that a customer's
            // answers do not depend on whether others responded.
            let responds = rng.random::<f64>() < settings.response_rate;
            let attitude = rho * z + noise_loading * standard_normal(&mut rng);
            let nps_latent = SHARED_ATTITUDE_LOADING * attitude
                + question_noise_loading * standard_normal(&mut rng);
            let satisfaction_latent = SHARED_ATTITUDE_LOADING * attitude
                + question_noise_loading * standard_normal(&mut rng);
            responds.then(|| SimulatedAnswers {
                nps: ordered_answer(nps_latent, &NPS_ANSWER_SHARES, 0),
                satisfaction: ordered_answer(satisfaction_latent, &SATISFACTION_ANSWER_SHARES, 1),
            })
        })
        .collect();
    Ok(answers)
}

fn check_unit_interval(name: &'static str, value: f64) -> Result<(), LoyaltyError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(LoyaltyError::OutsideUnitInterval { name, value })
    }
}

fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    StandardNormal.sample(rng)
}

/// z-scores over all values; all zeros when the values do not vary.
fn standardise(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values
        .iter()
        .map(|value| (value - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = variance.sqrt();
    if !sd.is_finite() || sd <= 0.0 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|value| (value - mean) / sd).collect()
}

/// Ordered-probit answer: the first answer whose cumulative share reaches
/// Φ(latent); answers are numbered from `lowest_answer`.
fn ordered_answer(latent: f64, shares: &[f64], lowest_answer: u8) -> u8 {
    let quantile = standard_normal_cdf(latent);
    let mut cumulative = 0.0;
    let mut answer = lowest_answer;
    for (offset, share) in shares.iter().enumerate() {
        cumulative += share;
        answer = lowest_answer.saturating_add(u8::try_from(offset).unwrap_or(u8::MAX));
        if quantile <= cumulative {
            break;
        }
    }
    answer
}

/// Φ(x) = erfc(−x/√2) / 2.
fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * complementary_error_function(-x / std::f64::consts::SQRT_2)
}

/// erfc by the Chebyshev fit of Press et al., Numerical Recipes (2nd ed.,
/// §6.2, `erfcc`): fractional error below 1.2e-7 everywhere.
fn complementary_error_function(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let polynomial = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let upper_tail = t * polynomial.exp();
    if x >= 0.0 {
        upper_tail
    } else {
        2.0 - upper_tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EPSILON: f64 = 1e-12;

    fn close(left: f64, right: f64) -> bool {
        (left - right).abs() < EPSILON
    }

    fn question(scale: Scale, weight: f64) -> SurveyQuestion {
        SurveyQuestion { scale, weight }
    }

    // --- scales and attitude ---

    #[test]
    fn rescale_maps_scale_ends_to_zero_and_one() {
        assert_eq!(Scale::FIVE_POINT.rescale(1.0), Ok(0.0));
        assert_eq!(Scale::FIVE_POINT.rescale(5.0), Ok(1.0));
        assert_eq!(Scale::FIVE_POINT.rescale(3.0), Ok(0.5));
        assert_eq!(Scale::NPS.rescale(7.0), Ok(0.7));
    }

    #[test]
    fn rescale_rejects_answers_outside_the_scale() {
        let error = Scale::FIVE_POINT.rescale(0.0);
        assert_eq!(
            error,
            Err(LoyaltyError::AnswerOutsideScale {
                value: 0.0,
                scale: Scale::FIVE_POINT
            })
        );
        assert!(Scale::FIVE_POINT.rescale(5.5).is_err());
        assert!(Scale::NPS.rescale(f64::NAN).is_err());
    }

    #[test]
    fn scale_needs_min_below_max() {
        assert!(Scale::new(1.0, 7.0).is_ok());
        assert_eq!(
            Scale::new(5.0, 5.0),
            Err(LoyaltyError::InvalidScale { min: 5.0, max: 5.0 })
        );
        assert!(Scale::new(0.0, f64::INFINITY).is_err());
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

    // --- thresholds and quadrants ---

    #[test]
    fn fixed_thresholds_count_the_boundary_as_high() {
        let thresholds = ResolvedThresholds {
            attitude: 0.6,
            behaviour: 0.5,
        };
        assert_eq!(classify(Some(0.6), 0.5, &thresholds), LoyaltyQuadrant::True);
        assert_eq!(
            classify(Some(0.6), 0.499, &thresholds),
            LoyaltyQuadrant::Latent
        );
        assert_eq!(
            classify(Some(0.599), 0.5, &thresholds),
            LoyaltyQuadrant::Spurious
        );
        assert_eq!(
            classify(Some(0.599), 0.499, &thresholds),
            LoyaltyQuadrant::NoLoyalty
        );
        assert_eq!(
            classify(None, 1.0, &thresholds),
            LoyaltyQuadrant::AttitudeUnknown
        );
    }

    #[test]
    fn median_split_uses_known_attitudes_only() {
        let attitude = [Some(0.2), None, Some(0.8), Some(0.4), None];
        let behaviour = [0.1, 0.9, 0.5, 0.3, 0.7];
        let resolved = resolve_thresholds(Thresholds::MedianSplit, &attitude, &behaviour);
        assert_eq!(
            resolved,
            ResolvedThresholds {
                attitude: 0.4,
                behaviour: 0.5
            }
        );
        let classified = classify_customers(&attitude, &behaviour, Thresholds::MedianSplit);
        let quadrants = classified.map(|(_, quadrants)| quadrants);
        assert_eq!(
            quadrants,
            Ok(vec![
                LoyaltyQuadrant::NoLoyalty,
                LoyaltyQuadrant::AttitudeUnknown,
                LoyaltyQuadrant::True,
                LoyaltyQuadrant::Latent,
                LoyaltyQuadrant::AttitudeUnknown,
            ])
        );
    }

    #[test]
    fn median_of_even_count_is_mean_of_middle_values() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let resolved = resolve_thresholds(Thresholds::MedianSplit, &[None], &[]);
        assert_eq!(
            resolved,
            ResolvedThresholds {
                attitude: 0.5,
                behaviour: 0.5
            }
        );
    }

    #[test]
    fn every_quadrant_has_a_name_and_an_action() {
        for quadrant in LoyaltyQuadrant::ALL {
            assert!(!quadrant.name().is_empty());
            assert!(quadrant.recommended_action().len() > 40);
            assert_eq!(quadrant.to_string(), quadrant.name());
        }
    }

    // --- NPS ---

    #[test]
    fn nps_is_promoter_share_minus_detractor_share() {
        let answers = [9, 10, 9, 10, 9, 7, 8, 7, 6, 0];
        let summary = NpsSummary::from_answers(&answers);
        assert_eq!(
            summary,
            Ok(NpsSummary {
                promoters: 5,
                passives: 3,
                detractors: 2
            })
        );
        assert_eq!(summary.map(|summary| summary.score()), Ok(Some(30.0)));
    }

    #[test]
    fn nps_category_boundaries() {
        assert_eq!(nps_category(6), Ok(NpsCategory::Detractor));
        assert_eq!(nps_category(7), Ok(NpsCategory::Passive));
        assert_eq!(nps_category(8), Ok(NpsCategory::Passive));
        assert_eq!(nps_category(9), Ok(NpsCategory::Promoter));
        assert_eq!(nps_category(10), Ok(NpsCategory::Promoter));
        assert!(nps_category(11).is_err());
    }

    #[test]
    fn nps_of_nobody_is_undefined() {
        assert_eq!(NpsSummary::default().score(), None);
        let all_detractors = NpsSummary {
            promoters: 0,
            passives: 0,
            detractors: 4,
        };
        assert_eq!(all_detractors.score(), Some(-100.0));
    }

    // --- ladder ---

    fn facts(order_count: u32, since_first: f64, since_last: f64) -> LadderFacts {
        LadderFacts {
            order_count,
            days_since_first_order: since_first,
            days_since_last_order: since_last,
            nps_answer: None,
            referrals: None,
        }
    }

    fn stage(facts: &LadderFacts) -> LadderStage {
        match ladder_stage(facts, &LadderRule::default()) {
            Ok(stage) => stage,
            Err(error) => panic!("ladder: {error}"),
        }
    }

    #[test]
    fn ladder_counts_orders() {
        assert_eq!(stage(&facts(0, 0.0, 0.0)), LadderStage::Prospect);
        assert_eq!(stage(&facts(1, 10.0, 10.0)), LadderStage::FirstTime);
        assert_eq!(stage(&facts(2, 100.0, 10.0)), LadderStage::Repeat);
    }

    #[test]
    fn client_is_not_overdue_against_own_rhythm() {
        // 3 orders over 100 days → mean gap 50 days; overdue after 2 × 50 = 100.
        assert_eq!(stage(&facts(3, 200.0, 100.0)), LadderStage::Client);
        assert_eq!(stage(&facts(3, 201.0, 101.0)), LadderStage::Repeat);
        // All orders the same day: mean gap 0, client only while it is still that day.
        assert_eq!(stage(&facts(3, 0.0, 0.0)), LadderStage::Client);
        assert_eq!(stage(&facts(3, 5.0, 5.0)), LadderStage::Repeat);
    }

    #[test]
    fn advocate_is_a_repeat_buyer_who_promotes() {
        let promoter = LadderFacts {
            nps_answer: Some(9),
            ..facts(2, 100.0, 90.0)
        };
        assert_eq!(stage(&promoter), LadderStage::Advocate);
        let referrer = LadderFacts {
            referrals: Some(1),
            ..facts(5, 100.0, 1.0)
        };
        assert_eq!(stage(&referrer), LadderStage::Advocate);
        let first_time_promoter = LadderFacts {
            nps_answer: Some(10),
            ..facts(1, 5.0, 5.0)
        };
        assert_eq!(stage(&first_time_promoter), LadderStage::FirstTime);
        let passive = LadderFacts {
            nps_answer: Some(8),
            referrals: Some(0),
            ..facts(2, 10.0, 5.0)
        };
        assert_eq!(stage(&passive), LadderStage::Repeat);
        let invalid = LadderFacts {
            nps_answer: Some(11),
            ..facts(2, 10.0, 5.0)
        };
        assert!(ladder_stage(&invalid, &LadderRule::default()).is_err());
    }

    // --- survey simulation ---

    fn behaviour_grid(count: usize) -> Vec<f64> {
        let ranks: Vec<f64> = (0..count).map(|i| (i * 7919 % count) as f64).collect();
        percentile_ranks(&ranks).unwrap_or_default()
    }

    fn survey(
        behaviour: &[f64],
        correlation: f64,
        response_rate: f64,
        seed: u64,
    ) -> Vec<Option<SimulatedAnswers>> {
        let settings = SurveySimulation {
            correlation,
            response_rate,
            seed,
        };
        match simulate_survey(behaviour, &settings) {
            Ok(answers) => answers,
            Err(error) => panic!("survey: {error}"),
        }
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
        let answers = survey(&behaviour, 0.5, 0.3, 1);
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

    #[test]
    fn simulated_response_rate_and_answer_ranges() {
        let behaviour = behaviour_grid(20_000);
        let answers = survey(&behaviour, 0.5, 0.25, 2);
        let respondents: Vec<SimulatedAnswers> = answers.iter().flatten().copied().collect();
        // Binomial(20,000, 0.25): sd ≈ 61; allow 4 sd.
        assert!(
            (respondents.len() as f64 - 5_000.0).abs() < 250.0,
            "{}",
            respondents.len()
        );
        assert!(
            respondents
                .iter()
                .all(|a| a.nps <= 10 && (1..=5).contains(&a.satisfaction))
        );
        let nps: Vec<u8> = respondents.iter().map(|a| a.nps).collect();
        let score = NpsSummary::from_answers(&nps)
            .ok()
            .and_then(|summary| summary.score());
        // Design shares give NPS 11; ±4 points covers sampling error (sd ≈ 1.2).
        assert!(
            score.is_some_and(|score| (score - 11.0).abs() < 5.0),
            "{score:?}"
        );
    }

    #[test]
    fn correlation_links_attitude_to_behaviour() {
        let behaviour = behaviour_grid(20_000);
        let mean_nps = |answers: &[Option<SimulatedAnswers>], high: bool| {
            let selected: Vec<f64> = answers
                .iter()
                .zip(&behaviour)
                .filter(|(_, b)| (**b >= 0.5) == high)
                .filter_map(|(a, _)| a.map(|a| f64::from(a.nps)))
                .collect();
            selected.iter().sum::<f64>() / selected.len() as f64
        };
        let correlated = survey(&behaviour, 0.8, 1.0, 3);
        assert!(mean_nps(&correlated, true) - mean_nps(&correlated, false) > 1.0);
        let independent = survey(&behaviour, 0.0, 1.0, 3);
        assert!((mean_nps(&independent, true) - mean_nps(&independent, false)).abs() < 0.15);
    }

    #[test]
    fn simulated_survey_is_deterministic_for_a_seed() {
        let behaviour = behaviour_grid(1_000);
        assert_eq!(
            survey(&behaviour, 0.5, 0.5, 9),
            survey(&behaviour, 0.5, 0.5, 9)
        );
        assert_ne!(
            survey(&behaviour, 0.5, 0.5, 9),
            survey(&behaviour, 0.5, 0.5, 10)
        );
    }

    #[test]
    fn simulated_survey_rejects_bad_settings() {
        let settings = SurveySimulation {
            correlation: 1.5,
            response_rate: 0.5,
            seed: 1,
        };
        assert!(simulate_survey(&[0.5], &settings).is_err());
        let settings = SurveySimulation {
            correlation: 0.5,
            response_rate: -0.1,
            seed: 1,
        };
        assert!(simulate_survey(&[0.5], &settings).is_err());
        let settings = SurveySimulation {
            correlation: 0.5,
            response_rate: 0.5,
            seed: 1,
        };
        assert!(simulate_survey(&[f64::NAN], &settings).is_err());
        assert_eq!(simulate_survey(&[], &settings), Ok(vec![]));
    }

    #[test]
    fn normal_cdf_matches_reference_values() {
        // Φ(0) = 0.5, Φ(1.959964) = 0.975, Φ(−1) = 0.158655.
        assert!((standard_normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((standard_normal_cdf(1.959_964) - 0.975).abs() < 1e-7);
        assert!((standard_normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-7);
    }

    // --- properties ---

    fn answers_strategy() -> impl Strategy<Value = Vec<Option<f64>>> {
        prop::collection::vec(prop::option::of(0.0..=10.0_f64), 1..6)
    }

    proptest! {
        #[test]
        fn every_customer_gets_exactly_one_quadrant(
            rows in prop::collection::vec((prop::option::of(0.0..=1.0_f64), 0.0..=1.0_f64), 0..200),
            median_split in any::<bool>(),
            attitude_threshold in 0.0..=1.0_f64,
            behaviour_threshold in 0.0..=1.0_f64,
        ) {
            let attitude: Vec<Option<f64>> = rows.iter().map(|row| row.0).collect();
            let behaviour: Vec<f64> = rows.iter().map(|row| row.1).collect();
            let thresholds = if median_split {
                Thresholds::MedianSplit
            } else {
                Thresholds::Fixed { attitude: attitude_threshold, behaviour: behaviour_threshold }
            };
            let (_, quadrants) = classify_customers(&attitude, &behaviour, thresholds)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(quadrants.len(), rows.len());
            let counted: usize = LoyaltyQuadrant::ALL
                .iter()
                .map(|&quadrant| quadrants.iter().filter(|&&q| q == quadrant).count())
                .sum();
            prop_assert_eq!(counted, rows.len());
            for (quadrant, known) in quadrants.iter().zip(&attitude) {
                prop_assert_eq!(*quadrant == LoyaltyQuadrant::AttitudeUnknown, known.is_none());
            }
        }

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
