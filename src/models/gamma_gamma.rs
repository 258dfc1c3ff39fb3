//! Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee (2005),
//! "RFM and CLV: using iso-value curves for customer base analysis", Journal
//! of Marketing Research 42(4), 415–430 (after Colombo & Jiang 1999); Hardie's
//! note "The Gamma-Gamma model of monetary value" (2013).
//!
//! Transaction values are Gamma(p, ν) around a customer's mean p/ν, with
//! ν ~ Gamma(q, γ) across customers. Fitted on repeat buyers only (x > 0),
//! with `m` = the mean value of their repeat transactions (must be > 0).

use super::optimize::{self, Objective};
use super::special::{digamma, ln_gamma, trigamma};
use super::{FastHashMap, FitError, FitReport, finish_fit};
use rayon::prelude::*;

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

/// The repeat buyers regrouped for the likelihood: per distinct `x` (the Gamma-function terms),
/// the total repeat spend `s = m x` of each buyer (the `ln(γ + s)` terms), and sums of the terms
/// that do not depend on the parameters, so one evaluation costs a logarithm per buyer and a few
/// Gamma functions per distinct `x`.
#[derive(Debug, Clone)]
struct SpendData {
    /// Distinct `x` with the total weight of the customers having it.
    x_weights: Vec<(f64, f64)>,
    /// `s = m x` with w and w x of each buyer (or summary row).
    totals: Vec<SpendTotal>,
    /// Σ w.
    weight: f64,
    /// Σ w ln m.
    ln_spend: f64,
    /// Σ w x ln m.
    x_ln_spend: f64,
    /// Σ w x ln x.
    x_ln_x: f64,
}

/// One buyer's (or summary row's) total repeat spend `s = m x`, weight and weighted `x`.
#[derive(Debug, Clone, Copy)]
struct SpendTotal {
    total: f64,
    weight: f64,
    weighted_x: f64,
}

impl SpendData {
    /// The per-`x` weights and the sums come from chunks of customers in parallel, merged in
    /// chunk order, so they do not depend on the number of threads. The totals are not grouped:
    /// with a warm start and Newton steps the fit passes over them a handful of times, and
    /// grouping (a sort or hashing of every customer) cost more than those passes.
    fn new(customers: &[SpendSummary]) -> Self {
        let parts: Vec<SpendData> = customers
            .par_chunks(PARALLEL_CHUNK)
            .map(SpendData::of_chunk)
            .collect();
        let mut x_weights: FastHashMap<u64, f64> = FastHashMap::default();
        let mut data = SpendData::empty();
        for part in parts {
            for (x, w) in part.x_weights {
                *x_weights.entry(x.to_bits()).or_default() += w;
            }
            data.weight += part.weight;
            data.ln_spend += part.ln_spend;
            data.x_ln_spend += part.x_ln_spend;
        }
        data.x_weights = x_weights
            .into_iter()
            .map(|(bits, w)| (f64::from_bits(bits), w))
            .collect();
        data.x_weights.sort_by(|a, b| a.0.total_cmp(&b.0));
        data.x_ln_x = data.x_weights.iter().map(|&(x, w)| w * x * x.ln()).sum();

        data.totals = customers
            .par_iter()
            .map(|c| SpendTotal {
                total: c.mean_spend * c.x,
                weight: c.weight,
                weighted_x: c.weight * c.x,
            })
            .collect();
        data
    }

    fn empty() -> Self {
        Self {
            x_weights: Vec::new(),
            totals: Vec::new(),
            weight: 0.0,
            ln_spend: 0.0,
            x_ln_spend: 0.0,
            x_ln_x: 0.0,
        }
    }

    /// One chunk's weights per distinct `x` (in first-seen order) and sums.
    fn of_chunk(customers: &[SpendSummary]) -> Self {
        let mut x_index: FastHashMap<u64, usize> = FastHashMap::default();
        let mut data = SpendData::empty();
        for c in customers {
            let (x, m, w) = (c.x, c.mean_spend, c.weight);
            let i = *x_index.entry(x.to_bits()).or_insert_with(|| {
                data.x_weights.push((x, 0.0));
                data.x_weights.len() - 1
            });
            data.x_weights[i].1 += w;
            let ln_m = m.ln();
            data.weight += w;
            data.ln_spend += w * ln_m;
            data.x_ln_spend += w * x * ln_m;
        }
        data
    }
}

/// Sums over the distinct totals `s` at one γ.
#[derive(Debug, Clone, Copy, Default)]
struct TotalSums {
    /// Σ w ln(γ + s).
    ln: f64,
    /// Σ w x ln(γ + s).
    x_ln: f64,
    /// Σ w / (γ + s).
    inv: f64,
    /// Σ w x / (γ + s).
    x_inv: f64,
    /// Σ w / (γ + s)².
    inv2: f64,
    /// Σ w x / (γ + s)².
    x_inv2: f64,
}

impl std::ops::Add for TotalSums {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            ln: self.ln + o.ln,
            x_ln: self.x_ln + o.x_ln,
            inv: self.inv + o.inv,
            x_inv: self.x_inv + o.x_inv,
            inv2: self.inv2 + o.inv2,
            x_inv2: self.x_inv2 + o.x_inv2,
        }
    }
}

