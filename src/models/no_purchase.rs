//! The probability that a customer makes no purchase in the next `h` time units, under BG/NBD:
//! the buy-till-you-die churn score.
//!
//! A customer alive at `T` with purchase rate λ makes no purchase in `(T, T+h]` with
//! probability e^(−λh) (BG/NBD customers drop out only just after a purchase), and given the
//! history and being alive λ ~ Gamma(r + x, α + T). So
//! P(no purchase) = 1 − P(alive) + P(alive) · ((α+T)/(α+T+h))^(r+x).

use super::Triple;
use super::bgnbd::BgNbdParams;

/// P(no purchase in (T, T+h] | x, t_x, T) for BG/NBD, in [0, 1]; `h` in the model's time unit.
pub fn bgnbd_no_purchase(params: &BgNbdParams, customer: &Triple, horizon: f64) -> f64 {
    let p_alive = params
        .p_alive(customer.x, customer.t_x, customer.t_cal)
        .clamp(0.0, 1.0);
    let p_alive = if p_alive.is_nan() { 1.0 } else { p_alive };
    let base = params.alpha + customer.t_cal;
    let quiet_if_alive = ((params.r + customer.x) * (base.ln() - (base + horizon).ln())).exp();
    (1.0 - p_alive + p_alive * quiet_if_alive).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The published CDNOW BG/NBD estimates (weeks).
    const CDNOW: BgNbdParams = BgNbdParams {
        r: 0.2426,
        alpha: 4.4136,
        a: 0.7929,
        b: 2.4259,
    };

    #[test]
    fn one_time_buyer_is_alive_and_quiet_with_the_gamma_mixture() {
        let customer = Triple::new(0.0, 0.0, 30.0);
        let expected = (34.4136f64 / 60.4136).powf(0.2426);
        assert!((bgnbd_no_purchase(&CDNOW, &customer, 26.0) - expected).abs() < 1e-12);
    }

    #[test]
    fn limits_in_the_horizon() {
        let customer = Triple::new(4.0, 10.0, 38.0);
        let p_alive = CDNOW.p_alive(4.0, 10.0, 38.0);
        assert!((bgnbd_no_purchase(&CDNOW, &customer, 0.0) - 1.0).abs() < 1e-12);
        assert!((bgnbd_no_purchase(&CDNOW, &customer, 1e12) - (1.0 - p_alive)).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn a_probability_that_falls_with_the_horizon(
            x in 0u32..500, t_x_share in 0.0f64..=1.0, t_cal in 0.01f64..1000.0, h in 0.0f64..500.0,
        ) {
            let x = f64::from(x);
            let t_x = if x == 0.0 { 0.0 } else { t_x_share * t_cal };
            let customer = Triple::new(x, t_x, t_cal);
            let p = bgnbd_no_purchase(&CDNOW, &customer, h);
            let longer = bgnbd_no_purchase(&CDNOW, &customer, h + 10.0);
            prop_assert!((0.0..=1.0).contains(&p));
            prop_assert!(longer <= p + 1e-12);
        }
    }
}
