//! L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
//! squares) on standardised features.
//!
//! Why by hand rather than a crate: the churn model has about ten features, Newton's method
//! converges in a handful of steps to the unique optimum of a convex objective (so results are
//! deterministic and need no tuning), and the coefficients on standardised features give the
//! per-customer contributions the reason codes are built from. The Rust ML crates (linfa,
//! smartcore) would add ndarray and an optimiser stack for the same ~100 lines.

use rayon::prelude::*;

/// How far beyond its training range, in training standard deviations, a feature is followed
/// when scoring. A customer scored later may lie beyond anything the model learnt from (a
/// bigger spend, a longer silence) and a linear model extrapolated far there saturates at 0 or 1
/// without evidence; a moderate step past the range is normal (scoring one horizon after
/// training adds that horizon to every tenure) and keeps its ranking.
pub const EXTRAPOLATION_SDS: f64 = 5.0;

/// A fitted model: P(y = 1 | x) = 1 / (1 + exp(−(b₀ + Σ βⱼ zⱼ))), zⱼ = (clip(xⱼ) − meanⱼ) / sdⱼ,
/// `clip` holding each feature within [`EXTRAPOLATION_SDS`] of its training range.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticModel {
    pub intercept: f64,
    /// Coefficients on the standardised features (0 for a constant feature).
    pub coefficients: Vec<f64>,
    /// Training means and standard deviations used to standardise.
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
    /// Smallest and largest training value of each feature.
    pub lowest: Vec<f64>,
    pub highest: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
}

/// Observations in row-major order: `values[i * columns + j]` is feature `j` of row `i`.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub values: &'a [f64],
    pub columns: usize,
}

impl<'a> Rows<'a> {
    fn iter(&self) -> std::slice::ChunksExact<'a, f64> {
        self.values.chunks_exact(self.columns)
    }
}

/// Why a logistic regression could not be fitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FitFailure {
    /// No rows, mismatched shapes, or a single class.
    Unfittable,
    /// Newton's method did not reach the optimum within its step budget.
    NotConverged,
}

/// Newton steps allowed for one fit.
const MAX_NEWTON_STEPS: usize = 100;

/// Fits `y ~ x` with penalty `lambda/2 · Σ βⱼ²` (the intercept is not penalised).
pub fn fit(rows: Rows, y: &[bool], lambda: f64) -> Result<LogisticModel, FitFailure> {
    fit_constrained(rows, y, lambda, &[])
}

/// As [`fit`], with the coefficients of the features in `non_negative` held at 0 or above: a
/// feature whose unconstrained coefficient comes out negative is left out and the rest refitted,
/// until no constraint is broken (an active-set method; each round removes a feature).
pub fn fit_constrained(
    rows: Rows,
    y: &[bool],
    lambda: f64,
    non_negative: &[usize],
) -> Result<LogisticModel, FitFailure> {
    let n = y.len();
    let positives = y.iter().filter(|&&v| v).count();
    if n == 0 || positives == 0 || positives == n || rows.values.len() != n * rows.columns {
        return Err(FitFailure::Unfittable);
    }
    let scaling = Scaling::of(rows);
    let mut left_out = vec![false; rows.columns];
    loop {
        let model = newton(rows, y, lambda, &scaling, &left_out)?;
        let broken: Vec<usize> = non_negative
            .iter()
            .copied()
            .filter(|&j| model.coefficients[j] < 0.0)
            .collect();
        if broken.is_empty() {
            return Ok(model);
        }
        broken.iter().for_each(|&j| left_out[j] = true);
    }
}

/// Each feature's training mean, standard deviation (0 for a constant) and range.
struct Scaling {
    means: Vec<f64>,
    sds: Vec<f64>,
    lowest: Vec<f64>,
    highest: Vec<f64>,
}

impl Scaling {
    fn of(rows: Rows) -> Scaling {
        let (means, sds) = standardisation(rows);
        let p = rows.columns;
        let (mut lowest, mut highest) = (vec![f64::INFINITY; p], vec![f64::NEG_INFINITY; p]);
        for row in rows.iter() {
            for j in 0..p {
                lowest[j] = lowest[j].min(row[j]);
                highest[j] = highest[j].max(row[j]);
            }
        }
        Scaling {
            means,
            sds,
            lowest,
            highest,
        }
    }
}

