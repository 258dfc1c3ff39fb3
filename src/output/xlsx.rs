//! Excel workbooks: one sheet per table, with real numbers and dates, a frozen bold header,
//! an autofilter and column widths that fit the text.
//!
//! Written with `rust_xlsxwriter` (a maintained port of Python's XlsxWriter): the XLSX format is
//! a zip of XML parts with shared strings, styles and sheet relations, far more than a
//! hand-written writer should carry. Text is always written as text, never as a formula, so a
//! cell starting with `=` cannot run in a spreadsheet.

use anyhow::Result;
use rust_xlsxwriter::{ConditionalFormat2ColorScale, Format, Workbook, Worksheet, XlsxError};

use super::{Table, Values};
use crate::error::ClmError;

/// Data rows an Excel sheet holds below its header row.
pub const MAX_SHEET_ROWS: usize = 1_048_575;

/// Days from Excel's day 0 (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH_OFFSET: f64 = 25_569.0;

/// Widest column, in characters.
const MAX_COLUMN_WIDTH: usize = 60;

/// Rows read to size the columns: enough to see typical values, cheap on millions.
const ROWS_FOR_WIDTH: usize = 2_000;

/// A workbook with one sheet per `(name, table)`, as bytes. A table longer than a sheet is an
/// error (exit 73) naming its rows: nothing is cut off silently.
pub fn workbook(sheets: &[(&str, &Table)]) -> Result<Vec<u8>> {
    workbook_with_scales(sheets, &[])
}

/// A workbook as [`workbook`] writes it, where the sheets named in `scaled` colour the numbers
/// of every column but the first two on one scale, pale to dark (a cohort matrix).
pub fn workbook_with_scales(sheets: &[(&str, &Table)], scaled: &[&str]) -> Result<Vec<u8>> {
    for (name, table) in sheets {
        if table.height() > MAX_SHEET_ROWS {
            return Err(ClmError::Output(format!(
                "the {name} table has {} rows and an Excel sheet holds {MAX_SHEET_ROWS}; write .csv or .parquet, or keep fewer rows (--top, --summary)",
                table.height()
            ))
            .into());
        }
    }
    let mut book = Workbook::new();
    for (name, table) in sheets {
        let sheet = book.add_worksheet();
        fill_sheet(sheet, name, table).map_err(excel_error)?;
        if scaled.contains(name) {
            add_colour_scale(sheet, table).map_err(excel_error)?;
        }
    }
    book.save_to_buffer().map_err(|e| excel_error(e).into())
}

fn excel_error(error: XlsxError) -> ClmError {
    ClmError::Output(format!("cannot build the Excel workbook: {error}"))
}

fn fill_sheet(sheet: &mut Worksheet, name: &str, table: &Table) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let header = Format::new().set_bold();
    let integer = Format::new().set_num_format("0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, (title, values)) in table.names.iter().zip(&table.columns).enumerate() {
        let col = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(0, col, title, &header)?;
        let decimals = match values {
            Values::Float(_, decimals) => *decimals,
            _ => 0,
        };
        let float = Format::new().set_num_format(decimal_format(decimals));
        for row in 0..table.height() {
            let at = row as u32 + 1;
            match values {
                Values::Int(v) => {
                    sheet.write_number_with_format(at, col, v[row] as f64, &integer)?;
                }
                Values::Float(v, _) if v[row].is_finite() => {
                    sheet.write_number_with_format(at, col, v[row], &float)?;
                }
                Values::Float(..) => {} // empty cell, as in the text formats
                Values::Date(v) if v[row] == super::NO_DAY => {} // empty cell
                Values::Date(v) => {
                    let serial = f64::from(v[row]) + EXCEL_EPOCH_OFFSET;
                    sheet.write_number_with_format(at, col, serial, &date)?;
                }
                text => {
                    sheet.write_string(at, col, text.text(row).unwrap_or_default())?;
                }
            }
        }
        sheet.set_column_width(col, column_width(table, c) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    if !table.columns.is_empty() {
        let last_row = table.height() as u32;
        let last_col = u16::try_from(table.columns.len() - 1).unwrap_or(u16::MAX);
        sheet.autofilter(0, 0, last_row, last_col)?;
    }
    Ok(())
}

/// A two-colour scale over the data rows of the columns after the first two.
fn add_colour_scale(sheet: &mut Worksheet, table: &Table) -> Result<(), XlsxError> {
    let columns = table.columns.len();
    if columns < 3 || table.height() == 0 {
        return Ok(());
    }
    let last_col = u16::try_from(columns - 1).map_err(|_| XlsxError::RowColumnLimitError)?;
    let scale = ConditionalFormat2ColorScale::new()
        .set_minimum_color("#EFF3FF")
        .set_maximum_color("#08306B");
    sheet.add_conditional_format(1, 2, table.height() as u32, last_col, &scale)?;
    Ok(())
}

/// "0", "0.0", "0.00", …
fn decimal_format(decimals: usize) -> String {
    match decimals {
        0 => "0".to_string(),
        super::ROUND_TRIP => "General".to_string(),
        d => format!("0.{}", "0".repeat(d)),
    }
}

/// Width of column `c`: its header (with room for the filter button) or its widest value among
/// the first rows, within bounds.
fn column_width(table: &Table, c: usize) -> usize {
    let widest_value = (0..table.height().min(ROWS_FOR_WIDTH))
        .map(|row| table.cell(c, row).chars().count())
        .max()
        .unwrap_or(0);
    (table.names[c].chars().count() + 3)
        .max(widest_value + 1)
        .clamp(6, MAX_COLUMN_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_too_long_for_a_sheet_is_refused() {
        let long = Table::default().with("n", Values::Int(vec![0; MAX_SHEET_ROWS + 1]));
        let error = workbook(&[("customers", &long)]).unwrap_err().to_string();
        assert!(error.contains("1048576 rows"), "{error}");
    }

    #[test]
    fn a_workbook_is_a_zip_with_a_sheet_per_table() {
        let table = Table::default()
            .with("customer_id", Values::Text(vec!["=1+1".into()]))
            .with("clv", Values::Float(vec![12.5], 2))
            .with("first_day", Values::Date(vec![0]));
        let bytes = workbook(&[("customers", &table), ("summary", &table)]).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(decimal_format(2), "0.00");
        assert_eq!(column_width(&table, 0), 14);
    }
}
