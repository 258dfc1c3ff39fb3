//! The report as one self-contained HTML page: styles inline, charts as inline SVG, no script,
//! no font and no address fetched when it is viewed; readable on a laptop and printable.

use std::fmt::Write;

use super::charts;
use super::document::{Block, Chart, Document, Section};
use crate::output::Table;
use crate::output::labels::{Lang, header, localized};

/// The page's styles: system fonts of a generic family, a readable measure, and a print layout
/// that keeps each chart on one page.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232a;
  margin: 0 auto; max-width: 1000px; padding: 24px 32px 64px; line-height: 1.45; }
h1 { font-size: 1.8rem; margin: 0 0 4px; }
h2 { font-size: 1.35rem; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid #d8dee4; }
.subtitle { color: #57606a; margin: 0 0 16px; }
nav ol { columns: 2; padding-left: 20px; margin: 8px 0 0; }
nav a { color: #0b62a4; }
figure { margin: 18px 0 26px; }
figure svg { width: 100%; height: auto; max-width: 760px; display: block; }
figcaption { font-size: 0.95rem; margin-top: 4px; }
figcaption b { font-weight: 600; }
.warning { background: #fff4e5; border-left: 4px solid #e69f00; padding: 8px 12px; margin: 10px 0; }
.unavailable { background: #f3f4f6; border-left: 4px solid #8c959f; padding: 8px 12px; margin: 10px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 12px 0; }
dl.facts dt { color: #57606a; }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 0.88rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: 6px; }
th, td { border-bottom: 1px solid #d8dee4; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
footer { margin-top: 48px; color: #57606a; font-size: 0.85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-before: page; border-top: none; }
  figure, table, .warning, .unavailable { break-inside: avoid; }
  figure svg { max-width: 100%; }
}
"#;

/// The document as an HTML page. Every text from the data (ids, names, messages) is escaped.
pub fn page(document: &Document) -> Result<String, String> {
    let mut out = String::with_capacity(256 * 1024);
    let lang = match document.lang {
        Lang::En => "en",
        Lang::Zh => "zh",
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&document.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&document.title));
    let _ = writeln!(
        out,
        "<p class=\"subtitle\">{}</p>",
        escape(&document.subtitle)
    );
    out.push_str("<nav><ol>\n");
    for section in &document.sections {
        let _ = writeln!(
            out,
            "<li><a href=\"#{}\">{}</a></li>",
            section.id,
            escape(&section.title)
        );
    }
    out.push_str("</ol></nav>\n");
    for section in &document.sections {
        write_section(&mut out, section, document.lang)?;
    }
    out.push_str(
        "<footer>Written by clm report; every figure is computed from the input file. \
         The page fetches nothing: it can be mailed, archived or printed as it is.</footer>\n",
    );
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

fn write_section(out: &mut String, section: &Section, lang: Lang) -> Result<(), String> {
    let _ = writeln!(
        out,
        "<section id=\"{}\">\n<h2>{}</h2>",
        section.id,
        escape(&section.title)
    );
    for block in &section.blocks {
        match block {
            Block::Text(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Block::Warning(text) => {
                let _ = writeln!(out, "<p class=\"warning\">{}</p>", escape(text));
            }
            Block::Unavailable(text) => {
                let _ = writeln!(out, "<p class=\"unavailable\">{}</p>", escape(text));
            }
            Block::Facts(facts) => {
                out.push_str("<dl class=\"facts\">\n");
                for (label, value) in facts {
                    let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
                }
                out.push_str("</dl>\n");
            }
            Block::Chart(chart) => write_chart(out, chart)?,
            Block::Table { caption, table } => write_table(out, caption, table, lang),
        }
    }
    out.push_str("</section>\n");
    Ok(())
}

fn write_chart(out: &mut String, chart: &Chart) -> Result<(), String> {
    let svg = charts::svg(&chart.title, &chart.kind)?;
    let _ = writeln!(
        out,
        "<figure class=\"chart\">\n{svg}\n<figcaption><b>{}.</b> {}</figcaption>\n</figure>",
        escape(&chart.title),
        escape(&chart.reading)
    );
    Ok(())
}

/// A table with its headers, codes and actions in `lang` (the English codes in English).
fn write_table(out: &mut String, caption: &str, table: &Table, lang: Lang) {
    let table = &localized(table, lang);
    let _ = writeln!(
        out,
        "<table>\n<caption>{}</caption>\n<thead><tr>",
        escape(caption)
    );
    for name in &table.names {
        let _ = write!(out, "<th>{}</th>", escape(&header(name, lang)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in 0..table.height() {
        out.push_str("<tr>");
        for (c, values) in table.columns.iter().enumerate() {
            let class = match values.text(row) {
                None => " class=\"number\"",
                Some(_) => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&table.cell(c, row)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Text safe inside HTML elements and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Values;
    use crate::report::document::Section;

    #[test]
    fn data_is_escaped_everywhere() {
        let mut section = Section::new("churn", "Churn <risk>");
        section.push(Block::Warning("customer '<script>' & co".into()));
        section.push(Block::Table {
            caption: "Top".into(),
            table: Table::default()
                .with(
                    "customer_id",
                    Values::Text(vec!["<img src=x onerror=alert(1)>".into()]),
                )
                .with("clv", Values::Float(vec![1.5], 2)),
        });
        let html = page(&Document {
            lang: crate::output::Lang::En,
            title: "Report \"a\"".into(),
            subtitle: String::new(),
            sections: vec![section],
        })
        .unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("Report &quot;a&quot;"));
        assert!(html.contains("<td class=\"number\">1.50</td>"));
    }
}
