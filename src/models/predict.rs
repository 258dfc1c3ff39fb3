//! Per-customer predictions for the continuous-time BTYD models, behind one
//! enum so callers need not match on the model kind.
//!
//! Every model's conditional expectation factorises as
//! E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) · E[Y(t) | alive, x, T],
//! and the second factor does not depend on `t_x`. Batch prediction therefore
//! computes it once per distinct `(x, T)` and P(alive) once per customer.

use super::bgnbd::BgNbdParams;
use super::mbgnbd::MbgNbdParams;
use super::pareto_nbd::ParetoNbdParams;
use super::{FastHashMap, Triple, compress_triples_indexed};
use rayon::prelude::*;

/// A fitted continuous-time BTYD model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Btyd {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    BgNbd(BgNbdParams),
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd(ParetoNbdParams),
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    MbgNbd(MbgNbdParams),
}

/// Horizon and discounting for [`Btyd::predict`], all in the model's time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionSettings {
    /// Length `H` of the prediction window after `T`.
    pub horizon: f64,
    /// Discount rate per time unit `d`: a purchase at time `u` after `T` is worth (1+d)^(−u).
    pub discount_rate: f64,
    /// Number of equal sub-periods for discounting.
    pub steps: usize,
}

/// One customer's predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerPrediction {
    /// E[purchases in (T, T+H]].
    pub expected_purchases: f64,
    /// P(alive at T).
    pub p_alive: f64,
    /// Discounted expected purchases over the horizon.
    pub discounted_purchases: f64,
}

