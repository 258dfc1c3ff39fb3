//! Rows grouped by customer, customers numbered in id order. Every per-customer analysis
//! starts here.
//!
//! Grouping millions of ids is the hot spot of every command. Each row gets a 16-byte key, the
//! id's first 15 bytes and its length, which orders ids up to 15 bytes as their text does. The
//! keys are sorted by a parallel least-significant-digit radix sort, one pass per key byte that
//! is not the same in every row: no comparisons, and stable, so rows of one customer stay in
//! input order. Longer ids that share their first 15 bytes are then put in order by their text.

use rayon::prelude::*;

use crate::output::PackedText;

/// Rows grouped by customer, customers numbered in id order: customer `c` is `ids[c]`, and its
/// rows are `rows_of(c)`, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRows {
    /// The distinct ids, sorted.
    pub ids: PackedText,
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl CustomerRows {
    /// Groups rows by their customer id (one id per row).
    pub fn new(ids: &[&str]) -> CustomerRows {
        let mut timer = crate::output::Stopwatch::start("customer rows");
        let keyed: Vec<KeyedRow> = ids
            .par_iter()
            .enumerate()
            .map(|(row, id)| KeyedRow {
                key: key_of(id),
                row: row as u32,
            })
            .collect();
        timer.lap("keys");
        let mut sorted = radix_sort(keyed);
        timer.lap("radix");
        order_long_ids(&mut sorted, ids);
        timer.lap("long ids");
        let id_of = |k: &KeyedRow| ids[k.row as usize];
        let mut starts: Vec<usize> = (0..sorted.len())
            .into_par_iter()
            .filter(|&i| {
                let (current, previous) = (&sorted[i], i.checked_sub(1).map(|p| &sorted[p]));
                !previous.is_some_and(|p| {
                    p.key == current.key && (is_whole(&p.key) || id_of(p) == id_of(current))
                })
            })
            .collect();
        // Whole ids are read back from their keys, which are at hand.
        let ids = starts
            .iter()
            .map(|&start| {
                let key = &sorted[start].key;
                if is_whole(key) {
                    std::str::from_utf8(&key[..usize::from(key[PREFIX])]).expect("a whole id")
                } else {
                    id_of(&sorted[start])
                }
            })
            .collect();
        starts.push(sorted.len());
        let rows = sorted.par_iter().map(|k| k.row).collect();
        timer.lap("group");
        CustomerRows { ids, starts, rows }
    }

    /// Groups rows whose ids are already in order (a customer's rows together, customers in id
    /// order, as `clm summary` writes them) in one pass, without sorting; `None` when they are
    /// not in order. Gives what [`CustomerRows::new`] gives on such rows.
    pub fn from_sorted(ids: &[&str]) -> Option<CustomerRows> {
        if !ids.par_windows(2).all(|pair| pair[0] <= pair[1]) {
            return None;
        }
        let mut starts: Vec<usize> = (0..ids.len())
            .into_par_iter()
            .filter(|&i| i == 0 || ids[i - 1] != ids[i])
            .collect();
        let distinct = starts.iter().map(|&start| ids[start]).collect();
        starts.push(ids.len());
        let rows = (0..ids.len() as u32).collect();
        Some(CustomerRows {
            ids: distinct,
            starts,
            rows,
        })
    }

    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.ids.len()
    }

    /// Customer `c`'s row numbers, in input order.
    pub fn rows_of(&self, c: usize) -> &[u32] {
        &self.rows[self.starts[c]..self.starts[c + 1]]
    }
}

/// Bytes of an id held in its key.
const PREFIX: usize = 15;

/// An id's first [`PREFIX`] bytes, zero-padded, then its length (capped at 255). Keys compared
/// as bytes order ids as their text does, except ids longer than [`PREFIX`] bytes that share
/// the prefix.
type Key = [u8; 16];

#[derive(Debug, Clone, Copy, Default)]
struct KeyedRow {
    key: Key,
    row: u32,
}

fn key_of(id: &str) -> Key {
    let mut key = [0u8; 16];
    let n = id.len().min(PREFIX);
    key[..n].copy_from_slice(&id.as_bytes()[..n]);
    key[PREFIX] = id.len().min(255) as u8;
    key
}

/// Whether the key holds the whole id.
fn is_whole(key: &Key) -> bool {
    usize::from(key[PREFIX]) <= PREFIX
}

