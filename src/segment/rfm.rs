//! RFM scores and the segment table that names them.

use rayon::prelude::*;
use serde::Deserialize;

/// Scores `values` into `bins` groups of (as nearly as ties allow) equal size: 1 for the
/// lowest values, `bins` for the highest.
///
/// Values are ranked; a run of equal values takes the score of its first rank,
/// `score = floor(first_rank × bins / n) + 1`, except the run of the highest value, which
/// scores `bins`: the most recent, most frequent or biggest customers score at the top however
/// many share the value (a lone customer, or customers who are all tied, score `bins`). So equal
/// values always share a score, the lowest value scores 1 unless every value is equal, and with
/// distinct values the counts differ by at most one. The order is total and deterministic (NaN
/// sorts last).
pub fn quantile_scores(values: &[f64], bins: u32) -> Vec<u32> {
    let n = values.len() as u64;
    let Some(highest) = values.iter().copied().max_by(f64::total_cmp) else {
        return Vec::new();
    };
    // score > k  ⇔  first_rank ≥ ⌈k·n / bins⌉ =: t  ⇔  at least t values lie below the value
    // ⇔  the value is greater than sorted[t − 1]. So bins − 1 order statistics decide every
    // score: each is selected in the part above the previous one, without sorting.
    let mut partly_sorted = values.to_vec();
    let mut below = 0;
    let cutoffs: Vec<f64> = (1..u64::from(bins))
        .filter_map(|k| {
            let t = (k * n).div_ceil(u64::from(bins)) as usize;
            let i = t.checked_sub(1)?;
            let (_, value, _) =
                partly_sorted[below..].select_nth_unstable_by(i - below, f64::total_cmp);
            let value = *value;
            below = i;
            Some(value)
        })
        .collect();
    values
        .par_iter()
        .map(|value| {
            if value.total_cmp(&highest).is_eq() {
                return bins;
            }
            let above = cutoffs
                .iter()
                .filter(|c| c.total_cmp(value).is_lt())
                .count();
            above as u32 + 1
        })
        .collect()
}

/// Scores as the R package `rfm` (0.3.0, `rfm_table_order`) does: the inner breakpoints are
/// R's default (type 7) quantiles of `values` at 1/bins, 2/bins, … plus one, and a value scores
/// 1 + the number of breakpoints it reaches (bins are `lower ≤ value < upper`). Ties at a
/// breakpoint all go up, so bins can be uneven or empty, as in R.
pub fn r_rfm_scores(values: &[f64], bins: u32) -> Vec<u32> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // R: seq(0, 1, length.out = bins + 1) is k * (1 / bins); quantile() then interpolates
    // at index 1 + (n − 1) p between x[lo] and x[hi] as (1 − h) x[lo] + h x[hi].
    let step = 1.0 / f64::from(bins);
    let breakpoints: Vec<f64> = (1..bins)
        .map(|k| {
            let index = 1.0 + (n - 1) as f64 * (f64::from(k) * step);
            let (lo, hi) = (index.floor(), index.ceil());
            let low_value = sorted[lo as usize - 1];
            let high_value = sorted[hi as usize - 1];
            let h = index - lo;
            let quantile = if index > lo && high_value != low_value {
                (1.0 - h) * low_value + h * high_value
            } else {
                low_value
            };
            quantile + 1.0
        })
        .collect();
    values
        .iter()
        .map(|&v| 1 + breakpoints.iter().filter(|&&b| v >= b).count() as u32)
        .collect()
}

/// An inclusive range of scores such as 4–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreRange {
    pub low: u32,
    pub high: u32,
}

impl ScoreRange {
    /// Parses "4-5", "4–5" or "3".
    pub fn parse(text: &str) -> Result<ScoreRange, String> {
        let text = text.trim();
        let (low, high) = match text.split_once(['-', '–']) {
            Some((low, high)) => (low.trim(), high.trim()),
            None => (text, text),
        };
        let number = |s: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("'{text}' is not a score range such as 4-5"))
        };
        let range = ScoreRange {
            low: number(low)?,
            high: number(high)?,
        };
        if range.low > range.high {
            return Err(format!("score range '{text}' runs backwards"));
        }
        Ok(range)
    }

    fn contains(&self, score: u32) -> bool {
        (self.low..=self.high).contains(&score)
    }
}

