//! Kaplan–Meier product-limit estimate of a survival curve from risk sets, with Greenwood
//! standard errors and log-log ("exponential Greenwood") confidence intervals.
//!
//! * `Ŝ(t) = Π_{t_i <= t} (1 − d_i/n_i)` (Kaplan & Meier 1958);
//! * `Var Ŝ(t) = Ŝ(t)² Σ_{t_i <= t} d_i/(n_i (n_i − d_i))` (Greenwood 1926);
//! * the interval is built on `ln(−ln Ŝ(t))`, whose standard error is
//!   `√(Σ d_i/(n_i(n_i − d_i))) / |ln Ŝ(t)|`, and mapped back:
//!   `Ŝ(t)^{exp(± z σ)}` (Kalbfleisch & Prentice 1980). This is the default of Stata's
//!   `sts list`, SAS's `PROC LIFETEST` and lifelines, and R's `conf.type = "log-log"`.

/// One time point of the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmPoint {
    /// Number at risk just before this time.
    pub at_risk: f64,
    /// Events at this time.
    pub events: f64,
    /// `Ŝ(t)`.
    pub survival: f64,
    /// Greenwood standard error of `Ŝ(t)`; 0 before the first event.
    pub std_error: f64,
    /// Lower bound of the log-log interval (NaN where undefined: `Ŝ` = 0 or 1).
    pub lower: f64,
    /// Upper bound of the log-log interval.
    pub upper: f64,
}

/// The two-sided standard normal quantile for a 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Kaplan–Meier estimate at each of a sequence of times, given `(at risk, events)` there.
/// Times without events carry the estimate forward. `z` is the normal quantile of the interval.
/// Where `Ŝ` is 1 (no event yet) or 0 (a risk set all events) the log-log interval is
/// undefined and its bounds are NaN (printed empty), as R and Stata leave them.
pub fn kaplan_meier(risk_sets: &[(f64, f64)], z: f64) -> Vec<KmPoint> {
    let mut survival = 1.0_f64;
    let mut greenwood = 0.0_f64;
    risk_sets
        .iter()
        .map(|&(at_risk, events)| {
            if at_risk > 0.0 {
                survival *= 1.0 - events / at_risk;
                if events > 0.0 {
                    greenwood += events / (at_risk * (at_risk - events));
                }
            }
            let std_error = if survival > 0.0 {
                survival * greenwood.sqrt()
            } else {
                f64::NAN
            };
            let (lower, upper) = log_log_interval(survival, greenwood, z);
            KmPoint {
                at_risk,
                events,
                survival,
                std_error,
                lower,
                upper,
            }
        })
        .collect()
}

/// `Ŝ^{exp(± z σ)}` with `σ = √greenwood / |ln Ŝ|`; NaN where `Ŝ` is 0 or 1 or the Greenwood
/// sum is infinite.
fn log_log_interval(survival: f64, greenwood: f64, z: f64) -> (f64, f64) {
    if !(survival > 0.0 && survival < 1.0 && greenwood.is_finite()) {
        return (f64::NAN, f64::NAN);
    }
    let sigma = greenwood.sqrt() / survival.ln().abs();
    let lower = survival.powf((z * sigma).exp());
    let upper = survival.powf((-z * sigma).exp());
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Risk sets at each distinct time of `(time, event)` observations, censored ones at risk at
    /// their own time (censoring after events, as every peer does).
    fn risk_sets(observations: &[(u32, bool)]) -> Vec<(f64, f64)> {
        let mut times: Vec<u32> = observations
            .iter()
            .filter(|(_, e)| *e)
            .map(|(t, _)| *t)
            .collect();
        times.sort_unstable();
        times.dedup();
        times
            .iter()
            .map(|&t| {
                let at_risk = observations.iter().filter(|(u, _)| *u >= t).count();
                let events = observations.iter().filter(|(u, e)| *u == t && *e).count();
                (at_risk as f64, events as f64)
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 5e-4
    }

    #[test]
    fn gehan_control_group_matches_statas_sts_list() {
        // Gehan (1965) leukaemia remission data, control group (no censoring). Reference:
        // Germán Rodríguez, "The Gehan survival data", Princeton WWS 509
        // (https://data.princeton.edu/pop509/gehan.html, also grodri.github.io/survival/gehan):
        // Stata `sts list, by(group)`, whose interval is the log-log one:
        //   time 1: 0.9048  se 0.0641  [0.6700, 0.9753]
        //   time 2: 0.8095  se 0.0857  [0.5689, 0.9239]
        let weeks = [
            1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
        ];
        let observations: Vec<(u32, bool)> = weeks.iter().map(|&w| (w, true)).collect();
        let km = kaplan_meier(&risk_sets(&observations), Z_95);
        let expected = [
            (0.9048, 0.0641, 0.6700, 0.9753),
            (0.8095, 0.0857, 0.5689, 0.9239),
        ];
        for (point, (s, se, lo, hi)) in km.iter().zip(expected) {
            assert!(close(point.survival, s), "{point:?}");
            assert!(close(point.std_error, se), "{point:?}");
            assert!(close(point.lower, lo), "{point:?}");
            assert!(close(point.upper, hi), "{point:?}");
        }
        assert_eq!(km.last().unwrap().survival, 0.0);
    }

    #[test]
    fn gehan_treated_group_with_censoring_matches_sas_lifetest() {
        // 6-MP (treated) group, weeks with + censored: 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+
        // 20+ 22 23 25+ 32+ 32+ 34+ 35+. SAS PROC LIFETEST product-limit estimates (Greenwood
        // standard errors), as printed in course notes on this data set (e.g. BSTA 6652):
        //   6: 0.8571 se 0.0764;  7: 0.8067 se 0.0869;  10: 0.7529 se 0.0963
        let events = [6, 6, 6, 7, 10, 13, 16, 22, 23];
        let censored = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35];
        let observations: Vec<(u32, bool)> = events
            .iter()
            .map(|&t| (t, true))
            .chain(censored.iter().map(|&t| (t, false)))
            .collect();
        let sets = risk_sets(&observations);
        assert_eq!(sets[..3], [(21.0, 3.0), (17.0, 1.0), (15.0, 1.0)]);
        let km = kaplan_meier(&sets, Z_95);
        for (point, (s, se)) in
            km.iter()
                .zip([(0.8571, 0.0764), (0.8067, 0.0869), (0.7529, 0.0963)])
        {
            assert!(close(point.survival, s), "{point:?}");
            assert!(close(point.std_error, se), "{point:?}");
            assert!(point.lower < point.survival && point.survival < point.upper);
        }
    }

    #[test]
    fn times_without_events_carry_the_estimate_forward() {
        let km = kaplan_meier(&[(10.0, 2.0), (8.0, 0.0), (5.0, 1.0)], Z_95);
        assert_eq!(km[0].survival, 0.8);
        assert_eq!(km[1].survival, 0.8);
        assert_eq!(km[1].std_error, km[0].std_error);
        assert!(close(km[2].survival, 0.64));
        assert!(km[2].upper <= 1.0 && km[2].lower >= 0.0);
    }
}
