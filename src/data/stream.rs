//! Transactions larger than the memory budget (`--memory-limit`): read in batches by the
//! loader ([`load_in_batches`]) and spilled to temporary files, one per partition of the
//! customers (by a hash of the id), in a compact binary form. A partition read back holds all
//! of its customers' rows in input order, so it can be summarised as the whole file would be
//! (`features::summary`), and memory grows with one partition and the customers, not with the
//! rows.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use super::load::{LoadStats, RowColumns, load_in_batches};
use super::options::{InputArgs, InputFormat};
use super::placeholders::sale;
use crate::cleanup::TempFile;
use crate::error::ClmError;

/// Peak memory per byte of a delimited export loaded whole (the text read, the canonical
/// columns and the per-row vectors an analysis takes from them): 5.2 on `clm simulate` output
/// (85 MB of CSV, 442 MB peak with `clm rfm`; docs/scale.md).
pub const TEXT_EXPANSION: u64 = 5;
/// Peak memory per row of a Parquet export loaded whole (about its rows written as CSV).
pub const PARQUET_ROW_MEMORY: u64 = 25 * TEXT_EXPANSION;
/// Uncompressed bytes per byte of a `.gz` export, assumed when the budget is checked.
pub const GZIP_RATIO: u64 = 5;
/// The budget when the machine's RAM cannot be read.
pub const FALLBACK_BUDGET: u64 = 4 << 30;

/// Environment variable that sets the batch size in bytes (for tests: small files in many
/// batches).
pub const BATCH_BYTES_VAR: &str = "CLM_STREAM_BATCH_BYTES";

