//! Small unconstrained minimisers for negative log-likelihoods in log-parameter
//! space: BFGS with a backtracking (Armijo) line search, Nelder–Mead as a
//! derivative-free fallback, finite-difference gradients and Hessians.
//!
//! References: Nocedal & Wright (2006), *Numerical Optimization*, 2nd ed.,
//! Algorithm 6.1 (BFGS), Algorithm 3.1 (backtracking) and eq. (6.20) (initial
//! Hessian scaling); Nelder & Mead (1965) with the standard coefficients.

/// How far the search may go in any log-parameter by default: e^±20 (about 5e8 and 2e-9).
/// Parameters that run this far are not estimates: the likelihood keeps improving towards a
/// limit of the model (e.g. r, α → ∞ is "every customer buys at the same rate").
pub const DEFAULT_LOG_LIMIT: f64 = 20.0;

/// How close to its limit a coordinate may come before the search stops there.
pub const EDGE_MARGIN: f64 = 0.5;

/// A function to minimise, with an optional analytic gradient.
pub trait Objective {
    /// The function value; `+inf` or NaN marks an inadmissible point.
    fn value(&self, x: &[f64]) -> f64;

    /// The largest `|x_i|` the search may reach in coordinate `i`. The minimisers never
    /// evaluate beyond it and stop when an iterate comes within [`EDGE_MARGIN`] of it, so a fit
    /// that runs off towards a limit of the model ends at once instead of crawling (and, where a
    /// likelihood gets costly far out, instead of hanging).
    fn log_limit(&self, _coordinate: usize) -> f64 {
        DEFAULT_LOG_LIMIT
    }

    /// Whether [`Objective::value_and_gradient`] is analytic (about as cheap as
    /// [`Objective::value`]); then line searches and Hessians use gradients.
    fn has_analytic_gradient(&self) -> bool {
        false
    }

    /// Value and gradient (written to `gradient`). Defaults to central differences.
    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        numeric_gradient(&|p: &[f64]| self.value(p), x, gradient);
        self.value(x)
    }

    /// Whether [`Objective::value_gradient_hessian`] is analytic (one pass over the data);
    /// then [`newton`] can be used and standard errors need no finite differences.
    fn has_analytic_hessian(&self) -> bool {
        false
    }

    /// Value, gradient and Hessian. Defaults to central differences of the gradient.
    fn value_gradient_hessian(
        &self,
        x: &[f64],
        gradient: &mut [f64],
        hessian: &mut [Vec<f64>],
    ) -> f64 {
        let numeric = hessian_from_gradient(self, x, 1e-5);
        hessian.clone_from_slice(&numeric);
        self.value_and_gradient(x, gradient)
    }
}

/// Whether `x` lies beyond the objective's limits (not to be evaluated).
pub fn outside_limits(objective: &(impl Objective + ?Sized), x: &[f64]) -> bool {
    x.iter()
        .enumerate()
        .any(|(i, v)| !v.is_finite() || v.abs() > objective.log_limit(i))
}

/// The coordinates of `x` within [`EDGE_MARGIN`] of the objective's limits (or beyond).
pub fn coordinates_at_edge(objective: &(impl Objective + ?Sized), x: &[f64]) -> Vec<usize> {
    (0..x.len())
        .filter(|&i| x[i].is_nan() || x[i].abs() >= objective.log_limit(i) - EDGE_MARGIN)
        .collect()
}

/// Where a minimiser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// Arg-min.
    pub x: Vec<f64>,
    /// Function value at `x`.
    pub value: f64,
    /// Largest absolute gradient component at `x` (NaN for Nelder–Mead).
    pub gradient_norm: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Whether the stopping tolerance was met.
    pub converged: bool,
    /// The Hessian at `x`, when the optimiser computed it there (Newton).
    pub hessian: Option<Vec<Vec<f64>>>,
}

/// Stopping rules for [`bfgs`].
#[derive(Debug, Clone, Copy)]
pub struct BfgsOptions {
    /// Maximum iterations.
    pub max_iterations: usize,
    /// Converged when max |gradient| <= `gradient_tolerance * (1 + |f|)`.
    pub gradient_tolerance: f64,
    /// Largest step in any coordinate (log-parameters: a factor e^max_step).
    pub max_step: f64,
}

