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

/// Rows per block of the first pass, which hashes rows into shards in parallel.
const BLOCK_ROWS: usize = 1 << 20;

/// Interns `ids` (one per row) into [`CustomerCodes`].
pub fn customer_codes(ids: &[&str]) -> CustomerCodes {
    let hasher = FixedState::with_seed(0x636c_6d00);
    // Per block of rows, each shard's rows (in input order).
    let blocks: Vec<Vec<Vec<u32>>> = ids
        .par_chunks(BLOCK_ROWS)
        .enumerate()
        .map(|(block, chunk)| {
            let mut rows_of_shard: Vec<Vec<u32>> = (0..SHARDS)
                .map(|_| Vec::with_capacity(chunk.len() / SHARDS * 2))
                .collect();
            for (offset, id) in chunk.iter().enumerate() {
                let shard = (hasher.hash_one(id) >> SHARD_SHIFT) as usize % SHARDS;
                rows_of_shard[shard].push((block * BLOCK_ROWS + offset) as u32);
            }
            rows_of_shard
        })
        .collect();
    let rows_of_shard: Vec<Vec<u32>> = (0..SHARDS)
        .into_par_iter()
        .map(|shard| blocks.iter().flat_map(|b| &b[shard]).copied().collect())
        .collect();
    drop(blocks);
    // Per shard: its distinct ids in order of appearance, and each of its rows' index among them.
    let interned: Vec<(Vec<&str>, Vec<u32>)> = rows_of_shard
        .par_iter()
        .map(|rows| {
            let mut index: HashMap<&str, u32, FixedState> =
                HashMap::with_capacity_and_hasher(rows.len() / 4, hasher.clone());
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

    // Sort the distinct ids on their first 16 bytes held inline (cache-friendly), reading the
    // whole id only when those tie.
    let distinct: Vec<&str> = interned.iter().flat_map(|(d, _)| d).copied().collect();
    let mut order: Vec<(SortPrefix, u32)> = distinct
        .par_iter()
        .enumerate()
        .map(|(i, id)| (SortPrefix::of(id), i as u32))
        .collect();
    order.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| distinct[a.1 as usize].cmp(distinct[b.1 as usize]))
    });
    let mut code_of_distinct = vec![0u32; distinct.len()];
    let bytes = distinct.iter().map(|id| id.len()).sum();
    let mut sorted_ids = PackedText::with_capacity(distinct.len(), bytes);
    for (code, &(_, i)) in order.iter().enumerate() {
        code_of_distinct[i as usize] = code as u32;
        sorted_ids.push(distinct[i as usize]);
    }
    drop(order);
    let mut codes = vec![0u32; ids.len()];
    let mut first_distinct = 0;
    for (rows, (shard_distinct, local)) in rows_of_shard.iter().zip(&interned) {
        let code_of = &code_of_distinct[first_distinct..first_distinct + shard_distinct.len()];
        for (&row, &local) in rows.iter().zip(local) {
            codes[row as usize] = code_of[local as usize];
        }
        first_distinct += shard_distinct.len();
    }
    CustomerCodes {
        ids: sorted_ids,
        codes,
    }
}

/// The first 16 bytes of a text, zero-padded, as two big-endian words: comparing prefixes
/// orders texts as comparing the texts does, except that equal prefixes need the full texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SortPrefix([u64; 2]);

impl SortPrefix {
    fn of(text: &str) -> SortPrefix {
        let mut bytes = [0u8; 16];
        let n = text.len().min(16);
        bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
        let word = |i: usize| u64::from_be_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        SortPrefix([word(0), word(8)])
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
    fn long_ids_and_prefixes_sort_as_text() {
        let ids = [
            "customer-0000000002",
            "customer-0000000010",
            "customer-000000001",
            "customer-0000000001",
            "b",
            "",
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