/// The memory budget: `--memory-limit`, else half of the machine's memory (`MemTotal` in
/// `/proc/meminfo`, or a container's cgroup limit when lower), else [`FALLBACK_BUDGET`].
pub fn memory_budget(limit: Option<u64>) -> u64 {
    limit.unwrap_or_else(|| {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let total = read("/proc/meminfo").and_then(|text| mem_total(&text));
        let cgroup = [
            "/sys/fs/cgroup/memory.max",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        ]
        .into_iter()
        .find_map(|path| read(path)?.trim().parse::<u64>().ok());
        match (total, cgroup) {
            (Some(total), Some(cgroup)) => total.min(cgroup) / 2,
            (Some(memory), None) | (None, Some(memory)) => memory / 2,
            (None, None) => FALLBACK_BUDGET,
        }
    })
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// About how much memory loading the export of `args` whole would take; `None` when it cannot
/// be told without reading it (standard input, a pipe), which is then read whole.
pub fn in_memory_estimate(args: &InputArgs) -> Option<u64> {
    let meta = std::fs::metadata(&args.input).ok()?;
    if !meta.is_file() || args.input == Path::new("-") {
        return None;
    }
    let name = args.input.display().to_string().to_lowercase();
    let inner = name.trim_end_matches(".gz");
    let parquet = match args.input_format {
        Some(format) => format == InputFormat::Parquet,
        None => inner.ends_with(".parquet") || inner.ends_with(".pq"),
    };
    if parquet {
        let file = std::fs::File::open(&args.input).ok()?;
        let rows = <polars::prelude::ParquetReader<_> as polars::prelude::SerReader<_>>::new(file)
            .num_rows()
            .ok()?;
        return Some(rows as u64 * PARQUET_ROW_MEMORY);
    }
    let text_bytes = match name.ends_with(".gz") {
        true => meta.len() * GZIP_RATIO,
        false => meta.len(),
    };
    Some(text_bytes * TEXT_EXPANSION)
}

/// Transactions spilled to temporary files by customer partition.
pub struct SpilledTransactions {
    /// What loading did, over every batch.
    pub stats: LoadStats,
    /// The last transaction day; `None` when no row was kept.
    pub last_day: Option<i32>,
    /// Sales (positive amounts of purchase rows) of every row kept, for the id shares.
    pub total_sales: f64,
    /// Batches read.
    pub batches: usize,
    /// Bytes written to the temporary files.
    pub spilled_bytes: u64,
    has_orders: bool,
    partitions: Vec<TempFile>,
}

/// Reads the export of `args` in batches of `batch_bytes` and spills its rows into
/// `partitions` temporary files by customer.
pub fn spill_transactions(
    args: &InputArgs,
    batch_bytes: usize,
    partitions: usize,
) -> Result<SpilledTransactions> {
    let partitions = partitions.max(1);
    let mut writers = (0..partitions)
        .map(|_| {
            // Each batch's rows of a partition are written in one piece: no buffer needed.
            let file = TempFile::new().map_err(|e| cannot_spill(&e))?;
            let writer = file.reopen().map_err(|e| cannot_spill(&e))?;
            Ok((file, writer))
        })
        .collect::<Result<Vec<_>>>()?;
    let (mut last_day, mut total_sales, mut batches, mut spilled_bytes) = (None, 0.0, 0, 0u64);
    let mut has_orders = false;
    let stats = load_in_batches(args, batch_bytes, |tx| {
        batches += 1;
        has_orders = tx.has_orders();
        last_day = last_day.max(tx.last_day());
        let rows = tx.row_columns()?;
        total_sales += rows
            .amount
            .iter()
            .zip(&rows.is_return)
            .map(|(&amount, &is_return)| sale(amount, is_return))
            .sum::<f64>();
        for (k, bytes) in encode_by_partition(&rows, partitions)
            .into_iter()
            .enumerate()
        {
            writers[k]
                .1
                .write_all(&bytes)
                .map_err(|e| cannot_spill(&e))?;
            spilled_bytes += bytes.len() as u64;
        }
        Ok(())
    })?;
    let mut files = Vec::with_capacity(partitions);
    for (file, mut writer) in writers {
        writer.flush().map_err(|e| cannot_spill(&e))?;
        files.push(file);
    }
    Ok(SpilledTransactions {
        stats,
        last_day,
        total_sales,
        batches,
        spilled_bytes,
        has_orders,
        partitions: files,
    })
}

/// A failure to write the temporary files (a full disk, most often): exit 73.
fn cannot_spill(e: &std::io::Error) -> ClmError {
    ClmError::Output(format!(
        "cannot write temporary files in {} while reading the input in batches: {e}; free space there, point TMPDIR at a disk with room (about the input's size is needed), or raise --memory-limit",
        std::env::temp_dir().display()
    ))
}

/// The partition of a customer id.
fn partition_of(id: &str, partitions: usize) -> usize {
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::FixedState::with_seed(16);
    (hasher.hash_one(id) % partitions as u64) as usize
}

/// Each partition's rows of `rows` in input order, encoded: per row the id's length (u32) and
/// bytes, the day (i32), the amount (f64), a flag byte (1: return, 2: has an order id) and the
/// order id's length and bytes when it has one; little-endian.
fn encode_by_partition(rows: &RowColumns, partitions: usize) -> Vec<Vec<u8>> {
    let part: Vec<u32> = rows
        .customer
        .par_iter()
        .map(|id| partition_of(id, partitions) as u32)
        .collect();
    let mut rows_of = vec![Vec::new(); partitions];
    for (row, &k) in part.iter().enumerate() {
        rows_of[k as usize].push(row);
    }
    rows_of
        .into_par_iter()
        .map(|indices| {
            let mut out = Vec::with_capacity(indices.len() * 32);
            for row in indices {
                encode_row(rows, row, &mut out);
            }
            out
        })
        .collect()
}

fn encode_row(rows: &RowColumns, row: usize, out: &mut Vec<u8>) {
    let id = rows.customer[row].as_bytes();
    out.extend_from_slice(&(id.len() as u32).to_le_bytes());
    out.extend_from_slice(id);
    out.extend_from_slice(&rows.day[row].to_le_bytes());
    out.extend_from_slice(&rows.amount[row].to_le_bytes());
    let order = rows.order.as_ref().and_then(|order| order[row]);
    out.push(u8::from(rows.is_return[row]) | if order.is_some() { 2 } else { 0 });
    if let Some(order) = order {
        out.extend_from_slice(&(order.len() as u32).to_le_bytes());
        out.extend_from_slice(order.as_bytes());
    }
}

impl SpilledTransactions {
    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    /// The rows of partition `k`, read back.
    pub fn read_partition(&self, k: usize) -> Result<Partition> {
        let path = self.partitions[k].path();
        let bytes = std::fs::read(path).map_err(|e| {
            ClmError::InputMissing(format!(
                "cannot read back the temporary file {}: {e}",
                path.display()
            ))
        })?;
        Ok(Partition {
            bytes,
            has_orders: self.has_orders,
        })
    }
}

/// One partition's rows as spilled.
pub struct Partition {
    bytes: Vec<u8>,
    has_orders: bool,
}

impl Partition {
    /// The rows, in the order they were read, as the loaded frame gives them.
    pub fn row_columns(&self) -> Result<RowColumns<'_>> {
        decode(&self.bytes, self.has_orders).ok_or_else(|| {
            ClmError::BadData("a temporary file of the batched read is damaged".into()).into()
        })
    }
}

