//! Shifted-beta-geometric (sBG) model of contract duration: Fader & Hardie (2007), "How to
//! project customer retention", Journal of Interactive Marketing 21(1), 76–90; discounted
//! expected residual lifetime from Fader & Hardie (2010), "Customer-base valuation in a
//! contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1), 85–93.
//!
//! Each customer renews at the end of every period with a fixed probability `1 − θ` until the
//! first non-renewal; θ varies across customers as Beta(α, β).
//!
//! Period indexing (the paper's): period 1 is the period of acquisition, the first renewal
//! decision falls at its end. `T = t` means the customer's last period is `t` (the customer
//! did not renew at the end of period `t`, having renewed `t − 1` times):
//! * `P(T = t) = B(α + 1, β + t − 1) / B(α, β)`, `t = 1, 2, …`
//! * `S(t) = P(T > t) = B(α, β + t) / B(α, β)`, `S(0) = 1`
//! * retention rate at the `t`-th renewal `r(t) = S(t)/S(t−1) = (β + t − 1)/(α + β + t − 1)`.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

use super::optimize::{self, Objective};
use super::saved::SavedFit;
use super::special::{digamma, hyp2f1, ln_beta};
use super::{FitError, FitReport, finish_fit};

/// Parameter names in report order.
pub const PARAM_NAMES: [&str; 2] = ["alpha", "beta"];

/// Periods searched for the median lifetime before calling it unbounded.
const MEDIAN_SEARCH_PERIODS: u32 = 100_000;

/// A cohort's (or a pool's) churn observations in whole periods.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurvivalCounts {
    /// `churned[t − 1]`: customers whose last period was `t` (`T = t`).
    pub churned: Vec<f64>,
    /// `censored[c]`: customers still active after `c` renewals (`T > c`, observed no further).
    pub censored: Vec<f64>,
}

impl SurvivalCounts {
    /// From the number alive at the start of periods `1, 2, …, m + 1` (`alive[0]` = cohort size):
    /// the paper's data layout. Those alive at the last count are censored after `m` renewals.
    pub fn from_alive(alive: &[f64]) -> Result<SurvivalCounts, String> {
        let Some(&last) = alive.last() else {
            return Err("no counts".to_string());
        };
        if let Some(bad) = alive.iter().find(|a| !a.is_finite() || **a < 0.0) {
            return Err(format!("count {bad} is not a number >= 0"));
        }
        if let Some(k) = alive.windows(2).position(|w| w[1] > w[0]) {
            return Err(format!(
                "more customers alive in period {} ({}) than in period {} ({}): counts must not rise",
                k + 2,
                alive[k + 1],
                k + 1,
                alive[k]
            ));
        }
        let churned = alive.windows(2).map(|w| w[0] - w[1]).collect();
        let mut censored = vec![0.0; alive.len()];
        censored[alive.len() - 1] = last;
        Ok(SurvivalCounts { churned, censored })
    }

    /// Records one customer: churned with `T = t` (`t >= 1`).
    pub fn add_churned(&mut self, t: u32, weight: f64) {
        let index = t.max(1) as usize - 1;
        if self.churned.len() <= index {
            self.churned.resize(index + 1, 0.0);
        }
        self.churned[index] += weight;
    }

    /// Records one customer still active after `renewals` renewals.
    pub fn add_censored(&mut self, renewals: u32, weight: f64) {
        let index = renewals as usize;
        if self.censored.len() <= index {
            self.censored.resize(index + 1, 0.0);
        }
        self.censored[index] += weight;
    }

    /// Adds another set of counts (pooling cohorts).
    pub fn merge(&mut self, other: &SurvivalCounts) {
        for (t, &n) in other.churned.iter().enumerate() {
            self.add_churned(t as u32 + 1, n);
        }
        for (c, &n) in other.censored.iter().enumerate() {
            self.add_censored(c as u32, n);
        }
    }

    /// Number of customers.
    pub fn customers(&self) -> f64 {
        self.churned.iter().sum::<f64>() + self.censored.iter().sum::<f64>()
    }