/// Distinct totals per parallel work item; smaller inputs run serially.
const PARALLEL_CHUNK: usize = 16_384;

fn total_sums(totals: &[SpendTotal], gamma: f64) -> TotalSums {
    let chunk = |part: &[SpendTotal]| {
        let mut sums = TotalSums::default();
        for t in part {
            let shifted = gamma + t.total;
            let (ln, inv) = (shifted.ln(), 1.0 / shifted);
            sums.ln += t.weight * ln;
            sums.x_ln += t.weighted_x * ln;
            sums.inv += t.weight * inv;
            sums.x_inv += t.weighted_x * inv;
            sums.inv2 += t.weight * inv * inv;
            sums.x_inv2 += t.weighted_x * inv * inv;
        }
        sums
    };
    if totals.len() >= 2 * PARALLEL_CHUNK {
        super::sum_in_chunks(totals, PARALLEL_CHUNK, chunk)
    } else {
        chunk(totals)
    }
}

/// Negative log-likelihood in `ln(p, q, γ)` with analytic gradient. Per customer
/// (Fader, Hardie & Lee 2005b, eq. 3 / Hardie's note, eq. 5):
/// ln f(m | x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m
///             + px ln x − (px+q) ln(γ + m x),
/// summed as Σ_x W_x [ln Γ(px+q) − ln Γ(px)] − W ln Γ(q) + W q ln γ + p Σ w x ln m − Σ w ln m
/// + p Σ w x ln x − p Σ w x ln(γ+s) − q Σ w ln(γ+s) with s = m x.
struct SpendLikelihood<'a> {
    data: &'a SpendData,
}

impl SpendLikelihood<'_> {
    /// The NLL at `log_params`; writes its gradient and Hessian (in log space) when asked.
    fn evaluate(
        &self,
        log_params: &[f64],
        gradient: Option<&mut [f64]>,
        hessian: Option<&mut [Vec<f64>]>,
    ) -> f64 {
        let [p, q, gamma] = [
            log_params[0].exp(),
            log_params[1].exp(),
            log_params[2].exp(),
        ];
        if ![p, q, gamma].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::INFINITY;
        }
        let data = self.data;
        let ln_g = gamma.ln();
        let sums = total_sums(&data.totals, gamma);
        let w = data.weight;
        let mut value = -w * ln_gamma(q) + w * q * ln_g + p * data.x_ln_spend - data.ln_spend
            + p * data.x_ln_x
            - p * sums.x_ln
            - q * sums.ln;
        let with_hessian = hessian.is_some();
        let with_gradient = gradient.is_some() || with_hessian;
        // Σ_x W_x x [ψ(px+q) − ψ(px)] and Σ_x W_x ψ(px+q).
        let (mut x_digamma_gap, mut digamma_pxq) = (0.0, 0.0);
        // Σ_x W_x x² [ψ₁(px+q) − ψ₁(px)], Σ_x W_x x ψ₁(px+q) and Σ_x W_x ψ₁(px+q).
        let (mut x2_trigamma_gap, mut x_trigamma_pxq, mut trigamma_pxq) = (0.0, 0.0, 0.0);
        for &(x, weight) in &data.x_weights {
            let px = p * x;
            value += weight * (ln_gamma(px + q) - ln_gamma(px));
            if with_gradient {
                let psi = digamma(px + q);
                x_digamma_gap += weight * x * (psi - digamma(px));
                digamma_pxq += weight * psi;
            }
            if with_hessian {
                let psi1 = trigamma(px + q);
                x2_trigamma_gap += weight * x * x * (psi1 - trigamma(px));
                x_trigamma_pxq += weight * x * psi1;
                trigamma_pxq += weight * psi1;
            }
        }
        let d_p = x_digamma_gap + data.x_ln_spend + data.x_ln_x - sums.x_ln;
        let d_q = digamma_pxq - w * digamma(q) + w * ln_g - sums.ln;
        let d_gamma = w * q / gamma - p * sums.x_inv - q * sums.inv;
        if let Some(g) = gradient {
            g[0] = -p * d_p;
            g[1] = -q * d_q;
            g[2] = -gamma * d_gamma;
        }
        if let Some(out) = hessian {
            // ∂²ln L/∂θ∂θᵀ in (p, q, γ).
            let natural = [
                [x2_trigamma_gap, x_trigamma_pxq, -sums.x_inv],
                [
                    x_trigamma_pxq,
                    trigamma_pxq - w * trigamma(q),
                    w / gamma - sums.inv,
                ],
                [
                    -sums.x_inv,
                    w / gamma - sums.inv,
                    -w * q / (gamma * gamma) + p * sums.x_inv2 + q * sums.inv2,
                ],
            ];
            let theta = [p, q, gamma];
            let g_theta = [d_p, d_q, d_gamma];
            // NLL in φ = ln θ: −(θᵢ θⱼ ∂²ln L/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂ln L/∂θᵢ).
            for i in 0..3 {
                for j in 0..3 {
                    let diagonal = if i == j { theta[i] * g_theta[i] } else { 0.0 };
                    out[i][j] = -(theta[i] * theta[j] * natural[i][j] + diagonal);
                }
            }
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
        self.evaluate(x, None, None)
    }
    fn has_analytic_gradient(&self) -> bool {
        true
    }
    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        self.evaluate(x, Some(gradient), None)
    }
    fn has_analytic_hessian(&self) -> bool {
        true
    }
    fn value_gradient_hessian(
        &self,
        x: &[f64],
        gradient: &mut [f64],
        hessian: &mut [Vec<f64>],
    ) -> f64 {
        self.evaluate(x, Some(gradient), Some(hessian))
    }
}