impl Default for BfgsOptions {
    fn default() -> Self {
        Self {
            max_iterations: 500,
            gradient_tolerance: 1e-9,
            max_step: 3.0,
        }
    }
}

fn max_abs(values: &[f64]) -> f64 {
    values.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// BFGS on the inverse Hessian with an Armijo backtracking line search
/// (Nocedal & Wright, Alg. 6.1 and 3.1). Non-finite function values are
/// treated as "too far" and make the line search backtrack. When a line search
/// fails the inverse Hessian is reset to the identity once before giving up.
pub fn bfgs(objective: &impl Objective, x0: &[f64], options: &BfgsOptions) -> Minimum {
    bfgs_with_inverse_hessian(objective, x0, None, options)
}

/// [`bfgs`] started from a given inverse-Hessian approximation (e.g. the
/// inverse of a finite-difference Hessian near the optimum: Newton-like steps).
pub fn bfgs_with_inverse_hessian(
    objective: &impl Objective,
    x0: &[f64],
    initial_inverse_hessian: Option<Vec<Vec<f64>>>,
    options: &BfgsOptions,
) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut gradient = vec![0.0; n];
    let mut value = objective.value_and_gradient(&x, &mut gradient);
    let mut scaled_once = initial_inverse_hessian.is_some();
    let mut inverse_hessian = initial_inverse_hessian.unwrap_or_else(|| identity(n));
    let mut just_reset = false;
    let mut iterations = 0;
    let mut converged = false;
    let mut next_gradient = vec![0.0; n];
    while iterations < options.max_iterations && value.is_finite() {
        if max_abs(&gradient) <= options.gradient_tolerance * (1.0 + value.abs()) {
            converged = true;
            break;
        }
        // A non-finite gradient gives no direction; an iterate at the edge of the limits is
        // a fit running off towards a limit of the model: the caller reports either.
        if gradient.iter().any(|g| !g.is_finite()) || !coordinates_at_edge(objective, &x).is_empty()
        {
            break;
        }
        iterations += 1;
        let mut direction = mat_vec(&inverse_hessian, &gradient);
        direction.iter_mut().for_each(|d| *d = -*d);
        if dot(&direction, &gradient) >= 0.0 {
            inverse_hessian = identity(n);
            direction = gradient.iter().map(|g| -g).collect();
        }
        let longest = max_abs(&direction);
        if longest > options.max_step {
            direction
                .iter_mut()
                .for_each(|d| *d *= options.max_step / longest);
        }
        let Some((step, next_x, next_value)) = backtracking(
            objective,
            &x,
            value,
            &gradient,
            &direction,
            &mut next_gradient,
        ) else {
            if just_reset {
                break;
            }
            inverse_hessian = identity(n);
            just_reset = true;
            continue;
        };
        just_reset = false;
        let next_value_checked = if objective.has_analytic_gradient() {
            next_value
        } else {
            objective.value_and_gradient(&next_x, &mut next_gradient)
        };
        let s: Vec<f64> = direction.iter().map(|d| d * step).collect();
        let y: Vec<f64> = next_gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        let value_change = value - next_value_checked;
        x = next_x;
        value = next_value_checked;
        gradient.copy_from_slice(&next_gradient);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if !scaled_once {
                let scale = sy / dot(&y, &y);
                inverse_hessian = identity(n);
                inverse_hessian
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, row)| row[i] = scale);
                scaled_once = true;
            }
            bfgs_update(&mut inverse_hessian, &s, &y, sy);
        }
        if value_change.abs() <= 1e-15 * (1.0 + value.abs()) && max_abs(&s) < 1e-10 {
            converged = max_abs(&gradient) <= 1e-5 * (1.0 + value.abs());
            break;
        }
    }
    Minimum {
        gradient_norm: max_abs(&gradient),
        x,
        value,
        iterations,
        converged,
        hessian: None,
    }
}

