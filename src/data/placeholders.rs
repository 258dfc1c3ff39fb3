//! Placeholder customer ids: the `--exclude-ids` list, and the check that names an id holding an
//! outsized share of the rows or of the sales (a `0`, `guest` or `unknown` standing for many
//! customers, which would otherwise become the best customer of every analysis).

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use super::load::{AMOUNT, CUSTOMER, IS_RETURN, RowColumns};
use crate::error::ClmError;
use crate::output::Stopwatch;

/// An id is outsized when it holds at least this share of the rows or of the sales…
pub const OUTSIZED_SHARE: f64 = 0.10;
/// …and at least this many times an even share (1 / customers): with 200 customers or more the
/// bar is [`OUTSIZED_SHARE`]; with 50 it is 40 %; with 20 or fewer nothing is reported.
pub const EVEN_SHARE_MULTIPLE: f64 = 20.0;

/// Buckets of the first pass: an id's share is at most its bucket's, so only buckets at or
/// above the bar are looked at id by id. With 256 buckets a bucket of evenly spread ids holds
/// about 0.4 %, far below 10 %: on clean data the second pass does not run.
const BUCKETS: usize = 256;

/// The ids given with `--exclude-ids`: each value is a comma-separated list of ids, or `@FILE`
/// naming a file with one id per line (blank lines and lines starting with `#` are skipped).
/// Ids are trimmed of surrounding spaces. A file that cannot be read is an input error (66).
pub fn read_exclude_ids(values: &[String]) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for value in values {
        if let Some(path) = value.strip_prefix('@') {
            ids.extend(read_id_file(Path::new(path))?);
        } else {
            ids.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
            );
        }
    }
    Ok(ids)
}

fn read_id_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ClmError::InputMissing(format!(
            "cannot read the --exclude-ids file '{}': {e}",
            path.display()
        ))
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Rows left out by `--exclude-ids`, and which of the ids had rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exclusion {
    /// Rows removed.
    pub rows: usize,
    /// Ids that had rows, in the order given.
    pub found: Vec<String>,
    /// Ids that had none (a typo, or an id written differently in the export).
    pub not_found: Vec<String>,
}

impl Exclusion {
    /// The ids that had rows, for a message: all of them up to five, else five and a count.
    pub fn found_list(&self) -> String {
        id_list(&self.found)
    }

    /// The ids that had no rows, as [`Exclusion::found_list`].
    pub fn not_found_list(&self) -> String {
        id_list(&self.not_found)
    }
}

fn id_list(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown = ids[..ids.len().min(SHOWN)].join(", ");
    match ids.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{shown} and {more} more"),
        _ => shown,
    }
}

/// Removes the rows whose customer id is in `ids` from `frame` (whose ids are text).
pub fn exclude_customers(
    frame: &DataFrame,
    ids: &[String],
) -> PolarsResult<(DataFrame, Exclusion)> {
    let excluded: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let customer = frame.column(CUSTOMER)?.str()?;
    let mut found = HashSet::new();
    let keep: BooleanChunked = customer
        .iter()
        .map(|id| match id {
            Some(id) if excluded.contains(id) => {
                found.insert(id);
                false
            }
            _ => true,
        })
        .collect();
    let rows = keep.iter().filter(|k| *k == Some(false)).count();
    let (found, not_found) = ids
        .iter()
        .cloned()
        .partition(|id| found.contains(id.as_str()));
    let frame = if rows == 0 {
        frame.clone()
    } else {
        frame.filter(&keep)?
    };
    Ok((
        frame,
        Exclusion {
            rows,
            found,
            not_found,
        },
    ))
}

/// An id holding an outsized share of the rows or of the sales.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsizedId {
    pub id: String,
    pub rows: usize,
    /// Rows of the id / all rows.
    pub row_share: f64,
    /// Sales of the id / all sales, where sales are the positive amounts of purchase rows
    /// (returns and negative amounts are not sales).
    pub sales_share: f64,
}