    /// Customers still active.
    pub fn active(&self) -> f64 {
        self.censored.iter().sum()
    }

    /// The last renewal decision anyone was observed at.
    pub fn renewals_observed(&self) -> usize {
        let last_churn = self
            .churned
            .iter()
            .rposition(|&n| n > 0.0)
            .map_or(0, |i| i + 1);
        let last_censor = self.censored.iter().rposition(|&n| n > 0.0).unwrap_or(0);
        last_churn.max(last_censor)
    }

    /// `(at risk, churned)` at renewal decision `t = 1, 2, …` up to [`Self::renewals_observed`]:
    /// at risk are those whose `T >= t` is known (churned at `t` or later, or censored at `t` or
    /// later); the Kaplan–Meier risk sets.
    pub fn risk_sets(&self) -> Vec<(f64, f64)> {
        let periods = self.renewals_observed();
        let at = |v: &Vec<f64>, i: usize| v.get(i).copied().unwrap_or(0.0);
        let mut at_risk = self.customers() - at(&self.censored, 0);
        (1..=periods)
            .map(|t| {
                let churned = at(&self.churned, t - 1);
                let row = (at_risk, churned);
                at_risk -= churned + at(&self.censored, t);
                row
            })
            .collect()
    }
}

/// sBG parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbgParams {
    /// First shape of the Beta distribution of the churn probability θ.
    pub alpha: f64,
    /// Second shape of the Beta distribution of the churn probability θ.
    pub beta: f64,
}

/// A fitted sBG model.
#[derive(Debug, Clone, PartialEq)]
pub struct SbgFit {
    /// Estimates.
    pub params: SbgParams,
    /// Log-likelihood, standard errors, AIC/BIC, convergence.
    pub report: FitReport,
}

impl SbgParams {
    /// `P(T = t) = B(α + 1, β + t − 1)/B(α, β)` for `t >= 1`.
    pub fn p_churn_at(&self, t: u32) -> f64 {
        self.ln_p_churn_at(f64::from(t)).exp()
    }

