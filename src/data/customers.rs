//! Customers as dense codes: each row's customer id numbered in id order, and the rows grouped
//! by customer. Every per-customer analysis starts here.
//!
//! Numbering millions of ids is the hot spot of every command. Rows are sorted (in parallel) on
//! a key held inline: the id's first 16 bytes and its length, which decide the order of ids up
//! to 16 bytes without reading them again; longer ids are compared in full when the keys tie.
//! Same ids end up side by side and take consecutive codes.

use std::cmp::Ordering;

use rayon::prelude::*;

use crate::output::PackedText;

/// Each row's customer as a code; code `c` is the `c`-th distinct id in byte order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerCodes {
    /// The distinct ids, sorted.
    pub ids: PackedText,
    /// The customer code of each row.
    pub codes: Vec<u32>,
}

/// Numbers `ids` (one per row) in id order.
pub fn customer_codes(ids: &[&str]) -> CustomerCodes {
    let mut keyed: Vec<(SortKey, u32)> = ids
        .par_iter()
        .enumerate()
        .map(|(row, id)| (SortKey::of(id), row as u32))
        .collect();
    let order = |a: &(SortKey, u32), b: &(SortKey, u32)| match a.0.prefix.cmp(&b.0.prefix) {
        Ordering::Equal if a.0.is_whole() && b.0.is_whole() => a.0.len.cmp(&b.0.len),
        Ordering::Equal => ids[a.1 as usize].cmp(ids[b.1 as usize]),
        unequal => unequal,
    };
    keyed.par_sort_unstable_by(order);
    let mut codes = vec![0u32; ids.len()];
    let mut sorted_ids = PackedText::default();
    for (i, &(_, row)) in keyed.iter().enumerate() {
        if i == 0 || order(&keyed[i - 1], &keyed[i]) != Ordering::Equal {
            sorted_ids.push(ids[row as usize]);
        }
        codes[row as usize] = sorted_ids.len() as u32 - 1;
    }
    CustomerCodes {
        ids: sorted_ids,
        codes,
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

/// Row numbers grouped by customer code: customer `c`'s rows are `rows[starts[c]..starts[c + 1]]`,
/// in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowsByCustomer {
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl RowsByCustomer {
    /// Groups rows by their code (a counting sort: linear, stable).
    pub fn new(codes: &[u32], customers: usize) -> RowsByCustomer {
        let mut starts = vec![0usize; customers + 1];
        for &code in codes {
            starts[code as usize + 1] += 1;
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        let mut next = starts[..customers].to_vec();
        let mut rows = vec![0u32; codes.len()];
        for (row, &code) in codes.iter().enumerate() {
            rows[next[code as usize]] = row as u32;
            next[code as usize] += 1;
        }
        RowsByCustomer { starts, rows }
    }

    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.starts.len() - 1
    }

    /// Customer `c`'s row numbers, in input order.
    pub fn rows_of(&self, c: usize) -> &[u32] {
        &self.rows[self.starts[c]..self.starts[c + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_id_order_and_rows_group_in_input_order() {
        let ids = ["C2", "C10", "C2", "A", "C10", "C2"];
        let customers = customer_codes(&ids);
        assert_eq!(
            customers.ids.iter().collect::<Vec<_>>(),
            vec!["A", "C10", "C2"]
        );
        assert_eq!(customers.codes, vec![2, 1, 2, 0, 1, 2]);
        let groups = RowsByCustomer::new(&customers.codes, customers.ids.len());
        assert_eq!(groups.customers(), 3);
        assert_eq!(groups.rows_of(0), &[3]);
        assert_eq!(groups.rows_of(1), &[1, 4]);
        assert_eq!(groups.rows_of(2), &[0, 2, 5]);
    }

    #[test]
    fn many_ids_with_a_shared_prefix_stay_distinct() {
        let ids: Vec<String> = (0..50_000)
            .map(|i| format!("C{:07}", (i * 7919) % 20_000))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let customers = customer_codes(&refs);
        assert_eq!(customers.ids.len(), 20_000);
        for (row, &code) in customers.codes.iter().enumerate() {
            assert_eq!(customers.ids.get(code as usize), refs[row]);
        }
        let sorted: Vec<&str> = customers.ids.iter().collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
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
        let customers = customer_codes(&ids);
        let mut expected: Vec<&str> = ids.to_vec();
        expected.sort();
        expected.dedup();
        assert_eq!(customers.ids.iter().collect::<Vec<_>>(), expected);
        for (row, &code) in customers.codes.iter().enumerate() {
            assert_eq!(customers.ids.get(code as usize), ids[row]);
        }
    }

    #[test]
    fn no_rows_no_customers() {
        let customers = customer_codes(&[]);
        assert!(customers.ids.is_empty());
        assert_eq!(RowsByCustomer::new(&customers.codes, 0).customers(), 0);
    }
}