/// One named segment: the score ranges it covers and what to do with its customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRule {
    pub name: String,
    pub r: ScoreRange,
    pub f: ScoreRange,
    pub m: ScoreRange,
    pub action: String,
}

/// Segment rules applied in order, first match wins; unmatched customers are "Others".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentTable {
    pub rules: Vec<SegmentRule>,
}

/// The name given to customers no rule matches.
pub const OTHERS: &str = "Others";
/// The action of customers no rule matches.
pub const OTHERS_ACTION: &str =
    "No rule matched: look at these customers and refine the segment table";

/// A segment table written as (name, R, F, M, action).
type TableRows = [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)];

/// The default table: ten boxes that partition the 125 score cells of five bins, so every
/// customer has a named segment and the order of the rules does not matter. R sets the phase
/// (4–5 recent, 3 fading, 1–2 lapsed), F splits one-time from repeat buyers (and, among recent
/// customers, frequent ones), M splits the biggest spenders from the rest. docs/rfm.md gives
/// the rationale.
const DEFAULT_TABLE: &TableRows = &[
    (
        "Champions",
        "4-5",
        "4-5",
        "4-5",
        "Reward them; early access to new products; ask for reviews and referrals",
    ),
    (
        "Loyal Customers",
        "4-5",
        "4-5",
        "1-3",
        "Upsell higher-value products; invite to the loyalty programme; ask for reviews",
    ),
    (
        "Potential Loyalist",
        "4-5",
        "2-3",
        "1-5",
        "Offer membership or a loyalty programme; recommend related products",
    ),
    (
        "New Customers",
        "4-5",
        "1",
        "1-3",
        "Onboard well: welcome series, early support, a reason for a second order",
    ),
    (
        "Promising",
        "4-5",
        "1",
        "4-5",
        "A big first order: follow up quickly with related products and a reason to return",
    ),
    (
        "Need Attention",
        "3",
        "2-5",
        "1-5",
        "Limited-time offers and recommendations based on past purchases",
    ),
    (
        "About To Sleep",
        "2-3",
        "1",
        "1-5",
        "Reconnect with popular products and useful content before they lapse",
    ),
    (
        "At Risk",
        "1-2",
        "2-5",
        "1-3",
        "Personal win-back messages, renewal offers, ask what went wrong",
    ),
    (
        "Can't Lose Them",
        "1-2",
        "2-5",
        "4-5",
        "Win them back with new products or renewals; talk to them in person",
    ),
    (
        "Lost",
        "1",
        "1",
        "1-5",
        "Low-cost reactivation campaign at most; otherwise do not spend on them",
    ),
];

/// The R package `rfm`'s table (0.3.0), applied in order, first match wins. "New Customers",
/// "Promising" and "Can't Lose Them" own no score cell (earlier rules take them all) and 36 of
/// the 125 cells fall to Others; kept as published so `--scoring r-rfm` reproduces the package.
const R_RFM_TABLE: &TableRows = &[
    (
        "Champions",
        "4-5",
        "4-5",
        "4-5",
        "Reward them; early access to new products; ask for reviews and referrals",
    ),
    (
        "Loyal Customers",
        "2-5",
        "3-5",
        "3-5",
        "Upsell higher-value products; invite to the loyalty programme; ask for reviews",
    ),
    (
        "Potential Loyalist",
        "3-5",
        "1-3",
        "1-3",
        "Offer membership or a loyalty programme; recommend related products",
    ),
    (
        "New Customers",
        "4-5",
        "1-1",
        "1-1",
        "Onboard well: welcome series, early support, a reason for a second order",
    ),
    (
        "Promising",
        "3-4",
        "1-1",
        "1-1",
        "Build awareness of the range; free trials or samples",
    ),
    (
        "Need Attention",
        "2-3",
        "2-3",
        "2-3",
        "Limited-time offers and recommendations based on past purchases",
    ),
    (
        "About To Sleep",
        "2-3",
        "1-2",
        "1-2",
        "Reconnect with popular products and useful content before they lapse",
    ),
    (
        "At Risk",
        "1-2",
        "2-5",
        "2-5",
        "Personal win-back messages, renewal offers, ask what went wrong",
    ),
    (
        "Can't Lose Them",
        "1-1",
        "4-5",
        "4-5",
        "Win them back with new products or renewals; talk to them in person",
    ),
    (
        "Lost",
        "1-2",
        "1-2",
        "1-2",
        "Low-cost reactivation campaign at most; otherwise do not spend on them",
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(alias = "segment")]
    name: String,
    r: String,
    f: String,
    m: String,
    #[serde(default)]
    action: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(alias = "segments")]
    segment: Vec<RawRule>,
}

