//! How well scores rank and predict a yes/no outcome: AUC, lift and capture rate in the top
//! decile, Brier score.

use rayon::prelude::*;

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting half (Mann–Whitney U with mid-ranks). `None` without both classes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    sorted.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start;
        while end + 1 < sorted.len() && sorted[end + 1].0 == sorted[start].0 {
            end += 1;
        }
        let mid_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_positives = sorted[start..=end].iter().filter(|s| s.1).count();
        positive_rank_sum += mid_rank * tied_positives as f64;
        start = end + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Lift and capture rate of the top decile by score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopDecile {
    /// Positive rate in the top 10 % over the overall positive rate.
    pub lift: f64,
    /// Share of all positives that are in the top 10 %.
    pub capture: f64,
}

/// The top 10 % (rounded up) of customers by score, ties broken by position.
pub fn top_decile(scores: &[f64], labels: &[bool]) -> Option<TopDecile> {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 {
        return None;
    }
    let mut order: Vec<(f64, usize)> = scores.iter().copied().zip(0..).collect();
    let top = scores.len().div_ceil(10);
    let by_score = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    order.select_nth_unstable_by(top - 1, by_score);
    let caught = order[..top].iter().filter(|&&(_, i)| labels[i]).count();
    let base_rate = positives as f64 / scores.len() as f64;
    Some(TopDecile {
        lift: (caught as f64 / top as f64) / base_rate,
        capture: caught as f64 / positives as f64,
    })
}

/// The cumulative gains curve: with customers ranked by score (highest first, ties by
/// position), the share of all positives found in the top 0 %, 10 %, …, 100 % of customers
/// (11 points from 0 to 1); `None` without a positive.
pub fn gains_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<f64>> {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 {
        return None;
    }
    let mut order: Vec<(f64, usize)> = scores.iter().copied().zip(0..).collect();
    order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let n = order.len();
    let mut curve = Vec::with_capacity(11);
    let (mut found, mut seen) = (0usize, 0usize);
    for tenth in 0..=10 {
        let upto = (n * tenth).div_ceil(10);
        found += order[seen..upto]
            .iter()
            .filter(|&&(_, i)| labels[i])
            .count();
        seen = upto;
        curve.push(found as f64 / positives as f64);
    }
    Some(curve)
}

/// How well one score ranks: AUC, the top decile and the gains curve, as [`auc`],
/// [`top_decile`] and [`gains_curve`] give them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub auc: Option<f64>,
    pub top_decile: Option<TopDecile>,
    pub gains: Option<Vec<f64>>,
}

/// [`auc`], [`top_decile`] and [`gains_curve`] from one parallel sort instead of three (the
/// back-test ranks millions of customers with four scores). The results are the same bits:
/// the order (highest score first, ties by position) is total, and the AUC's rank sum adds
/// half-integers exactly whatever the order of the tie groups.
pub fn ranking(scores: &[f64], labels: &[bool]) -> Ranking {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 {
        return Ranking {
            auc: None,
            top_decile: None,
            gains: None,
        };
    }
    let mut order: Vec<(f64, usize)> = scores.iter().copied().zip(0..).collect();
    order.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let n = order.len();
    let is_positive = |&(_, i): &(f64, usize)| labels[i];
    let mut gains = Vec::with_capacity(11);
    let (mut found, mut seen) = (0usize, 0usize);
    for tenth in 0..=10 {
        let upto = (n * tenth).div_ceil(10);
        found += order[seen..upto].iter().filter(|r| is_positive(r)).count();
        seen = upto;
        gains.push(found as f64 / positives as f64);
    }
    let top = n.div_ceil(10);
    let caught = order[..top].iter().filter(|r| is_positive(r)).count();
    let base_rate = positives as f64 / n as f64;
    let top_decile = TopDecile {
        lift: (caught as f64 / top as f64) / base_rate,
        capture: caught as f64 / positives as f64,
    };
    Ranking {
        auc: auc_of_descending(&order, labels, positives),
        top_decile: Some(top_decile),
        gains: Some(gains),
    }
}