    fn ln_p_churn_at(&self, t: f64) -> f64 {
        ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)
    }

    fn ln_survival(&self, t: f64) -> f64 {
        ln_beta(self.alpha, self.beta + t) - ln_beta(self.alpha, self.beta)
    }

    /// `S(t) = P(T > t) = B(α, β + t)/B(α, β)`: share of a cohort still active after `t` renewals.
    pub fn survival(&self, t: u32) -> f64 {
        self.ln_survival(f64::from(t)).exp()
    }

    /// Retention rate at the `t`-th renewal, `r(t) = (β + t − 1)/(α + β + t − 1)`, `t >= 1`.
    pub fn retention_rate(&self, t: u32) -> f64 {
        let t = f64::from(t.max(1));
        (self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0)
    }

    /// Expected lifetime in periods of a new customer, `E(T) = (α + β − 1)/(α − 1)`; infinite
    /// when `α <= 1` (the Beta mixture puts so much mass near θ = 0 that the mean diverges).
    pub fn expected_lifetime(&self) -> f64 {
        if self.alpha <= 1.0 {
            return f64::INFINITY;
        }
        (self.alpha + self.beta - 1.0) / (self.alpha - 1.0)
    }

    /// Median lifetime: the first `t` with `S(t) <= 0.5` (the period in which half a cohort has
    /// gone); infinite if not reached within 100 000 periods.
    pub fn median_lifetime(&self) -> f64 {
        let mut survival = 1.0;
        for t in 1..=MEDIAN_SEARCH_PERIODS {
            survival *= self.retention_rate(t);
            if survival <= 0.5 {
                return f64::from(t);
            }
        }
        f64::INFINITY
    }

    /// Discounted expected lifetime of a new customer, counting the period of acquisition
    /// undiscounted: `Σ_{t>=0} S(t)/(1 + d)^t = 2F1(1, β; α + β; 1/(1 + d))` (Fader & Hardie 2010,
    /// eq. 4 without the value per period). `d` is the discount rate per period, `d >= 0`.
    pub fn discounted_expected_lifetime(&self, discount_rate: f64) -> f64 {
        // Σ_{t>=0} S(t) z^t = 1 + z Σ_{t>=1} S(t) z^{t−1} = 1 + z · DERL(n = 1), z = 1/(1 + d).
        1.0 + self.discounted_residual_lifetime(discount_rate, 0) / (1.0 + discount_rate.max(0.0))
    }

    /// DERL (Fader & Hardie 2010, eq. 6) for a customer who has renewed `renewals` = `n − 1` times
    /// and is about to make the `n`-th renewal decision: the expected number of further periods,
    /// each discounted by `(1 + d)` per period with the next one undiscounted,
    /// `Σ_{t>=n} S(t)/S(n−1) (1 + d)^{−(t−n)} = (β + n − 1)/(α + β + n − 1) · 2F1(1, β + n; α + β + n; 1/(1 + d))`.
    /// With `d = 0` it is `(β + n − 1)/(α − 1)`, infinite for `α <= 1`.
    pub fn discounted_residual_lifetime(&self, discount_rate: f64, renewals: u32) -> f64 {
        let n = f64::from(renewals) + 1.0;
        let (alpha, beta) = (self.alpha, self.beta);
        if discount_rate <= 0.0 {
            if alpha <= 1.0 {
                return f64::INFINITY;
            }
            return (beta + n - 1.0) / (alpha - 1.0);
        }
        let z = 1.0 / (1.0 + discount_rate);
        let next_renewal = (beta + n - 1.0) / (alpha + beta + n - 1.0);
        next_renewal * hyp2f1(1.0, beta + n, alpha + beta + n, z)
    }

    /// Total log-likelihood of survival counts (Fader & Hardie 2007, eq. 6 generalised to any
    /// censoring point): `Σ_t n_t ln P(T = t) + Σ_c m_c ln S(c)`.
    pub fn log_likelihood(&self, counts: &SurvivalCounts) -> f64 {
        let churned: f64 = counts
            .churned
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0.0)
            .map(|(i, n)| n * self.ln_p_churn_at(i as f64 + 1.0))
            .sum();
        let censored: f64 = counts
            .censored
            .iter()
            .enumerate()
            .filter(|(c, n)| **n > 0.0 && *c > 0)
            .map(|(c, n)| n * self.ln_survival(c as f64))
            .sum();
        churned + censored
    }

    /// One customer's lifetime `T` in periods: θ ~ Beta(α, β), then `T` ~ Geometric(θ) on
    /// `1, 2, …`; `None` when `T` would exceed `max_periods` (still active).
    pub fn draw_lifetime<R: Rng + ?Sized>(
        &self,
        beta_distribution: &Beta<f64>,
        max_periods: u32,
        rng: &mut R,
    ) -> Option<u32> {
        let theta: f64 = beta_distribution.sample(rng);
        (1..=max_periods).find(|_| rng.random::<f64>() < theta)
    }
}

/// Above this `α + β` the fit is taken to have run to the edge of the parameter space.
const BOUNDARY_SHAPE_SUM: f64 = 1e4;

impl SbgFit {
    /// Whether the estimates ran off to the edge of the parameter space where θ has no spread
    /// (α, β → ∞ with α/(α + β) fixed: a constant retention rate, the plain geometric model),
    /// or their standard errors could not be computed. Retention does not rise with tenure in
    /// such data, and α and β are not identified one by one; `r(t)` and `S(t)` still are.
    pub fn at_boundary(&self) -> bool {
        self.params.alpha + self.params.beta > BOUNDARY_SHAPE_SUM
            || self.report.params.iter().any(|p| !p.std_error.is_finite())
    }
}

/// The negative log-likelihood in log parameters, with its analytic gradient
/// (∂ ln B(a, b)/∂a = ψ(a) − ψ(a + b)).
struct NegLogLikelihood<'a> {
    counts: &'a SurvivalCounts,
}

impl NegLogLikelihood<'_> {
    fn params(x: &[f64]) -> SbgParams {
        SbgParams {
            alpha: x[0].exp(),
            beta: x[1].exp(),
        }
    }
}

