//! Pareto/NBD model: Schmittlein, Morrison & Colombo (1987), "Counting your
//! customers: who are they and what will they do next?", Management Science
//! 33(1), 1–24. Likelihood in the form of Fader, Hardie & Lee (2005),
//! "A note on deriving the Pareto/NBD model and related expressions" (and the
//! appendix of "Counting your customers the easy way").
//!
//! While active, a customer buys at Poisson rate λ ~ Gamma(r, α); lifetimes are
//! exponential with rate μ ~ Gamma(s, β).

use rayon::prelude::*;

use super::optimize::{self, Objective};
use super::special::{
    ln_gamma, ln_hyp2f1_positive, log_add_exp, log_sub_exp, one_minus_pow_over_exponent,
};
use super::{
    FastHashMap, FitError, FitReport, Triple, compress_triples, finish_fit, validate_triples,
};

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
        log_sub_exp(self.ln_f(x, t_x), self.ln_f(x, t_cal))
    }

    /// `ln F(t)` of [`ParetoNbdParams::ln_a0`] for a customer with `x` repeat purchases: a
    /// function of `(x, t)` only, so a fit computes it once per distinct pair.
    fn ln_f(&self, x: f64, t: f64) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let a = r + s + x;
        let c = a + 1.0;
        let (larger, smaller, b) = if alpha >= beta {
            (alpha, beta, s + 1.0)
        } else {
            (beta, alpha, r + x)
        };
        let z = (larger - smaller) / (larger + t);
        ln_hyp2f1_positive(a, b, c, z) - a * (larger + t).ln()
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

/// Histories re-expressed over the distinct `x` and the distinct `(x, t)` points where the
/// hypergeometric term `ln F` is needed (each history's `(x, t_x)` and `(x, T)`): histories
/// share far more of these than whole triples, and `ln F` is the costly part of the likelihood.
struct IndexedHistories {
    /// Distinct `x` and the total weight of the histories with it.
    x_values: Vec<f64>,
    x_weights: Vec<f64>,
    /// Distinct `T`.
    t_cal_values: Vec<f64>,
    /// Distinct `(x, t)` points.
    points: Vec<(f64, f64)>,
    rows: Vec<IndexedHistory>,
}

struct IndexedHistory {
    x_index: u32,
    t_cal_index: u32,
    t_x_point: u32,
    t_cal_point: u32,
    weight: f64,
}

/// Histories per parallel block; partial sums are added in block order, so the likelihood
/// (and every fitted figure) is the same whatever the number of threads.
const BLOCK: usize = 8_192;

impl IndexedHistories {
    fn new(triples: &[Triple]) -> Self {
        let mut x_index: FastHashMap<u64, usize> = FastHashMap::default();
        let (mut x_values, mut x_weights) = (Vec::new(), Vec::new());
        let mut t_cal_index: FastHashMap<u64, u32> = FastHashMap::default();
        let mut t_cal_values = Vec::new();
        let mut point_index: FastHashMap<(u64, u64), u32> = FastHashMap::default();
        let mut points = Vec::new();
        let mut point = |x: f64, t: f64| {
            *point_index
                .entry((x.to_bits(), t.to_bits()))
                .or_insert_with(|| {
                    points.push((x, t));
                    (points.len() - 1) as u32
                })
        };
        let rows = triples
            .iter()
            .map(|t| {
                let i = *x_index.entry(t.x.to_bits()).or_insert_with(|| {
                    x_values.push(t.x);
                    x_weights.push(0.0);
                    x_values.len() - 1
                });
                x_weights[i] += t.weight;
                let t_cal_position = *t_cal_index.entry(t.t_cal.to_bits()).or_insert_with(|| {
                    t_cal_values.push(t.t_cal);
                    (t_cal_values.len() - 1) as u32
                });
                IndexedHistory {
                    x_index: i as u32,
                    t_cal_index: t_cal_position,
                    t_x_point: point(t.x, t.t_x),
                    t_cal_point: point(t.x, t.t_cal),
                    weight: t.weight,
                }
            })
            .collect();
        Self {
            x_values,
            x_weights,
            t_cal_values,
            points,
            rows,
        }
    }