/// Armijo backtracking: the first step `1, ρ, ρ², …` with
/// f(x + t p) <= f(x) + c₁ t ∇f·p. Returns `(t, x + t p, f(x + t p))`; with an
/// analytic gradient, also writes ∇f(x + t p) to `next_gradient`.
fn backtracking(
    objective: &impl Objective,
    x: &[f64],
    value: f64,
    gradient: &[f64],
    direction: &[f64],
    next_gradient: &mut [f64],
) -> Option<(f64, Vec<f64>, f64)> {
    const ARMIJO: f64 = 1e-4;
    const SHRINK: f64 = 0.5;
    let slope = dot(gradient, direction);
    let mut step = 1.0;
    for _ in 0..60 {
        let candidate: Vec<f64> = x
            .iter()
            .zip(direction)
            .map(|(xi, di)| xi + step * di)
            .collect();
        if outside_limits(objective, &candidate) {
            step *= SHRINK;
            continue;
        }
        let candidate_value = if objective.has_analytic_gradient() {
            objective.value_and_gradient(&candidate, next_gradient)
        } else {
            objective.value(&candidate)
        };
        if candidate_value.is_finite() && candidate_value <= value + ARMIJO * step * slope {
            return Some((step, candidate, candidate_value));
        }
        step *= SHRINK;
    }
    None
}

/// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/(yᵀs).
fn bfgs_update(inverse_hessian: &mut [Vec<f64>], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy = mat_vec(inverse_hessian, y);
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            inverse_hessian[i][j] +=
                -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

fn mat_vec(matrix: &[Vec<f64>], vector: &[f64]) -> Vec<f64> {
    matrix.iter().map(|row| dot(row, vector)).collect()
}

/// Central-difference gradient with step `1e-6 (1 + |x_i|)`.
pub fn numeric_gradient(f: &dyn Fn(&[f64]) -> f64, x: &[f64], gradient: &mut [f64]) {
    let mut probe = x.to_vec();
    for i in 0..x.len() {
        let h = 1e-6 * (1.0 + x[i].abs());
        probe[i] = x[i] + h;
        let up = f(&probe);
        probe[i] = x[i] - h;
        let down = f(&probe);
        probe[i] = x[i];
        gradient[i] = (up - down) / (2.0 * h);
        if !gradient[i].is_finite() {
            // One side is inadmissible (e.g. beyond a limit): a one-sided difference.
            let centre = f(x);
            gradient[i] = if up.is_finite() {
                (up - centre) / h
            } else {
                (centre - down) / h
            };
        }
    }
}

/// Nelder–Mead simplex (reflection 1, expansion 2, contraction ½, shrink ½)
/// started from `x0` with initial edges `initial_step`. Converged when the
/// spread of function values falls below `tolerance * (1 + |f_best|)`.
pub fn nelder_mead(
    f: &dyn Fn(&[f64]) -> f64,
    x0: &[f64],
    initial_step: f64,
    tolerance: f64,
    max_iterations: usize,
) -> Minimum {
    let n = x0.len();
    let finite_or_inf = |p: &[f64]| {
        let v = f(p);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut point = x0.to_vec();
            if i > 0 {
                point[i - 1] += initial_step;
            }
            let value = finite_or_inf(&point);
            (point, value)
        })
        .collect();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[n].1;
        if (worst - best).abs() <= tolerance * (1.0 + best.abs()) {
            converged = true;
            break;
        }
        iterations += 1;
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = along(-1.0);
        let reflected_value = finite_or_inf(&reflected);
        if reflected_value < best {
            let expanded = along(-2.0);
            let expanded_value = finite_or_inf(&expanded);
            simplex[n] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < simplex[n - 1].1 {
            simplex[n] = (reflected, reflected_value);
            continue;
        }
        let contracted = if reflected_value < worst {
            along(-0.5)
        } else {
            along(0.5)
        };
        let contracted_value = finite_or_inf(&contracted);
        if contracted_value < worst.min(reflected_value) {
            simplex[n] = (contracted, contracted_value);
            continue;
        }
        let best_point = simplex[0].0.clone();
        for (point, value) in simplex.iter_mut().skip(1) {
            for (p, b) in point.iter_mut().zip(&best_point) {
                *p = b + 0.5 * (*p - b);
            }
            *value = finite_or_inf(point);
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Minimum {
        x,
        value,
        gradient_norm: f64::NAN,
        iterations,
        converged,
        hessian: None,
    }
}

/// An objective that counts its evaluations and reports the running count to `observe` after
/// each one, so a long fit can show progress; values and derivatives are the inner objective's.
/// A finite-difference gradient or Hessian counts each of its evaluations.
pub struct Observed<'a, O: ?Sized> {
    inner: &'a O,
    evaluations: std::sync::atomic::AtomicUsize,
    observe: &'a (dyn Fn(usize) + Sync),
}

impl<'a, O: Objective + ?Sized> Observed<'a, O> {
    /// Wraps `inner`, reporting to `observe`.
    pub fn new(inner: &'a O, observe: &'a (dyn Fn(usize) + Sync)) -> Self {
        Observed {
            inner,
            evaluations: std::sync::atomic::AtomicUsize::new(0),
            observe,
        }
    }

    /// Evaluations so far.
    pub fn evaluations(&self) -> usize {
        self.evaluations.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count(&self) {
        let done = self
            .evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (self.observe)(done + 1);
    }
}

impl<O: Objective + ?Sized> Objective for Observed<'_, O> {
    fn value(&self, x: &[f64]) -> f64 {
        let value = self.inner.value(x);
        self.count();
        value
    }

    fn log_limit(&self, coordinate: usize) -> f64 {
        self.inner.log_limit(coordinate)
    }

    fn has_analytic_gradient(&self) -> bool {
        self.inner.has_analytic_gradient()
    }

    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        if !self.inner.has_analytic_gradient() {
            numeric_gradient(&|p: &[f64]| self.value(p), x, gradient);
            return self.value(x);
        }
        let value = self.inner.value_and_gradient(x, gradient);
        self.count();
        value
    }

    fn has_analytic_hessian(&self) -> bool {
        self.inner.has_analytic_hessian()
    }

    fn value_gradient_hessian(
        &self,
        x: &[f64],
        gradient: &mut [f64],
        hessian: &mut [Vec<f64>],
    ) -> f64 {
        if !self.inner.has_analytic_hessian() {
            let numeric = hessian_from_gradient(self, x, 1e-5);
            hessian.clone_from_slice(&numeric);
            return self.value_and_gradient(x, gradient);
        }
        let value = self.inner.value_gradient_hessian(x, gradient, hessian);
        self.count();
        value
    }
}