impl Objective for NegLogLikelihood<'_> {
    fn value(&self, x: &[f64]) -> f64 {
        let value = -Self::params(x).log_likelihood(self.counts);
        if value.is_finite() { value } else { f64::NAN }
    }

    fn has_analytic_gradient(&self) -> bool {
        true
    }

    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        let SbgParams { alpha, beta } = Self::params(x);
        let total = self.counts.customers() - self.counts.censored.first().copied().unwrap_or(0.0);
        // d ln B(α, β)/dα and /dβ, shared by every term's normalising constant.
        let base_a = digamma(alpha) - digamma(alpha + beta);
        let base_b = digamma(beta) - digamma(alpha + beta);
        let (mut d_alpha, mut d_beta) = (-total * base_a, -total * base_b);
        for (i, &n) in self.counts.churned.iter().enumerate() {
            if n > 0.0 {
                let b = beta + i as f64;
                let sum = digamma(alpha + 1.0 + b);
                d_alpha += n * (digamma(alpha + 1.0) - sum);
                d_beta += n * (digamma(b) - sum);
            }
        }
        for (c, &n) in self.counts.censored.iter().enumerate().skip(1) {
            if n > 0.0 {
                let b = beta + c as f64;
                let sum = digamma(alpha + b);
                d_alpha += n * (digamma(alpha) - sum);
                d_beta += n * (digamma(b) - sum);
            }
        }
        // Chain rule to log parameters, sign for the negative log-likelihood.
        gradient[0] = -d_alpha * alpha;
        gradient[1] = -d_beta * beta;
        self.value(x)
    }
}

/// Fits α, β by maximum likelihood (BFGS in log space, at most 500 iterations, with the
/// optimiser's Nelder–Mead fallback); standard errors from the Hessian.
///
/// Two parameters need churn observed at two renewal decisions at least: with only the first
/// renewal seen, every (α, β) with the same `α/(α + β)` fits equally well.
pub fn fit(counts: &SurvivalCounts) -> Result<SbgFit, FitError> {
    let bad = |v: &f64| !v.is_finite() || *v < 0.0;
    if counts.churned.iter().chain(&counts.censored).any(bad) {
        return Err(FitError::InvalidData(
            "counts must be finite numbers >= 0".to_string(),
        ));
    }
    let informative = counts.customers() - counts.censored.first().copied().unwrap_or(0.0);
    if informative <= 0.0 {
        return Err(FitError::EmptyInput);
    }
    let decisions = counts
        .risk_sets()
        .iter()
        .filter(|(at_risk, _)| *at_risk > 0.0)
        .count();
    if decisions < 2 {
        return Err(FitError::NotIdentified(
            "renewals observed at fewer than two renewal decisions".to_string(),
        ));
    }
    if counts.churned.iter().all(|&n| n == 0.0) {
        return Err(FitError::NotIdentified("no customer churned".to_string()));
    }
    let objective = NegLogLikelihood { counts };
    let minimum = optimize::minimize(&objective, &[0.0, 0.0]);
    let report = match finish_fit(&PARAM_NAMES, &objective, minimum.clone(), informative) {
        Ok(report) => report,
        // A constant retention rate: α and β run off together with α/(α + β) fixed, the plain
        // geometric model. The retention rate and survival are still identified, so the fit is
        // kept and `at_boundary` says that α and β are not, one by one.
        Err(FitError::NotIdentified(_)) if minimum.value.is_finite() => {
            FitReport::from_optimum(&PARAM_NAMES, &objective, &minimum, informative)
        }
        Err(error) => return Err(error),
    };
    let params = SbgParams {
        alpha: report.params[0].value,
        beta: report.params[1].value,
    };
    Ok(SbgFit { params, report })
}

/// The value of the `format` field of a saved retention model.
pub const SAVED_FORMAT: &str = "clm-retention-model";
/// The layout version written.
pub const SAVED_VERSION: u32 = 1;

