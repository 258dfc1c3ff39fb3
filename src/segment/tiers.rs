//! Value tiers (the customer pyramid): platinum, gold, iron and lead by default at the top 5 %,
//! next 15 %, next 40 % and bottom 40 % of customer lifetime value.

use rayon::prelude::*;

/// Tier names from the top down; the last tier takes everyone below the given shares.
pub const TIER_NAMES: [&str; 4] = ["platinum", "gold", "iron", "lead"];

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
            "give {} percentages (for {}), the last tier ({}) takes the rest",
            TIER_NAMES.len() - 1,
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