/// Minimises with BFGS; if that stops short of the tolerance, polishes with
/// Nelder–Mead and runs BFGS once more from there.
pub fn minimize(objective: &impl Objective, x0: &[f64]) -> Minimum {
    let options = BfgsOptions::default();
    let first = bfgs(objective, x0, &options);
    if first.converged || !coordinates_at_edge(objective, &first.x).is_empty() {
        return first;
    }
    let start = if first.value.is_finite() {
        first.x.clone()
    } else {
        x0.to_vec()
    };
    let within_limits = |p: &[f64]| {
        if outside_limits(objective, p) {
            f64::INFINITY
        } else {
            objective.value(p)
        }
    };
    let polished = nelder_mead(&within_limits, &start, 0.1, 1e-12, 4000);
    let mut second = bfgs(objective, &polished.x, &options);
    second.iterations += first.iterations + polished.iterations;
    if second.value <= first.value || !first.value.is_finite() {
        second
    } else {
        Minimum {
            iterations: second.iterations,
            ..first
        }
    }
}

/// For a start close to the optimum and an analytic gradient: BFGS whose first
/// inverse Hessian is the inverse finite-difference Hessian at the start
/// (Newton-like steps from the first iteration); plain [`minimize`] otherwise.
pub fn minimize_from_near_optimum(objective: &impl Objective, x0: &[f64]) -> Minimum {
    if !objective.has_analytic_gradient() {
        return minimize(objective, x0);
    }
    let hessian = forward_hessian_from_gradient(objective, x0, 1e-5);
    let Some(inverse) = invert_spd(&hessian) else {
        return minimize(objective, x0);
    };
    let found = bfgs_with_inverse_hessian(objective, x0, Some(inverse), &BfgsOptions::default());
    if found.converged {
        found
    } else {
        minimize(objective, &found.x)
    }
}

