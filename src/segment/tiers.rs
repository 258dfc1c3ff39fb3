//! Value tiers (the customer pyramid): platinum, gold, iron and lead by default at the top 5 %,
//! next 15 %, next 40 % and bottom 40 % of customer lifetime value.

use rayon::prelude::*;

/// Tier names from the top down; the last tier takes everyone below the given shares.
pub const TIER_NAMES: [&str; 4] = ["platinum", "gold", "iron", "lead"];

/// Recommended action per tier, in the order of [`TIER_NAMES`] (Zeithaml, Rust & Lemon 2001,
/// "The customer pyramid": keep the top, grow the middle, serve the bottom at lower cost).
pub const TIER_ACTIONS: [&str; 4] = [
    "Protect: personal contact, service priority and early access; watch for any drop in activity",
    "Grow: cross-sell and loyalty rewards that move them towards platinum",
    "Develop selectively: offers tied to their next purchase; test what lifts their frequency",
    "Serve at low cost: automated, self-service contact; no discounts that cost more than they bring",
];

/// Parses `--tiers 5,15,40`: the percentage of customers in each tier from the top, one fewer
/// than there are tiers (the last tier is the rest).
pub fn parse_tier_shares(text: &str) -> Result<Vec<f64>, String> {
    let shares: Vec<f64> = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("'{part}' is not a positive percentage"))
        })
        .collect::<Result<_, _>>()?;
    if shares.len() != TIER_NAMES.len() - 1 {
        return Err(format!(
            "give {} (for {}), the last tier ({}) takes the rest",
            crate::output::counted(TIER_NAMES.len() - 1, "percentage"),
            TIER_NAMES[..TIER_NAMES.len() - 1].join(", "),
            TIER_NAMES[TIER_NAMES.len() - 1]
        ));
    }
    if shares.iter().sum::<f64>() >= 100.0 {
        return Err("the percentages must add up to less than 100".to_string());
    }
    Ok(shares)
}

/// The tier (index into [`TIER_NAMES`]) of each value: customers ranked by value, highest first;
/// the first `shares[0]` % (rounded up) are tier 0, the next `shares[1]` % tier 1, and so on.
/// Equal values always share a tier (the tier of the highest-ranked of them); NaN ranks last.
pub fn value_tiers(values: &[f64], shares: &[f64]) -> Vec<usize> {
    let n = values.len();
    let bounds = rank_bounds(shares, n);
    let tier_at = |rank: usize| {
        bounds
            .iter()
            .position(|&b| rank < b)
            .unwrap_or(shares.len())
    };
    // A value's first rank is the number of values above it, below bound b exactly when the
    // value reaches the b-th largest: one selection per bound, no sort of all the values.
    let mut ranked: Vec<f64> = values.par_iter().copied().filter(|v| !v.is_nan()).collect();
    // Per bound, the value a customer must reach: None when everyone does, NaN when no one
    // does (a bound of 0; nothing is >= NaN). The largest bound is selected first: the next
    // is then among the values ranked above it, a shorter slice to select in.
    let mut thresholds: Vec<Option<f64>> = vec![None; bounds.len()];
    let mut above = ranked.len();
    for (threshold, &b) in thresholds.iter_mut().zip(&bounds).rev() {
        *threshold = match b {
            0 => Some(f64::NAN),
            b if b >= ranked.len() => None,
            b => {
                let slice = &mut ranked[..above.max(b)];
                above = b - 1;
                Some(*slice.select_nth_unstable_by(b - 1, |x, y| y.total_cmp(x)).1)
            }
        };
    }
    let tier_of = |value: f64| {
        thresholds
            .iter()
            .position(|t| t.is_none_or(|t| value >= t))
            .unwrap_or(shares.len())
    };
    let mut tiers: Vec<usize> = values.par_iter().map(|&v| tier_of(v)).collect();
    // NaN ranks last, each in index order, and shares a tier with nothing.
    let mut rank = ranked.len();
    for (tier, value) in tiers.iter_mut().zip(values) {
        if value.is_nan() {
            *tier = tier_at(rank);
            rank += 1;
        }
    }
    tiers
}