impl Default for SegmentTable {
    /// The default table: every cell of five bins in exactly one named segment.
    fn default() -> Self {
        Self::from_rows(DEFAULT_TABLE)
    }
}

impl SegmentTable {
    /// The R package `rfm`'s table, with its unreachable segments, for `--scoring r-rfm`.
    pub fn r_rfm() -> Self {
        Self::from_rows(R_RFM_TABLE)
    }

    fn from_rows(rows: &TableRows) -> Self {
        let rule = |&(name, r, f, m, action): &(&str, &str, &str, &str, &str)| SegmentRule {
            name: name.into(),
            r: ScoreRange::parse(r).expect("built-in table is valid"),
            f: ScoreRange::parse(f).expect("built-in table is valid"),
            m: ScoreRange::parse(m).expect("built-in table is valid"),
            action: action.into(),
        };
        SegmentTable {
            rules: rows.iter().map(rule).collect(),
        }
    }

    /// How many of the `bins³` score cells each segment owns (is the first match for), in the
    /// order of [`SegmentTable::names`], Others last. A rule owning none can never be assigned.
    pub fn cells_owned(&self, bins: u32) -> Vec<usize> {
        let mut owned = vec![0; self.rules.len() + 1];
        for r in 1..=bins {
            for f in 1..=bins {
                for m in 1..=bins {
                    owned[self.assign(r, f, m)] += 1;
                }
            }
        }
        owned
    }

    /// Reads a table from TOML (`[[segment]]` entries with name, r, f, m, action).
    pub fn from_toml(text: &str) -> Result<SegmentTable, String> {
        let raw: RawTable = toml::from_str(text).map_err(|e| e.to_string())?;
        Self::from_raw(raw.segment)
    }