    /// The total log-likelihood at `params`:
    /// Σ w [ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln(e^{A₁} + s/(r+s+x) A₀)].
    fn log_likelihood(&self, params: &ParetoNbdParams) -> f64 {
        let ln_f: Vec<f64> = self
            .points
            .par_chunks(BLOCK)
            .flat_map_iter(|block| block.iter().map(|&(x, t)| params.ln_f(x, t)))
            .collect();
        let ParetoNbdParams { r, alpha, s, beta } = *params;
        // Per distinct T: ln(α+T), ln(β+T); per distinct x: ln(s/(r+s+x)).
        let ln_alpha_t: Vec<f64> = self.t_cal_values.iter().map(|t| (alpha + t).ln()).collect();
        let ln_beta_t: Vec<f64> = self.t_cal_values.iter().map(|t| (beta + t).ln()).collect();
        let ln_dead_share: Vec<f64> = self
            .x_values
            .iter()
            .map(|x| (s / (r + s + x)).ln())
            .collect();
        let row_sum = super::sum_in_chunks(&self.rows, BLOCK, |block| {
            block
                .iter()
                .map(|row| {
                    let (xi, ti) = (row.x_index as usize, row.t_cal_index as usize);
                    // ln e^{A₁} = −(r+x) ln(α+T) − s ln(β+T)
                    let alive = -(r + self.x_values[xi]) * ln_alpha_t[ti] - s * ln_beta_t[ti];
                    let ln_a0 =
                        log_sub_exp(ln_f[row.t_x_point as usize], ln_f[row.t_cal_point as usize]);
                    row.weight * log_add_exp(alive, ln_dead_share[xi] + ln_a0)
                })
                .sum::<f64>()
        });
        let per_x: f64 = self
            .x_values
            .iter()
            .zip(&self.x_weights)
            .map(|(&x, &w)| w * (ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln()))
            .sum();
        per_x + row_sum
    }
}

struct ParetoLikelihood<'a> {
    data: &'a IndexedHistories,
}

impl Objective for ParetoLikelihood<'_> {
    fn value(&self, log_params: &[f64]) -> f64 {
        let params = ParetoNbdParams {
            r: log_params[0].exp(),
            alpha: log_params[1].exp(),
            s: log_params[2].exp(),
            beta: log_params[3].exp(),
        };
        let ll = self.data.log_likelihood(&params);
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

/// Above this many distinct histories the fit starts from the optimum on a subsample.
const WARM_START_ROWS: usize = 30_000;

/// For large inputs, the optimum on every k-th distinct history (about 15,000 of them) and the
/// Hessian there scaled to the full data: close to the full optimum and its curvature, so the
/// full-data search needs few passes. `None` when the subsample cannot be fitted.
fn warm_start(
    unique: &[Triple],
    start: &[f64],
    observe: &(dyn Fn(FitPhase, usize) + Sync),
) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let stride = unique.len() / (WARM_START_ROWS / 2);
    let sample: Vec<Triple> = unique.iter().step_by(stride.max(1)).copied().collect();
    if !sample.iter().any(|t| t.x > 0.0) {
        return None;
    }
    let data = IndexedHistories::new(&sample);
    let likelihood = ParetoLikelihood { data: &data };
    let report = |evaluations| observe(FitPhase::Subsample, evaluations);
    let minimum = optimize::minimize(&optimize::Observed::new(&likelihood, &report), start);
    let usable = minimum.value.is_finite()
        && optimize::coordinates_at_edge(&likelihood, &minimum.x).is_empty();
    if !usable {
        return None;
    }
    let scale =
        unique.iter().map(|t| t.weight).sum::<f64>() / sample.iter().map(|t| t.weight).sum::<f64>();
    let mut hessian = optimize::numeric_hessian(&|p: &[f64]| likelihood.value(p), &minimum.x, 1e-3);
    hessian.iter_mut().flatten().for_each(|h| *h *= scale);
    Some((minimum.x, hessian))
}

/// Which search of a Pareto/NBD fit is running, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitPhase {
    /// The search on a subsample of the distinct histories (large inputs only).
    Subsample,
    /// The search on every distinct history.
    FullData,
}

/// Fits Pareto/NBD by maximum likelihood (BFGS on central-difference gradients,
/// Nelder–Mead fallback). Triples are compressed first; above 30,000 distinct histories the
/// search starts from the optimum on a subsample of them, with Newton-like first steps.
pub fn fit(triples: &[Triple]) -> Result<ParetoNbdFit, FitError> {
    fit_observed(triples, &|_, _| {})
}

