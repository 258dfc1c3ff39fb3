//! BG/NBD model: Fader, Hardie & Lee (2005), "'Counting your customers' the
//! easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
//! 275–284; numerically stable forms from Hardie's note "Implementing the
//! BG/NBD model" (2013).
//!
//! While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after each
//! repeat purchase they drop out with probability p ~ Beta(a, b).
//!
//! The likelihood kernel here also serves the MBG/NBD model ([`super::mbgnbd`]),
//! which differs only in allowing drop-out right after the first purchase.

use super::optimize::{self, Objective};
use super::special::{digamma, hyp2f1, ln_gamma, trigamma};
use super::{FastHashMap, FitError, FitReport, Triple, finish_fit, validate_triples};
use rayon::prelude::*;

/// BG/NBD parameters (time unit: the one `t_x` and `T` were measured in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbdParams {
    /// Shape of the Gamma purchase-rate heterogeneity.
    pub r: f64,
    /// Scale (rate) of the Gamma purchase-rate heterogeneity.
    pub alpha: f64,
    /// Beta drop-out heterogeneity, first shape.
    pub a: f64,
    /// Beta drop-out heterogeneity, second shape.
    pub b: f64,
}

/// A fitted BG/NBD model.
#[derive(Debug, Clone, PartialEq)]
pub struct BgNbdFit {
    /// Estimates.
    pub params: BgNbdParams,
    /// Log-likelihood, standard errors, AIC/BIC, convergence.
    pub report: FitReport,
}

/// Parameter names in report order.
pub const PARAM_NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

/// Which of the two beta-geometric variants a kernel computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// BG/NBD: no drop-out at the first purchase.
    BgNbd,
    /// MBG/NBD: drop-out possible after every purchase, including the first.
    MbgNbd,
}

/// One unique triple as indices into the distinct-value tables.
#[derive(Debug, Clone, Copy)]
struct IndexedRow {
    x_index: u32,
    t_x_index: u32,
    t_cal_index: u32,
    weight: f64,
}

/// Triples re-expressed over distinct values of `x`, `t_x` and `T`, so that
/// `ln Γ(·+x)`, `ln(α+t_x)` and `ln(α+T)` are computed once per distinct value
/// and iteration instead of once per row.
#[derive(Debug, Clone)]
pub(crate) struct IndexedTriples {
    x_values: Vec<f64>,
    /// Total weight of rows with each distinct x.
    x_weights: Vec<f64>,
    t_x_values: Vec<f64>,
    t_cal_values: Vec<f64>,
    rows: Vec<IndexedRow>,
    total_weight: f64,
}

/// The distinct values of one column, sorted, and a lookup from a value's bits to its index.
/// Chunks of rows collect their values in parallel; the sets are small (distinct `x`, `t_x`
/// or `T`), so they stay in cache.
fn distinct_values(
    triples: &[Triple],
    column: impl Fn(&Triple) -> f64 + Sync,
) -> (Vec<f64>, FastHashMap<u64, u32>) {
    let sets: Vec<FastHashMap<u64, ()>> = triples
        .par_chunks(PARALLEL_CHUNK)
        .map(|chunk| chunk.iter().map(|t| (column(t).to_bits(), ())).collect())
        .collect();
    let mut values: Vec<f64> = sets
        .iter()
        .flat_map(|set| set.keys().map(|&bits| f64::from_bits(bits)))
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| a.to_bits() == b.to_bits());
    let lookup = values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.to_bits(), i as u32))
        .collect();
    (values, lookup)
}

impl IndexedTriples {
    pub(crate) fn new(triples: &[Triple]) -> Self {
        let (x_values, x_lookup) = distinct_values(triples, |t| t.x);
        let (t_x_values, t_x_lookup) = distinct_values(triples, |t| t.t_x);
        let (t_cal_values, t_cal_lookup) = distinct_values(triples, |t| t.t_cal);
        let index = |lookup: &FastHashMap<u64, u32>, v: f64| lookup[&v.to_bits()];
        let rows: Vec<IndexedRow> = triples
            .par_iter()
            .map(|t| IndexedRow {
                x_index: index(&x_lookup, t.x),
                t_x_index: index(&t_x_lookup, t.t_x),
                t_cal_index: index(&t_cal_lookup, t.t_cal),
                weight: t.weight,
            })
            .collect();
        let mut x_weights = vec![0.0; x_values.len()];
        for row in &rows {
            x_weights[row.x_index as usize] += row.weight;
        }
        Self {
            x_values,
            x_weights,
            t_x_values,
            t_cal_values,
            rows,
            total_weight: triples.iter().map(|t| t.weight).sum(),
        }
    }
}

