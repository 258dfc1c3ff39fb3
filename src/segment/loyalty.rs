//! Loyalty matrix core: attitude × behaviour (Dick & Basu 1994), NPS and the
//! loyalty ladder. The survey simulator is [`crate::models::simulate_survey`].
//!
//! Loyalty is intention plus behaviour. Two indices in [0, 1], computed in
//! `features::loyalty`:
//! - attitudinal: survey answers, each rescaled by its declared scale and
//!   averaged with weights;
//! - behavioural: percentile ranks of repeat purchase, frequency, recency
//!   (reversed) and optionally share of wallet, averaged with weights.
//!
//! Splitting both at a threshold gives the four quadrants of
//! [`LoyaltyQuadrant`]; customers without survey answers are
//! [`LoyaltyQuadrant::AttitudeUnknown`], never dropped.

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

pub(crate) fn check_weight(weight: f64) -> Result<(), LoyaltyError> {
    if weight.is_finite() && weight >= 0.0 {
        Ok(())
    } else {
        Err(LoyaltyError::InvalidWeight(weight))
    }
}

pub(crate) fn check_length(expected: usize, found: usize) -> Result<(), LoyaltyError> {
    if expected == found {
        Ok(())
    } else {
        Err(LoyaltyError::LengthMismatch { expected, found })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    // --- properties ---

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

    }
}