/// The ids that hold at least [`OUTSIZED_SHARE`] of the rows or of the sales of `frame`, and at
/// least [`EVEN_SHARE_MULTIPLE`] times an even share, largest row share first.
///
/// Two passes, neither of which groups all ids: the first adds every row to one of
/// [`BUCKETS`] buckets by a hash of its id; the second, which runs only when a bucket reaches
/// the bar, counts the ids of those buckets one by one.
pub fn outsized_ids(frame: &DataFrame) -> PolarsResult<Vec<OutsizedId>> {
    let rows = frame.height();
    if rows == 0 {
        return Ok(Vec::new());
    }
    let mut timer = Stopwatch::start("id shares");
    let customer = frame.column(CUSTOMER)?.str()?;
    let amount = frame.column(AMOUNT)?.f64()?;
    let is_return = frame.column(IS_RETURN)?.bool()?;
    let hasher = foldhash::fast::FixedState::with_seed(0);
    let bucket_of = |id: &str| (hasher.hash_one(id) % BUCKETS as u64) as usize;
    let each_row = || {
        let ids = customer
            .downcast_iter()
            .flat_map(|chunk| chunk.values_iter());
        ids.zip(sales(amount, is_return))
    };
    // Chunk of ids by chunk on all cores, with the amounts and return flags of the same rows
    // (a slice of those columns, however they are cut).
    let starts = customer.chunk_lengths().scan(0, |start, length| {
        let chunk_start = *start;
        *start += length;
        Some(chunk_start)
    });
    let chunks: Vec<_> = customer.downcast_iter().zip(starts).collect();
    let BucketTotals {
        rows: bucket_rows,
        sales: bucket_sales,
    } = chunks
        .into_par_iter()
        .map(|(ids, start)| {
            let amounts = amount.slice(start as i64, ids.len());
            let returns = is_return.slice(start as i64, ids.len());
            let sales = sales(&amounts, &returns);
            bucket_totals(ids.values_iter().zip(sales), &bucket_of)
        })
        // Added in chunk order: the same sums on every run (rayon's `reduce` may not be).
        .collect::<Vec<_>>()
        .into_iter()
        .fold(BucketTotals::empty(), BucketTotals::add);
    timer.lap("buckets");
    let total_sales: f64 = bucket_sales.iter().sum();
    let heavy = |rows_in: usize, sales_in: f64| {
        rows_in as f64 >= OUTSIZED_SHARE * rows as f64
            || (total_sales > 0.0 && sales_in >= OUTSIZED_SHARE * total_sales)
    };
    let heavy_buckets: Vec<bool> = (0..BUCKETS)
        .map(|b| heavy(bucket_rows[b], bucket_sales[b]))
        .collect();
    if !heavy_buckets.contains(&true) {
        return Ok(Vec::new());
    }

    let mut per_id: HashMap<&str, (usize, f64)> = HashMap::new();
    for (id, sale) in each_row() {
        if heavy_buckets[bucket_of(id)] {
            let entry = per_id.entry(id).or_default();
            entry.0 += 1;
            entry.1 += sale;
        }
    }
    timer.lap("ids of full buckets");
    let candidates: Vec<OutsizedId> = per_id
        .into_iter()
        .filter(|&(_, (id_rows, id_sales))| heavy(id_rows, id_sales))
        .map(|(id, (id_rows, id_sales))| OutsizedId {
            id: id.to_string(),
            rows: id_rows,
            row_share: id_rows as f64 / rows as f64,
            sales_share: if total_sales > 0.0 {
                id_sales / total_sales
            } else {
                0.0
            },
        })
        .collect();
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let customers = distinct_up_to(each_row().map(|(id, _)| id), CUSTOMERS_LIMIT);
    Ok(above_the_bar(candidates, customers))
}

/// Customers counted for the bar: with this many the bar is [`OUTSIZED_SHARE`].
const CUSTOMERS_LIMIT: usize = (EVEN_SHARE_MULTIPLE / OUTSIZED_SHARE) as usize;

/// The candidates at or above the bar, largest row share first. Few customers each hold a
/// large share: the bar rises to 20 even shares.
fn above_the_bar(mut candidates: Vec<OutsizedId>, customers: usize) -> Vec<OutsizedId> {
    let bar = OUTSIZED_SHARE.max(EVEN_SHARE_MULTIPLE / customers as f64);
    candidates.retain(|c| c.row_share >= bar || c.sales_share >= bar);
    candidates.sort_by(|a, b| {
        b.row_share
            .total_cmp(&a.row_share)
            .then(b.sales_share.total_cmp(&a.sales_share))
            .then(a.id.cmp(&b.id))
    });
    candidates
}

/// [`outsized_ids`] of rows read part by part, where the parts hold disjoint customers (the
/// partitions of a batched read): each part is a bucket, counted id by id only when it reaches
/// the bar.
#[derive(Debug, Clone)]
pub struct IdShares {
    rows: usize,
    total_sales: f64,
    candidates: Vec<OutsizedId>,
    customers: usize,
}

impl IdShares {
    /// Shares of `rows` rows in all, with `total_sales` sales in all.
    pub fn new(rows: usize, total_sales: f64) -> IdShares {
        IdShares {
            rows,
            total_sales,
            candidates: Vec::new(),
            customers: 0,
        }
    }

    fn heavy(&self, rows_in: usize, sales_in: f64) -> bool {
        rows_in as f64 >= OUTSIZED_SHARE * self.rows as f64
            || (self.total_sales > 0.0 && sales_in >= OUTSIZED_SHARE * self.total_sales)
    }