/// For a start close to the optimum and an estimate of the Hessian there (e.g. from a
/// subsample, scaled): BFGS whose first inverse Hessian is its inverse, so that its first steps
/// are Newton steps (a few passes instead of the dozens BFGS needs to learn the curvature);
/// [`minimize`] where that Hessian is not positive definite or BFGS stops short.
pub fn minimize_near(objective: &impl Objective, x0: &[f64], hessian: &[Vec<f64>]) -> Minimum {
    let Some(inverse) = invert_spd(hessian) else {
        return minimize(objective, x0);
    };
    let found = bfgs_with_inverse_hessian(objective, x0, Some(inverse), &BfgsOptions::default());
    if found.converged || !coordinates_at_edge(objective, &found.x).is_empty() {
        found
    } else {
        let mut rest = minimize(objective, &found.x);
        rest.iterations += found.iterations;
        rest
    }
}

/// Newton's method with an analytic Hessian and Armijo backtracking, for a start near the
/// optimum (Nocedal & Wright, Alg. 3.1 with Newton directions): quadratic convergence, one
/// pass over the data per iteration. Where the Hessian is not positive definite, or a line
/// search fails, it hands over to [`minimize_from_near_optimum`].
///
/// Converged when max |gradient| <= `options.gradient_tolerance * (1 + |f|)`, when the Newton
/// decrement falls below the rounding of `f`, or, as in [`bfgs`], when no step lowers `f` any
/// more and max |gradient| <= 1e-5 (1 + |f|).
pub fn newton(objective: &impl Objective, x0: &[f64], options: &BfgsOptions) -> Minimum {
    const ARMIJO: f64 = 1e-4;
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut gradient = vec![0.0; n];
    let mut hessian = vec![vec![0.0; n]; n];
    let mut value = objective.value_gradient_hessian(&x, &mut gradient, &mut hessian);
    let mut iterations = 0;
    while iterations < options.max_iterations && value.is_finite() {
        if max_abs(&gradient) <= options.gradient_tolerance * (1.0 + value.abs()) {
            return Minimum {
                gradient_norm: max_abs(&gradient),
                x,
                value,
                iterations,
                converged: true,
                hessian: Some(hessian),
            };
        }
        iterations += 1;
        let Some(inverse) = invert_spd(&hessian) else {
            break;
        };
        let mut direction: Vec<f64> = mat_vec(&inverse, &gradient).iter().map(|d| -d).collect();
        // The Newton decrement gᵀH⁻¹g bounds what a step can still gain; below the rounding of
        // f, the gradient left over is rounding in the sums, not distance from the optimum.
        let decrement = -dot(&gradient, &direction);
        if decrement <= f64::EPSILON * (1.0 + value.abs()) {
            return Minimum {
                gradient_norm: max_abs(&gradient),
                x,
                value,
                iterations,
                converged: true,
                hessian: Some(hessian),
            };
        }
        let longest = max_abs(&direction);
        if longest > options.max_step {
            direction
                .iter_mut()
                .for_each(|d| *d *= options.max_step / longest);
        }
        let slope = dot(&gradient, &direction);
        let mut step = 1.0;
        let mut accepted = false;
        let (mut next_gradient, mut next_hessian) = (vec![0.0; n], vec![vec![0.0; n]; n]);
        for _ in 0..12 {
            let candidate: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(x, d)| x + step * d)
                .collect();
            if outside_limits(objective, &candidate) {
                step *= 0.5;
                continue;
            }
            let candidate_value =
                objective.value_gradient_hessian(&candidate, &mut next_gradient, &mut next_hessian);
            let lower = candidate_value < value;
            if lower && candidate_value <= value + ARMIJO * step * slope {
                x = candidate;
                value = candidate_value;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            if max_abs(&gradient) <= 1e-5 * (1.0 + value.abs()) {
                return Minimum {
                    gradient_norm: max_abs(&gradient),
                    x,
                    value,
                    iterations,
                    converged: true,
                    hessian: Some(hessian),
                };
            }
            break;
        }
        gradient = next_gradient;
        hessian = next_hessian;
        if !coordinates_at_edge(objective, &x).is_empty() {
            return Minimum {
                gradient_norm: max_abs(&gradient),
                x,
                value,
                iterations,
                converged: false,
                hessian: Some(hessian),
            };
        }
    }
    let mut rest = minimize_from_near_optimum(objective, &x);
    rest.iterations += iterations;
    rest
}

