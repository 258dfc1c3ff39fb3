//! Customers as dense codes: each row's customer id interned to a number, numbered in id order,
//! and the rows grouped by customer. Every per-customer analysis starts here.
//!
//! Interning millions of ids is the hot spot of every command, so it runs in shards: ids are
//! split by a few bits of their hash, and each shard (small enough for its table to stay in
//! cache) is interned on its own thread.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use rayon::prelude::*;

use crate::output::PackedText;

/// Shards are picked by bits 40..46 of the hash: the table inside a shard uses the low bits
/// (bucket) and the top seven (tag), so these leave both evenly spread.
const SHARD_SHIFT: u32 = 40;
const SHARDS: usize = 64;

/// Each row's customer as a code; code `c` is the `c`-th distinct id in byte order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerCodes {
    /// The distinct ids, sorted.
    pub ids: PackedText,
    /// The customer code of each row.
    pub codes: Vec<u32>,
}

/// Interns `ids` (one per row) into [`CustomerCodes`].
pub fn customer_codes(ids: &[&str]) -> CustomerCodes {
    let hasher = FixedState::with_seed(0x636c_6d00);
    let mut rows_of_shard: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
    for (row, id) in ids.iter().enumerate() {
        let shard = (hasher.hash_one(id) >> SHARD_SHIFT) as usize % SHARDS;
        rows_of_shard[shard].push(row as u32);
    }
    // Per shard: its distinct ids in order of appearance, and each of its rows' index among them.
    let interned: Vec<(Vec<&str>, Vec<u32>)> = rows_of_shard
        .par_iter()
        .map(|rows| {
            let mut index: HashMap<&str, u32, FixedState> = HashMap::with_hasher(hasher.clone());
            let mut distinct = Vec::new();
            let local = rows
                .iter()
                .map(|&row| {
                    let id = ids[row as usize];
                    *index.entry(id).or_insert_with(|| {
                        distinct.push(id);
                        distinct.len() as u32 - 1
                    })
                })
                .collect();
            (distinct, local)
        })
        .collect();

    let mut sorted: Vec<(&str, u32, u32)> = interned
        .iter()
        .enumerate()
        .flat_map(|(shard, (distinct, _))| {
            (0..distinct.len()).map(move |local| (distinct[local], shard as u32, local as u32))
        })
        .collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(b.0)); // ids are distinct: the order is total
    let mut code_of: Vec<Vec<u32>> = interned
        .iter()
        .map(|(distinct, _)| vec![0; distinct.len()])
        .collect();
    let bytes = sorted.iter().map(|s| s.0.len()).sum();
    let mut sorted_ids = PackedText::with_capacity(sorted.len(), bytes);
    for (code, &(id, shard, local)) in sorted.iter().enumerate() {
        code_of[shard as usize][local as usize] = code as u32;
        sorted_ids.push(id);
    }
    let mut codes = vec![0u32; ids.len()];
    for ((rows, (_, local)), code_of) in rows_of_shard.iter().zip(&interned).zip(&code_of) {
        for (&row, &local) in rows.iter().zip(local) {
            codes[row as usize] = code_of[local as usize];
        }
    }
    CustomerCodes {
        ids: sorted_ids,
        codes,
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
        let ids: Vec<String> = (0..50_000).map(|i| format!("C{:07}", i % 20_000)).collect();
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
    fn no_rows_no_customers() {
        let customers = customer_codes(&[]);
        assert!(customers.ids.is_empty());
        assert_eq!(RowsByCustomer::new(&customers.codes, 0).customers(), 0);
    }
}