/// Row sums of the per-row parts of the log-likelihood and its gradient.
#[derive(Debug, Clone, Copy, Default)]
struct RowSums {
    /// Σ w (A₃ + ln(1 + e^{d})): the row-dependent part of ln L.
    value: f64,
    /// Σ w [(1−π) ln(α+T) + π ln(α+t_x)].
    ln_times: f64,
    /// Σ w (r+x) [(1−π)/(α+T) + π/(α+t_x)].
    rate_times: f64,
    /// Σ w π.
    second_term_share: f64,
    /// Σ w π/(b+x−1) (BG/NBD) or Σ w π/(b+x) (MBG/NBD).
    second_term_over_b: f64,
    /// Second-derivative sums, see [`HessianSums`] (only when asked for).
    hessian: HessianSums,
}

/// Row sums for the Hessian of ln L in (r, α, a, b). With d the log-odds of the second term,
/// π = σ(d), ρ = π(1−π), D_r = ∂d/∂r = ln(α+T) − ln(α+t_x), D_α = ∂d/∂α = (r+x)(1/(α+T) −
/// 1/(α+t_x)) and c = 1/(b+x−1) (BG/NBD) or 1/(b+x) (MBG/NBD), the row part
/// −(r+x) ln(α+T) + ln(1 + e^d) has second derivatives ∂²A₃ + π ∂²d + ρ ∂d ∂dᵀ.
#[derive(Debug, Clone, Copy, Default)]
struct HessianSums {
    /// Σ w ρ D_r².
    r_r: f64,
    /// Σ w [−1/(α+T) + π (1/(α+T) − 1/(α+t_x)) + ρ D_r D_α].
    r_alpha: f64,
    /// Σ w [(r+x)/(α+T)² + π (r+x) (1/(α+t_x)² − 1/(α+T)²) + ρ D_α²].
    alpha_alpha: f64,
    /// Σ w ρ D_r.
    r_a: f64,
    /// Σ w ρ D_r c.
    r_b: f64,
    /// Σ w ρ D_α.
    alpha_a: f64,
    /// Σ w ρ D_α c.
    alpha_b: f64,
    /// Σ w ρ.
    a_a: f64,
    /// Σ w ρ c.
    a_b: f64,
    /// Σ w (π + ρ) c².
    b_b: f64,
}

impl std::ops::Add for HessianSums {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            r_r: self.r_r + o.r_r,
            r_alpha: self.r_alpha + o.r_alpha,
            alpha_alpha: self.alpha_alpha + o.alpha_alpha,
            r_a: self.r_a + o.r_a,
            r_b: self.r_b + o.r_b,
            alpha_a: self.alpha_a + o.alpha_a,
            alpha_b: self.alpha_b + o.alpha_b,
            a_a: self.a_a + o.a_a,
            a_b: self.a_b + o.a_b,
            b_b: self.b_b + o.b_b,
        }
    }
}

impl std::ops::Add for RowSums {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            value: self.value + o.value,
            ln_times: self.ln_times + o.ln_times,
            rate_times: self.rate_times + o.rate_times,
            second_term_share: self.second_term_share + o.second_term_share,
            second_term_over_b: self.second_term_over_b + o.second_term_over_b,
            hessian: self.hessian + o.hessian,
        }
    }
}

/// Rows per parallel work item; inputs smaller than two chunks run serially.
const PARALLEL_CHUNK: usize = 16_384;

/// The negative log-likelihood of BG/NBD or MBG/NBD in `φ = ln(r, α, a, b)`,
/// with analytic gradient.
///
/// BG/NBD (Fader, Hardie & Lee 2005, eq. 6, in Hardie's stable form):
/// ln L = A₁ + A₂ + ln(e^{A₃} + δ_{x>0} e^{A₄}) with
/// A₁ = ln Γ(r+x) − ln Γ(r) + r ln α,
/// A₂ = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x),
/// A₃ = −(r+x) ln(α+T),
/// A₄ = ln a − ln(b+x−1) − (r+x) ln(α+t_x).
///
/// MBG/NBD (Batislam, Denizel & Filiztekin 2007): the same with
/// A₂ = ln Γ(a+b) + ln Γ(b+x+1) − ln Γ(b) − ln Γ(a+b+x+1),
/// A₄ = ln a − ln(b+x) − (r+x) ln(α+t_x) for every x (including 0).
pub(crate) struct BetaGeometricLikelihood<'a> {
    pub(crate) data: &'a IndexedTriples,
    pub(crate) variant: Variant,
}

