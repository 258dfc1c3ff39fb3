//! Pareto/NBD model: Schmittlein, Morrison & Colombo (1987), "Counting your
//! customers: who are they and what will they do next?", Management Science
//! 33(1), 1–24. Likelihood in the form of Fader, Hardie & Lee (2005),
//! "A note on deriving the Pareto/NBD model and related expressions" (and the
//! appendix of "Counting your customers the easy way").
//!
//! While active, a customer buys at Poisson rate λ ~ Gamma(r, α); lifetimes are
//! exponential with rate μ ~ Gamma(s, β).

use super::optimize::{self, Objective};
use super::special::{
    ln_gamma, ln_hyp2f1_positive, log_add_exp, log_sub_exp, one_minus_pow_over_exponent,
};
use super::{FitError, FitReport, Triple, compress_triples, finish_fit, validate_triples};

/// Pareto/NBD parameters (time unit: the one `t_x` and `T` were measured in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbdParams {
    /// Shape of the Gamma purchase-rate heterogeneity.
    pub r: f64,
    /// Scale (rate) of the Gamma purchase-rate heterogeneity.
    pub alpha: f64,
    /// Shape of the Gamma drop-out-rate heterogeneity.
    pub s: f64,
    /// Scale (rate) of the Gamma drop-out-rate heterogeneity.
    pub beta: f64,
}

/// A fitted Pareto/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoNbdFit {
    /// Estimates.
    pub params: ParetoNbdParams,
    /// Log-likelihood, standard errors, AIC/BIC, convergence.
    pub report: FitReport,
}

/// Parameter names in report order.
pub const PARAM_NAMES: [&str; 4] = ["r", "alpha", "s", "beta"];

impl ParetoNbdParams {
    /// `ln A₀` where A₀ = F(t_x) − F(T) and (Fader, Hardie & Lee 2005 note, eq. 22):
    /// for α >= β: F(t) = 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^{r+s+x};
    /// for α < β:  F(t) = 2F1(r+s+x, r+x; r+s+x+1; (β−α)/(β+t)) / (β+t)^{r+s+x}.
    /// Both 2F1 arguments lie in [0, 1); the difference is taken in log space.
    fn ln_a0(&self, x: f64, t_x: f64, t_cal: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let a = r + s + x;
        let c = a + 1.0;
        let (larger, smaller, b) = if alpha >= beta {
            (alpha, beta, s + 1.0)
        } else {
            (beta, alpha, r + x)
        };
        let ln_f = |t: f64| {
            let z = (larger - smaller) / (larger + t);
            ln_hyp2f1_positive(a, b, c, z) - a * (larger + t).ln()
        };
        log_sub_exp(ln_f(t_x), ln_f(t_cal))
    }

    /// `ln e^{A₁}` = −(r+x) ln(α+T) − s ln(β+T): the "still alive at T" term.
    fn ln_alive_term(&self, x: f64, t_cal: f64) -> f64 {
        -(self.r + x) * (self.alpha + t_cal).ln() - self.s * (self.beta + t_cal).ln()
    }

    /// `ln(s/(r+s+x) A₀)`: the "died in (t_x, T]" term.
    fn ln_dead_term(&self, x: f64, t_x: f64, t_cal: f64) -> f64 {
        (self.s / (self.r + self.s + x)).ln() + self.ln_a0(x, t_x, t_cal)
    }

    /// One customer's log-likelihood:
    /// ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln(e^{A₁} + s/(r+s+x) A₀).
    pub fn ln_likelihood_one(&self, x: f64, t_x: f64, t_cal: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        ln_gamma(r + x) - ln_gamma(r)
            + r * alpha.ln()
            + s * beta.ln()
            + log_add_exp(
                self.ln_alive_term(x, t_cal),
                self.ln_dead_term(x, t_x, t_cal),
            )
    }

    /// Total log-likelihood of weighted triples.
    pub fn log_likelihood(&self, triples: &[Triple]) -> f64 {
        triples
            .iter()
            .map(|t| t.weight * self.ln_likelihood_one(t.x, t.t_x, t.t_cal))
            .sum()
    }

    /// P(alive at T | x, t_x, T) = e^{A₁} / (e^{A₁} + s/(r+s+x) A₀)
    /// (Fader, Hardie & Lee 2005 note, eq. 18).
    pub fn p_alive(&self, x: f64, t_x: f64, t_cal: f64) -> f64 {
        let alive = self.ln_alive_term(x, t_cal);
        let dead = self.ln_dead_term(x, t_x, t_cal);
        let p = (alive - log_add_exp(alive, dead)).exp();
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    /// Expected purchases in (T, T+t] given alive at T (Schmittlein et al. 1987, eq. 22):
    /// (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^{s−1}], with the s → 1 limit
    /// (r+x)(β+T)/(α+T) · ln((β+T+t)/(β+T)).
    pub fn expected_given_alive(&self, x: f64, t_cal: f64, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let ln_u = (self.beta + t_cal).ln() - (self.beta + t_cal + t).ln();
        (self.r + x) * (self.beta + t_cal) / (self.alpha + t_cal)
            * one_minus_pow_over_exponent(self.s - 1.0, ln_u)
    }

    /// Conditional expected purchases in (T, T+t].
    pub fn expected_purchases(&self, x: f64, t_x: f64, t_cal: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, t_cal) * self.expected_given_alive(x, t_cal, t)
    }