/// Newton's method with step halving on the penalised log-likelihood, so that every step
/// improves it; features in `left_out` keep coefficient 0.
fn newton(
    rows: Rows,
    y: &[bool],
    lambda: f64,
    scaling: &Scaling,
    left_out: &[bool],
) -> Result<LogisticModel, FitFailure> {
    let p = rows.columns;
    let fixed = |j: usize| scaling.sds[j] == 0.0 || left_out[j];
    let positives = y.iter().filter(|&&v| v).count();
    let base_rate = positives as f64 / y.len() as f64;
    let mut beta = vec![0.0; p + 1]; // [intercept, β…]
    beta[0] = (base_rate / (1.0 - base_rate)).ln();
    let objective = |beta: &[f64]| {
        let penalty: f64 = beta[1..].iter().map(|b| b * b).sum::<f64>() * lambda / 2.0;
        log_likelihood(rows, y, beta, &scaling.means, &scaling.sds) - penalty
    };
    let mut current = objective(&beta);
    for iteration in 1..=MAX_NEWTON_STEPS {
        let (mut gradient, mut hessian) =
            gradient_and_hessian(rows, y, &beta, &scaling.means, &scaling.sds);
        for j in 1..=p {
            if fixed(j - 1) {
                // A unit diagonal and no gradient keep the coefficient where it is (0).
                gradient[j] = 0.0;
                for k in 0..=p {
                    hessian[j * (p + 1) + k] = 0.0;
                    hessian[k * (p + 1) + j] = 0.0;
                }
                hessian[j * (p + 1) + j] = 1.0;
            } else {
                gradient[j] -= lambda * beta[j];
                hessian[j * (p + 1) + j] += lambda;
            }
        }
        let step = solve_spd(&hessian, &gradient, p + 1).ok_or(FitFailure::NotConverged)?;
        let mut scale = 1.0;
        let (trial, value) = loop {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let value = objective(&trial);
            if value.is_finite() && value >= current - 1e-12 * current.abs() {
                break (trial, value);
            }
            scale /= 2.0;
            if scale < 1e-10 {
                return Err(FitFailure::NotConverged);
            }
        };
        // Converged when the full Newton step is negligible (near the optimum it is taken whole).
        let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        beta = trial;
        current = value;
        if largest < 1e-9 {
            return Ok(LogisticModel {
                intercept: beta[0],
                coefficients: beta[1..].to_vec(),
                means: scaling.means.clone(),
                sds: scaling.sds.clone(),
                lowest: scaling.lowest.clone(),
                highest: scaling.highest.clone(),
                iterations: iteration,
            });
        }
    }
    Err(FitFailure::NotConverged)
}

impl LogisticModel {
    /// The standardised value of feature `j`, held within [`EXTRAPOLATION_SDS`] standard
    /// deviations of its training range.
    pub fn standardise(&self, j: usize, value: f64) -> f64 {
        let margin = EXTRAPOLATION_SDS * self.sds[j];
        if self.sds[j] == 0.0 {
            0.0
        } else {
            (value.clamp(self.lowest[j] - margin, self.highest[j] + margin) - self.means[j])
                / self.sds[j]
        }
    }

    /// Feature `j`'s contribution βⱼ zⱼ to the log-odds, against an average customer.
    pub fn contribution(&self, j: usize, value: f64) -> f64 {
        self.coefficients[j] * self.standardise(j, value)
    }

    /// Each feature's contribution βⱼ zⱼ to the log-odds, against an average customer.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .enumerate()
            .map(|(j, &v)| self.contribution(j, v))
            .collect()
    }

    /// P(y = 1 | row).
    pub fn probability(&self, row: &[f64]) -> f64 {
        let log_odds: f64 = row
            .iter()
            .enumerate()
            .map(|(j, &v)| self.contribution(j, v))
            .sum();
        sigmoid(self.intercept + log_odds)
    }
}

/// ln(1 + e^η), without overflow.
fn softplus(eta: f64) -> f64 {
    if eta > 0.0 {
        eta + (-eta).exp().ln_1p()
    } else {
        eta.exp().ln_1p()
    }
}

/// Σ y η − ln(1 + e^η) over the rows, in parallel.
fn log_likelihood(rows: Rows, y: &[bool], beta: &[f64], means: &[f64], sds: &[f64]) -> f64 {
    in_row_blocks(rows, y, 0.0, |sum, row, label| {
        let eta = beta[0]
            + row
                .iter()
                .enumerate()
                .filter(|&(j, _)| sds[j] != 0.0)
                .map(|(j, v)| beta[j + 1] * (v - means[j]) / sds[j])
                .sum::<f64>();
        *sum += if label {
            eta - softplus(eta)
        } else {
            -softplus(eta)
        };
    })
    .into_iter()
    .sum()
}

