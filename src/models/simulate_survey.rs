//! A survey simulator for demos and tests (`clm simulate --survey`): answers to a 0–10
//! recommend question and a 1–5 satisfaction question, drawn by an ordered-probit model from
//! a latent attitude correlated with each customer's behavioural index.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

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
) -> Result<Vec<Option<SimulatedAnswers>>, String> {
    check_unit_interval("correlation", settings.correlation)?;
    check_unit_interval("response rate", settings.response_rate)?;
    if let Some(position) = behaviour.iter().position(|value| !value.is_finite()) {
        return Err(format!("value at position {position} is not a number"));
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

fn check_unit_interval(name: &str, value: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name} must be between 0 and 1, got {value}"))
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

    /// Behaviour indices 0, 1/n, …, spread over the customers in a scrambled order.
    fn behaviour_grid(count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| (i * 7919 % count) as f64 / count as f64)
            .collect()
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
        // NPS = % promoters (9–10) − % detractors (0–6).
        let share = |keep: fn(u8) -> bool| {
            100.0 * nps.iter().filter(|&&a| keep(a)).count() as f64 / nps.len() as f64
        };
        let score = share(|a| a >= 9) - share(|a| a <= 6);
        // Design shares give NPS 11; ±4 points covers sampling error (sd ≈ 1.2).
        assert!((score - 11.0).abs() < 5.0, "{score}");
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
}
