//! Side tables (surveys, `--inputs`, subscription records, clv summaries) are read by one
//! reader: a gzip-compressed TSV, a semicolon-separated file and the plain CSV give the same
//! output, and a bad cell is named by file, row and column alike.

use std::io::Write;

use crate::common::{clm, ok, temp_file};

/// `text` (comma-separated) with another delimiter.
fn with_delimiter(text: &str, delimiter: &str) -> String {
    text.replace(',', delimiter)
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_survey_reads_the_same_as_gzipped_tsv_and_with_semicolons() {
    let survey = std::fs::read_to_string("fixtures/loyalty_survey.csv").unwrap();
    let args = |path: &str| clm(&["loyalty", "fixtures/loyalty_tx.csv", "--survey", path, "-q"]);
    let expected = ok(args("fixtures/loyalty_survey.csv"));
    let (_a, tsv) = temp_file("survey.tsv.gz", &gzip(&with_delimiter(&survey, "\t")));
    assert_eq!(ok(args(tsv.to_str().unwrap())), expected);
    let (_b, semicolons) = temp_file("survey.csv", with_delimiter(&survey, ";").as_bytes());
    assert_eq!(ok(args(semicolons.to_str().unwrap())), expected);
}

#[test]
fn clv_summaries_read_gzipped_and_name_a_bad_cell() {
    let summaries = std::fs::read_to_string("fixtures/donations_summary.csv").unwrap();
    let args = |path: &str| {
        clm(&[
            "clv",
            path,
            "--input-kind",
            "summary",
            "--model",
            "bgbb",
            "-q",
        ])
    };
    let expected = ok(args("fixtures/donations_summary.csv"));
    let (_a, gz) = temp_file("summary.csv.gz", &gzip(&summaries));
    assert_eq!(ok(args(gz.to_str().unwrap())), expected);
    let lines: Vec<&str> = summaries.lines().collect();
    let first_row = lines[1].replacen(|c: char| c.is_ascii_digit(), "x", 1);
    let broken = format!("{}\n{first_row}\n", lines[0]);
    let (_b, bad) = temp_file("bad.csv", broken.as_bytes());
    let run = args(bad.to_str().unwrap());
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("bad.csv: row 1 (line 2), column 'frequency': 'x' is not a number"),
        "{}",
        run.stderr
    );
}

#[test]
fn extra_inputs_read_as_tsv_like_csv() {
    let fixture = "fixtures/transactions.csv";
    let ids: Vec<String> = ok(clm(&["churn", fixture, "--top", "30", "-q"]))
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    let mut text = String::from("customer_id,tickets\n");
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("{id},{}\n", i % 4));
    }
    let run = |path: &str| clm(&["churn", fixture, "--inputs", path, "--top", "5", "-q"]);
    let (_a, csv) = temp_file("tickets.csv", text.as_bytes());
    let expected = ok(run(csv.to_str().unwrap()));
    let (_b, tsv) = temp_file("tickets.tsv", with_delimiter(&text, "\t").as_bytes());
    assert_eq!(ok(run(tsv.to_str().unwrap())), expected);
}