impl Btyd {
    /// Short model name, e.g. `"bgnbd"`.
    pub fn name(&self) -> &'static str {
        match self {
            Btyd::BgNbd(_) => "bgnbd",
            Btyd::ParetoNbd(_) => "pareto-nbd",
            Btyd::MbgNbd(_) => "mbgnbd",
        }
    }

    /// Parameters as `(name, value)` pairs in the model's canonical order.
    pub fn params(&self) -> Vec<(&'static str, f64)> {
        match self {
            Btyd::BgNbd(p) => vec![("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)],
            Btyd::ParetoNbd(p) => {
                vec![("r", p.r), ("alpha", p.alpha), ("s", p.s), ("beta", p.beta)]
            }
            Btyd::MbgNbd(p) => vec![("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)],
        }
    }

    /// P(alive at T | x, t_x, T), in [0, 1].
    pub fn p_alive(&self, customer: &Triple) -> f64 {
        let (x, t_x, t_cal) = (customer.x, customer.t_x, customer.t_cal);
        let p = match self {
            Btyd::BgNbd(p) => p.p_alive(x, t_x, t_cal),
            Btyd::ParetoNbd(p) => p.p_alive(x, t_x, t_cal),
            Btyd::MbgNbd(p) => p.p_alive(x, t_x, t_cal),
        };
        if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) }
    }

    /// Expected purchases in (T, T+t] for a customer alive at T with `x` repeat purchases.
    pub fn expected_given_alive(&self, x: f64, t_cal: f64, t: f64) -> f64 {
        match self {
            Btyd::BgNbd(p) => p.expected_given_alive(x, t_cal, t),
            Btyd::ParetoNbd(p) => p.expected_given_alive(x, t_cal, t),
            Btyd::MbgNbd(p) => p.expected_given_alive(x, t_cal, t),
        }
    }

    /// Conditional expected purchases in (T, T+t].
    pub fn expected_purchases(&self, customer: &Triple, t: f64) -> f64 {
        self.p_alive(customer) * self.expected_given_alive(customer.x, customer.t_cal, t)
    }

    /// Unconditional E[X(t)] for a customer whose first purchase was at time 0
    /// (for the tracking / validation tables).
    pub fn expected_purchases_unconditional(&self, t: f64) -> f64 {
        match self {
            Btyd::BgNbd(p) => p.expected_purchases_unconditional(t),
            Btyd::ParetoNbd(p) => p.expected_purchases_unconditional(t),
            Btyd::MbgNbd(p) => p.expected_purchases_unconditional(t),
        }
    }

    /// Σ_{k=1..steps} [g(t_k) − g(t_{k−1})] (1+d)^(−t_k), t_k = k H / steps, where
    /// g is the given-alive expectation: the discounted purchases of a customer
    /// alive at T, each sub-period's purchases discounted to its end.
    fn discounted_given_alive(&self, x: f64, t_cal: f64, settings: &PredictionSettings) -> f64 {
        let steps = settings.steps.max(1);
        let step_length = settings.horizon / steps as f64;
        let ln_discount = (1.0 + settings.discount_rate).ln();
        let mut previous = 0.0;
        let mut total = 0.0;
        for k in 1..=steps {
            let t = step_length * k as f64;
            let current = self.expected_given_alive(x, t_cal, t);
            total += (current - previous).max(0.0) * (-ln_discount * t).exp();
            previous = current;
        }
        total
    }

    /// Discounted expected purchases over the horizon for one customer.
    pub fn discounted_expected_purchases(
        &self,
        customer: &Triple,
        settings: &PredictionSettings,
    ) -> f64 {
        self.p_alive(customer) * self.discounted_given_alive(customer.x, customer.t_cal, settings)
    }

    /// Predictions for many customers (in parallel); `weight` is ignored.
    /// Computed once per distinct `(x, t_x, T)` and copied to the customers sharing it.
    pub fn predict(
        &self,
        customers: &[Triple],
        settings: &PredictionSettings,
    ) -> Vec<CustomerPrediction> {
        let (unique, position) = compress_triples_indexed(customers);
        self.predict_compressed(&unique, &position, settings)
    }

    /// [`Btyd::predict`] for customers already compressed by [`compress_triples_indexed`]:
    /// the distinct `histories` and each customer's position among them.
    pub fn predict_compressed(
        &self,
        histories: &[Triple],
        position: &[u32],
        settings: &PredictionSettings,
    ) -> Vec<CustomerPrediction> {
        let per_history = self.predict_distinct(histories, settings);
        position
            .par_iter()
            .map(|&i| per_history[i as usize])
            .collect()
    }

    /// [`Btyd::predict`] for distinct histories (as [`compress_triples_indexed`] gives them):
    /// the given-alive factor once per distinct `(x, T)`, P(alive) once per history.
    pub fn predict_distinct(
        &self,
        histories: &[Triple],
        settings: &PredictionSettings,
    ) -> Vec<CustomerPrediction> {
        let (group_of_history, groups) = group_by_x_and_t_cal(histories);
        let given_alive: Vec<(f64, f64)> = groups
            .par_iter()
            .map(|&(x, t_cal)| {
                (
                    self.expected_given_alive(x, t_cal, settings.horizon),
                    self.discounted_given_alive(x, t_cal, settings),
                )
            })
            .collect();
        histories
            .par_iter()
            .zip(group_of_history.par_iter())
            .map(|(history, &group)| {
                let p_alive = self.p_alive(history);
                let (expected, discounted) = given_alive[group as usize];
                CustomerPrediction {
                    expected_purchases: p_alive * expected,
                    p_alive,
                    discounted_purchases: p_alive * discounted,
                }
            })
            .collect()
    }
}

/// Index of each customer's distinct `(x, T)` and the distinct pairs.
fn group_by_x_and_t_cal(customers: &[Triple]) -> (Vec<u32>, Vec<(f64, f64)>) {
    let mut lookup: FastHashMap<(u64, u64), u32> = FastHashMap::default();
    let mut groups = Vec::new();
    let indices = customers
        .iter()
        .map(|c| {
            *lookup
                .entry((c.x.to_bits(), c.t_cal.to_bits()))
                .or_insert_with(|| {
                    groups.push((c.x, c.t_cal));
                    (groups.len() - 1) as u32
                })
        })
        .collect();
    (indices, groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{bgnbd, compress_triples};
    use proptest::prelude::*;

    const BGNBD: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    const PARETO: ParetoNbdParams = ParetoNbdParams {
        r: 0.553,
        alpha: 10.578,
        s: 0.606,
        beta: 11.669,
    };
    const MBGNBD: MbgNbdParams = MbgNbdParams {
        r: 0.525,
        alpha: 6.183,
        a: 0.891,
        b: 1.614,
    };

    fn models() -> [Btyd; 3] {
        [
            Btyd::BgNbd(BGNBD),
            Btyd::ParetoNbd(PARETO),
            Btyd::MbgNbd(MBGNBD),
        ]
    }

    /// A valid customer: x in 0..=1000, 0 <= t_x <= T, T in (0, 1e5].
    fn customer() -> impl Strategy<Value = Triple> {
        (
            0u32..=1000,
            0.0f64..=1.0,
            prop_oneof![0.01f64..200.0, 200.0f64..1e5],
        )
            .prop_map(|(x, share, t_cal)| {
                let t_x = if x == 0 { 0.0 } else { share * t_cal };
                Triple::new(x as f64, t_x, t_cal)
            })
    }

    /// Alternative parameter sets, including extreme ones.
    fn params() -> impl Strategy<Value = (f64, f64, f64, f64)> {
        (-4.0f64..4.0, -4.0f64..6.0, -4.0f64..4.0, -4.0f64..6.0)
            .prop_map(|(a, b, c, d)| (a.exp(), b.exp(), c.exp(), d.exp()))
    }

    fn models_with(p: (f64, f64, f64, f64)) -> [Btyd; 3] {
        let (r, alpha, a, b) = p;
        [
            Btyd::BgNbd(BgNbdParams { r, alpha, a, b }),
            Btyd::ParetoNbd(ParetoNbdParams {
                r,
                alpha,
                s: a,
                beta: b,
            }),
            Btyd::MbgNbd(MbgNbdParams { r, alpha, a, b }),
        ]
    }

    proptest! {
        #[test]
        fn predictions_are_finite_and_ordered(customer in customer(), t in 0.01f64..500.0, extra in 0.01f64..500.0) {
            for model in models() {
                let p_alive = model.p_alive(&customer);
                prop_assert!((0.0..=1.0).contains(&p_alive), "{} p_alive {p_alive}", model.name());
                let near = model.expected_purchases(&customer, t);
                let far = model.expected_purchases(&customer, t + extra);
                prop_assert!(near.is_finite() && far.is_finite(), "{} {near} {far}", model.name());
                prop_assert!(near >= 0.0);
                prop_assert!(far >= near * (1.0 - 1e-7) - 1e-12, "{} {near} > {far}", model.name());
            }
        }

        #[test]
        fn extreme_parameters_stay_finite(p in params(), customer in customer(), t in 0.01f64..1000.0) {
            for model in models_with(p) {
                let p_alive = model.p_alive(&customer);
                prop_assert!((0.0..=1.0).contains(&p_alive), "{model:?} p_alive {p_alive}");
                let expected = model.expected_purchases(&customer, t);
                prop_assert!(!expected.is_nan() && expected >= 0.0, "{model:?} {customer:?} E {expected}");
            }
        }
    }

    #[test]
    fn extreme_customers_are_finite() {
        let customers = [
            Triple::new(0.0, 0.0, 1e5),
            Triple::new(1000.0, 99.999, 100.0),
            Triple::new(1000.0, 1e5 - 1e-6, 1e5),
            Triple::new(1.0, 1e-9, 1e5),
        ];
        for model in models() {
            for customer in &customers {
                let e = model.expected_purchases(customer, 52.0);
                let p = model.p_alive(customer);
                assert!(
                    e.is_finite() && e >= 0.0 && (0.0..=1.0).contains(&p),
                    "{model:?} {customer:?}: {e} {p}"
                );
            }
        }
    }

    #[test]
    fn discounting_with_zero_rate_equals_expected_purchases() {
        let settings = PredictionSettings {
            horizon: 52.0,
            discount_rate: 0.0,
            steps: 12,
        };
        let customer = Triple::new(2.0, 30.43, 38.86);
        for model in models() {
            let undiscounted = model.expected_purchases(&customer, 52.0);
            let discounted = model.discounted_expected_purchases(&customer, &settings);
            assert!((undiscounted - discounted).abs() < 1e-9 * undiscounted.max(1.0));
            let positive_rate = PredictionSettings {
                discount_rate: 0.01,
                ..settings
            };
            assert!(model.discounted_expected_purchases(&customer, &positive_rate) < discounted);
        }
    }

    #[test]
    fn batch_matches_single_customer_calls() {
        let customers: Vec<Triple> = (0..200)
            .map(|i| Triple::new((i % 7) as f64, (i % 5) as f64, 5.0 + (i % 3) as f64))
            .collect();
        let settings = PredictionSettings {
            horizon: 39.0,
            discount_rate: 0.002,
            steps: 12,
        };
        for model in models() {
            let batch = model.predict(&customers, &settings);
            for (customer, prediction) in customers.iter().zip(&batch) {
                let single = model.discounted_expected_purchases(customer, &settings);
                assert!((prediction.discounted_purchases - single).abs() < 1e-12);
                assert!(
                    (prediction.expected_purchases - model.expected_purchases(customer, 39.0))
                        .abs()
                        < 1e-12
                );
            }
        }
    }

    /// Tiny deterministic generator (SplitMix64) for the synthetic benchmark.
    struct SplitMix(u64);

    impl SplitMix {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    impl SplitMix {
        fn normal(&mut self) -> f64 {
            let u = self.uniform().max(1e-300);
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
        }

        /// Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted for shape < 1.
        fn gamma(&mut self, shape: f64) -> f64 {
            if shape < 1.0 {
                return self.gamma(shape + 1.0) * self.uniform().max(1e-300).powf(1.0 / shape);
            }
            let d = shape - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            loop {
                let z = self.normal();
                let v = (1.0 + c * z).powi(3);
                if v > 0.0 && self.uniform().max(1e-300).ln() < 0.5 * z * z + d - d * v + d * v.ln()
                {
                    return d * v;
                }
            }
        }
    }

    /// Customers simulated from BG/NBD with the CDNOW estimates: first purchases
    /// spread over 52 weeks before the as-of date, times rounded to whole days
    /// (weeks = days / 7) as real exports are.
    fn synthetic_customers(n: usize) -> Vec<Triple> {
        let mut rng = SplitMix(42);
        let p = BGNBD;
        (0..n)
            .map(|_| {
                let t_cal_days = 1 + (rng.uniform() * 364.0) as u32;
                let t_cal = t_cal_days as f64 / 7.0;
                let rate = rng.gamma(p.r) / p.alpha;
                let (g1, g2) = (rng.gamma(p.a), rng.gamma(p.b));
                let dropout = g1 / (g1 + g2);
                let (mut now, mut x, mut last) = (0.0, 0u32, 0.0);
                loop {
                    now += -rng.uniform().max(1e-300).ln() / rate.max(1e-300);
                    if now > t_cal {
                        break;
                    }
                    x += 1;
                    last = (now * 7.0).floor() / 7.0;
                    if rng.uniform() < dropout {
                        break;
                    }
                }
                Triple::new(x as f64, last, t_cal)
            })
            .collect()
    }

    /// `cargo test --release -- --ignored --nocapture one_million` prints timings.
    #[test]
    #[ignore]
    fn one_million_customers_timing() {
        let customers = synthetic_customers(1_000_000);
        let started = std::time::Instant::now();
        let unique = compress_triples(&customers);
        let compressed = started.elapsed();
        let fit = bgnbd::fit(&unique).expect("fits");
        let fitted = started.elapsed();
        eprintln!("synthetic BG/NBD fit: {:?}", fit.params);
        let model = Btyd::BgNbd(fit.params);
        let settings = PredictionSettings {
            horizon: 52.0,
            discount_rate: 0.002,
            steps: 12,
        };
        let predict_start = std::time::Instant::now();
        let predictions = model.predict(&customers, &settings);
        let predicted = predict_start.elapsed();
        let pareto = Btyd::ParetoNbd(PARETO);
        let pareto_start = std::time::Instant::now();
        let pareto_predictions = pareto.predict(&customers, &settings);
        let pareto_predicted = pareto_start.elapsed();
        eprintln!(
            "1M customers -> {} unique triples; compress {:?}; BG/NBD fit total {:?} ({} iterations, LL {:.1}); \
             BG/NBD predict {:?}; Pareto/NBD predict {:?}",
            unique.len(),
            compressed,
            fitted,
            fit.report.iterations,
            fit.report.log_likelihood,
            predicted,
            pareto_predicted
        );
        assert_eq!(predictions.len(), 1_000_000);
        assert_eq!(pareto_predictions.len(), 1_000_000);
    }
}