/// [`fit`], reporting each likelihood evaluation (the search under way and the evaluations so
/// far in it) to `observe`: on a million customers the fit takes seconds, and a user should
/// see it working.
pub fn fit_observed(
    triples: &[Triple],
    observe: &(dyn Fn(FitPhase, usize) + Sync),
) -> Result<ParetoNbdFit, FitError> {
    let total_weight = validate_triples(triples)?;
    let unique = compress_triples(triples);
    let data = IndexedHistories::new(&unique);
    let likelihood = ParetoLikelihood { data: &data };
    let repeats: f64 = unique.iter().map(|t| t.weight * t.x).sum();
    let exposure: f64 = unique.iter().map(|t| t.weight * t.t_cal).sum();
    let alpha = (exposure / repeats.max(1e-9)).clamp(1e-3, 1e6);
    let mean_t_cal = exposure / total_weight;
    let start = [0.0, alpha.ln(), 0.0, mean_t_cal.max(1e-3).ln()];
    let report = |evaluations| observe(FitPhase::FullData, evaluations);
    let observed = optimize::Observed::new(&likelihood, &report);
    let minimum = match (unique.len() > WARM_START_ROWS)
        .then(|| warm_start(&unique, &start, observe))
        .flatten()
    {
        // Newton-like steps from the subsample's optimum (a finite-difference Hessian there).
        Some((near, hessian)) => optimize::minimize_near(&observed, &near, &hessian),
        None => optimize::minimize(&observed, &start),
    };
    let report = finish_fit(&PARAM_NAMES, &observed, minimum, total_weight)?;
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
        // Observing a fit does not change it; a small input has no subsample search.
        let phases = std::sync::Mutex::new(Vec::new());
        let observed = fit_observed(&cdnow_triples(), &|phase, _| {
            phases.lock().unwrap().push(phase)
        })
        .expect("fits");
        assert_eq!(observed.params, fit.params);
        let phases = phases.into_inner().unwrap();
        assert!(!phases.is_empty() && phases.iter().all(|p| *p == FitPhase::FullData));
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
    fn the_indexed_likelihood_is_the_sum_over_customers() {
        let triples = compress_triples(&cdnow_triples());
        let data = IndexedHistories::new(&triples);
        assert!(data.points.len() < 2 * triples.len());
        for params in [
            ParetoNbdParams {
                r: 0.553,
                alpha: 10.578,
                s: 0.606,
                beta: 11.669,
            },
            ParetoNbdParams {
                r: 2.0,
                alpha: 3.0,
                s: 0.2,
                beta: 40.0,
            },
        ] {
            let direct = params.log_likelihood(&triples);
            let indexed = data.log_likelihood(&params);
            assert!(
                (direct - indexed).abs() <= 1e-9 * direct.abs(),
                "{direct} vs {indexed}"
            );
        }
    }

    /// Above WARM_START_ROWS distinct histories the fit starts from a subsample's optimum; it
    /// ends at the same optimum as a plain search from the usual start.
    #[test]
    fn the_warm_start_reaches_the_same_optimum() {
        let truth = ParetoNbdParams {
            r: 0.6,
            alpha: 12.0,
            s: 0.9,
            beta: 30.0,
        };
        let customers = simulate(&truth, 150_000);
        let unique = compress_triples(&customers);
        assert!(unique.len() > WARM_START_ROWS, "{}", unique.len());
        let seen = std::sync::Mutex::new(Vec::new());
        let warm = fit_observed(&customers, &|phase, evaluations| {
            seen.lock().unwrap().push((phase, evaluations))
        })
        .expect("fits");
        // Progress: the subsample's search, then the full data's, each counting up from 1.
        let seen = seen.into_inner().unwrap();
        let split = seen.partition_point(|(phase, _)| *phase == FitPhase::Subsample);
        assert!(split > 0 && split < seen.len(), "{seen:?}");
        assert!(seen[split..].iter().all(|(p, _)| *p == FitPhase::FullData));
        for part in [&seen[..split], &seen[split..]] {
            let counts: Vec<usize> = part.iter().map(|(_, n)| *n).collect();
            assert_eq!(counts, (1..=counts.len()).collect::<Vec<_>>());
        }
        let data = IndexedHistories::new(&unique);
        let likelihood = ParetoLikelihood { data: &data };
        let cold = optimize::minimize(&likelihood, &[0.0, 2.0, 0.0, 3.0]);
        assert!(
            (warm.report.log_likelihood + cold.value).abs() < 1e-6 * cold.value.abs(),
            "{} vs {}",
            warm.report.log_likelihood,
            -cold.value
        );
    }

    /// Pareto/NBD customers with first purchases spread over 52 weeks and T measured to week
    /// 78, times rounded to days (so that histories repeat as in real data).
    fn simulate(params: &ParetoNbdParams, customers: usize) -> Vec<Triple> {
        use rand::rngs::Xoshiro256PlusPlus;
        use rand::{RngExt, SeedableRng};
        use rand_distr::{Distribution, Exp1, Gamma};
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let rate = Gamma::new(params.r, 1.0 / params.alpha).unwrap();
        let dropout = Gamma::new(params.s, 1.0 / params.beta).unwrap();
        let day = |t: f64| (t * 7.0).round() / 7.0;
        (0..customers)
            .map(|_| {
                let (lambda, mu) = (rate.sample(&mut rng), dropout.sample(&mut rng));
                let t_cal = day(78.0 - 52.0 * rng.random::<f64>());
                let lifetime: f64 = Exp1.sample(&mut rng);
                let lifetime = lifetime / mu;
                let (mut time, mut x, mut t_x) = (0.0_f64, 0.0, 0.0);
                loop {
                    let gap: f64 = Exp1.sample(&mut rng);
                    time += gap / lambda;
                    if time > lifetime.min(t_cal) {
                        break;
                    }
                    x += 1.0;
                    t_x = day(time);
                }
                Triple::new(x, t_x.min(t_cal), t_cal)
            })
            .collect()
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