/// Hessian of `f` at `x` by central second differences with step `h`.
#[allow(clippy::needless_range_loop)] // index form mirrors the formula
pub fn numeric_hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut hessian = vec![vec![0.0; n]; n];
    let centre = f(x);
    let mut probe = x.to_vec();
    let mut eval = |shifts: &[(usize, f64)]| {
        probe.copy_from_slice(x);
        for &(i, d) in shifts {
            probe[i] += d;
        }
        f(&probe)
    };
    for i in 0..n {
        let up = eval(&[(i, h)]);
        let down = eval(&[(i, -h)]);
        hessian[i][i] = (up - 2.0 * centre + down) / (h * h);
        for j in 0..i {
            let pp = eval(&[(i, h), (j, h)]);
            let pm = eval(&[(i, h), (j, -h)]);
            let mp = eval(&[(i, -h), (j, h)]);
            let mm = eval(&[(i, -h), (j, -h)]);
            let value = (pp - pm - mp + mm) / (4.0 * h * h);
            hessian[i][j] = value;
            hessian[j][i] = value;
        }
    }
    hessian
}

/// Hessian from forward differences of an analytic gradient (n + 1 gradient
/// evaluations), symmetrised; good enough to start BFGS.
fn forward_hessian_from_gradient(objective: &impl Objective, x: &[f64], h: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut centre = vec![0.0; n];
    objective.value_and_gradient(x, &mut centre);
    let mut columns = vec![vec![0.0; n]; n];
    let mut probe = x.to_vec();
    let mut up = vec![0.0; n];
    for j in 0..n {
        probe[j] = x[j] + h;
        objective.value_and_gradient(&probe, &mut up);
        probe[j] = x[j];
        for i in 0..n {
            columns[j][i] = (up[i] - centre[i]) / h;
        }
    }
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| 0.5 * (columns[i][j] + columns[j][i]))
                .collect()
        })
        .collect()
}

/// Hessian from central differences of an analytic gradient, symmetrised.
pub fn hessian_from_gradient<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    h: f64,
) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut columns = vec![vec![0.0; n]; n];
    let mut probe = x.to_vec();
    let (mut up, mut down) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        probe[j] = x[j] + h;
        objective.value_and_gradient(&probe, &mut up);
        probe[j] = x[j] - h;
        objective.value_and_gradient(&probe, &mut down);
        probe[j] = x[j];
        for i in 0..n {
            columns[j][i] = (up[i] - down[i]) / (2.0 * h);
        }
    }
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| 0.5 * (columns[i][j] + columns[j][i]))
                .collect()
        })
        .collect()
}

/// Inverse of a symmetric positive-definite matrix via Cholesky; `None` if
/// the matrix is not positive definite.
#[allow(clippy::needless_range_loop)] // index form mirrors the formula
pub fn invert_spd(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut lower = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let partial: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            if i == j {
                let diagonal = matrix[i][i] - partial;
                if diagonal.is_nan() || diagonal <= 0.0 {
                    return None;
                }
                lower[i][i] = diagonal.sqrt();
            } else {
                lower[i][j] = (matrix[i][j] - partial) / lower[j][j];
            }
        }
    }
    // Solve L Lᵀ X = I column by column.
    let mut inverse = vec![vec![0.0; n]; n];
    for column in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let rhs = if i == column { 1.0 } else { 0.0 };
            let partial: f64 = (0..i).map(|k| lower[i][k] * y[k]).sum();
            y[i] = (rhs - partial) / lower[i][i];
        }
        for i in (0..n).rev() {
            let partial: f64 = (i + 1..n).map(|k| lower[k][i] * inverse[k][column]).sum();
            inverse[i][column] = (y[i] - partial) / lower[i][i];
        }
    }
    Some(inverse)
}