/// Rows per parallel block of the sums over rows.
const ROW_BLOCK: usize = 4096;

/// Folds each block of [`ROW_BLOCK`] rows (with its labels) into a fresh `start`, in parallel,
/// and returns the blocks' results in row order. The caller adds them in that order, so a sum
/// is the same bits on every run (rayon's own `sum`/`reduce` group partial sums as the work
/// happened to split).
fn in_row_blocks<S: Clone + Send + Sync>(
    rows: Rows,
    y: &[bool],
    start: S,
    add_row: impl Fn(&mut S, &[f64], bool) + Sync,
) -> Vec<S> {
    rows.values
        .par_chunks(ROW_BLOCK * rows.columns)
        .zip(y.par_chunks(ROW_BLOCK))
        .map(|(block, labels)| {
            let mut acc = start.clone();
            for (row, &label) in block.chunks_exact(rows.columns).zip(labels) {
                add_row(&mut acc, row, label);
            }
            acc
        })
        .collect()
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn standardisation(rows: Rows) -> (Vec<f64>, Vec<f64>) {
    let p = rows.columns;
    let n = (rows.values.len() / p) as f64;
    let mut means = vec![0.0; p];
    for row in rows.iter() {
        for (m, v) in means.iter_mut().zip(row) {
            *m += v;
        }
    }
    means.iter_mut().for_each(|m| *m /= n);
    let mut sds = vec![0.0; p];
    for row in rows.iter() {
        for j in 0..p {
            sds[j] += (row[j] - means[j]).powi(2);
        }
    }
    let sds = sds
        .into_iter()
        .map(|s| {
            let sd = (s / n).sqrt();
            if sd > 1e-12 { sd } else { 0.0 }
        })
        .collect();
    (means, sds)
}

/// Gradient of the log-likelihood and the negative Hessian (row-major), in parallel over rows.
fn gradient_and_hessian(
    rows: Rows,
    y: &[bool],
    beta: &[f64],
    means: &[f64],
    sds: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let k = beta.len();
    // Each block keeps its standardised row `z` (z₀ = 1 for the intercept) across rows.
    let start = (vec![0.0; k], vec![0.0; k * k], vec![1.0; k]);
    let blocks = in_row_blocks(rows, y, start, |(g, h, z), row, label| {
        for j in 0..k - 1 {
            z[j + 1] = if sds[j] == 0.0 {
                0.0
            } else {
                (row[j] - means[j]) / sds[j]
            };
        }
        let eta: f64 = z.iter().zip(beta).map(|(a, b)| a * b).sum();
        let prob = sigmoid(eta);
        let residual = f64::from(u8::from(label)) - prob;
        let weight = prob * (1.0 - prob);
        for a in 0..k {
            g[a] += residual * z[a];
            let wa = weight * z[a];
            let h_row = &mut h[a * k..a * k + a + 1];
            for (h_ab, z_b) in h_row.iter_mut().zip(z.iter()) {
                *h_ab += wa * z_b;
            }
        }
    });
    let (mut gradient, mut hessian) = (vec![0.0; k], vec![0.0; k * k]);
    for (g, h, _) in blocks {
        gradient.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        hessian.iter_mut().zip(&h).for_each(|(a, b)| *a += b);
    }
    for a in 0..k {
        for b in 0..a {
            hessian[b * k + a] = hessian[a * k + b];
        }
    }
    (gradient, hessian)
}

/// Solves `A x = b` for a symmetric positive-definite `A` (row-major `k × k`) by Cholesky.
fn solve_spd(a: &[f64], b: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum();
            if i == j {
                let d = a[i * k + i] - sum;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * k + i] = d.sqrt();
            } else {
                l[i * k + j] = (a[i * k + j] - sum) / l[j * k + j];
            }
        }
    }
    let mut y = vec![0.0; k];
    for i in 0..k {
        let sum: f64 = (0..i).map(|m| l[i * k + m] * y[m]).sum();
        y[i] = (b[i] - sum) / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let sum: f64 = (i + 1..k).map(|m| l[m * k + i] * x[m]).sum();
        x[i] = (y[i] - sum) / l[i * k + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    /// Data drawn from a known logistic model; the unpenalised fit recovers its coefficients.
    #[test]
    fn recovers_known_coefficients() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (b0, b1, b2) = (-0.5, 1.5, -2.0);
        let mut values = Vec::new();
        let mut y = Vec::new();
        for _ in 0..200_000 {
            let x1: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let x2: f64 = rng.random::<f64>() * 4.0;
            let p = sigmoid(b0 + b1 * x1 + b2 * x2);
            y.push(rng.random::<f64>() < p);
            values.extend([x1, x2, 7.0]); // a constant column gets coefficient 0
        }
        let rows = Rows {
            values: &values,
            columns: 3,
        };
        let model = fit(rows, &y, 0.0).unwrap();
        // Back to the raw scale: β_raw = β / sd, intercept = b0' − Σ β_raw · mean.
        let raw1 = model.coefficients[0] / model.sds[0];
        let raw2 = model.coefficients[1] / model.sds[1];
        let raw0 = model.intercept - raw1 * model.means[0] - raw2 * model.means[1];
        assert!((raw1 - b1).abs() < 0.05, "b1 {raw1}");
        assert!((raw2 - b2).abs() < 0.05, "b2 {raw2}");
        assert!((raw0 - b0).abs() < 0.08, "b0 {raw0}");
        assert_eq!(model.coefficients[2], 0.0);
        assert!(model.iterations < 20);
    }

    #[test]
    fn penalty_shrinks_and_one_class_is_refused() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let rows = Rows {
            values: &values,
            columns: 1,
        };
        let y: Vec<bool> = (0..100).map(|i| i >= 50 || i % 7 == 0).collect();
        let loose = fit(rows, &y, 0.0).unwrap();
        let tight = fit(rows, &y, 50.0).unwrap();
        assert!(tight.coefficients[0].abs() < loose.coefficients[0].abs());
        assert_eq!(fit(rows, &[true; 100], 1.0), Err(FitFailure::Unfittable));
        let p = loose.probability(&[99.0]);
        assert!(p > 0.9 && p <= 1.0);
        // Contributions sum with the intercept to the log-odds.
        let c = loose.contributions(&[99.0]);
        assert!(((loose.intercept + c[0]) - (p / (1.0 - p)).ln()).abs() < 1e-9);
    }

    /// Few stayers, a heavy-tailed feature that almost separates them, and a scoring row far
    /// outside the training range: the fit converges to finite coefficients and the far row is
    /// scored as a row at the edge of the clip, not at exactly 0 or 1.
    #[test]
    fn near_separation_converges_and_scores_stay_inside_the_training_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut values, mut y) = (Vec::new(), Vec::new());
        for i in 0..800 {
            let stays = i % 18 == 0;
            let spend: f64 = if stays {
                1e4 * rng.random::<f64>()
            } else {
                50.0 * rng.random::<f64>()
            };
            values.extend([spend, rng.random::<f64>()]);
            y.push(!stays);
        }
        let rows = Rows {
            values: &values,
            columns: 2,
        };
        let model = fit(rows, &y, 1.0).expect("converges");
        assert!(model.intercept.is_finite() && model.coefficients.iter().all(|c| c.is_finite()));
        let far = model.probability(&[1e9, 0.5]);
        let edge = model.probability(&[model.highest[0] + EXTRAPOLATION_SDS * model.sds[0], 0.5]);
        assert_eq!(far, edge);
        assert!(far > 0.0 && far < 1.0);
    }

    /// A feature whose free coefficient is negative is held at 0 when constrained.
    #[test]
    fn constrained_coefficients_stay_non_negative() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (mut values, mut y) = (Vec::new(), Vec::new());
        for _ in 0..5_000 {
            let (a, b): (f64, f64) = (rng.random(), rng.random());
            values.extend([a, b]);
            y.push(rng.random::<f64>() < sigmoid(2.0 * a - 3.0 * b));
        }
        let rows = Rows {
            values: &values,
            columns: 2,
        };
        let free = fit(rows, &y, 1.0).unwrap();
        assert!(free.coefficients[1] < 0.0);
        let constrained = fit_constrained(rows, &y, 1.0, &[1]).unwrap();
        assert_eq!(constrained.coefficients[1], 0.0);
        assert!(constrained.coefficients[0] > 0.0);
    }
}
