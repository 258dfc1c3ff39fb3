//! Rows grouped by customer, customers numbered in id order. Every per-customer analysis
//! starts here.
//!
//! Grouping millions of ids is the hot spot of every command. Each row gets a 16-byte key, the
//! id's first 15 bytes and its length, which orders ids up to 15 bytes as their text does. The
//! keys are sorted by a parallel least-significant-digit radix sort, one pass per key byte that
//! is not the same in every row: no comparisons, and stable, so rows of one customer stay in
//! input order. Longer ids that share their first 15 bytes are then put in order by their text.
//! When every id fits its key and the byte values seen at each position number fewer than 2³²
//! keys in all (`C` and 7 digits: at most 10⁷), each key is numbered densely in the same order
//! and a row sorts as one `u64`, in two or three passes ([`PackedKeys`]).

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
        let bytes_seen = ByteProfile::of(ids);
        timer.lap("profile");
        if let Some(packer) = PackedKeys::for_ids(&bytes_seen) {
            return packer.group(ids, &mut timer);
        }
        let keyed: Vec<KeyedRow> = ids
            .par_iter()
            .enumerate()
            .map(|(row, id)| KeyedRow {
                key: key_of(id),
                row: row as u32,
            })
            .collect();
        timer.lap("keys");
        let mut sorted = radix_sort(keyed, &bytes_seen);
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

    /// Where customer `c`'s rows sit in a column put in customer order by
    /// [`CustomerRows::gather`].
    pub fn span_of(&self, c: usize) -> std::ops::Range<usize> {
        self.starts[c]..self.starts[c + 1]
    }

    /// `column` (one value per row) in customer order: customer `c`'s values, in input order,
    /// are `gathered[span_of(c)]`. One tight parallel pass of independent reads, so that each
    /// customer is then summarised from contiguous memory instead of rows scattered over the
    /// file (an export is in date order, its customers are not).
    pub fn gather<T: Copy + Send + Sync>(&self, column: &[T]) -> Vec<T> {
        self.rows
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&row| column[row as usize])
            .collect()
    }
}

/// The byte values seen at each position of the rows' keys ([`key_of`]).
struct ByteProfile([[u64; 4]; 16]);

impl ByteProfile {
    fn of(ids: &[&str]) -> ByteProfile {
        let empty = || ByteProfile([[0; 4]; 16]);
        // By chunks, each with its own profile: a fold would move the 512 bytes per id.
        let mut seen = ids
            .par_chunks(1 << 14)
            .map(|chunk| {
                let mut seen = empty();
                for id in chunk {
                    for (position, &value) in id.as_bytes().iter().take(PREFIX).enumerate() {
                        seen.set(position, value);
                    }
                    seen.set(PREFIX, id.len().min(255) as u8);
                }
                seen
            })
            .reduce(empty, |mut a, b| {
                for (x, y) in a.0.iter_mut().flatten().zip(b.0.iter().flatten()) {
                    *x |= y;
                }
                a
            });
        // The zeros that pad ids shorter than a position.
        for len in 0..PREFIX as u8 {
            if seen.has(PREFIX, len) {
                (usize::from(len)..PREFIX).for_each(|position| seen.set(position, 0));
            }
        }
        seen
    }

    fn set(&mut self, position: usize, value: u8) {
        self.0[position][usize::from(value >> 6)] |= 1 << (value & 63);
    }

    /// How many distinct byte values occur at `position`.
    fn values_at(&self, position: usize) -> u32 {
        self.0[position].iter().map(|bits| bits.count_ones()).sum()
    }

    /// Whether `value` occurs at `position`.
    fn has(&self, position: usize, value: u8) -> bool {
        self.0[position][usize::from(value >> 6)] & (1 << (value & 63)) != 0
    }
}

/// Keys numbered densely when every id is whole in its key and the byte values seen at each
/// position, taken as mixed-radix digits, number fewer than 2³² keys: each key becomes that
/// number, in the same order, and a row is one `u64` (key above, row below). Typical ids (`C`
/// and 7 digits) then sort in three 8-bit passes over 8-byte records instead of seven passes
/// over 20-byte ones.
struct PackedKeys {
    /// The positions that vary, last first.
    digits: Vec<Digit>,
    /// The key bytes at the positions that do not vary.
    constant: Key,
    /// 8-bit radix passes that cover every key number.
    passes: usize,
}

