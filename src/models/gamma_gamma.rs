//! Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee (2005),
//! "RFM and CLV: using iso-value curves for customer base analysis", Journal
//! of Marketing Research 42(4), 415–430 (after Colombo & Jiang 1999); Hardie's
//! note "The Gamma-Gamma model of monetary value" (2013).
//!
//! Transaction values are Gamma(p, ν) around a customer's mean p/ν, with
//! ν ~ Gamma(q, γ) across customers. Fitted on repeat buyers only (x > 0),
//! with `m` = the mean value of their repeat transactions (must be > 0).

use super::optimize::{self, Objective};
use super::special::{digamma, ln_gamma};
use super::{FitError, FitReport, finish_fit};

/// One repeat buyer (or a group sharing the same values).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendSummary {
    /// Number of repeat transactions `x` (> 0).
    pub x: f64,
    /// Mean value of those transactions `m` (> 0).
    pub mean_spend: f64,
    /// Number of customers sharing this summary.
    pub weight: f64,
}

/// Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaParams {
    /// Shape of the per-transaction Gamma.
    pub p: f64,
    /// Shape of the Gamma heterogeneity in ν.
    pub q: f64,
    /// Scale (rate) of the Gamma heterogeneity in ν.
    pub gamma: f64,
}

/// A fitted Gamma-Gamma model.
#[derive(Debug, Clone, PartialEq)]
pub struct GammaGammaFit {
    /// Estimates.
    pub params: GammaGammaParams,
    /// Log-likelihood, standard errors, AIC/BIC, convergence.
    pub report: FitReport,
}

/// Parameter names in report order.
pub const PARAM_NAMES: [&str; 3] = ["p", "q", "gamma"];

/// Negative log-likelihood in `ln(p, q, γ)` with analytic gradient. Per customer
/// (Fader, Hardie & Lee 2005b, eq. 3 / Hardie's note, eq. 5):
/// ln f(m | x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m
///             + px ln x − (px+q) ln(γ + m x).
struct SpendLikelihood<'a> {
    customers: &'a [SpendSummary],
}

impl SpendLikelihood<'_> {
    fn evaluate(&self, log_params: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let [p, q, gamma] = [
            log_params[0].exp(),
            log_params[1].exp(),
            log_params[2].exp(),
        ];
        if ![p, q, gamma].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::INFINITY;
        }
        let (ln_gamma_q, digamma_q, ln_g) = (ln_gamma(q), digamma(q), gamma.ln());
        let mut value = 0.0;
        let (mut d_p, mut d_q, mut d_gamma) = (0.0, 0.0, 0.0);
        let with_gradient = gradient.is_some();
        for c in self.customers {
            let (x, m, w) = (c.x, c.mean_spend, c.weight);
            let px = p * x;
            let ln_total = (gamma + m * x).ln();
            value += w
                * (ln_gamma(px + q) - ln_gamma(px) - ln_gamma_q
                    + q * ln_g
                    + (px - 1.0) * m.ln()
                    + px * x.ln()
                    - (px + q) * ln_total);
            if with_gradient {
                let digamma_pxq = digamma(px + q);
                d_p += w * x * (digamma_pxq - digamma(px) + m.ln() + x.ln() - ln_total);
                d_q += w * (digamma_pxq - digamma_q + ln_g - ln_total);
                d_gamma += w * (q / gamma - (px + q) / (gamma + m * x));
            }
        }
        if let Some(g) = gradient {
            g[0] = -p * d_p;
            g[1] = -q * d_q;
            g[2] = -gamma * d_gamma;
        }
        if value.is_finite() {
            -value
        } else {
            f64::INFINITY
        }
    }
}

impl Objective for SpendLikelihood<'_> {
    fn value(&self, x: &[f64]) -> f64 {
        self.evaluate(x, None)
    }
    fn has_analytic_gradient(&self) -> bool {
        true
    }
    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        self.evaluate(x, Some(gradient))
    }
}