/// The rank below which each tier ends: the first `shares[0]` % of `n` (rounded up), then the
/// next `shares[1]` %, and so on.
fn rank_bounds(shares: &[f64], n: usize) -> Vec<usize> {
    let mut cumulative = 0.0;
    shares
        .iter()
        .map(|share| {
            cumulative += share;
            ((cumulative / 100.0) * n as f64).ceil() as usize
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition, by sorting every value.
    fn tiers_by_sorting(values: &[f64], shares: &[f64]) -> Vec<usize> {
        let n = values.len();
        // (value, index) pairs sort faster than indices into `values`; the index breaks ties, so
        // the unstable parallel sort is deterministic.
        let mut order: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
        order.par_sort_unstable_by(|&(a, i), &(b, j)| {
            b.partial_cmp(&a)
                .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
                .then(i.cmp(&j))
        });
        let mut bounds = Vec::with_capacity(shares.len());
        let mut cumulative = 0.0;
        for share in shares {
            cumulative += share;
            bounds.push(((cumulative / 100.0) * n as f64).ceil() as usize);
        }
        let tier_at = |rank: usize| {
            bounds
                .iter()
                .position(|&b| rank < b)
                .unwrap_or(shares.len())
        };
        let mut tiers = vec![0; n];
        let mut previous: Option<(f64, usize)> = None;
        for (rank, &(value, i)) in order.iter().enumerate() {
            let tier = match previous {
                Some((previous_value, tier)) if previous_value == value => tier,
                _ => tier_at(rank),
            };
            tiers[i] = tier;
            previous = Some((value, tier));
        }
        tiers
    }

    #[test]
    fn default_pyramid_on_one_hundred_customers() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let tiers = value_tiers(&values, &[5.0, 15.0, 40.0]);
        let count = |t: usize| tiers.iter().filter(|&&x| x == t).count();
        assert_eq!([count(0), count(1), count(2), count(3)], [5, 15, 40, 40]);
        assert_eq!(tiers[99], 0);
        assert_eq!(tiers[0], 3);
    }

    #[test]
    fn ties_share_a_tier() {
        let tiers = value_tiers(&[5.0, 5.0, 5.0, 1.0], &[25.0, 25.0, 25.0]);
        assert_eq!(tiers, vec![0, 0, 0, 3]);
    }

    #[test]
    fn parse_shares() {
        assert_eq!(
            parse_tier_shares("5, 15,40").unwrap(),
            vec![5.0, 15.0, 40.0]
        );
        assert!(parse_tier_shares("5,15").is_err());
        assert!(parse_tier_shares("50,40,20").is_err());
        assert!(parse_tier_shares("5,x,40").is_err());
    }

    proptest! {
        /// The selection gives the tiers of the full sort, with ties, zeros of both signs,
        /// infinities and NaN.
        #[test]
        fn matches_the_full_sort(
            values in proptest::collection::vec(
                prop_oneof![
                    (0u8..6).prop_map(f64::from),
                    Just(-0.0),
                    Just(f64::NAN),
                    Just(f64::INFINITY),
                    Just(f64::NEG_INFINITY),
                    -1e3f64..1e3,
                ],
                0..120,
            ),
            shares in prop_oneof![Just(vec![5.0, 15.0, 40.0]), Just(vec![0.5, 49.0, 50.0]), Just(vec![30.0, 30.0, 30.0])],
        ) {
            prop_assert_eq!(value_tiers(&values, &shares), tiers_by_sorting(&values, &shares));
        }

        #[test]
        fn every_customer_in_one_tier_and_higher_value_never_lower_tier(
            values in proptest::collection::vec(0.0f64..100.0, 1..200)
        ) {
            let tiers = value_tiers(&values, &[5.0, 15.0, 40.0]);
            prop_assert_eq!(tiers.len(), values.len());
            for i in 0..values.len() {
                prop_assert!(tiers[i] < TIER_NAMES.len());
                for j in 0..values.len() {
                    if values[i] > values[j] {
                        prop_assert!(tiers[i] <= tiers[j]);
                    }
                }
            }
        }
    }
}
