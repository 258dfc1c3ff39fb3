//! L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
//! squares) on standardised features.
//!
//! Why by hand rather than a crate: the churn model has about ten features, Newton's method
//! converges in a handful of steps to the unique optimum of a convex objective (so results are
//! deterministic and need no tuning), and the coefficients on standardised features give the
//! per-customer contributions the reason codes are built from. The Rust ML crates (linfa,
//! smartcore) would add ndarray and an optimiser stack for the same ~100 lines.

use rayon::prelude::*;

/// A fitted model: P(y = 1 | x) = 1 / (1 + exp(−(b₀ + Σ βⱼ zⱼ))), zⱼ = (xⱼ − meanⱼ) / sdⱼ.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticModel {
    pub intercept: f64,
    /// Coefficients on the standardised features (0 for a constant feature).
    pub coefficients: Vec<f64>,
    /// Training means and standard deviations used to standardise.
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
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

/// Fits `y ~ x` with penalty `lambda/2 · Σ βⱼ²` (the intercept is not penalised).
/// Returns `None` when there are no rows or only one class.
pub fn fit(rows: Rows, y: &[bool], lambda: f64) -> Option<LogisticModel> {
    let n = y.len();
    let positives = y.iter().filter(|&&v| v).count();
    if n == 0 || positives == 0 || positives == n || rows.values.len() != n * rows.columns {
        return None;
    }
    let p = rows.columns;
    let (means, sds) = standardisation(rows);
    let mut beta = vec![0.0; p + 1]; // [intercept, β…]
    let base_rate = positives as f64 / n as f64;
    beta[0] = (base_rate / (1.0 - base_rate)).ln();
    let mut iterations = 0;
    for _ in 0..100 {
        iterations += 1;
        let (mut gradient, mut hessian) = gradient_and_hessian(rows, y, &beta, &means, &sds);
        for j in 1..=p {
            gradient[j] -= lambda * beta[j];
            // A constant feature has z = 0: a unit diagonal keeps its coefficient at 0.
            let diagonal = if sds[j - 1] == 0.0 { 1.0 } else { lambda };
            hessian[j * (p + 1) + j] += diagonal;
        }
        let Some(step) = solve_spd(&hessian, &gradient, p + 1) else {
            break;
        };
        let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        if largest < 1e-9 {
            break;
        }
    }
    Some(LogisticModel {
        intercept: beta[0],
        coefficients: beta[1..].to_vec(),
        means,
        sds,
        iterations,
    })
}

impl LogisticModel {
    /// The standardised value of feature `j`.
    pub fn standardise(&self, j: usize, value: f64) -> f64 {
        if self.sds[j] == 0.0 {
            0.0
        } else {
            (value - self.means[j]) / self.sds[j]
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
    let zero = || (vec![0.0; k], vec![0.0; k * k]);
    // Each fold keeps its standardised row `z` (z₀ = 1 for the intercept) across rows.
    let start = || (vec![0.0; k], vec![0.0; k * k], vec![1.0; k]);
    let (gradient, mut hessian) = rows
        .values
        .par_chunks_exact(rows.columns)
        .zip(y.par_iter())
        .with_min_len(4096)
        .fold(start, |(mut g, mut h, mut z), (row, &label)| {
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
                for (h_ab, z_b) in h_row.iter_mut().zip(&z) {
                    *h_ab += wa * z_b;
                }
            }
            (g, h, z)
        })
        .map(|(g, h, _)| (g, h))
        .reduce(zero, |(mut g1, mut h1), (g2, h2)| {
            g1.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
            h1.iter_mut().zip(&h2).for_each(|(a, b)| *a += b);
            (g1, h1)
        });
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
        assert!(fit(rows, &[true; 100], 1.0).is_none());
        let p = loose.probability(&[99.0]);
        assert!(p > 0.9 && p <= 1.0);
        // Contributions sum with the intercept to the log-odds.
        let c = loose.contributions(&[99.0]);
        assert!(((loose.intercept + c[0]) - (p / (1.0 - p)).ln()).abs() < 1e-9);
    }
}