    /// Reads a table from CSV with the header `segment,r,f,m[,action]`.
    pub fn from_csv(text: &str) -> Result<SegmentTable, String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rules = reader
            .deserialize::<RawRule>()
            .enumerate()
            .map(|(i, row)| row.map_err(|e| format!("row {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_raw(rules)
    }

    fn from_raw(raw: Vec<RawRule>) -> Result<SegmentTable, String> {
        if raw.is_empty() {
            return Err("the table has no segments".into());
        }
        let rules = raw
            .into_iter()
            .map(|r| {
                let range = |s: &str| {
                    ScoreRange::parse(s).map_err(|e| format!("segment '{}': {e}", r.name))
                };
                Ok(SegmentRule {
                    r: range(&r.r)?,
                    f: range(&r.f)?,
                    m: range(&r.m)?,
                    name: r.name,
                    action: r.action,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SegmentTable { rules })
    }

    /// Checks that every range lies within 1..=bins.
    pub fn check_bins(&self, bins: u32) -> Result<(), String> {
        for rule in &self.rules {
            for range in [rule.r, rule.f, rule.m] {
                if range.low < 1 || range.high > bins {
                    return Err(format!(
                        "segment '{}' uses scores {}-{}, outside 1-{bins}",
                        rule.name, range.low, range.high
                    ));
                }
            }
        }
        Ok(())
    }

    /// Index of the first rule that matches, or `rules.len()` for Others.
    pub fn assign(&self, r: u32, f: u32, m: u32) -> usize {
        self.rules
            .iter()
            .position(|rule| rule.r.contains(r) && rule.f.contains(f) && rule.m.contains(m))
            .unwrap_or(self.rules.len())
    }

    /// Segment names in table order, Others last.
    pub fn names(&self) -> Vec<&str> {
        self.rules
            .iter()
            .map(|r| r.name.as_str())
            .chain([OTHERS])
            .collect()
    }

    /// Recommended actions in the order of [`SegmentTable::names`].
    pub fn actions(&self) -> Vec<&str> {
        self.rules
            .iter()
            .map(|r| r.action.as_str())
            .chain([OTHERS_ACTION])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distinct_values_split_evenly() {
        let values: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(
            quantile_scores(&values, 5),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
    }

    #[test]
    fn ties_share_the_score_of_their_first_rank() {
        // six of ten customers bought once: they all score 1; the next value starts at rank 6.
        let values = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 9.0];
        assert_eq!(
            quantile_scores(&values, 5),
            vec![1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
        );
    }

    /// A lone customer, or customers who all share a value, sit at the top: they score the top
    /// bin (a customer who bought on the as-of date is not scored as the least recent).
    #[test]
    fn tiny_and_all_tied_inputs_score_at_the_top() {
        assert_eq!(quantile_scores(&[0.0], 5), vec![5]);
        assert_eq!(quantile_scores(&[3.0, 3.0, 3.0], 5), vec![5, 5, 5]);
        assert_eq!(quantile_scores(&[1.0, 2.0], 5), vec![1, 5]);
        assert_eq!(quantile_scores(&[1.0, 2.0, 3.0], 5), vec![1, 2, 5]);
        assert_eq!(quantile_scores(&[2.0, 1.0, 2.0], 5), vec![5, 1, 5]);
    }

    #[test]
    fn ties_at_the_top_score_high() {
        // 40 % bought on the last day: they are the most recent and score 5, not 3.
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0, 9.0, 9.0, 9.0];
        assert_eq!(
            quantile_scores(&values, 5),
            vec![1, 1, 2, 2, 3, 3, 5, 5, 5, 5]
        );
    }

    /// Issue 11, item 8: every one of the 125 (r, f, m) cells is matched by exactly one rule
    /// of the default table (so rule order does not matter and nobody is left in Others), and
    /// every named segment owns at least one cell.
    #[test]
    fn default_table_partitions_all_125_cells() {
        let table = SegmentTable::default();
        let mut hits = vec![0usize; table.rules.len()];
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    let matching: Vec<usize> = (0..table.rules.len())
                        .filter(|&i| {
                            let rule = &table.rules[i];
                            rule.r.contains(r) && rule.f.contains(f) && rule.m.contains(m)
                        })
                        .collect();
                    assert_eq!(matching.len(), 1, "cell {r}{f}{m} matches {matching:?}");
                    hits[matching[0]] += 1;
                }
            }
        }
        for (rule, cells) in table.rules.iter().zip(&hits) {
            assert!(*cells > 0, "{} owns no cell", rule.name);
        }
        assert_eq!(hits.iter().sum::<usize>(), 125);
        let owned = table.cells_owned(5);
        assert_eq!(&owned[..hits.len()], hits.as_slice());
        assert_eq!(owned[hits.len()], 0, "cells left to Others");
    }

    #[test]
    fn default_table_names_cells_by_phase_frequency_and_spend() {
        let table = SegmentTable::default();
        let name = |r, f, m| table.names()[table.assign(r, f, m)];
        assert_eq!(name(5, 5, 5), "Champions");
        assert_eq!(name(5, 1, 1), "New Customers");
        assert_eq!(name(4, 1, 5), "Promising");
        assert_eq!(name(3, 1, 1), "About To Sleep");
        assert_eq!(name(1, 5, 5), "Can't Lose Them");
        assert_eq!(name(2, 4, 2), "At Risk");
        assert_eq!(name(1, 1, 3), "Lost");
    }

    /// The R package's table as published: first match wins; three segments own no cell and
    /// 36 cells fall to Others.
    #[test]
    fn r_rfm_table_keeps_its_unreachable_segments() {
        let table = SegmentTable::r_rfm();
        let names = table.names();
        assert_eq!(names[table.assign(5, 5, 5)], "Champions");
        assert_eq!(names[table.assign(1, 5, 5)], "At Risk");
        assert_eq!(names[table.assign(5, 1, 1)], "Potential Loyalist");
        assert_eq!(names[table.assign(1, 1, 3)], OTHERS);
        let owned = table.cells_owned(5);
        let unreachable: Vec<&str> = (0..table.rules.len())
            .filter(|&i| owned[i] == 0)
            .map(|i| names[i])
            .collect();
        assert_eq!(
            unreachable,
            ["New Customers", "Promising", "Can't Lose Them"]
        );
        assert_eq!(owned[table.rules.len()], 36);
    }

    #[test]
    fn reads_toml_and_csv_tables() {
        let toml = "[[segment]]\nname = \"Best\"\nr = \"5\"\nf = \"4-5\"\nm = \"4–5\"\naction = \"Thank them\"\n";
        let table = SegmentTable::from_toml(toml).unwrap();
        assert_eq!(table.rules[0].f, ScoreRange { low: 4, high: 5 });
        let csv = "segment,r,f,m,action\nBest,5,4-5,4-5,Thank them\n";
        assert_eq!(SegmentTable::from_csv(csv).unwrap(), table);
    }

    #[test]
    fn rejects_bad_ranges() {
        assert!(ScoreRange::parse("5-4").is_err());
        assert!(ScoreRange::parse("high").is_err());
        let table = SegmentTable::from_csv("segment,r,f,m\nX,1-6,1,1\n").unwrap();
        assert!(table.check_bins(5).is_err());
    }

    /// Breakpoints by hand: values 1..=10, type-7 quantiles at 20/40/60/80 % are 2.8, 4.6,
    /// 6.4 and 8.2, plus one 3.8, 5.6, 7.4 and 9.2; a value reaching k of them scores k + 1.
    #[test]
    fn r_rfm_breakpoints_are_type_7_quantiles_plus_one() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(r_rfm_scores(&values, 5), vec![1, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
        // Ties: 1, 1, 1, 1, 2 has quantiles 1, 1, 1 and 1.2 (breakpoints 2, 2, 2, 2.2): the 2
        // reaches three of them and scores 4; no value scores 2, 3 or 5.
        assert_eq!(
            r_rfm_scores(&[1.0, 1.0, 1.0, 1.0, 2.0], 5),
            vec![1, 1, 1, 1, 4]
        );
        assert!(r_rfm_scores(&[], 5).is_empty());
    }

    proptest! {
        #[test]
        fn scores_follow_the_first_rank_formula(
            values in proptest::collection::vec(-3i32..30, 0..300),
            bins in 2u32..12,
        ) {
            let values: Vec<f64> = values.into_iter().map(|v| f64::from(v) / 2.0).collect();
            let n = values.len();
            let scores = quantile_scores(&values, bins);
            for (value, score) in values.iter().zip(scores) {
                let first_rank = values.iter().filter(|v| v.total_cmp(value).is_lt()).count();
                let is_highest = values.iter().all(|v| v.total_cmp(value).is_le());
                let expected = if is_highest { bins } else { (first_rank * bins as usize / n) as u32 + 1 };
                prop_assert_eq!(score, expected);
            }
        }

        #[test]
        fn scores_are_monotone_cover_the_bins_and_ties_agree(
            values in proptest::collection::vec(0u32..50, 1..400),
            bins in 2u32..10,
        ) {
            let values: Vec<f64> = values.into_iter().map(f64::from).collect();
            let scores = quantile_scores(&values, bins);
            for i in 0..values.len() {
                prop_assert!((1..=bins).contains(&scores[i]));
                for j in 0..values.len() {
                    if values[i] == values[j] { prop_assert_eq!(scores[i], scores[j]); }
                    if values[i] < values[j] { prop_assert!(scores[i] <= scores[j]); }
                }
            }
            // the lowest value scores 1 and the highest `bins` (all of them when all are tied)
            let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(values.iter().zip(&scores).all(|(v, s)| *v != max || *s == bins));
            prop_assert!(values.iter().zip(&scores).all(|(v, s)| *v != min || min == max || *s == 1));
        }

        #[test]
        fn distinct_values_fill_every_bin_evenly(n in 1usize..500, bins in 2u32..10) {
            let values: Vec<f64> = (0..n).map(|i| (i * 7919 % 100_003) as f64).collect();
            let scores = quantile_scores(&values, bins);
            let mut counts = vec![0usize; bins as usize];
            for s in scores { counts[s as usize - 1] += 1; }
            let (lo, hi) = (n / bins as usize, n.div_ceil(bins as usize));
            prop_assert!(counts.iter().all(|&c| c == 0 && n < bins as usize || (lo..=hi).contains(&c)));
        }

        #[test]
        fn every_customer_lands_in_exactly_one_segment(r in 1u32..=5, f in 1u32..=5, m in 1u32..=5) {
            let table = SegmentTable::default();
            let index = table.assign(r, f, m);
            prop_assert!(index <= table.rules.len());
            prop_assert!(table.rules[..index].iter().all(|rule| !(rule.r.contains(r) && rule.f.contains(f) && rule.m.contains(m))));
        }
    }
}
