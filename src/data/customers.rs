//! Rows grouped by customer, customers numbered in id order. Every per-customer analysis
//! starts here.
//!
//! Grouping millions of ids is the hot spot of every command. Row numbers are sorted (in
//! parallel) on a key held inline: the id's first 16 bytes and its length, which decide the
//! order of ids up to 16 bytes without reading them again; longer ids are compared in full when
//! the keys tie. Rows of one customer end up side by side, in input order.

use std::cmp::Ordering;

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
        let mut keyed: Vec<(SortKey, u32)> = ids
            .par_iter()
            .enumerate()
            .map(|(row, id)| (SortKey::of(id), row as u32))
            .collect();
        let same_id = |a: &(SortKey, u32), b: &(SortKey, u32)| match a.0.prefix.cmp(&b.0.prefix) {
            Ordering::Equal if a.0.is_whole() && b.0.is_whole() => a.0.len.cmp(&b.0.len),
            Ordering::Equal => ids[a.1 as usize].cmp(ids[b.1 as usize]),
            unequal => unequal,
        };
        keyed.par_sort_unstable_by(|a, b| same_id(a, b).then(a.1.cmp(&b.1)));
        let mut grouped = CustomerRows {
            ids: PackedText::default(),
            starts: Vec::new(),
            rows: Vec::with_capacity(keyed.len()),
        };
        for (i, &(_, row)) in keyed.iter().enumerate() {
            if i == 0 || same_id(&keyed[i - 1], &keyed[i]) != Ordering::Equal {
                grouped.ids.push(ids[row as usize]);
                grouped.starts.push(i);
            }
            grouped.rows.push(row);
        }
        grouped.starts.push(keyed.len());
        grouped
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

/// An id's first 16 bytes (zero-padded, as two big-endian words) and its length. Keys order
/// ids as their bytes do, except that equal prefixes of ids longer than 16 bytes need the ids.
#[derive(Debug, Clone, Copy)]
struct SortKey {
    prefix: [u64; 2],
    len: usize,
}

impl SortKey {
    fn of(id: &str) -> SortKey {
        let mut bytes = [0u8; 16];
        let n = id.len().min(16);
        bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
        let word = |i: usize| u64::from_be_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        SortKey {
            prefix: [word(0), word(8)],
            len: id.len(),
        }
    }

    /// Whether the prefix holds the whole id.
    fn is_whole(&self) -> bool {
        self.len <= 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn no_rows_no_customers() {
        assert_eq!(check(&[]).customers(), 0);
    }
}
