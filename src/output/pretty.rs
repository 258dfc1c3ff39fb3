//! Terminal tables: human headers, fitted to the terminal's width without splitting a word.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, Table as Comfy, Width,
    presets::UTF8_FULL_CONDENSED,
};

use super::labels::{Lang, header, localized};
use super::{Table, Values};

/// Columns a narrow terminal may hide to fit the rest: long advice that files keep in full.
const HIDEABLE: [&str; 1] = ["action"];

/// Set by `--wide`: show every column, however wide the table.
static WIDE: AtomicBool = AtomicBool::new(false);

/// Shows every column in terminal tables, however wide (`--wide`).
pub fn set_wide(wide: bool) {
    WIDE.store(wide, Ordering::Relaxed);
}

/// Set by `--lang`: the language of names, actions and headers in terminal tables.
static LANG: AtomicU8 = AtomicU8::new(0);

/// Shows terminal tables in `lang` (`--lang`).
pub fn set_lang(lang: Lang) {
    LANG.store(u8::from(lang == Lang::Zh), Ordering::Relaxed);
}

fn current_lang() -> Lang {
    match LANG.load(Ordering::Relaxed) {
        0 => Lang::En,
        _ => Lang::Zh,
    }
}

/// The width to fit tables to: `COLUMNS` when set, else the terminal's when stdout is one.
fn terminal_width() -> Option<u16> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    Comfy::new().width()
}

/// Renders a table for the terminal (see [`render_table_within`]).
pub fn render_table(table: &Table) -> String {
    render_table_within(
        table,
        terminal_width(),
        WIDE.load(Ordering::Relaxed),
        current_lang(),
    )
}

/// Renders a table with human headers ("Recency (days)") and numbers right-aligned, names and
/// actions in `lang`. Given a `width` and not `wide`, a table wider than it first hides its
/// advice column (saying so under the table), then wraps cells between words: a column is
/// never narrower than its longest word. Widths are display widths (a Chinese character takes
/// two columns), and Chinese text may wrap between any two characters.
pub fn render_table_within(table: &Table, width: Option<u16>, wide: bool, lang: Lang) -> String {
    let table = &localized(table, lang);
    let mut shown: Vec<usize> = (0..table.columns.len()).collect();
    let mut hidden = Vec::new();
    if let Some(width) = width.filter(|_| !wide) {
        while natural_width(table, &shown, lang) > usize::from(width) {
            let Some(at) = shown
                .iter()
                .rposition(|&c| HIDEABLE.contains(&table.names[c].as_str()))
            else {
                break;
            };
            hidden.push(table.names[shown.remove(at)].clone());
        }
    }
    let mut out = Comfy::new();
    out.load_style(UTF8_FULL_CONDENSED);
    match width.filter(|_| !wide) {
        Some(width) => {
            out.set_width(width)
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            out.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    out.set_header(shown.iter().map(|&c| header(&table.names[c], lang)));
    for row in 0..table.height() {
        out.add_row(shown.iter().map(|&c| table.cell(c, row)));
    }
    for (position, &c) in shown.iter().enumerate() {
        let Some(column) = out.column_mut(position) else {
            continue;
        };
        let longest_word = std::iter::once(header(&table.names[c], lang))
            .chain((0..table.height()).map(|row| table.cell(c, row)))
            .flat_map(|text| longest_unbreakable(&text))
            .max()
            .unwrap_or(1);
        // The boundary counts the padding, one space on each side.
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
            u16::try_from(longest_word + 2).unwrap_or(u16::MAX),
        )));
        if matches!(table.columns[c], Values::Int(_) | Values::Float(..)) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut text = out.to_string();
    if !hidden.is_empty() {
        text.push_str(&match lang {
            Lang::En => format!(
                "\n({} hidden to fit the terminal; --wide shows everything, -o FILE keeps it)",
                hidden.join(", ")
            ),
            Lang::Zh => {
                let headers: Vec<String> = hidden.iter().map(|name| header(name, lang)).collect();
                format!(
                    "\n（为适应终端宽度隐藏了：{}；--wide 显示全部，-o FILE 保留全部）",
                    headers.join("、")
                )
            }
        });
    }
    text
}

/// Width of the table with the `shown` columns on one line each: content, one space of padding
/// on each side, and a border between and around the columns.
fn natural_width(table: &Table, shown: &[usize], lang: Lang) -> usize {
    let content: usize = shown
        .iter()
        .map(|&c| {
            std::iter::once(header(&table.names[c], lang))
                .chain((0..table.height()).map(|row| table.cell(c, row)))
                .map(|text| display_width(&text))
                .max()
                .unwrap_or(0)
        })
        .sum();
    content + 3 * shown.len() + 1
}

/// The display width of the longest part of `text` that cannot wrap: a word between spaces,
/// where a wide (CJK) character is a part of its own (Chinese wraps between characters).
fn longest_unbreakable(text: &str) -> Option<usize> {
    text.split_whitespace()
        .flat_map(|word| {
            word.split(is_wide)
                .map(display_width)
                .chain(word.chars().filter(|&c| is_wide(c)).map(|_| 2))
        })
        .max()
}