/// Standard errors of `θ = exp(φ)` at a minimum `φ` of the negative
/// log-likelihood `nll(φ)`: the Hessian in log space `H_φ` relates to the natural
/// one by `H_θ = D⁻¹ H_φ D⁻¹` (gradient zero at the optimum), `D = diag(θ)`,
/// so `Var θ = D H_φ⁻¹ D`. NaN where the Hessian is not positive definite.
pub fn std_errors_from_log_space(nll: &impl Objective, log_params: &[f64]) -> Vec<f64> {
    let hessian = if nll.has_analytic_hessian() {
        let n = log_params.len();
        let (mut gradient, mut hessian) = (vec![0.0; n], vec![vec![0.0; n]; n]);
        nll.value_gradient_hessian(log_params, &mut gradient, &mut hessian);
        hessian
    } else if nll.has_analytic_gradient() {
        hessian_from_gradient(nll, log_params, 1e-5)
    } else {
        numeric_hessian(&|p: &[f64]| nll.value(p), log_params, 1e-3)
    };
    std_errors_from_hessian(&hessian, log_params)
}

/// [`std_errors_from_log_space`] with the log-space Hessian at `log_params` already at hand.
pub fn std_errors_from_hessian(hessian: &[Vec<f64>], log_params: &[f64]) -> Vec<f64> {
    match invert_spd(hessian) {
        Some(inverse) => log_params
            .iter()
            .enumerate()
            .map(|(i, phi)| phi.exp() * inverse[i][i].max(0.0).sqrt())
            .collect(),
        None => vec![f64::NAN; log_params.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosenbrock;

    impl Objective for Rosenbrock {
        fn value(&self, x: &[f64]) -> f64 {
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        }
        fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            self.value(x)
        }
    }

    #[test]
    fn bfgs_finds_rosenbrock_minimum() {
        let minimum = bfgs(&Rosenbrock, &[-1.2, 1.0], &BfgsOptions::default());
        assert!(minimum.converged);
        assert!((minimum.x[0] - 1.0).abs() < 1e-6 && (minimum.x[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn nelder_mead_finds_rosenbrock_minimum() {
        let minimum = nelder_mead(
            &|x: &[f64]| Rosenbrock.value(x),
            &[-1.2, 1.0],
            0.5,
            1e-14,
            5000,
        );
        assert!((minimum.x[0] - 1.0).abs() < 1e-4 && (minimum.x[1] - 1.0).abs() < 1e-4);
    }

    /// e^(−x₀) + (x₁ − 1)²: no minimum, the infimum lies at x₀ → ∞.
    struct RunsOff;

    impl Objective for RunsOff {
        fn value(&self, x: &[f64]) -> f64 {
            assert!(
                !outside_limits(self, x),
                "evaluated beyond the limit: {x:?}"
            );
            (-x[0]).exp() + (x[1] - 1.0).powi(2)
        }
    }

    #[test]
    fn a_search_running_off_to_infinity_stops_at_the_edge_of_its_limits() {
        let minimum = minimize(&RunsOff, &[0.0, 0.0]);
        assert_eq!(coordinates_at_edge(&RunsOff, &minimum.x), vec![0]);
        assert!(minimum.x[0] <= DEFAULT_LOG_LIMIT);
        assert!(
            minimum.iterations < 100,
            "{} iterations",
            minimum.iterations
        );
        let refused = crate::models::finish_fit(&["far", "near"], &RunsOff, minimum, 1.0);
        match refused {
            Err(crate::models::FitError::NotIdentified(why)) => {
                assert!(why.contains("far → ∞"), "{why}");
                assert!(!why.contains("near"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inverse_of_spd_matrix() {
        let matrix = vec![vec![4.0, 1.0], vec![1.0, 3.0]];
        let inverse = invert_spd(&matrix).expect("positive definite");
        let det = 11.0;
        assert!((inverse[0][0] - 3.0 / det).abs() < 1e-14);
        assert!((inverse[0][1] + 1.0 / det).abs() < 1e-14);
        assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }
}