    /// Unconditional E[X(t)] = rβ/(α(s−1)) [1 − (β/(β+t))^{s−1}] (Schmittlein et al. 1987, eq. 17).
    pub fn expected_purchases_unconditional(&self, t: f64) -> f64 {
        self.expected_given_alive(0.0, 0.0, t)
    }
}

/// Largest |ln r| and |ln s| the fit searches: r, s in [e^-7, e^7] ≈ [0.0009, 1100].
pub const SHAPE_LOG_LIMIT: f64 = 7.0;

struct ParetoLikelihood<'a> {
    triples: &'a [Triple],
}

impl Objective for ParetoLikelihood<'_> {
    fn value(&self, log_params: &[f64]) -> f64 {
        let params = ParetoNbdParams {
            r: log_params[0].exp(),
            alpha: log_params[1].exp(),
            s: log_params[2].exp(),
            beta: log_params[3].exp(),
        };
        let ll = params.log_likelihood(self.triples);
        if ll.is_finite() { -ll } else { f64::INFINITY }
    }

    /// The shapes r and s stop at e^±[`SHAPE_LOG_LIMIT`]: the hypergeometric term costs about
    /// r + s + x series terms per customer where α ≫ β or β ≫ α, and a Gamma shape of 1,100
    /// (coefficient of variation 3 %) already means "every customer has the same rate".
    fn log_limit(&self, coordinate: usize) -> f64 {
        match coordinate {
            0 | 2 => SHAPE_LOG_LIMIT,
            _ => optimize::DEFAULT_LOG_LIMIT,
        }
    }
}

/// Fits Pareto/NBD by maximum likelihood (BFGS on central-difference gradients,
/// Nelder–Mead fallback). Triples are compressed first.
pub fn fit(triples: &[Triple]) -> Result<ParetoNbdFit, FitError> {
    let total_weight = validate_triples(triples)?;
    let unique = compress_triples(triples);
    let likelihood = ParetoLikelihood { triples: &unique };
    let repeats: f64 = unique.iter().map(|t| t.weight * t.x).sum();
    let exposure: f64 = unique.iter().map(|t| t.weight * t.t_cal).sum();
    let alpha = (exposure / repeats.max(1e-9)).clamp(1e-3, 1e6);
    let mean_t_cal = exposure / total_weight;
    let start = [0.0, alpha.ln(), 0.0, mean_t_cal.max(1e-3).ln()];
    let minimum = optimize::minimize(&likelihood, &start);
    let report = finish_fit(&PARAM_NAMES, &likelihood, minimum, total_weight)?;
    let v: Vec<f64> = report.params.iter().map(|p| p.value).collect();
    Ok(ParetoNbdFit {
        params: ParetoNbdParams {
            r: v[0],
            alpha: v[1],
            s: v[2],
            beta: v[3],
        },
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bgnbd::tests::cdnow_triples;

    #[test]
    fn reproduces_fader_hardie_lee_2005_cdnow_estimates() {
        let fit = fit(&cdnow_triples()).expect("Pareto/NBD fits CDNOW");
        eprintln!("Pareto/NBD CDNOW: {:?}", fit.report);
        let p = fit.params;
        // The optimum is flat along (s, β): allow 1 % on parameters.
        for (actual, published) in [
            (p.r, 0.553),
            (p.alpha, 10.578),
            (p.s, 0.606),
            (p.beta, 11.669),
        ] {
            assert!(
                (actual / published - 1.0).abs() < 0.01,
                "{actual} vs published {published}"
            );
        }
        assert!((fit.report.log_likelihood + 9595.0).abs() <= 0.1);
    }

    #[test]
    fn extreme_customers_have_finite_likelihood() {
        let params = ParetoNbdParams {
            r: 10.465,
            alpha: 7.98565181e-03,
            s: 3.0516,
            beta: 2.820,
        };
        for (x, t_x, t_cal) in [(400.0, 5.0, 6.0), (500.0, 0.0, 37.0), (500.0, 4.0, 37.0)] {
            let ll = params.ln_likelihood_one(x, t_x, t_cal);
            assert!(ll.is_finite(), "{ll}");
        }
    }
}
