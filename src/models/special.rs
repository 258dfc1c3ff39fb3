//! Special functions for the BTYD likelihoods: log-gamma, digamma, log-beta,
//! log-sum-exp and the Gauss hypergeometric function 2F1 on `0 <= z < 1`.

/// `ln Γ(x)` for `x > 0` (libm's `lgamma`).
#[inline]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)` for `a, b > 0`.
#[inline]
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// `(ln |Γ(x)|, sign Γ(x))` for any real `x`; at the poles (0, −1, −2, …)
/// returns `(+inf, 1)`, so that `1/Γ(x)` evaluates to 0.
fn ln_gamma_signed(x: f64) -> (f64, f64) {
    if x <= 0.0 && x.fract() == 0.0 {
        return (f64::INFINITY, 1.0);
    }
    let (value, sign) = libm::lgamma_r(x);
    (value, if sign < 0 { -1.0 } else { 1.0 })
}

/// Digamma ψ(x) = d ln Γ(x)/dx for `x > 0`: recurrence ψ(x) = ψ(x+1) − 1/x up
/// to x >= 10, then the asymptotic series (Abramowitz & Stegun 6.3.18).
pub fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0)))));
    shift + x.ln() - 0.5 * inv - series
}

/// Trigamma ψ₁(x) = d²ln Γ(x)/dx² for `x > 0`: recurrence ψ₁(x) = ψ₁(x+1) + 1/x² up to
/// x >= 10, then the asymptotic series 1/x + 1/(2x²) + Σ B₂ₖ/x^(2k+1) (Abramowitz & Stegun
/// 6.4.12).
pub fn trigamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv
        + 0.5 * inv2
        + inv
            * inv2
            * (1.0 / 6.0
                - inv2
                    * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 * (1.0 / 30.0 - inv2 * 5.0 / 66.0))));
    shift + series
}

/// `ln(e^a + e^b)` without overflow; handles `-inf` arguments.
#[inline]
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let high = a.max(b);
    if high == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let low = a.min(b);
    high + (low - high).exp().ln_1p()
}

/// `ln Σ e^{v_i}` without overflow; `-inf` for an empty slice.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if high == f64::NEG_INFINITY || high.is_nan() {
        return high;
    }
    high + values.iter().map(|v| (v - high).exp()).sum::<f64>().ln()
}

/// `ln(e^a − e^b)` for `a >= b`; `-inf` when they are equal (or `b > a` by rounding).
#[inline]
pub fn log_sub_exp(a: f64, b: f64) -> f64 {
    if b >= a {
        return f64::NEG_INFINITY;
    }
    a + (-(b - a).exp_m1()).ln()
}

/// `(1 − u^e) / e` computed from `ln u` without cancellation; tends to
/// `−ln u` as `e → 0`.
#[inline]
pub fn one_minus_pow_over_exponent(exponent: f64, ln_u: f64) -> f64 {
    if exponent.abs() < 1e-10 {
        return -ln_u;
    }
    -(exponent * ln_u).exp_m1() / exponent
}

const SERIES_MAX_TERMS: usize = 200_000;
const SERIES_TOLERANCE: f64 = 1e-16;
/// Above this `z` the series converges slowly and the `1 − z` transformation is used.
const TRANSFORM_THRESHOLD: f64 = 0.7;
/// How close `c − a − b` may be to an integer before the transformation is
/// evaluated at `c ± NUDGE` and averaged (the formula has removable poles there).
const NUDGE: f64 = 1e-4;