/// One varying key position as a digit of the key number.
struct Digit {
    position: usize,
    /// Each byte value's digit: its rank among the values seen at the position.
    rank: [u32; 256],
    /// The values seen, in rank order.
    values: Vec<u8>,
    /// The digit's place value.
    weight: u64,
}

impl PackedKeys {
    fn for_ids(seen: &ByteProfile) -> Option<PackedKeys> {
        let longest = (0..=255u8).rev().find(|&len| seen.has(PREFIX, len));
        if longest.is_some_and(|len| usize::from(len) > PREFIX) {
            return None;
        }
        let mut digits = Vec::new();
        let mut constant = Key::default();
        let mut keys: u64 = 1;
        for position in (0..16).rev() {
            let values: Vec<u8> = (0..=255u8).filter(|&v| seen.has(position, v)).collect();
            if values.len() < 2 {
                constant[position] = values.first().copied().unwrap_or(0);
                continue;
            }
            let mut rank = [0u32; 256];
            for (r, &value) in values.iter().enumerate() {
                rank[usize::from(value)] = r as u32;
            }
            let count = values.len() as u64;
            digits.push(Digit {
                position,
                rank,
                values,
                weight: keys,
            });
            keys = keys.checked_mul(count)?;
        }
        if keys > 1 << 32 {
            return None;
        }
        let bits = 64 - (keys - 1).leading_zeros() as usize;
        Some(PackedKeys {
            digits,
            constant,
            passes: bits.div_ceil(8),
        })
    }

    /// The key number of `id`.
    fn number(&self, id: &str) -> u64 {
        let key = key_of(id);
        self.digits
            .iter()
            .map(|d| u64::from(d.rank[usize::from(key[d.position])]) * d.weight)
            .sum()
    }

    /// The key whose number is `number`: its digits, least significant first, one division
    /// each (in 32 bits: key numbers are below 2³²). A million ids are read back this way.
    fn key(&self, number: u64) -> Key {
        let mut key = self.constant;
        let mut rest = u32::try_from(number).expect("key numbers are below 2^32");
        for d in &self.digits {
            let base = d.values.len() as u32;
            key[d.position] = d.values[(rest % base) as usize];
            rest /= base;
        }
        key
    }