/// Sorts by key, stably: one counting pass per key byte, last byte first, skipping bytes that
/// are the same in every row. Each pass counts the bytes of every chunk of rows in parallel,
/// then every chunk moves its rows into its own ranges of the output.
fn radix_sort(mut from: Vec<KeyedRow>) -> Vec<KeyedRow> {
    let Some(first) = from.first().map(|k| k.key) else {
        return from;
    };
    let varying: Key = from
        .par_iter()
        .fold(Key::default, |mut seen, k| {
            for (s, (a, b)) in seen.iter_mut().zip(k.key.iter().zip(&first)) {
                *s |= a ^ b;
            }
            seen
        })
        .reduce(Key::default, |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
            a
        });
    let chunk = from
        .len()
        .div_ceil(2 * rayon::current_num_threads())
        .max(1 << 14);
    let mut to = vec![KeyedRow::default(); from.len()];
    for byte in (0..16).rev().filter(|&b| varying[b] != 0) {
        let counts: Vec<[usize; 256]> = from
            .par_chunks(chunk)
            .map(|rows| {
                let mut count = [0usize; 256];
                for k in rows {
                    count[usize::from(k.key[byte])] += 1;
                }
                count
            })
            .collect();
        // The output, cut into one range per (chunk, byte value): value-major, chunk-minor.
        let mut ranges: Vec<Vec<&mut [KeyedRow]>> = counts.iter().map(|_| Vec::new()).collect();
        let mut rest = to.as_mut_slice();
        for value in 0..256 {
            for (c, count) in counts.iter().enumerate() {
                let (range, tail) = std::mem::take(&mut rest).split_at_mut(count[value]);
                ranges[c].push(range);
                rest = tail;
            }
        }
        from.par_chunks(chunk)
            .zip(ranges)
            .for_each(|(rows, mut ranges)| {
                let mut next = [0usize; 256];
                for k in rows {
                    let value = usize::from(k.key[byte]);
                    ranges[value][next[value]] = *k;
                    next[value] += 1;
                }
            });
        std::mem::swap(&mut from, &mut to);
    }
    from
}

/// Puts ids longer than [`PREFIX`] bytes that share their prefix in text order (stable, so each
/// id's rows stay in input order). They sit together, after the shorter ids with that prefix.
fn order_long_ids(sorted: &mut [KeyedRow], ids: &[&str]) {
    let prefix = |k: &KeyedRow| <[u8; PREFIX]>::try_from(&k.key[..PREFIX]).expect("15 bytes");
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        if !is_whole(&sorted[start].key) {
            while end < sorted.len() && prefix(&sorted[end]) == prefix(&sorted[start]) {
                end += 1;
            }
            sorted[start..end].sort_by(|a, b| ids[a.row as usize].cmp(ids[b.row as usize]));
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_order_group_without_sorting_as_when_sorted() {
        // Ids longer than the 15 bytes of a sort key, sharing them, are ordered by their text.
        let ordered = [
            "",
            "A",
            "A",
            "B",
            "Ba",
            "a-very-long-customer-id-1",
            "a-very-long-customer-id-1",
            "a-very-long-customer-id-2",
        ];
        assert_eq!(
            CustomerRows::from_sorted(&ordered),
            Some(CustomerRows::new(&ordered))
        );
        assert_eq!(CustomerRows::from_sorted(&[]), Some(CustomerRows::new(&[])));
        assert_eq!(CustomerRows::from_sorted(&["B", "A"]), None);
        assert_eq!(CustomerRows::from_sorted(&["A", "B", "A"]), None);
    }

    /// Every row lands with its own id, each id once, ids sorted, rows in input order.
    fn check(ids: &[&str]) -> CustomerRows {
        let grouped = CustomerRows::new(ids);
        let sorted: Vec<&str> = grouped.ids.iter().collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]), "{sorted:?}");
        let mut seen = 0;
        for (c, id) in sorted.iter().enumerate() {
            let rows = grouped.rows_of(c);
            assert!(rows.windows(2).all(|w| w[0] < w[1]));
            assert!(rows.iter().all(|&row| ids[row as usize] == *id));
            seen += rows.len();
        }
        assert_eq!(seen, ids.len());
        grouped
    }

    #[test]
    fn customers_in_id_order_rows_in_input_order() {
        let grouped = check(&["C2", "C10", "C2", "A", "C10", "C2"]);
        assert_eq!(grouped.customers(), 3);
        assert_eq!(grouped.rows_of(0), &[3]);
        assert_eq!(grouped.rows_of(1), &[1, 4]);
        assert_eq!(grouped.rows_of(2), &[0, 2, 5]);
    }

    #[test]
    fn many_ids_with_a_shared_prefix_stay_distinct() {
        let ids: Vec<String> = (0..50_000)
            .map(|i| format!("C{:07}", (i * 7919) % 20_000))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(check(&refs).customers(), 20_000);
    }

    #[test]
    fn long_ids_and_prefixes_sort_as_text() {
        let ids = [
            "customer-0000000002",
            "customer-0000000010",
            "customer-000000001",
            "customer-0000000001",
            "b",
            "",
            "ab",
            "ab\0",
            "customer-0000000001\0",
            "customer-0000000002",
        ];
        assert_eq!(check(&ids).customers(), 9);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Against a plain map from id to rows, with ids around the 15-byte prefix and sharing
        /// prefixes. (`many_ids_with_a_shared_prefix_stay_distinct` spans several chunks.)
        #[test]
        fn matches_a_map_of_ids_to_rows(
            ids in proptest::collection::vec("(abcdefghijklmn|x)?[ab\\x00]{0,4}", 0..3_000),
        ) {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let grouped = check(&refs);
            let mut expected: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
            for (row, id) in refs.iter().enumerate() {
                expected.entry(id).or_default().push(row as u32);
            }
            proptest::prop_assert_eq!(grouped.customers(), expected.len());
            for (c, (id, rows)) in expected.iter().enumerate() {
                proptest::prop_assert_eq!(grouped.ids.get(c), *id);
                proptest::prop_assert_eq!(grouped.rows_of(c), rows.as_slice());
            }
        }
    }

    #[test]
    fn no_rows_no_customers() {
        assert_eq!(check(&[]).customers(), 0);
    }
}