    /// Adds one part's rows.
    pub fn add_part(&mut self, part: &RowColumns) {
        let sales = || {
            part.amount
                .iter()
                .zip(&part.is_return)
                .map(|(&a, &r)| sale(a, r))
        };
        if self.customers < CUSTOMERS_LIMIT {
            let limit = CUSTOMERS_LIMIT - self.customers;
            self.customers += distinct_up_to(part.customer.iter().copied(), limit);
        }
        if !self.heavy(part.customer.len(), sales().sum()) {
            return;
        }
        let mut per_id: HashMap<&str, (usize, f64)> = HashMap::new();
        for (&id, sale) in part.customer.iter().zip(sales()) {
            let entry = per_id.entry(id).or_default();
            entry.0 += 1;
            entry.1 += sale;
        }
        for (id, (id_rows, id_sales)) in per_id {
            if self.heavy(id_rows, id_sales) {
                self.candidates.push(OutsizedId {
                    id: id.to_string(),
                    rows: id_rows,
                    row_share: id_rows as f64 / self.rows as f64,
                    sales_share: if self.total_sales > 0.0 {
                        id_sales / self.total_sales
                    } else {
                        0.0
                    },
                });
            }
        }
    }

    /// The outsized ids, as [`outsized_ids`] gives them.
    pub fn outsized(self) -> Vec<OutsizedId> {
        above_the_bar(self.candidates, self.customers)
    }
}

/// Rows and sales per bucket.
struct BucketTotals {
    rows: [usize; BUCKETS],
    sales: [f64; BUCKETS],
}

impl BucketTotals {
    fn empty() -> Self {
        BucketTotals {
            rows: [0; BUCKETS],
            sales: [0.0; BUCKETS],
        }
    }

    fn add(mut self, other: Self) -> Self {
        for b in 0..BUCKETS {
            self.rows[b] += other.rows[b];
            self.sales[b] += other.sales[b];
        }
        self
    }
}

fn bucket_totals<'a>(
    rows: impl Iterator<Item = (&'a str, f64)>,
    bucket_of: &impl Fn(&str) -> usize,
) -> BucketTotals {
    let mut totals = BucketTotals::empty();
    for (id, sale) in rows {
        let bucket = bucket_of(id);
        totals.rows[bucket] += 1;
        totals.sales[bucket] += sale;
    }
    totals
}

/// The sale of each row ([`sale`]) of the amount and return columns, however they are cut.
fn sales<'a>(
    amount: &'a Float64Chunked,
    is_return: &'a BooleanChunked,
) -> impl Iterator<Item = f64> + 'a {
    let amounts = amount
        .downcast_iter()
        .flat_map(|chunk| chunk.values().iter().copied());
    let returns = is_return
        .downcast_iter()
        .flat_map(|chunk| chunk.values().iter());
    amounts
        .zip(returns)
        .map(|(amount, is_return)| sale(amount, is_return))
}

/// A row's sale: its amount when it is a purchase with a positive amount, else 0.
pub(crate) fn sale(amount: f64, is_return: bool) -> f64 {
    if is_return || amount.is_nan() || amount <= 0.0 {
        0.0
    } else {
        amount
    }
}