/// Start from p = 1, q = 2 (finite population mean), γ matching the mean spend.
fn starting_point(customers: &[SpendSummary]) -> [f64; 3] {
    let total_weight: f64 = customers.iter().map(|c| c.weight).sum();
    let mean_spend = customers
        .iter()
        .map(|c| c.weight * c.mean_spend)
        .sum::<f64>()
        / total_weight;
    [0.0, 2f64.ln(), mean_spend.ln()]
}

/// Customers above which the fit first runs on a strided subsample.
const WARM_START_ROWS: usize = 30_000;

/// For large inputs, the optimum on every k-th customer (about 15 000 of them): close to the
/// full optimum, so Newton steps on all customers converge in a few passes. Falls back to
/// [`starting_point`] when the subsample cannot be fitted.
fn warm_start(customers: &[SpendSummary]) -> [f64; 3] {
    let start = starting_point(customers);
    if customers.len() <= WARM_START_ROWS {
        return start;
    }
    let stride = customers.len() / (WARM_START_ROWS / 2);
    let sample: Vec<SpendSummary> = customers.iter().step_by(stride).copied().collect();
    let data = SpendData::new(&sample);
    let likelihood = SpendLikelihood { data: &data };
    let minimum = optimize::newton(&likelihood, &start, &optimize::BfgsOptions::default());
    if minimum.value.is_finite() && minimum.x.iter().all(|v| v.abs() < 30.0) {
        [minimum.x[0], minimum.x[1], minimum.x[2]]
    } else {
        start
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
    let start = warm_start(customers);
    let data = SpendData::new(customers);
    let likelihood = SpendLikelihood { data: &data };
    let minimum = if customers.len() > WARM_START_ROWS {
        optimize::newton(&likelihood, &start, &optimize::BfgsOptions::default())
    } else {
        optimize::minimize(&likelihood, &start)
    };
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

    /// Hardie's per-customer log-likelihood, summed directly.
    fn direct_log_likelihood(customers: &[SpendSummary], p: f64, q: f64, gamma: f64) -> f64 {
        customers
            .iter()
            .map(|c| {
                let (x, m) = (c.x, c.mean_spend);
                c.weight
                    * (ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
                        + q * gamma.ln()
                        + (p * x - 1.0) * m.ln()
                        + p * x * x.ln()
                        - (p * x + q) * (gamma + m * x).ln())
            })
            .sum()
    }

    #[test]
    fn regrouped_likelihood_and_gradient_match_the_direct_sum() {
        let customers: Vec<SpendSummary> = cdnow_calibration()
            .iter()
            .filter(|c| c.triple.x > 0.0)
            .map(|c| SpendSummary {
                x: c.triple.x,
                mean_spend: c.mean_repeat_spend,
                weight: 1.0 + c.triple.x % 3.0,
            })
            .collect();
        let data = SpendData::new(&customers);
        let likelihood = SpendLikelihood { data: &data };
        for (p, q, gamma) in [(6.25, 3.74, 15.44), (1.0, 2.0, 30.0), (0.3, 8.0, 2.0)] {
            let point = [f64::ln(p), f64::ln(q), f64::ln(gamma)];
            let mut analytic = [0.0; 3];
            let value = likelihood.value_and_gradient(&point, &mut analytic);
            let direct = direct_log_likelihood(&customers, p, q, gamma);
            assert!(
                (value + direct).abs() <= 1e-9 * direct.abs(),
                "{value} vs {direct}"
            );
            let mut numeric = [0.0; 3];
            optimize::numeric_gradient(&|v: &[f64]| likelihood.value(v), &point, &mut numeric);
            for (a, n) in analytic.iter().zip(&numeric) {
                assert!(
                    (a - n).abs() <= 1e-4 * (1.0 + n.abs()),
                    "{analytic:?} vs {numeric:?}"
                );
            }
            let (mut gradient, mut hessian) = ([0.0; 3], vec![vec![0.0; 3]; 3]);
            likelihood.value_gradient_hessian(&point, &mut gradient, &mut hessian);
            let differenced = optimize::hessian_from_gradient(&likelihood, &point, 1e-5);
            for (a, n) in hessian.iter().flatten().zip(differenced.iter().flatten()) {
                assert!(
                    (a - n).abs() <= 1e-5 * (1.0 + n.abs()),
                    "{hessian:?} vs {differenced:?}"
                );
            }
        }
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
