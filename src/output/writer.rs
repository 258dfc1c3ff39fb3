//! File formats, and atomic writing: a temporary file in the target folder, renamed into place
//! only when complete, so an error never leaves a half-written output.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, DataType, IntoColumn, NamedFrom, ParquetWriter, Series};
use serde_json::{Map, Number, Value};

use super::{Table, Values};
use crate::cli::OutputFormat;
use crate::error::ClmError;

/// Writes `table` to `path` in `format`, atomically.
pub fn write_file_atomically(path: &Path, table: &Table, format: OutputFormat) -> Result<()> {
    write_atomically(path, |out| write_table(out, table, format))
}

/// Runs `write` on a temporary file in the target folder and renames it to `path` when it
/// succeeds; on any error the target is untouched and the temporary file removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let cannot = |e: &dyn std::fmt::Display| {
        ClmError::Output(format!("cannot write '{}': {e}", path.display()))
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".clm-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| cannot(&e))?;
    {
        let mut out = BufWriter::new(temp.as_file_mut());
        write(&mut out).map_err(|e| cannot(&e))?;
        out.flush().map_err(|e| cannot(&e))?;
    }
    temp.as_file().sync_all().map_err(|e| cannot(&e))?;
    temp.persist(path).map_err(|e| cannot(&e.error))?;
    Ok(())
}

/// Writes `table` to stdout in `format`.
pub fn write_stdout(table: &Table, format: OutputFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    write_table(&mut out, table, format)?;
    out.flush().context("writing to standard output")?;
    Ok(())
}

fn write_table(out: &mut dyn Write, table: &Table, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Csv => write_delimited(out, table, b','),
        OutputFormat::Tsv => write_delimited(out, table, b'\t'),
        OutputFormat::Json => write_json(out, table, false),
        OutputFormat::Jsonl => write_json(out, table, true),
        OutputFormat::Parquet => write_parquet(out, table),
        OutputFormat::Table => {
            writeln!(out, "{}", super::render_table(table))?;
            Ok(())
        }
    }
}

/// Text that a spreadsheet would run as a formula is prefixed with `'` (OWASP CSV injection).
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

fn write_delimited(out: &mut dyn Write, table: &Table, delimiter: u8) -> Result<()> {
    use std::fmt::Write as _;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    writer.write_record(table.names.iter().map(|n| spreadsheet_safe(n).into_owned()))?;
    let mut cell = String::new();
    for row in 0..table.height() {
        for values in &table.columns {
            cell.clear();
            match values {
                Values::Text(v) => {
                    writer.write_field(spreadsheet_safe(&v[row]).as_bytes())?;
                    continue;
                }
                Values::Int(v) => write!(cell, "{}", v[row])?,
                Values::Float(v, decimals) if v[row].is_finite() => {
                    write!(cell, "{:.*}", decimals, v[row])?
                }
                Values::Float(..) => {}
                Values::Date(v) => cell.push_str(&super::format_day(v[row])),
            }
            writer.write_field(cell.as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()?;
    Ok(())
}

fn json_value(values: &Values, row: usize) -> Value {
    match values {
        Values::Text(v) => Value::String(v[row].clone()),
        Values::Int(v) => Value::Number(v[row].into()),
        Values::Float(v, decimals) => {
            Number::from_f64(round_to(v[row], *decimals)).map_or(Value::Null, Value::Number)
        }
        Values::Date(v) => Value::String(super::format_day(v[row])),
    }
}

/// Rounds to the decimals a column prints with, so JSON agrees with CSV.
fn round_to(value: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

fn write_json(out: &mut dyn Write, table: &Table, lines: bool) -> Result<()> {
    if !lines {
        out.write_all(b"[")?;
    }
    for row in 0..table.height() {
        let object: Map<String, Value> = table
            .names
            .iter()
            .zip(&table.columns)
            .map(|(name, values)| (name.clone(), json_value(values, row)))
            .collect();
        if !lines && row > 0 {
            out.write_all(b",")?;
        }
        if !lines {
            out.write_all(b"\n")?;
        }
        serde_json::to_writer(&mut *out, &Value::Object(object))?;
        if lines {
            out.write_all(b"\n")?;
        }
    }
    if !lines {
        out.write_all(b"\n]\n")?;
    }
    Ok(())
}

fn to_frame(table: &Table) -> Result<DataFrame> {
    let columns: Vec<Column> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, values)| -> Result<Column> {
            let name = name.as_str().into();
            Ok(match values {
                Values::Text(v) => Series::new(name, v).into_column(),
                Values::Int(v) => Series::new(name, v).into_column(),
                Values::Float(v, _) => Series::new(name, v).into_column(),
                Values::Date(v) => Series::new(name, v).cast(&DataType::Date)?.into_column(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(DataFrame::new_infer_height(columns)?)
}

fn write_parquet(out: &mut dyn Write, table: &Table) -> Result<()> {
    let mut frame = to_frame(table)?;
    ParquetWriter::new(out).finish(&mut frame)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_in_text_only() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("C123"), "C123");
        let table = Table::default()
            .with("customer_id", Values::Text(vec!["-1".into()]))
            .with("monetary", Values::Float(vec![-2.5], 2));
        let mut out = Vec::new();
        write_delimited(&mut out, &table, b',').unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "customer_id,monetary\n'-1,-2.50\n"
        );
    }

    #[test]
    fn json_and_jsonl() {
        let table = Table::default()
            .with("id", Values::Text(vec!["a".into(), "b".into()]))
            .with("n", Values::Int(vec![1, 2]));
        let mut out = Vec::new();
        write_json(&mut out, &table, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n"
        );
        let mut out = Vec::new();
        write_json(&mut out, &table, false).unwrap();
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed[1]["id"], "b");
    }
}
