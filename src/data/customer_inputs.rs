//! Extra per-customer numeric columns a user joins in (for example complaints, tickets, plan
//! price): a table with a customer id column and one or more numeric columns.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;

use super::columns::CUSTOMER_NAMES;
use super::table::{RowReader, check_duplicate_headers, detect, read_table, require};
use crate::error::ClmError;
use crate::output::PackedText;

/// Extra inputs aligned with a list of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerInputs {
    /// Column names, in file order.
    pub names: Vec<String>,
    /// `values[i * names.len() + j]`: column `j` for customer `i`; a customer absent from the
    /// file, or with an empty cell, gets the column's mean over the file.
    pub values: Vec<f64>,
    /// Rows whose customer id matches no customer (left out).
    pub unmatched_rows: usize,
    /// Customers absent from the file, and empty cells: both filled with the column mean.
    pub customers_missing: usize,
    pub empty_cells: usize,
}

impl CustomerInputs {
    /// Customer `i`'s values.
    pub fn row(&self, i: usize) -> &[f64] {
        let k = self.names.len();
        &self.values[i * k..(i + 1) * k]
    }
}

/// Reads `path` (CSV, TSV, gzip, Parquet or `-`, through [`super::table`]) and aligns it with
/// `customer_id`. The id column is `customer_col`, else the first header that reads like a
/// customer id, else the first column.
pub fn read_customer_inputs(
    path: &Path,
    customer_col: Option<&str>,
    customer_id: &PackedText,
) -> Result<CustomerInputs> {
    let name = path.display().to_string();
    let raw = read_table(path, "input")?;
    let headers = &raw.headers;
    check_duplicate_headers(&name, headers)?;
    let id_column = match customer_col {
        Some(wanted) => require(&name, headers, wanted, "--inputs-customer-col")?,
        None => detect(headers, CUSTOMER_NAMES).unwrap_or_else(|| headers[0].clone()),
    };
    if headers.len() < 2 {
        return Err(ClmError::BadData(format!(
            "{name}: needs a customer id column and at least one numeric column"
        ))
        .into());
    }
    let reader = RowReader {
        source: &name,
        raw: &raw,
    };
    let ids = reader.customer_ids(&id_column)?;
    let value_columns: Vec<&String> = headers.iter().filter(|&h| *h != id_column).collect();
    let k = value_columns.len();
    let index: HashMap<&str, usize> = customer_id
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();

    let mut values = vec![f64::NAN; customer_id.len() * k];
    let mut seen_on_row: HashMap<usize, usize> = HashMap::new();
    let (mut unmatched_rows, mut empty_cells) = (0, 0);
    let (mut sums, mut counts) = (vec![0.0; k], vec![0usize; k]);
    for (row, id) in ids.iter().enumerate() {
        let Some(&customer) = index.get(id.as_str()) else {
            unmatched_rows += 1;
            continue;
        };
        if let Some(first) = seen_on_row.insert(customer, row) {
            return Err(reader
                .bad_cell(
                    row,
                    &id_column,
                    format!(
                        "customer '{id}' appears twice (rows {} and {})",
                        first + 1,
                        row + 1
                    ),
                )
                .into());
        }
        for (j, column) in value_columns.iter().enumerate() {
            let Some(value) = reader.number(row, column)? else {
                empty_cells += 1;
                continue;
            };
            values[customer * k + j] = value;
            sums[j] += value;
            counts[j] += 1;
        }
    }
    let means: Vec<f64> = (0..k)
        .map(|j| {
            if counts[j] > 0 {
                sums[j] / counts[j] as f64
            } else {
                0.0
            }
        })
        .collect();
    for (i, value) in values.iter_mut().enumerate() {
        if value.is_nan() {
            *value = means[i % k];
        }
    }
    Ok(CustomerInputs {
        names: value_columns.into_iter().cloned().collect(),
        values,
        unmatched_rows,
        customers_missing: customer_id.len() - seen_on_row.len(),
        empty_cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<CustomerInputs> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inputs.csv");
        std::fs::write(&path, text).unwrap();
        let ids: PackedText = ["a", "b", "c"].into_iter().collect();
        read_customer_inputs(&path, None, &ids)
    }

    #[test]
    fn aligned_with_means_for_the_missing() {
        let inputs = read("complaints,Customer ID,tickets\n2,b,1\n,a,3\n4,zz,9\n").unwrap();
        assert_eq!(inputs.names, ["complaints", "tickets"]);
        assert_eq!(inputs.row(0), [2.0, 3.0]); // empty complaints → mean of the file's 2
        assert_eq!(inputs.row(1), [2.0, 1.0]);
        assert_eq!(inputs.row(2), [2.0, 2.0]); // absent → means
        assert_eq!(
            (
                inputs.unmatched_rows,
                inputs.customers_missing,
                inputs.empty_cells
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn bad_values_and_duplicates_name_the_row_and_column() {
        let error = read("customer_id,tickets\na,1\nb,many\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 2 (line 3), column 'tickets': 'many' is not a number"),
            "{error}"
        );
        let error = read("customer_id,tickets\na,1\na,2\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("appears twice (rows 1 and 2)"), "{error}");
    }
}