fn decode(bytes: &[u8], has_orders: bool) -> Option<RowColumns<'_>> {
    let mut rows = RowColumns {
        customer: Vec::new(),
        day: Cow::Owned(Vec::new()),
        amount: Cow::Owned(Vec::new()),
        is_return: Vec::new(),
        order: has_orders.then(Vec::new),
    };
    let mut input = Unread { bytes, at: 0 };
    while input.at < bytes.len() {
        let length = input.length()?;
        rows.customer
            .push(std::str::from_utf8(input.take(length)?).ok()?);
        rows.day
            .to_mut()
            .push(i32::from_le_bytes(input.take(4)?.try_into().ok()?));
        rows.amount
            .to_mut()
            .push(f64::from_le_bytes(input.take(8)?.try_into().ok()?));
        let flags = input.take(1)?[0];
        rows.is_return.push(flags & 1 == 1);
        let order = match flags & 2 {
            0 => None,
            _ => {
                let length = input.length()?;
                Some(std::str::from_utf8(input.take(length)?).ok()?)
            }
        };
        if let Some(orders) = rows.order.as_mut() {
            orders.push(order);
        }
    }
    Some(rows)
}

/// The bytes of a partition not yet decoded.
struct Unread<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Unread<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let piece = self.bytes.get(self.at..self.at + n)?;
        self.at += n;
        Some(piece)
    }

    fn length(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written_in_their_partitions() {
        let rows = RowColumns {
            customer: vec!["a", "bb", "a", "ccc", "é"],
            day: vec![3, -1, 2, 7, 0].into(),
            amount: vec![1.5, -2.0, 0.1 + 0.2, f64::MIN_POSITIVE, 9.0].into(),
            is_return: vec![false, true, false, false, false],
            order: Some(vec![Some("o1"), Some("C2"), None, Some(""), Some("o5")]),
        };
        let parts = encode_by_partition(&rows, 3);
        let mut seen = 0;
        for (k, bytes) in parts.iter().enumerate() {
            let back = decode(bytes, true).unwrap();
            for (i, id) in back.customer.iter().enumerate() {
                assert_eq!(partition_of(id, 3), k);
                // Input order inside a partition: find the row by its place among its id's rows.
                let row = (0..5)
                    .filter(|&r| rows.customer[r] == *id)
                    .nth(back.customer[..i].iter().filter(|c| *c == id).count())
                    .unwrap();
                assert_eq!(back.day[i], rows.day[row]);
                assert_eq!(back.amount[i].to_bits(), rows.amount[row].to_bits());
                assert_eq!(back.is_return[i], rows.is_return[row]);
                assert_eq!(
                    back.order.as_ref().unwrap()[i],
                    rows.order.as_ref().unwrap()[row]
                );
                seen += 1;
            }
        }
        assert_eq!(seen, 5);
        // A row cut short is refused.
        let cut = &parts.iter().find(|p| !p.is_empty()).unwrap();
        assert!(decode(&cut[..cut.len() - 1], true).is_none());
    }

    #[test]
    fn meminfo_total() {
        let text = "MemTotal:       16318480 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total(text), Some(16318480 * 1024));
        assert_eq!(mem_total("nothing"), None);
        assert_eq!(memory_budget(Some(1234)), 1234);
    }
}