/// Terminal columns a text takes: East Asian wide characters take two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A column name as a person reads it: `mean_recency_days` → "Mean recency (days)",
/// `revenue_share_pct` → "Revenue share (%)", `clv` → "CLV". Files keep the names themselves.
pub fn human_header(name: &str) -> String {
    let (stem, unit) = [("_days", " (days)"), ("_pct", " (%)")]
        .iter()
        .find_map(|(suffix, unit)| Some((name.strip_suffix(suffix)?, *unit)))
        .unwrap_or((name, ""));
    let words: Vec<String> = match stem {
        "customer_id" => vec!["Customer".to_string()],
        "p_alive" => vec!["P(alive)".to_string()],
        "x" | "t_x" | "T" => vec![stem.to_string()],
        _ => stem
            .split('_')
            .map(|word| match word {
                "id" | "clv" | "rfm" | "nps" | "auc" | "r" | "f" | "m" => word.to_uppercase(),
                _ => word.to_string(),
            })
            .collect(),
    };
    let text = words.join(" ");
    match text.get(..1) {
        Some(first) if !matches!(stem, "x" | "t_x" | "T") => {
            first.to_uppercase() + &text[1..] + unit
        }
        _ => text + unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments() -> Table {
        Table::default()
            .with(
                "segment",
                Values::Text(vec!["Champions".into(), "Lost".into()]),
            )
            .with("customers", Values::Int(vec![566, 342]))
            .with("mean_recency_days", Values::Float(vec![158.5, 666.4], 1))
            .with("revenue_share_pct", Values::Float(vec![52.4, 2.6], 1))
            .with(
                "action",
                Values::Text(vec![
                    "Reward them; early access to new products; ask for reviews and referrals"
                        .into(),
                    "Low-cost reactivation campaign at most; otherwise do not spend on them".into(),
                ]),
            )
    }

    #[test]
    fn headers_read_as_words_with_units() {
        assert_eq!(human_header("mean_recency_days"), "Mean recency (days)");
        assert_eq!(human_header("revenue_share_pct"), "Revenue share (%)");
        assert_eq!(human_header("customer_id"), "Customer");
        assert_eq!(human_header("clv"), "CLV");
        assert_eq!(human_header("value_at_risk"), "Value at risk");
        assert_eq!(human_header("p_alive"), "P(alive)");
        assert_eq!(human_header("t_x"), "t_x");
    }

    #[test]
    fn a_narrow_terminal_hides_the_action_and_says_so() {
        let text = render_table_within(&segments(), Some(80), false, Lang::En);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(!text.contains("Reward them"), "{text}");
        assert!(text.contains("action hidden"), "{text}");
        assert!(text.contains("Mean recency (days)") || text.contains("Mean recency"));
        let wide = render_table_within(&segments(), Some(80), true, Lang::En);
        assert!(
            wide.contains(
                "Reward them; early access to new products; ask for reviews and referrals"
            )
        );
        let roomy = render_table_within(&segments(), Some(200), false, Lang::En);
        assert!(roomy.contains("ask for reviews and referrals") && !roomy.contains("hidden"));
    }

    /// Text that must stay is wrapped between words, never inside one.
    #[test]
    fn words_are_never_split() {
        let table = Table::default()
            .with("customer_id", Values::Text(vec!["C0001".into()]))
            .with(
                "reason_1",
                Values::Text(vec![
                    "reactivation overdue: 3.1× usual gap between orders".into(),
                ]),
            );
        let text = render_table_within(&table, Some(30), false, Lang::En);
        let cells: String = text
            .lines()
            .flat_map(|l| l.split(['│', '┆']))
            .collect::<Vec<_>>()
            .join(" ");
        for word in ["reactivation", "overdue:", "between", "orders"] {
            assert!(
                cells.split_whitespace().any(|w| w == word),
                "{word} split in\n{text}"
            );
        }
    }

    /// Display width of the widest line of a rendered table.
    fn widest_line(text: &str) -> usize {
        text.lines().map(display_width).max().unwrap_or(0)
    }

    /// Chinese characters take two terminal columns: a table whose lines fit the terminal when
    /// characters are counted, but not when columns are, still has to be fitted.
    #[test]
    fn chinese_tables_fit_by_display_width() {
        let natural = render_table_within(&segments(), None, false, Lang::Zh);
        assert!(
            natural.contains("冠军客户") && natural.contains("建议行动"),
            "{natural}"
        );
        // One column narrower than the table: counted in characters, its rows would fit.
        let width = widest_line(&natural) - 1;
        let fewest_chars = natural.lines().map(|l| l.chars().count()).min().unwrap();
        assert!(fewest_chars + 20 < width, "{natural}");
        let fitted = render_table_within(
            &segments(),
            Some(u16::try_from(width).unwrap()),
            false,
            Lang::Zh,
        );
        assert!(widest_line(&fitted) <= width, "{fitted}");
        assert!(fitted.contains("隐藏了：建议行动"), "{fitted}");
        // The columns line up: every line of the table is equally wide on screen.
        let table_lines: Vec<&str> = fitted.lines().filter(|l| !l.starts_with('（')).collect();
        assert!(
            table_lines
                .iter()
                .all(|l| display_width(l) == display_width(table_lines[0])),
            "{fitted}"
        );
    }

    /// Chinese has no spaces between words: it wraps between characters instead of pushing the
    /// table past the terminal.
    #[test]
    fn chinese_text_wraps_between_characters() {
        let table = Table::default()
            .with("customer_id", Values::Text(vec!["C0001".into()]))
            .with(
                "reason_1",
                Values::Text(vec![
                    "在形成期离开：期望不断提高却未被满足；对比重复购买者的期望与实际所得".into(),
                ]),
            );
        let text = render_table_within(&table, Some(40), false, Lang::Zh);
        assert!(widest_line(&text) <= 40, "{text}");
        assert!(
            text.contains("原因 1") && text.contains("在形成期"),
            "{text}"
        );
        assert_eq!(longest_unbreakable("overdue: 3.1× 逾期"), Some(8));
        assert_eq!(longest_unbreakable("逾期"), Some(2));
    }
}