    fn group(&self, ids: &[&str], timer: &mut crate::output::Stopwatch) -> CustomerRows {
        let keyed: Vec<u64> = ids
            .par_iter()
            .enumerate()
            .map(|(row, id)| self.number(id) << 32 | row as u64)
            .collect();
        timer.lap("keys");
        let passes: Vec<usize> = (0..self.passes).collect();
        let sorted = radix_passes(keyed, &passes, |k, pass| {
            ((k >> (32 + 8 * pass)) & 0xff) as usize
        });
        timer.lap("radix");
        let mut starts: Vec<usize> = (0..sorted.len())
            .into_par_iter()
            .filter(|&i| i == 0 || sorted[i] >> 32 != sorted[i - 1] >> 32)
            .collect();
        // Ids are read back from their key numbers, which are at hand, in pieces on the pool.
        let pieces: Vec<PackedText> = starts
            .par_chunks(1 << 16)
            .map(|piece| {
                let mut ids = PackedText::with_capacity(piece.len(), 0);
                for &start in piece {
                    let key = self.key(sorted[start] >> 32);
                    ids.push(std::str::from_utf8(&key[..usize::from(key[PREFIX])]).expect("an id"));
                }
                ids
            })
            .collect();
        let mut customer_ids = PackedText::with_capacity(starts.len(), 0);
        pieces.iter().for_each(|piece| customer_ids.append(piece));
        starts.push(sorted.len());
        let rows = sorted.par_iter().map(|&k| k as u32).collect();
        timer.lap("group");
        CustomerRows {
            ids: customer_ids,
            starts,
            rows,
        }
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
/// are the same in every row.
fn radix_sort(from: Vec<KeyedRow>, seen: &ByteProfile) -> Vec<KeyedRow> {
    let passes: Vec<usize> = (0..16).rev().filter(|&b| seen.values_at(b) > 1).collect();
    radix_passes(from, &passes, |k, byte| usize::from(k.key[byte]))
}

/// Sorts stably by one 8-bit digit per pass (`digit(row, pass)`, least significant pass
/// first). Each pass counts the digits of every chunk of rows in parallel, then every chunk
/// moves its rows into its own ranges of the output.
fn radix_passes<T, F>(mut from: Vec<T>, passes: &[usize], digit: F) -> Vec<T>
where
    T: Copy + Default + Send + Sync,
    F: Fn(&T, usize) -> usize + Sync,
{
    if passes.is_empty() {
        return from;
    }
    let chunk = from
        .len()
        .div_ceil(2 * rayon::current_num_threads())
        .max(1 << 14);
    let mut to = vec![T::default(); from.len()];
    for &pass in passes {
        let counts: Vec<[usize; 256]> = from
            .par_chunks(chunk)
            .map(|rows| {
                let mut count = [0usize; 256];
                for k in rows {
                    count[digit(k, pass)] += 1;
                }
                count
            })
            .collect();
        // The output, cut into one range per (chunk, digit value): value-major, chunk-minor.
        let mut ranges: Vec<Vec<&mut [T]>> = counts.iter().map(|_| Vec::new()).collect();
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
                    let value = digit(k, pass);
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
            ids in proptest::collection::vec("(abcdefghijklmn|x)?[ab\\x00]{0,4}|[0-9c]{0,6}", 0..3_000),
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

    /// Numeric ids of varying length take the packed path; the result is the map's.
    #[test]
    fn packed_keys_group_like_a_map() {
        let ids: Vec<String> = (0..30_000u64)
            .map(|i| ((i * 7_919) % 12_345).to_string())
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(PackedKeys::for_ids(&ByteProfile::of(&refs)).is_some());
        let grouped = check(&refs);
        assert_eq!(grouped.customers(), 12_345);
        let mut expected: std::collections::BTreeMap<&str, Vec<u32>> = Default::default();
        for (row, id) in refs.iter().enumerate() {
            expected.entry(id).or_default().push(row as u32);
        }
        for (c, (id, rows)) in expected.iter().enumerate() {
            assert_eq!(grouped.ids.get(c), *id);
            assert_eq!(grouped.rows_of(c), rows.as_slice());
        }
    }

    /// Which ids are packed: not ids longer than the key holds, nor key sets of more than 2³²
    /// numbers.
    #[test]
    fn when_keys_are_packed() {
        let packed = |ids: &[&str]| PackedKeys::for_ids(&ByteProfile::of(ids)).map(|p| p.passes);
        // Three values at seven positions: 3⁷ = 2,187 numbers, two 8-bit passes.
        assert_eq!(packed(&["C0000000", "C4999999", "C1234567"]), Some(2));
        assert_eq!(packed(&["same", "same"]), Some(0));
        assert_eq!(packed(&[]), Some(0));
        assert_eq!(packed(&["customer-0000000001", "a"]), None);
        // 15 positions of two values each and lengths 1 and 15: 2¹⁶ numbers, packed.
        assert_eq!(packed(&["aaaaaaaaaaaaaaa", "b"]), Some(2));
        // Five values at each of 15 positions (the short id pads with zeros): 5¹⁵ > 2³².
        let five = [
            "aaaaaaaaaaaaaaa",
            "bbbbbbbbbbbbbbb",
            "ccccccccccccccc",
            "eeeeeeeeeeeeeee",
            "d",
        ];
        assert_eq!(packed(&five), None);
        assert_eq!(check(&five).customers(), 5);
    }

    #[test]
    fn gathered_columns_follow_the_customers() {
        let ids = ["C2", "C10", "C2", "A", "C10", "C2"];
        let grouped = CustomerRows::new(&ids);
        let values = [0, 10, 20, 30, 40, 50];
        let gathered = grouped.gather(&values);
        assert_eq!(gathered, [30, 10, 40, 0, 20, 50]);
        for c in 0..grouped.customers() {
            let expected: Vec<i32> = grouped
                .rows_of(c)
                .iter()
                .map(|&r| values[r as usize])
                .collect();
            assert_eq!(&gathered[grouped.span_of(c)], expected.as_slice());
        }
    }

    #[test]
    fn no_rows_no_customers() {
        assert_eq!(check(&[]).customers(), 0);
    }
}