/// Gauss hypergeometric function 2F1(a, b; c; z) for real `z < 1` and `c`
/// not a non-positive integer.
///
/// * `z < 0`: Pfaff transformation 2F1(a,b;c;z) = (1−z)^(−a) 2F1(a, c−b; c; z/(z−1)).
/// * `0 <= z <= 0.7`, or large parameters (max(|a|,|b|,|c−a|,|c−b|)(1−z) > 8):
///   the defining series Σ (a)_k (b)_k / ((c)_k k!) z^k (up to 200 000 terms).
/// * `0.7 < z < 1`: the linear transformation to `1 − z`
///   (Abramowitz & Stegun 15.3.6), with Gamma-function prefactors in log
///   space; when `c − a − b` is within 1e-4 of an integer (removable pole)
///   the result is extrapolated from symmetric evaluations at `c ± 2e-4` and
///   `c ± 4e-4` (Richardson), accurate to about 1e-10 relative.
///
/// Returns NaN outside the domain.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if z.is_nan() || z >= 1.0 {
        return f64::NAN;
    }
    if z < 0.0 {
        let w = z / (z - 1.0);
        return (1.0 - z).powf(-a) * hyp2f1(a, c - b, c, w);
    }
    // The transformed series have terms growing like (big · (1−z))^k / k! before
    // they shrink; with large parameters the direct series is the faster one.
    let big = a.abs().max(b.abs()).max((c - a).abs()).max((c - b).abs());
    if z <= TRANSFORM_THRESHOLD || big * (1.0 - z) > 8.0 {
        return hyp2f1_series(a, b, c, z);
    }
    let m = c - a - b;
    if (m - m.round()).abs() < NUDGE {
        // Symmetric averages are f(c) + h² f''(c)/2 + O(h⁴); Richardson removes the h² term.
        let average = |h: f64| {
            0.5 * (hyp2f1_one_minus_z(a, b, c + h, z) + hyp2f1_one_minus_z(a, b, c - h, z))
        };
        return (4.0 * average(2.0 * NUDGE) - average(4.0 * NUDGE)) / 3.0;
    }
    hyp2f1_one_minus_z(a, b, c, z)
}

/// `ln 2F1(a, b; c; z)` for `a, b, c > 0` and `0 <= z < 1`, where the function is
/// positive. Uses Euler's transformation 2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z)
/// when `c − a − b < 0`, so that large positive parameters (e.g. x = 1000 in
/// Pareto/NBD) do not overflow.
pub fn ln_hyp2f1_positive(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let m = c - a - b;
    if m < 0.0 {
        let reduced = hyp2f1(c - a, c - b, c, z);
        return m * (-z).ln_1p() + reduced.ln();
    }
    hyp2f1(a, b, c, z).ln()
}

/// The defining series, summed with rescaling so huge partial sums cannot overflow.
fn hyp2f1_series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut ln_scale = 0.0_f64;
    // Rounding scale: the largest partial sum seen (terms below it are noise).
    let mut largest = 1.0_f64;
    for k in 0..SERIES_MAX_TERMS {
        let kf = k as f64;
        let ratio = (a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z;
        term *= ratio;
        sum += term;
        largest = largest.max(sum.abs());
        if term == 0.0 || (term.abs() <= SERIES_TOLERANCE * largest && ratio.abs() < 1.0) {
            break;
        }
        if sum.abs() > 1e250 {
            sum *= 1e-250;
            term *= 1e-250;
            largest *= 1e-250;
            ln_scale += 250.0 * std::f64::consts::LN_10;
        }
    }
    if ln_scale > 0.0 {
        sum * ln_scale.exp()
    } else {
        sum
    }
}

/// Abramowitz & Stegun 15.3.6, for `c − a − b` not an integer:
/// 2F1(a,b;c;z) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) 2F1(a, b; a+b−c+1; 1−z)
///             + (1−z)^(c−a−b) Γ(c)Γ(a+b−c)/(Γ(a)Γ(b)) 2F1(c−a, c−b; c−a−b+1; 1−z).
fn hyp2f1_one_minus_z(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let w = 1.0 - z;
    let m = c - a - b;
    let first = gamma_ratio(&[c, m], &[c - a, c - b]) * hyp2f1_series(a, b, 1.0 - m, w);
    let (ln_second, sign_second) = ln_gamma_ratio(&[c, -m], &[a, b]);
    let ln_power = m * w.ln();
    let second = if sign_second == 0.0 {
        0.0
    } else {
        sign_second * (ln_second + ln_power).exp() * hyp2f1_series(c - a, c - b, m + 1.0, w)
    };
    first + second
}

/// Π Γ(numerator) / Π Γ(denominator), as `(ln |ratio|, sign)`; sign 0 when a
/// denominator sits at a pole (ratio 0).
fn ln_gamma_ratio(numerator: &[f64], denominator: &[f64]) -> (f64, f64) {
    let mut ln_value = 0.0;
    let mut sign = 1.0;
    for &v in numerator {
        let (l, s) = ln_gamma_signed(v);
        ln_value += l;
        sign *= s;
    }
    for &v in denominator {
        let (l, s) = ln_gamma_signed(v);
        if l == f64::INFINITY {
            return (f64::NEG_INFINITY, 0.0);
        }
        ln_value -= l;
        sign *= s;
    }
    (ln_value, sign)
}