/// Fitted sBG models as a small JSON document (`clm retention --model-out / --model-in`):
/// parameters with standard errors and fit statistics per cohort, never customer data.
///
/// ```json
/// { "format": "clm-retention-model", "version": 1, "model": "sbg", "period": "month",
///   "as_of": "2025-06-30",
///   "cohorts": [ { "cohort": "all", "fit": { "params": [{"name": "alpha", …}, {"name": "beta", …}],
///                  "log_likelihood": …, "aic": …, "bic": …, "customers": …,
///                  "iterations": …, "converged": true } }, … ] }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRetention {
    pub format: String,
    pub version: u32,
    /// Always `sbg`.
    pub model: String,
    /// `week`, `month` or `year`: the period every figure is in.
    pub period: String,
    /// The as-of date of the fit, ISO (empty for a survival table).
    pub as_of: String,
    /// One fit per cohort; `all` is the pooled fit.
    pub cohorts: Vec<SavedCohort>,
}

/// One cohort's fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCohort {
    pub cohort: String,
    pub fit: SavedFit,
}

impl SavedRetention {
    /// Parses and checks a document.
    pub fn from_json(text: &str) -> Result<SavedRetention, String> {
        let saved: SavedRetention = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if saved.format != SAVED_FORMAT {
            return Err(format!(
                "not a clm retention model (format '{}', expected '{SAVED_FORMAT}')",
                saved.format
            ));
        }
        if saved.version != SAVED_VERSION {
            return Err(format!(
                "model layout version {} is not supported (this clm reads version {SAVED_VERSION})",
                saved.version
            ));
        }
        Ok(saved)
    }

    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The parameters and report of every cohort, checked.
    pub fn fits(&self) -> Result<Vec<(String, SbgFit)>, String> {
        self.cohorts
            .iter()
            .map(|c| {
                let report = c
                    .fit
                    .to_report(&PARAM_NAMES)
                    .map_err(|e| format!("cohort '{}': {e}", c.cohort))?;
                let params = SbgParams {
                    alpha: report.params[0].value,
                    beta: report.params[1].value,
                };
                Ok((c.cohort.clone(), SbgFit { params, report }))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    /// Fader & Hardie (2007), Table 1: customers (of 1000) alive at the start of years 1–8.
    const REGULAR: [f64; 8] = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
    const HIGH_END: [f64; 8] = [1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0];

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn reproduces_the_papers_estimates_for_both_segments() {
        // The paper reports α̂ = 0.704, β̂ = 1.182 (regular) and α̂ = 0.668, β̂ = 3.806
        // (high end) from the seven years of calibration data.
        let regular = fit(&SurvivalCounts::from_alive(&REGULAR).unwrap()).unwrap();
        assert!(close(regular.params.alpha, 0.704, 5e-4), "{regular:?}");
        assert!(close(regular.params.beta, 1.182, 5e-4), "{regular:?}");
        let high_end = fit(&SurvivalCounts::from_alive(&HIGH_END).unwrap()).unwrap();
        assert!(close(high_end.params.alpha, 0.668, 5e-4), "{high_end:?}");
        assert!(close(high_end.params.beta, 3.806, 5e-4), "{high_end:?}");
        assert!(regular.report.converged && high_end.report.converged);
        assert!(regular.report.params.iter().all(|p| p.std_error > 0.0));
    }

    #[test]
    fn standard_errors_match_a_natural_scale_hessian() {
        // The fit's errors come from the log-space Hessian of an analytic gradient; here the
        // Hessian of −LL in (α, β) itself, by second differences, inverted by hand.
        let counts = SurvivalCounts::from_alive(&REGULAR).unwrap();
        let fitted = fit(&counts).unwrap();
        let nll = |x: &[f64]| {
            -SbgParams {
                alpha: x[0],
                beta: x[1],
            }
            .log_likelihood(&counts)
        };
        let at = [fitted.params.alpha, fitted.params.beta];
        let h = optimize::numeric_hessian(&nll, &at, 1e-4);
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        let (se_alpha, se_beta) = ((h[1][1] / det).sqrt(), (h[0][0] / det).sqrt());
        assert!(
            close(fitted.report.params[0].std_error, se_alpha, 1e-4),
            "{se_alpha}"
        );
        assert!(
            close(fitted.report.params[1].std_error, se_beta, 1e-4),
            "{se_beta}"
        );
    }

    #[test]
    fn log_likelihood_at_one_one_matches_the_peer_implementation() {
        // jdmaturen/shifted_beta_geometric_py checks LL(1, 1) = −2.115 on the high-end
        // survival shares (a cohort of one customer spread over the periods).
        let shares: Vec<f64> = HIGH_END.iter().map(|a| a / 1000.0).collect();
        let counts = SurvivalCounts::from_alive(&shares).unwrap();
        let ll = SbgParams {
            alpha: 1.0,
            beta: 1.0,
        }
        .log_likelihood(&counts);
        assert!(close(ll, -2.115, 1e-3), "{ll}");
    }

    #[test]
    fn survival_is_the_product_of_retention_rates_and_probabilities_sum_to_one() {
        let p = SbgParams {
            alpha: 0.704,
            beta: 1.182,
        };
        let mut product = 1.0;
        let mut mass = 0.0;
        for t in 1..=50 {
            product *= p.retention_rate(t);
            mass += p.p_churn_at(t);
            assert!(close(p.survival(t), product, 1e-12));
            assert!(close(1.0 - mass, p.survival(t), 1e-12));
        }
        assert!(close(p.retention_rate(1), 1.182 / 1.886, 1e-12));
    }

    #[test]
    fn derl_equals_the_discounted_sum_it_stands_for() {
        for (alpha, beta) in [(0.668, 3.806), (0.704, 1.182), (2.5, 7.0), (1.0, 2.0)] {
            let p = SbgParams { alpha, beta };
            for d in [0.1_f64, 0.01, 0.008] {
                for renewals in [0_u32, 1, 6, 40, 500] {
                    let n = renewals + 1;
                    let base = p.survival(n - 1);
                    let direct: f64 = (0..20_000_u32)
                        .map(|k| p.survival(n + k) / base * (1.0 + d).powi(-(k as i32)))
                        .sum();
                    let derl = p.discounted_residual_lifetime(d, renewals);
                    assert!(
                        (derl - direct).abs() <= 1e-6 * direct,
                        "α={alpha} β={beta} d={d} n={n}: {derl} vs {direct}"
                    );
                }
            }
        }
    }

    #[test]
    fn discounted_lifetime_of_a_new_customer_is_its_sum() {
        for (alpha, beta) in [(0.668, 3.806), (2.5, 7.0)] {
            let p = SbgParams { alpha, beta };
            let d = 0.1_f64;
            let direct: f64 = (0..20_000_u32)
                .map(|t| p.survival(t) * (1.0 + d).powi(-(t as i32)))
                .sum();
            assert!(close(
                p.discounted_expected_lifetime(d),
                direct,
                1e-9 * direct
            ));
        }
        let p = SbgParams {
            alpha: 3.0,
            beta: 4.0,
        };
        assert!(close(
            p.discounted_expected_lifetime(0.0),
            p.expected_lifetime(),
            1e-12
        ));
    }

    #[test]
    fn derl_matches_the_peer_example() {
        // jdmaturen/shifted_beta_geometric_py README: high-end fit, d = 10 %, survivors after
        // 7 renewals: residual lifetime 7.530.
        let p = SbgParams {
            alpha: 0.668,
            beta: 3.806,
        };
        assert!(close(p.discounted_residual_lifetime(0.1, 7), 7.53, 0.01));
    }

    #[test]
    fn lifetimes_without_discounting() {
        let p = SbgParams {
            alpha: 3.0,
            beta: 4.0,
        };
        assert!(close(p.expected_lifetime(), 3.0, 1e-12));
        let sum: f64 = (0..100_000).map(|t| p.survival(t)).sum();
        assert!(close(sum, 3.0, 1e-6));
        assert!(close(
            p.discounted_residual_lifetime(0.0, 4),
            8.0 / 2.0,
            1e-12
        ));
        assert!(
            SbgParams {
                alpha: 0.7,
                beta: 1.2
            }
            .expected_lifetime()
            .is_infinite()
        );
        assert!(p.survival(p.median_lifetime() as u32) <= 0.5);
        assert!(p.survival(p.median_lifetime() as u32 - 1) > 0.5);
    }

    #[test]
    fn saved_models_round_trip_and_reject_others() {
        let fitted = fit(&SurvivalCounts::from_alive(&REGULAR).unwrap()).unwrap();
        let saved = SavedRetention {
            format: SAVED_FORMAT.to_string(),
            version: SAVED_VERSION,
            model: "sbg".to_string(),
            period: "year".to_string(),
            as_of: String::new(),
            cohorts: vec![SavedCohort {
                cohort: "all".to_string(),
                fit: SavedFit::from_report(&fitted.report),
            }],
        };
        let back = SavedRetention::from_json(&saved.to_json()).unwrap();
        assert_eq!(back, saved);
        assert_eq!(back.fits().unwrap()[0].1.params, fitted.params);
        let other = saved.to_json().replace(SAVED_FORMAT, "clm-clv-model");
        assert!(
            SavedRetention::from_json(&other)
                .unwrap_err()
                .contains("not a clm retention")
        );
    }

    #[test]
    fn a_constant_retention_rate_runs_to_the_boundary() {
        // Exactly half leave at every renewal: no sign of heterogeneity.
        let counts = SurvivalCounts::from_alive(&[1600.0, 800.0, 400.0, 200.0, 100.0]).unwrap();
        let fitted = fit(&counts).unwrap();
        assert!(fitted.at_boundary(), "{fitted:?}");
        assert!(close(fitted.params.retention_rate(1), 0.5, 1e-3));
        assert!(close(fitted.params.retention_rate(4), 0.5, 1e-3));
        let paper = fit(&SurvivalCounts::from_alive(&REGULAR).unwrap()).unwrap();
        assert!(!paper.at_boundary());
    }

    #[test]
    fn censoring_anywhere_is_handled() {
        let mut counts = SurvivalCounts::default();
        counts.add_churned(1, 30.0);
        counts.add_churned(2, 10.0);
        counts.add_censored(1, 20.0);
        counts.add_censored(3, 40.0);
        assert_eq!(counts.customers(), 100.0);
        assert_eq!(counts.renewals_observed(), 3);
        assert_eq!(
            counts.risk_sets(),
            vec![(100.0, 30.0), (50.0, 10.0), (40.0, 0.0)]
        );
    }

    #[test]
    fn refuses_what_cannot_identify_two_parameters() {
        let one_period = SurvivalCounts::from_alive(&[100.0, 60.0]).unwrap();
        assert!(matches!(fit(&one_period), Err(FitError::NotIdentified(_))));
        let nobody_left = SurvivalCounts::from_alive(&[100.0, 100.0, 100.0]).unwrap();
        assert!(matches!(fit(&nobody_left), Err(FitError::NotIdentified(_))));
        assert!(SurvivalCounts::from_alive(&[100.0, 120.0]).is_err());
    }

    #[test]
    fn recovers_known_parameters_from_simulated_lifetimes() {
        let truth = SbgParams {
            alpha: 0.9,
            beta: 2.4,
        };
        let beta = Beta::new(truth.alpha, truth.beta).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut counts = SurvivalCounts::default();
        for _ in 0..40_000 {
            match truth.draw_lifetime(&beta, 12, &mut rng) {
                Some(t) => counts.add_churned(t, 1.0),
                None => counts.add_censored(12, 1.0),
            }
        }
        let fitted = fit(&counts).unwrap();
        for (estimate, true_value) in fitted.report.params.iter().zip([0.9, 2.4]) {
            // Within four standard errors: a false alarm about once in 16 000 seeds.
            assert!(
                (estimate.value - true_value).abs() < 4.0 * estimate.std_error,
                "{estimate:?} vs {true_value}"
            );
        }
    }
}
