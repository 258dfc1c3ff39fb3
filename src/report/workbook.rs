//! The report as one Excel workbook: the sheets of every section in reading order (overview,
//! RFM segments, CLV tiers, churn bands and the customers most at risk, the cohort matrix with
//! a colour scale, lifecycle stages), written by the same writer as every `-o file.xlsx`.

use anyhow::Result;

use super::document::Document;
use crate::output::labels::with_label_columns;
use crate::output::{Table, workbook_with_scales};

/// The workbook's bytes.
/// In a language other than English each coded column and the action gain a `<column>_label`
/// column beside them, as in every command's files.
pub fn workbook(document: &Document) -> Result<Vec<u8>> {
    let tables = sheet_tables(document);
    let sheets: Vec<(&str, &Table)> = tables.iter().map(|(name, t)| (*name, t)).collect();
    let scaled: Vec<&str> = document
        .sections
        .iter()
        .flat_map(|s| s.sheets.iter())
        .filter(|sheet| sheet.colour_scale)
        .map(|sheet| sheet.name.as_str())
        .collect();
    workbook_with_scales(&sheets, &scaled)
}

/// Each sheet's name and table as written: with label columns in a language other than English.
fn sheet_tables(document: &Document) -> Vec<(&str, Table)> {
    document
        .sections
        .iter()
        .flat_map(|s| s.sheets.iter())
        .map(|sheet| {
            let table = with_label_columns(&sheet.table, document.lang);
            (sheet.name.as_str(), table)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{Lang, Values};
    use crate::report::Section;

    fn document(lang: Lang) -> Document {
        let mut section = Section::new("lifecycle", "Lifecycle stages");
        let table = Table::default()
            .with(
                "stage",
                Values::Text(vec!["stability".into(), "lapsed".into()]),
            )
            .with("customers", Values::Int(vec![3, 4]));
        section.sheet("lifecycle", table);
        Document {
            lang,
            title: String::new(),
            subtitle: String::new(),
            sections: vec![section],
        }
    }

    #[test]
    fn chinese_sheets_gain_label_columns_and_keep_the_codes() {
        let chinese = document(Lang::Zh);
        let zh = sheet_tables(&chinese);
        let (name, table) = &zh[0];
        assert_eq!(*name, "lifecycle");
        assert_eq!(table.names, ["stage", "stage_label", "customers"]);
        let cells = (table.cell(0, 0), table.cell(1, 0), table.cell(1, 1));
        assert_eq!(
            cells,
            ("stability".into(), "稳定期".into(), "退出期".into())
        );
        let english = document(Lang::En);
        let en = sheet_tables(&english);
        assert_eq!(en[0].1.names, ["stage", "customers"]);
        assert!(workbook(&document(Lang::Zh)).unwrap().starts_with(b"PK"));
    }
}