fn gamma_ratio(numerator: &[f64], denominator: &[f64]) -> f64 {
    let (ln_value, sign) = ln_gamma_ratio(numerator, denominator);
    if sign == 0.0 {
        0.0
    } else {
        sign * ln_value.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64, relative: f64) {
        let error = (actual - expected).abs() / expected.abs().max(1e-300);
        assert!(
            error <= relative,
            "actual {actual}, expected {expected}, relative error {error}"
        );
    }

    #[test]
    fn hyp2f1_matches_log_closed_form() {
        // 2F1(1, 1; 2; z) = −ln(1 − z)/z
        let arguments: [f64; 11] = [
            1e-6, 0.1, 0.5, 0.69, 0.71, 0.9, 0.99, 0.999_999, -0.5, -3.0, -50.0,
        ];
        for z in arguments {
            let expected = -(-z).ln_1p() / z;
            assert_close(hyp2f1(1.0, 1.0, 2.0, z), expected, 1e-9);
        }
    }

    #[test]
    fn hyp2f1_matches_power_closed_form() {
        // 2F1(a, b; b; z) = (1 − z)^(−a)
        for &(a, b) in &[
            (0.3, 2.5),
            (2.0, 0.7),
            (12.5, 3.1),
            (0.25, 1000.0),
            (-1.5, 2.0),
        ] {
            for &z in &[0.0, 0.2, 0.6, 0.8, 0.95, 0.999] {
                assert_close(hyp2f1(a, b, b, z), (1.0 - z).powf(-a), 1e-8);
            }
        }
    }

    #[test]
    fn hyp2f1_matches_arcsin_closed_form() {
        // 2F1(1/2, 1/2; 3/2; z²) = arcsin(z)/z
        for &z in &[0.3_f64, 0.8, 0.95, 0.9999] {
            assert_close(hyp2f1(0.5, 0.5, 1.5, z * z), z.asin() / z, 1e-9);
        }
    }

    #[test]
    fn hyp2f1_matches_gauss_sum_near_one() {
        // 2F1(a, b; c; 1) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) for c − a − b > 0
        let (a, b, c) = (0.4_f64, 0.7_f64, 2.3_f64);
        let gauss = (ln_gamma(c) + ln_gamma(c - a - b) - ln_gamma(c - a) - ln_gamma(c - b)).exp();
        assert_close(hyp2f1(a, b, c, 1.0 - 1e-12), gauss, 1e-5);
    }

    #[test]
    fn hyp2f1_integer_parameter_gap_is_handled() {
        // c − a − b = 0 exactly: 2F1(1, 1; 2; z) and c − a − b = 1: 2F1(1,1;3;z)
        // = 2[(1−z) ln(1−z) + z]/z².
        for &z in &[0.75_f64, 0.9, 0.999] {
            let expected = 2.0 * ((1.0 - z) * (1.0 - z).ln() + z) / (z * z);
            assert_close(hyp2f1(1.0, 1.0, 3.0, z), expected, 1e-7);
        }
    }

    #[test]
    fn ln_hyp2f1_positive_handles_large_parameters() {
        // 2F1(a, b; b; z) with a = 1000: ln = −1000 ln(1 − z)
        let value = ln_hyp2f1_positive(1000.0, 1001.5, 1001.5, 0.9);
        assert_close(value, -1000.0 * (0.1_f64).ln(), 1e-10);
    }

    #[test]
    fn trigamma_known_values() {
        let pi2 = std::f64::consts::PI * std::f64::consts::PI;
        assert_close(trigamma(1.0), pi2 / 6.0, 1e-13);
        assert_close(trigamma(0.5), pi2 / 2.0, 1e-13);
        assert_close(trigamma(100.0), 0.010_050_166_663_333_571, 1e-13);
        let h = 1e-5;
        let numeric = (digamma(3.7 + h) - digamma(3.7 - h)) / (2.0 * h);
        assert_close(trigamma(3.7), numeric, 1e-8);
    }

    #[test]
    fn digamma_known_values() {
        let euler_gamma = 0.577_215_664_901_532_9;
        assert_close(digamma(1.0), -euler_gamma, 1e-13);
        assert_close(digamma(0.5), -euler_gamma - 2.0 * 2f64.ln(), 1e-13);
        assert_close(digamma(100.0), 4.600_161_852_738_087, 1e-13);
    }

    #[test]
    fn log_sum_exp_is_stable() {
        assert_close(log_add_exp(1000.0, 1000.0), 1000.0 + 2f64.ln(), 1e-15);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, 3.0), 3.0);
        assert_close(
            log_sum_exp(&[-1000.0, -1000.0, -1000.0]),
            -1000.0 + 3f64.ln(),
            1e-15,
        );
        assert_eq!(log_sub_exp(2.0, 2.0), f64::NEG_INFINITY);
    }
}