/// The AUC from scores sorted highest first: the ascending rank of position `k` is `n − k`.
fn auc_of_descending(order: &[(f64, usize)], labels: &[bool], positives: usize) -> Option<f64> {
    let n = order.len();
    let negatives = n - positives;
    if negatives == 0 {
        return None;
    }
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && order[end + 1].0 == order[start].0 {
            end += 1;
        }
        // Ascending positions n−1−end ..= n−1−start, ranks counted from 1.
        let mid_rank = ((n - 1 - end) + (n - 1 - start)) as f64 / 2.0 + 1.0;
        let tied_positives = order[start..=end].iter().filter(|r| labels[r.1]).count();
        positive_rank_sum += mid_rank * tied_positives as f64;
        start = end + 1;
    }
    let (p, q) = (positives as f64, negatives as f64);
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * q))
}

/// Mean squared difference between predicted probabilities and outcomes (0 is perfect).
pub fn brier(probabilities: &[f64], labels: &[bool]) -> f64 {
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(p, &l)| (p - f64::from(u8::from(l))).powi(2))
        .sum();
    total / probabilities.len().max(1) as f64
}

#[cfg(test)]
mod tests {

    #[test]
    fn gains_rise_from_zero_to_one_and_a_perfect_score_finds_everyone_first() {
        let labels = [
            true, false, true, false, false, false, false, false, false, false,
        ];
        let perfect = [0.9, 0.1, 0.8, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        let curve = gains_curve(&perfect, &labels).unwrap();
        assert_eq!(curve.len(), 11);
        assert_eq!(
            (curve[0], curve[1], curve[2], curve[10]),
            (0.0, 0.5, 1.0, 1.0)
        );
        let reversed: Vec<f64> = perfect.iter().map(|p| -p).collect();
        let worst = gains_curve(&reversed, &labels).unwrap();
        assert!(worst[8] < 0.5 && worst[10] == 1.0, "{worst:?}");
        assert!(gains_curve(&perfect, &[false; 10]).is_none());
    }

    use super::*;

    #[test]
    fn auc_by_hand() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won 1 + 1 + 0 + 1 of 4.
        let auc = auc(&[0.9, 0.5, 0.4, 0.1], &[true, false, true, false]).unwrap();
        assert!((auc - 0.75).abs() < 1e-12);
        // Ties count half.
        assert_eq!(super::auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(super::auc(&[1.0, 0.0], &[true, true]), None);
        // A perfect ranking and its reverse.
        let labels = [true, true, false, false, false];
        assert_eq!(super::auc(&[5.0, 4.0, 3.0, 2.0, 1.0], &labels), Some(1.0));
        assert_eq!(super::auc(&[1.0, 2.0, 3.0, 4.0, 5.0], &labels), Some(0.0));
    }

    #[test]
    fn top_decile_by_hand() {
        // 20 customers, top decile = 2; both top scores positive; positives 0, 6, 12, 18, 19.
        let scores: Vec<f64> = (0..20).map(f64::from).collect();
        let labels: Vec<bool> = (0..20).map(|i| i >= 18 || i % 6 == 0).collect();
        let t = top_decile(&scores, &labels).unwrap();
        assert!((t.capture - 2.0 / 5.0).abs() < 1e-12);
        assert!((t.lift - 4.0).abs() < 1e-12);
    }

    /// The one-sort ranking gives the same bits as the three functions, ties and all.
    #[test]
    fn ranking_matches_the_three_functions() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for n in [1usize, 9, 10, 11, 257, 5000] {
            // Coarse scores so that many tie; labels loosely follow the score.
            let scores: Vec<f64> = (0..n).map(|_| (next() * 20.0).floor() / 20.0).collect();
            let labels: Vec<bool> = scores.iter().map(|s| next() < *s).collect();
            let r = ranking(&scores, &labels);
            assert_eq!(
                r.auc.map(f64::to_bits),
                auc(&scores, &labels).map(f64::to_bits),
                "{n}"
            );
            assert_eq!(r.top_decile, top_decile(&scores, &labels), "{n}");
            assert_eq!(r.gains, gains_curve(&scores, &labels), "{n}");
        }
        let none = ranking(&[0.3, 0.2], &[false, false]);
        assert_eq!((none.auc, none.top_decile, none.gains), (None, None, None));
        assert_eq!(ranking(&[0.3, 0.2], &[true, true]).auc, None);
    }

    #[test]
    fn brier_by_hand() {
        assert!(
            (brier(&[1.0, 0.0, 0.5], &[true, true, false]) - (0.0 + 1.0 + 0.25) / 3.0).abs()
                < 1e-12
        );
    }
}
