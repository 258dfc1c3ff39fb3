//! The report in the reader's language (`clm report --lang zh`): section titles and the names
//! in the charts (segments, quadrants, tiers, stages, exit patterns, risk bands) from
//! `output/labels.rs`. Tables are labelled when written ([`super::html`], [`super::workbook`]);
//! readings, chart titles and axis descriptions stay in English, as the lines around a
//! command's table do (docs/labels.md).

use super::document::{Block, ChartKind, Document};
use crate::output::labels::{Lang, code_label, report_section_title};

/// The columns whose codes appear as names in the report's charts.
const CHART_CODE_COLUMNS: [&str; 6] = [
    "segment",
    "quadrant",
    "tier",
    "stage",
    "exit_pattern",
    "risk_band",
];

/// Puts the document's section titles and chart names in `lang` and records the language for
/// the page and the workbook.
pub fn localize(document: &mut Document, lang: Lang) {
    document.lang = lang;
    if lang == Lang::En {
        return;
    }
    for section in &mut document.sections {
        if let Some(title) = report_section_title(section.id, lang) {
            section.title = title.to_string();
        }
        for block in &mut section.blocks {
            if let Block::Chart(chart) = block {
                localize_names(&mut chart.kind, lang);
            }
        }
    }
}

/// The chart's category, row, column, tier and cell names in `lang`.
fn localize_names(kind: &mut ChartKind, lang: Lang) {
    let relabel = |names: &mut Vec<String>| {
        for name in names.iter_mut() {
            *name = name_label(name, lang);
        }
    };
    match kind {
        ChartKind::Bars { categories, .. } => relabel(categories),
        ChartKind::HeatMap(map) => {
            relabel(&mut map.rows);
            relabel(&mut map.columns);
            if let Some(text) = &mut map.cell_text {
                relabel(text);
            }
        }
        ChartKind::Pyramid { tiers, .. } => relabel(tiers),
        ChartKind::Lines { .. } => {}
    }
}

/// A name in a chart in `lang`: a code of one of [`CHART_CODE_COLUMNS`]; or `code: rest`, the
/// code's label then the rest (a lapsed stage with its exit pattern, a loyalty quadrant with its
/// figures); any other text as it is.
pub fn name_label(text: &str, lang: Lang) -> String {
    if let Some(label) = code_of_chart(text, lang) {
        return label.to_string();
    }
    match text.split_once(": ") {
        Some((head, rest)) => match code_of_chart(head, lang) {
            Some(label) => {
                let rest = code_of_chart(rest, lang).map_or(rest.to_string(), str::to_string);
                format!("{label}：{rest}")
            }
            None => text.to_string(),
        },
        None => text.to_string(),
    }
}

fn code_of_chart(text: &str, lang: Lang) -> Option<&'static str> {
    CHART_CODE_COLUMNS
        .iter()
        .find_map(|column| code_label(column, text, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::labels::CODE_TABLES;

    #[test]
    fn chart_names_take_their_labels() {
        assert_eq!(name_label("Champions", Lang::Zh), "冠军客户");
        assert_eq!(name_label("platinum", Lang::Zh), "铂金");
        assert_eq!(name_label("very high", Lang::Zh), "极高风险");
        assert_eq!(
            name_label("lapsed: early abort", Lang::Zh),
            "退出期：初期流产型"
        );
        assert_eq!(
            name_label("True loyalty: 40 %, NPS 12", Lang::Zh),
            "绝对忠诚：40 %, NPS 12"
        );
        assert_eq!(name_label("high attitude", Lang::Zh), "high attitude");
        assert_eq!(name_label("Champions", Lang::En), "Champions");
    }

    /// A chart name is looked up in several tables: a code found in two of them must mean the
    /// same, or the label would depend on the order of the search.
    #[test]
    fn no_chart_code_has_two_labels() {
        let tables: Vec<_> = CODE_TABLES
            .iter()
            .filter(|t| t.columns.iter().any(|c| CHART_CODE_COLUMNS.contains(c)))
            .collect();
        assert!(tables.len() >= 6, "{}", tables.len());
        for (i, a) in tables.iter().enumerate() {
            for b in &tables[i + 1..] {
                for (code, label) in a.labels {
                    if let Some((_, other)) = b.labels.iter().find(|(c, _)| c == code) {
                        assert_eq!(label, other, "{code}");
                    }
                }
            }
        }
    }
}