/// Fits the Gamma-Gamma model on repeat buyers (x > 0, m > 0, weighted).
///
/// Rows with x = 0 are not allowed here: the caller filters them (and decides
/// a policy for m <= 0) and reports the counts.
pub fn fit(customers: &[SpendSummary]) -> Result<GammaGammaFit, FitError> {
    if customers.is_empty() {
        return Err(FitError::EmptyInput);
    }
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if let Some(bad) = customers
        .iter()
        .find(|c| !positive(c.x) || !positive(c.mean_spend) || !positive(c.weight))
    {
        return Err(FitError::InvalidData(format!(
            "spend summary x={}, m={}, weight={} (need x > 0, m > 0, weight > 0)",
            bad.x, bad.mean_spend, bad.weight
        )));
    }
    let total_weight: f64 = customers.iter().map(|c| c.weight).sum();
    let likelihood = SpendLikelihood { customers };
    // Start from p = 1, q = 2 (finite population mean), γ matching the mean spend.
    let mean_spend = customers
        .iter()
        .map(|c| c.weight * c.mean_spend)
        .sum::<f64>()
        / total_weight;
    let start = [0.0, 2f64.ln(), mean_spend.ln()];
    let minimum = optimize::minimize(&likelihood, &start);
    let report = finish_fit(&PARAM_NAMES, &likelihood, minimum, total_weight)?;
    let v: Vec<f64> = report.params.iter().map(|p| p.value).collect();
    Ok(GammaGammaFit {
        params: GammaGammaParams {
            p: v[0],
            q: v[1],
            gamma: v[2],
        },
        report,
    })
}

impl GammaGammaParams {
    /// E[M | x, m] = (γ + m x) p / (p x + q − 1) (Fader, Hardie & Lee 2005b, eq. 5):
    /// a weighted average of the population mean pγ/(q−1) and the observed mean m.
    /// For x = 0 this is the population mean. Infinite when q <= 1 and x = 0.
    pub fn conditional_expected_spend(&self, x: f64, mean_spend: f64) -> f64 {
        let denominator = self.p * x + self.q - 1.0;
        if denominator <= 0.0 {
            return f64::INFINITY;
        }
        (self.gamma + mean_spend * x) * self.p / denominator
    }

    /// Population mean spend per transaction pγ/(q−1) (infinite when q <= 1).
    pub fn population_mean_spend(&self) -> f64 {
        self.conditional_expected_spend(0.0, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bgnbd::tests::assert_sig3;
    use crate::models::test_data::cdnow_calibration;

    #[test]
    fn reproduces_fader_hardie_lee_2005_rfm_clv_estimates() {
        let repeat_buyers: Vec<SpendSummary> = cdnow_calibration()
            .iter()
            .filter(|c| c.triple.x > 0.0)
            .map(|c| SpendSummary {
                x: c.triple.x,
                mean_spend: c.mean_repeat_spend,
                weight: 1.0,
            })
            .collect();
        assert_eq!(repeat_buyers.len(), 946);
        let fit = fit(&repeat_buyers).expect("Gamma-Gamma fits CDNOW");
        eprintln!("Gamma-Gamma CDNOW: {:?}", fit.report);
        assert_sig3(fit.params.p, 6.25);
        assert_sig3(fit.params.q, 3.74);
        assert_sig3(fit.params.gamma, 15.44);
        assert!(fit.report.converged);
    }

    #[test]
    fn invalid_spend_is_an_error() {
        let zero = [SpendSummary {
            x: 2.0,
            mean_spend: 0.0,
            weight: 1.0,
        }];
        assert!(matches!(fit(&zero), Err(FitError::InvalidData(_))));
        assert_eq!(fit(&[]), Err(FitError::EmptyInput));
    }

    #[test]
    fn conditional_spend_shrinks_towards_population_mean() {
        let params = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let population = params.population_mean_spend();
        let one = params.conditional_expected_spend(1.0, 100.0);
        let many = params.conditional_expected_spend(50.0, 100.0);
        assert!(population < one && one < many && many < 100.0);
    }
}