/// The number of distinct ids, counted up to `limit` (the count stops there).
fn distinct_up_to<'a>(ids: impl Iterator<Item = &'a str>, limit: usize) -> usize {
    let mut seen = HashSet::with_capacity(limit);
    for id in ids {
        seen.insert(id);
        if seen.len() >= limit {
            break;
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ids: &[&str], amounts: &[f64]) -> DataFrame {
        let returns: Vec<bool> = amounts.iter().map(|a| *a < 0.0).collect();
        DataFrame::new(
            ids.len(),
            vec![
                Column::new(CUSTOMER.into(), ids),
                Column::new(AMOUNT.into(), amounts),
                Column::new(IS_RETURN.into(), returns),
            ],
        )
        .unwrap()
    }

    /// `n` distinct customers with one row of 10.0 each, plus `extra` rows of `id` at `amount`.
    fn base_with(n: usize, id: &str, extra: usize, amount: f64) -> DataFrame {
        let mut ids: Vec<String> = (0..n).map(|i| format!("C{i}")).collect();
        let mut amounts = vec![10.0; n];
        ids.extend(std::iter::repeat_n(id.to_string(), extra));
        amounts.extend(std::iter::repeat_n(amount, extra));
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        frame(&refs, &amounts)
    }

    #[test]
    fn a_placeholder_on_many_rows_is_named_with_its_shares() {
        // 1000 customers with a row each, and "0" on 500 rows of 1.0: 1/3 of the rows.
        let outsized = outsized_ids(&base_with(1000, "0", 500, 1.0)).unwrap();
        assert_eq!(outsized.len(), 1);
        assert_eq!(outsized[0].id, "0");
        assert_eq!(outsized[0].rows, 500);
        assert!((outsized[0].row_share - 500.0 / 1500.0).abs() < 1e-12);
        assert!((outsized[0].sales_share - 500.0 / 10_500.0).abs() < 1e-12);
    }

    #[test]
    fn one_huge_order_is_named_by_its_share_of_sales() {
        let outsized = outsized_ids(&base_with(1000, "B1", 1, 5000.0)).unwrap();
        assert_eq!(outsized.len(), 1);
        assert_eq!(outsized[0].id, "B1");
        assert!((outsized[0].sales_share - 5000.0 / 15_000.0).abs() < 1e-12);
        // Returns are not sales: the same amount as a return is no share at all.
        let returned = outsized_ids(&base_with(1000, "B1", 1, -5000.0)).unwrap();
        assert!(returned.is_empty(), "{returned:?}");
    }

    #[test]
    fn evenly_spread_customers_are_not_reported() {
        assert!(
            outsized_ids(&base_with(5000, "C1", 3, 10.0))
                .unwrap()
                .is_empty()
        );
        assert!(outsized_ids(&frame(&[], &[])).unwrap().is_empty());
    }

    /// Just below and at the bar: 10 % of rows with 1000 customers.
    #[test]
    fn the_bar_is_ten_percent_with_many_customers() {
        // 900 single-row customers + "X" on 100 rows: exactly 10 %.
        assert_eq!(
            outsized_ids(&base_with(900, "X", 100, 10.0)).unwrap().len(),
            1
        );
        // 99 rows of 999: 9.9 %.
        assert!(
            outsized_ids(&base_with(900, "X", 99, 10.0))
                .unwrap()
                .is_empty()
        );
    }

    /// With few customers an even share is large: 5 customers at 20 % each are not outsized,
    /// and with 50 customers the bar is 40 %.
    #[test]
    fn few_customers_raise_the_bar() {
        let five = frame(&["A", "B", "C", "D", "E"], &[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert!(outsized_ids(&five).unwrap().is_empty());
        // 49 customers + "X" with 30 rows: 30 / 79 = 38 % of rows and sales: below 40 %.
        assert!(
            outsized_ids(&base_with(49, "X", 30, 10.0))
                .unwrap()
                .is_empty()
        );
        // With 40 rows: 40 / 89 = 45 %.
        assert_eq!(
            outsized_ids(&base_with(49, "X", 40, 10.0)).unwrap().len(),
            1
        );
    }

    /// Ids in pieces and amounts in one (as the quick reader of plain text loads them), or
    /// cut elsewhere: the same shares.
    #[test]
    fn columns_cut_at_other_rows_give_the_same_shares() {
        let whole = base_with(1000, "0", 500, 1.0);
        let expected = format!("{:?}", outsized_ids(&whole).unwrap());
        assert!(expected.contains("\"0\""), "{expected}");
        for cuts in [[1, 700], [333, 1499]] {
            let ids = whole.column(CUSTOMER).unwrap().as_materialized_series();
            let mut pieces = ids.slice(0, cuts[0]);
            pieces
                .append(&ids.slice(cuts[0] as i64, cuts[1] - cuts[0]))
                .unwrap();
            pieces
                .append(&ids.slice(cuts[1] as i64, 1500 - cuts[1]))
                .unwrap();
            assert_eq!(pieces.chunks().len(), 3);
            let mut cut = whole.clone();
            cut.with_column(pieces.into_column()).unwrap();
            assert_eq!(format!("{:?}", outsized_ids(&cut).unwrap()), expected);
        }
    }

    #[test]
    fn exclude_ids_from_lists_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("placeholders.txt");
        std::fs::write(&path, "# guests\n0\n\n guest \n").unwrap();
        let values = [" 0, unknown ,".to_string(), format!("@{}", path.display())];
        assert_eq!(
            read_exclude_ids(&values).unwrap(),
            ["0", "unknown", "0", "guest"]
        );
        let missing = read_exclude_ids(&["@/no/such/file".to_string()]).unwrap_err();
        assert!(matches!(
            missing.downcast_ref::<ClmError>(),
            Some(ClmError::InputMissing(_))
        ));
    }

    #[test]
    fn excluding_removes_rows_and_says_which_ids_had_none() {
        let df = frame(&["0", "A", "0", "B"], &[1.0, 2.0, 3.0, 4.0]);
        let (kept, exclusion) =
            exclude_customers(&df, &["0".to_string(), "guest".to_string()]).unwrap();
        assert_eq!(kept.height(), 2);
        assert_eq!(exclusion.rows, 2);
        assert_eq!(exclusion.found, ["0"]);
        assert_eq!(exclusion.not_found, ["guest"]);
        let ids: Vec<&str> = kept
            .column(CUSTOMER)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(ids, ["A", "B"]);
    }
}