impl BetaGeometricLikelihood<'_> {
    /// Offset of `b` in the per-x Gamma terms: ln Γ(b + x + offset).
    fn b_offset(&self) -> f64 {
        match self.variant {
            Variant::BgNbd => 0.0,
            Variant::MbgNbd => 1.0,
        }
    }

    /// The NLL at `log_params`; writes its gradient and Hessian (in log space) when asked.
    fn evaluate(
        &self,
        log_params: &[f64],
        gradient: Option<&mut [f64]>,
        hessian: Option<&mut [Vec<f64>]>,
    ) -> f64 {
        let [r, alpha, a, b] = [
            log_params[0].exp(),
            log_params[1].exp(),
            log_params[2].exp(),
            log_params[3].exp(),
        ];
        if ![r, alpha, a, b].iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::INFINITY;
        }
        let data = self.data;
        let with_hessian = hessian.is_some();
        let offset = self.b_offset();
        let ln_a = a.ln();
        let ln_alpha_t_cal: Vec<f64> = data.t_cal_values.iter().map(|t| (alpha + t).ln()).collect();
        let inv_alpha_t_cal: Vec<f64> = data
            .t_cal_values
            .iter()
            .map(|t| 1.0 / (alpha + t))
            .collect();
        let ln_alpha_t_x: Vec<f64> = data.t_x_values.iter().map(|t| (alpha + t).ln()).collect();
        let inv_alpha_t_x: Vec<f64> = data.t_x_values.iter().map(|t| 1.0 / (alpha + t)).collect();
        // ln a − ln(b + x − 1 + offset), and NaN-free for BG/NBD's x = 0 (unused there).
        let b_shift = offset - 1.0;
        let second_term_log_odds: Vec<f64> = data
            .x_values
            .iter()
            .map(|x| {
                if self.has_second_term(*x) {
                    ln_a - (b + x + b_shift).ln()
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect();
        let inv_b_x: Vec<f64> = data
            .x_values
            .iter()
            .map(|x| 1.0 / (b + x + b_shift))
            .collect();
        let row_sums = |rows: &[IndexedRow]| -> RowSums {
            let mut sums = RowSums::default();
            for row in rows {
                let x = data.x_values[row.x_index as usize];
                let ln_t_cal = ln_alpha_t_cal[row.t_cal_index as usize];
                let ln_t_x = ln_alpha_t_x[row.t_x_index as usize];
                let first = -(r + x) * ln_t_cal;
                let log_odds = second_term_log_odds[row.x_index as usize];
                // d = A₄ − A₃; π = e^{A₄}/(e^{A₃}+e^{A₄}) = logistic(d)
                let (softplus, share) = if log_odds == f64::NEG_INFINITY {
                    (0.0, 0.0)
                } else {
                    let d = log_odds + (r + x) * (ln_t_cal - ln_t_x);
                    let e = (-d.abs()).exp();
                    let share = if d > 0.0 {
                        1.0 / (1.0 + e)
                    } else {
                        e / (1.0 + e)
                    };
                    // ln(1 + e) with e <= 1: plain ln is accurate to 1e-16 absolute here
                    // and much cheaper than ln_1p.
                    (d.max(0.0) + (1.0 + e).ln(), share)
                };
                let w = row.weight;
                sums.value += w * (first + softplus);
                sums.ln_times += w * ((1.0 - share) * ln_t_cal + share * ln_t_x);
                sums.rate_times += w
                    * (r + x)
                    * ((1.0 - share) * inv_alpha_t_cal[row.t_cal_index as usize]
                        + share * inv_alpha_t_x[row.t_x_index as usize]);
                sums.second_term_share += w * share;
                sums.second_term_over_b += w * share * inv_b_x[row.x_index as usize];
                if with_hessian {
                    let (inv_t_cal, inv_t_x) = (
                        inv_alpha_t_cal[row.t_cal_index as usize],
                        inv_alpha_t_x[row.t_x_index as usize],
                    );
                    let c = inv_b_x[row.x_index as usize];
                    let rho = share * (1.0 - share);
                    let d_r = ln_t_cal - ln_t_x;
                    let d_alpha = (r + x) * (inv_t_cal - inv_t_x);
                    let h = &mut sums.hessian;
                    h.r_r += w * rho * d_r * d_r;
                    h.r_alpha +=
                        w * (-inv_t_cal + share * (inv_t_cal - inv_t_x) + rho * d_r * d_alpha);
                    h.alpha_alpha += w
                        * ((r + x) * inv_t_cal * inv_t_cal
                            + share * (r + x) * (inv_t_x * inv_t_x - inv_t_cal * inv_t_cal)
                            + rho * d_alpha * d_alpha);
                    h.r_a += w * rho * d_r;
                    h.r_b += w * rho * d_r * c;
                    h.alpha_a += w * rho * d_alpha;
                    h.alpha_b += w * rho * d_alpha * c;
                    h.a_a += w * rho;
                    h.a_b += w * rho * c;
                    h.b_b += w * (share + rho) * c * c;
                }
            }
            sums
        };
        let sums = if data.rows.len() >= 2 * PARALLEL_CHUNK {
            super::sum_in_chunks(&data.rows, PARALLEL_CHUNK, row_sums)
        } else {
            row_sums(&data.rows)
        };
        // Per-distinct-x parts: A₁ and A₂ (and their derivatives) times the x's total weight.
        let (ln_gamma_r, digamma_r) = (ln_gamma(r), digamma(r));
        let (ln_gamma_b, digamma_b) = (ln_gamma(b), digamma(b));
        let (ln_gamma_ab, digamma_ab) = (ln_gamma(a + b), digamma(a + b));
        let mut value = sums.value;
        let (mut d_r, mut d_a, mut d_b) = (0.0, 0.0, 0.0);
        let compute_gradient = gradient.is_some() || with_hessian;
        // Per-x second derivatives of A₁ + A₂: (r,r), (a,a) = (a,b), and (b,b).
        let (mut p_rr, mut p_aa, mut p_bb) = (0.0, 0.0, 0.0);
        let (trigamma_r, trigamma_b, trigamma_ab) = if with_hessian {
            (trigamma(r), trigamma(b), trigamma(a + b))
        } else {
            (0.0, 0.0, 0.0)
        };
        for (x, weight) in data.x_values.iter().zip(&data.x_weights) {
            let bx = b + x + offset;
            let abx = a + b + x + offset;
            value += weight
                * (ln_gamma(r + x) - ln_gamma_r + ln_gamma_ab + ln_gamma(bx)
                    - ln_gamma_b
                    - ln_gamma(abx));
            if compute_gradient {
                d_r += weight * (digamma(r + x) - digamma_r);
                let shared = digamma_ab - digamma(abx);
                d_a += weight * shared;
                d_b += weight * (shared + digamma(bx) - digamma_b);
            }
            if with_hessian {
                p_rr += weight * (trigamma(r + x) - trigamma_r);
                let shared = trigamma_ab - trigamma(abx);
                p_aa += weight * shared;
                p_bb += weight * (shared + trigamma(bx) - trigamma_b);
            }
        }
        let total = data.total_weight;
        value += total * r * alpha.ln();
        // ∂ln L/∂θ, then chain rule ∂/∂ln θ = θ ∂/∂θ, sign flipped for the NLL.
        let g_r = d_r + total * alpha.ln() - sums.ln_times;
        let g_alpha = total * r / alpha - sums.rate_times;
        let g_a = d_a + sums.second_term_share / a;
        let g_b = d_b - sums.second_term_over_b;
        if let Some(g) = gradient {
            g[0] = -r * g_r;
            g[1] = -alpha * g_alpha;
            g[2] = -a * g_a;
            g[3] = -b * g_b;
        }
        if let Some(out) = hessian {
            let h = sums.hessian;
            let pi = sums.second_term_share;
            // ∂²ln L/∂θ∂θᵀ in (r, α, a, b).
            let natural = [
                [p_rr + h.r_r, total / alpha + h.r_alpha, h.r_a / a, -h.r_b],
                [
                    total / alpha + h.r_alpha,
                    -total * r / (alpha * alpha) + h.alpha_alpha,
                    h.alpha_a / a,
                    -h.alpha_b,
                ],
                [
                    h.r_a / a,
                    h.alpha_a / a,
                    p_aa + (h.a_a - pi) / (a * a),
                    p_aa - h.a_b / a,
                ],
                [-h.r_b, -h.alpha_b, p_aa - h.a_b / a, p_bb + h.b_b],
            ];
            let theta = [r, alpha, a, b];
            let g_theta = [g_r, g_alpha, g_a, g_b];
            // NLL in φ = ln θ: −(θᵢ θⱼ ∂²ln L/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂ln L/∂θᵢ).
            for i in 0..4 {
                for j in 0..4 {
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

    fn has_second_term(&self, x: f64) -> bool {
        match self.variant {
            Variant::BgNbd => x > 0.0,
            Variant::MbgNbd => true,
        }
    }
}

impl Objective for BetaGeometricLikelihood<'_> {
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

/// Starting point in log space: r = 1, α = ΣT/Σx (so r/α matches the mean
/// repeat rate), a = 1, b = 3.
pub(crate) fn starting_point(triples: &[Triple]) -> [f64; 4] {
    let repeats: f64 = triples.iter().map(|t| t.weight * t.x).sum();
    let exposure: f64 = triples.iter().map(|t| t.weight * t.t_cal).sum();
    let alpha = (exposure / repeats.max(1e-9)).clamp(1e-3, 1e6);
    [0.0, alpha.ln(), 0.0, 3f64.ln()]
}

/// Rows above which the fit first runs on a strided subsample.
const WARM_START_ROWS: usize = 30_000;

/// For large inputs, the optimum on every k-th unique triple (about 15 000 of
/// them), found by Newton steps (which hand over to BFGS where the Hessian is not
/// positive definite): close to the full optimum, so the full-data Newton needs few
/// passes. Falls back to [`starting_point`] when the subsample cannot be fitted.
fn warm_start(triples: &[Triple], variant: Variant) -> [f64; 4] {
    let start = starting_point(triples);
    if triples.len() <= WARM_START_ROWS {
        return start;
    }
    let stride = triples.len() / (WARM_START_ROWS / 2);
    let sample: Vec<Triple> = triples.iter().step_by(stride).copied().collect();
    if !sample.iter().any(|t| t.x > 0.0) {
        return start;
    }
    let data = IndexedTriples::new(&sample);
    let likelihood = BetaGeometricLikelihood {
        data: &data,
        variant,
    };
    let minimum = optimize::newton(&likelihood, &start, &optimize::BfgsOptions::default());
    if minimum.value.is_finite() && minimum.x.iter().all(|v| v.abs() < 30.0) {
        [minimum.x[0], minimum.x[1], minimum.x[2], minimum.x[3]]
    } else {
        start
    }
}

/// Fits either variant and returns `(r, α, a, b)` and the report.
pub(crate) fn fit_variant(
    triples: &[Triple],
    variant: Variant,
) -> Result<([f64; 4], FitReport), FitError> {
    let total_weight = validate_triples(triples)?;
    let start = warm_start(triples, variant);
    let data = IndexedTriples::new(triples);
    let likelihood = BetaGeometricLikelihood {
        data: &data,
        variant,
    };
    let minimum = if triples.len() > WARM_START_ROWS {
        optimize::newton(&likelihood, &start, &optimize::BfgsOptions::default())
    } else {
        optimize::minimize(&likelihood, &start)
    };
    let report = finish_fit(&PARAM_NAMES, &likelihood, minimum, total_weight)?;
    let v: Vec<f64> = report.params.iter().map(|p| p.value).collect();
    Ok(([v[0], v[1], v[2], v[3]], report))
}

/// Fits BG/NBD by maximum likelihood on (ideally compressed, weighted) triples.
///
/// Errors on empty input, invalid triples, no repeat buyers or failed convergence.
pub fn fit(triples: &[Triple]) -> Result<BgNbdFit, FitError> {
    let ([r, alpha, a, b], report) = fit_variant(triples, Variant::BgNbd)?;
    Ok(BgNbdFit {
        params: BgNbdParams { r, alpha, a, b },
        report,
    })
}

impl BgNbdParams {
    /// Total log-likelihood of weighted triples (Fader, Hardie & Lee 2005, eq. 6).
    pub fn log_likelihood(&self, triples: &[Triple]) -> f64 {
        let data = IndexedTriples::new(triples);
        let likelihood = BetaGeometricLikelihood {
            data: &data,
            variant: Variant::BgNbd,
        };
        -likelihood.value(&[self.r.ln(), self.alpha.ln(), self.a.ln(), self.b.ln()])
    }

    /// P(alive at T | x, t_x, T) = 1 / (1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^{r+x})
    /// (Fader, Hardie & Lee 2005, eq. 11). Equals 1 for x = 0.
    pub fn p_alive(&self, x: f64, t_x: f64, t_cal: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        let d = self.a.ln() - (self.b + x - 1.0).ln()
            + (self.r + x) * ((self.alpha + t_cal).ln() - (self.alpha + t_x).ln());
        logistic(-d)
    }

    /// Expected purchases in (T, T+t] for a customer known to be alive at T:
    /// E[Y(t)] / P(alive), from Fader, Hardie & Lee (2005, eq. 10):
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x; a+b+x−1; z)],
    /// z = t/(α+T+t), evaluated through Euler's transformation as
    /// 1 − (1−z)^{a−1} 2F1(a+b−r−1, a−1; a+b+x−1; z) so that large x cannot overflow.
    pub fn expected_given_alive(&self, x: f64, t_cal: f64, t: f64) -> f64 {
        beta_geometric_given_alive(self.r, self.alpha, self.a, self.b + x - 1.0, x, t_cal, t)
    }

    /// Conditional expected purchases in (T, T+t] (Fader, Hardie & Lee 2005, eq. 10).
    pub fn expected_purchases(&self, x: f64, t_x: f64, t_cal: f64, t: f64) -> f64 {
        self.p_alive(x, t_x, t_cal) * self.expected_given_alive(x, t_cal, t)
    }

    /// Unconditional E[X(t)] for a customer who made the first purchase at 0
    /// (Fader, Hardie & Lee 2005, eq. 9): the given-alive expectation at x = 0, T = 0.
    /// Where the closed form fails (a + b < 1 makes its 2F1's third parameter negative, and
    /// the series gives infinity as t grows) the mixture is integrated numerically instead.
    pub fn expected_purchases_unconditional(&self, t: f64) -> f64 {
        let closed = self.expected_given_alive(0.0, 0.0, t);
        if closed.is_finite() {
            return closed;
        }
        self.expected_purchases_by_quadrature(t)
    }

    /// E[X(t)] = ∫ (1 − (α/(α + p t))^r) / p · Beta(p; a, b) dp: FHL 2005 eq. 7,
    /// E[X(t) | λ, p] = (1 − e^{−λ p t}) / p, averaged over λ ~ Gamma(r, α) in closed form and
    /// over p numerically. The substitutions p = u^{1/a} on (0, ½] and 1 − p = v^{1/b} on
    /// [½, 1) absorb the Beta density's end-point singularities, leaving smooth integrands for
    /// Simpson's rule.
    pub fn expected_purchases_by_quadrature(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        // (1 − (1 + p t/α)^{−r}) / p, with its limit r t / α at p = 0.
        let given_p = |p: f64| {
            if p <= 0.0 {
                return r * t / alpha;
            }
            -(-r * (p * t / alpha).ln_1p()).exp_m1() / p
        };
        let low = simpson(0.5_f64.powf(a), |u| {
            let p = u.powf(1.0 / a);
            given_p(p) * (1.0 - p).powf(b - 1.0) / a
        });
        let high = simpson(0.5_f64.powf(b), |v| {
            let q = v.powf(1.0 / b);
            given_p(1.0 - q) * (1.0 - q).powf(a - 1.0) / b
        });
        (low + high) / crate::models::special::ln_beta(a, b).exp()
    }
}

/// Simpson's rule for ∫_0^upper f with 512 intervals.
fn simpson(upper: f64, f: impl Fn(f64) -> f64) -> f64 {
    const INTERVALS: usize = 512;
    let h = upper / INTERVALS as f64;
    let inner: f64 = (1..INTERVALS)
        .map(|k| f(k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(0.0) + inner + f(upper)) * h / 3.0
}

/// `1/(1+e^{−v})` without overflow.
#[inline]
pub(crate) fn logistic(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

/// Expected purchases in (T, T+t] given alive at T for the beta-geometric
/// models, with `c = a + b_post` the third 2F1 parameter (BG/NBD: `b_post = b+x−1`;
/// MBG/NBD: `b_post = b+x`):
/// c/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, c−a+1; c; z)] (BG/NBD: Fader,
/// Hardie & Lee 2005 eq. 10; MBG/NBD: Batislam et al. 2007) which, after Euler's
/// transformation 2F1(A,B;C;z) = (1−z)^{C−A−B} 2F1(C−A, C−B; C; z), is
/// c/(a−1) · [1 − (1−z)^{a−1} 2F1(c−r−x, a−1; c; z)], z = t/(α+T+t).
/// At a = 1 (a removable singularity) the average at a = 1 ± 2e-7 is used.
pub(crate) fn beta_geometric_given_alive(
    r: f64,
    alpha: f64,
    a: f64,
    b_post: f64,
    x: f64,
    t_cal: f64,
    t: f64,
) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    if (a - 1.0).abs() < 1e-7 {
        return 0.5
            * (beta_geometric_given_alive(r, alpha, 1.0 + 2e-7, b_post, x, t_cal, t)
                + beta_geometric_given_alive(r, alpha, 1.0 - 2e-7, b_post, x, t_cal, t));
    }
    let c = a + b_post;
    let z = t / (alpha + t_cal + t);
    let ln_one_minus_z = (alpha + t_cal).ln() - (alpha + t_cal + t).ln();
    // When a − 1 > r + x the original series is bounded at z = 1 and converges
    // fast even for huge a, b (homogeneous drop-out); otherwise Euler's form is.
    let ln_product = if a - 1.0 > r + x {
        (r + x) * ln_one_minus_z + hyp2f1(r + x, c - a + 1.0, c, z).ln()
    } else {
        (a - 1.0) * ln_one_minus_z + hyp2f1(c - r - x, a - 1.0, c, z).ln()
    };
    let bracket = -ln_product.exp_m1();
    let value = c / (a - 1.0) * bracket;
    if value.is_finite() {
        value.max(0.0)
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::models::compress_triples;
    use crate::models::test_data::cdnow_calibration;

    pub(crate) fn cdnow_triples() -> Vec<Triple> {
        let customers: Vec<Triple> = cdnow_calibration().iter().map(|c| c.triple).collect();
        compress_triples(&customers)
    }

    /// `actual` rounds to `expected` at 3 significant digits.
    pub(crate) fn assert_sig3(actual: f64, expected: f64) {
        let half_unit = 0.5 * 10f64.powf(expected.abs().log10().floor() - 2.0);
        assert!(
            (actual - expected).abs() <= half_unit * (1.0 + 1e-9),
            "actual {actual} vs published {expected}"
        );
    }

    #[test]
    fn cdnow_has_2357_customers_and_946_repeat_buyers() {
        let customers = cdnow_calibration();
        assert_eq!(customers.len(), 2357);
        assert_eq!(customers.iter().filter(|c| c.triple.x > 0.0).count(), 946);
    }

    #[test]
    fn reproduces_fader_hardie_lee_2005_cdnow_estimates() {
        let fit = fit(&cdnow_triples()).expect("BG/NBD fits CDNOW");
        let p = fit.params;
        eprintln!(
            "BG/NBD CDNOW: {p:?} LL {} report {:?}",
            fit.report.log_likelihood, fit.report
        );
        assert_sig3(p.r, 0.243);
        assert_sig3(p.alpha, 4.414);
        assert_sig3(p.a, 0.793);
        assert_sig3(p.b, 2.426);
        assert!((fit.report.log_likelihood + 9582.4).abs() <= 0.1);
        assert!(fit.report.converged);
        assert!(
            fit.report
                .params
                .iter()
                .all(|p| p.std_error.is_finite() && p.std_error > 0.0)
        );
    }

    #[test]
    fn analytic_gradient_matches_numeric() {
        let triples = cdnow_triples();
        let data = IndexedTriples::new(&triples);
        for variant in [Variant::BgNbd, Variant::MbgNbd] {
            let likelihood = BetaGeometricLikelihood {
                data: &data,
                variant,
            };
            let point = [0.3f64.ln(), 4.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
            let mut analytic = [0.0; 4];
            likelihood.value_and_gradient(&point, &mut analytic);
            let mut numeric = [0.0; 4];
            optimize::numeric_gradient(&|p: &[f64]| likelihood.value(p), &point, &mut numeric);
            for (a, n) in analytic.iter().zip(&numeric) {
                assert!(
                    (a - n).abs() <= 1e-4 * (1.0 + n.abs()),
                    "{analytic:?} vs {numeric:?}"
                );
            }
        }
    }

    #[test]
    fn analytic_hessian_matches_differenced_gradient() {
        let triples = cdnow_triples();
        let data = IndexedTriples::new(&triples);
        for variant in [Variant::BgNbd, Variant::MbgNbd] {
            let likelihood = BetaGeometricLikelihood {
                data: &data,
                variant,
            };
            let point = [0.3f64.ln(), 4.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
            let (mut gradient, mut analytic) = ([0.0; 4], vec![vec![0.0; 4]; 4]);
            likelihood.value_gradient_hessian(&point, &mut gradient, &mut analytic);
            let numeric = optimize::hessian_from_gradient(&likelihood, &point, 1e-5);
            for (a, n) in analytic.iter().flatten().zip(numeric.iter().flatten()) {
                assert!(
                    (a - n).abs() <= 1e-5 * (1.0 + n.abs()),
                    "{variant:?}: {analytic:?} vs {numeric:?}"
                );
            }
        }
    }

    #[test]
    fn newton_from_a_nearby_start_reaches_the_bfgs_optimum() {
        let triples = cdnow_triples();
        let data = IndexedTriples::new(&triples);
        let likelihood = BetaGeometricLikelihood {
            data: &data,
            variant: Variant::BgNbd,
        };
        let start = [0.3f64.ln(), 4.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
        let newton = optimize::newton(&likelihood, &start, &optimize::BfgsOptions::default());
        let bfgs = optimize::minimize(&likelihood, &starting_point(&triples));
        assert!(newton.converged, "{newton:?}");
        assert!(newton.iterations <= 10, "{newton:?}");
        for (n, b) in newton.x.iter().zip(&bfgs.x) {
            assert!((n - b).abs() < 1e-6, "{newton:?} vs {bfgs:?}");
        }
    }

    #[test]
    fn conditional_expectation_matches_hardie_spreadsheet() {
        // Fader, Hardie & Lee (2005) worked example: x = 2, t_x = 30.43, T = 38.86,
        // t = 39 weeks with the published parameters gives 1.226.
        let params = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let expected = params.expected_purchases(2.0, 30.43, 38.86, 39.0);
        assert!((expected - 1.226).abs() < 1e-3, "{expected}");
    }

    #[test]
    fn empty_and_no_repeat_inputs_are_errors() {
        assert_eq!(fit(&[]), Err(FitError::EmptyInput));
        let no_repeats = [Triple::new(0.0, 0.0, 10.0), Triple::new(0.0, 0.0, 5.0)];
        assert!(matches!(fit(&no_repeats), Err(FitError::NotIdentified(_))));
        let bad = [Triple::new(1.0, 12.0, 10.0)];
        assert!(matches!(fit(&bad), Err(FitError::InvalidData(_))));
    }

    /// The numerical mixture matches the closed form where both work (CDNOW's published
    /// estimates) and stays finite where the closed form fails (a + b < 1).
    #[test]
    fn the_unconditional_expectation_by_quadrature_matches_the_closed_form() {
        let cdnow = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        for t in [1.0, 13.0, 39.0, 78.0, 500.0] {
            let closed = cdnow.expected_given_alive(0.0, 0.0, t);
            let numeric = cdnow.expected_purchases_by_quadrature(t);
            assert!(
                (numeric - closed).abs() < 1e-5 * closed,
                "{t}: {numeric} {closed}"
            );
        }
        let light = BgNbdParams {
            r: 0.0917,
            alpha: 2.92,
            a: 0.457,
            b: 0.447,
        };
        let mut previous = 0.0;
        for t in [1.0, 8.0, 9.0, 20.0, 52.0, 200.0] {
            let value = light.expected_purchases_unconditional(t);
            assert!(value.is_finite() && value > previous, "{t}: {value}");
            previous = value;
        }
    }
}
