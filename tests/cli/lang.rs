//! `--lang zh`: terminal tables in Chinese; files keep the English codes and gain a
//! `<column>_label` column beside each coded column and the action.

use crate::common::{clm, fixture};
use crate::golden::GOLDEN;

/// Rows of a CSV text, the header first.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Each golden file's command with `--lang zh` writes the same columns and values, and after
/// each coded column a Chinese label of every non-empty code.
#[test]
fn files_keep_the_codes_and_gain_chinese_labels() {
    for (name, args) in GOLDEN {
        let mut all = args.to_vec();
        all.extend(["--format", "csv", "-q", "--lang", "zh"]);
        let run = clm(&all);
        assert_eq!(run.code, 0, "clm {}: {}", args.join(" "), run.stderr);
        let english =
            csv_rows(&std::fs::read_to_string(fixture(&format!("expected/{name}"))).unwrap());
        let chinese = csv_rows(&run.stdout);
        assert_eq!(chinese.len(), english.len(), "{name}");
        let header = &chinese[0];
        let label_columns: Vec<usize> = (0..header.len())
            .filter(|&i| header[i].ends_with("_label"))
            .collect();
        assert!(
            !label_columns.is_empty(),
            "{name}: no label column in {header:?}"
        );
        for &i in &label_columns {
            assert_eq!(
                format!("{}_label", header[i - 1]),
                header[i],
                "{name}: a label follows its column"
            );
            for row in &chinese[1..] {
                let (code, label) = (&row[i - 1], &row[i]);
                assert_eq!(
                    code.is_empty(),
                    label.is_empty(),
                    "{name}: {code} → {label}"
                );
                assert!(
                    code.is_empty() || has_chinese(label),
                    "{name}: {code} → {label}"
                );
            }
        }
        // Without the label columns, the file is the English one.
        let without: Vec<Vec<String>> = chinese
            .iter()
            .map(|row| {
                (0..row.len())
                    .filter(|i| !label_columns.contains(i))
                    .map(|i| row[i].clone())
                    .collect()
            })
            .collect();
        assert!(without == english, "{name}: codes or values changed");
    }
}

/// The header cells of every table a run printed.
fn table_headers(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|pair| pair[0].starts_with('┌'))
        .flat_map(|pair| {
            pair[1]
                .split(['│', '┆'])
                .map(|cell| cell.trim().to_string())
        })
        .filter(|cell| !cell.is_empty())
        .collect()
}

/// Terminal tables of every analysis: Chinese headers (numbers, model notation and
/// abbreviations aside) and Chinese names; English runs show no Chinese.
#[test]
fn terminal_tables_read_in_chinese() {
    let notation = [
        "x", "t_x", "T", "r", "alpha", "beta", "a", "b", "p", "q", "gamma", "s", "AIC", "BIC",
        "AUC", "NPS", "CLV",
    ];
    for (name, args) in GOLDEN {
        let mut all = args.to_vec();
        all.extend(["--format", "table", "-q", "--wide", "--lang", "zh"]);
        let run = clm(&all);
        assert_eq!(run.code, 0, "clm {}: {}", args.join(" "), run.stderr);
        let headers = table_headers(&run.stdout);
        assert!(!headers.is_empty(), "{name}:\n{}", run.stdout);
        for cell in &headers {
            let plain = cell.parse::<f64>().is_ok() || notation.contains(&cell.as_str());
            assert!(
                plain || has_chinese(cell),
                "{name}: header '{cell}'\n{}",
                run.stdout
            );
        }
        let english = clm(&[args, &["--format", "table", "-q", "--wide"][..]].concat());
        assert!(!has_chinese(&english.stdout), "{name}:\n{}", english.stdout);
    }
    let rfm = clm(&[
        "rfm",
        "fixtures/transactions.csv",
        "--format",
        "table",
        "--wide",
        "--lang",
        "zh",
    ]);
    for name in ["冠军客户", "已流失客户", "给予奖励"] {
        assert!(rfm.stdout.contains(name), "{name}:\n{}", rfm.stdout);
    }
}

/// Excel and JSON carry the labels too; a bad language is a usage error.
#[test]
fn other_formats_and_a_bad_language() {
    let json = clm(&[
        "clv",
        "fixtures/cdnow_sample.csv",
        "--as-of",
        "1997-09-30",
        "--summary",
        "--format",
        "json",
        "-q",
        "--lang",
        "zh",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(
        json.stdout
            .contains("\"tier\":\"platinum\",\"tier_label\":\"铂金\""),
        "{}",
        json.stdout
    );
    let bad = clm(&["rfm", "fixtures/transactions.csv", "--lang", "fr"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("zh"), "{}", bad.stderr);
}
