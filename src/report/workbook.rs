//! The report as one Excel workbook: the sheets of every section in reading order (overview,
//! RFM segments, CLV tiers, churn bands and the customers most at risk, the cohort matrix with
//! a colour scale, lifecycle stages), written by the same writer as every `-o file.xlsx`.

use anyhow::Result;

use super::document::Document;
use crate::output::workbook_with_scales;

/// The workbook's bytes.
pub fn workbook(document: &Document) -> Result<Vec<u8>> {
    let sheets: Vec<(&str, &crate::output::Table)> = document
        .sections
        .iter()
        .flat_map(|s| s.sheets.iter())
        .map(|sheet| (sheet.name.as_str(), &sheet.table))
        .collect();
    let scaled: Vec<&str> = document
        .sections
        .iter()
        .flat_map(|s| s.sheets.iter())
        .filter(|sheet| sheet.colour_scale)
        .map(|sheet| sheet.name.as_str())
        .collect();
    workbook_with_scales(&sheets, &scaled)
}
