//! `clm lifecycle`: planted customers of every stage and exit pattern get their labels end to
//! end, the lapse window comes from the data and is shown, the transition matrix adds up, and
//! bad rule tables and durations are refused.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use crate::common::{clm, ok, temp_file};

const COLUMNS: &str =
    "customer_id,stage,exit_pattern,tenure_days,purchases,recency_days,rhythm_days,trend,action";

/// Day 0 of the planted histories; the as-of date is day 2000.
fn date(day: i32) -> String {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    (start + Duration::days(i64::from(day))).to_string()
}

const AS_OF_DAY: i32 = 2000;

fn every(start: i32, step: i32, count: i32) -> Vec<i32> {
    (0..count).map(|i| start + i * step).collect()
}

/// Customers whose histories make each stage and exit pattern under the default table with a
/// 120-day lapse window (docs/lifecycle.md), with the labels they must get.
fn planted() -> Vec<(&'static str, Vec<i32>, &'static str, &'static str)> {
    let mut falling = every(800, 10, 109);
    falling.push(1985);
    vec![
        ("explorer", vec![1900, 1960], "exploration", ""),
        ("former", vec![1700, 1800, 1900], "formation", ""),
        (
            "riser",
            vec![1000, 1400, 1800, 1900, 1930, 1960, 1990],
            "formation",
            "",
        ),
        ("stable", every(900, 30, 37), "stability", ""),
        ("overdue", every(1600, 7, 53), "decline", ""),
        ("falling", falling, "decline", ""),
        ("one-timer", vec![1000], "lapsed", "early abort"),
        (
            "three-then-gone",
            vec![1000, 1030, 1060],
            "lapsed",
            "mid-way",
        ),
        ("short-stable", every(1000, 30, 9), "lapsed", "early exit"),
        ("long-stable", every(500, 30, 30), "lapsed", "long-term"),
    ]
}

fn planted_csv() -> String {
    let mut text = String::from("customer_id,date,amount\n");
    for (id, days, _, _) in planted() {
        for day in days {
            text.push_str(&format!("{id},{},10\n", date(day)));
        }
    }
    text
}

fn rows_by_id(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let row: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect();
            (row["customer_id"].clone(), row)
        })
        .collect()
}

#[test]
fn planted_customers_get_their_stage_and_exit_pattern() {
    let (_dir, path) = temp_file("planted.csv", planted_csv().as_bytes());
    let as_of = date(AS_OF_DAY);
    let text = ok(clm(&[
        "lifecycle",
        path.to_str().unwrap(),
        "--as-of",
        &as_of,
        "--lapse-days",
        "120",
        "--format",
        "csv",
        "-q",
    ]));
    assert_eq!(text.lines().next().unwrap(), COLUMNS);
    let rows = rows_by_id(&text);
    assert_eq!(rows.len(), planted().len());
    for (id, days, stage, exit) in planted() {
        let row = &rows[id];
        assert_eq!(
            (row["stage"].as_str(), row["exit_pattern"].as_str()),
            (stage, exit),
            "{id}"
        );
        assert_eq!(row["purchases"], days.len().to_string(), "{id}");
        assert_eq!(
            row["recency_days"],
            (AS_OF_DAY - days[days.len() - 1]).to_string()
        );
        assert_eq!(row["tenure_days"], (AS_OF_DAY - days[0]).to_string());
    }
    assert_eq!(rows["stable"]["rhythm_days"], "30.0");
    assert!(rows["one-timer"]["rhythm_days"].is_empty() && rows["one-timer"]["trend"].is_empty());
    assert!(rows["long-stable"]["action"].contains("switching costs"));
    assert!(rows["one-timer"]["action"].starts_with("Left during exploration"));
}

#[test]
fn the_lapse_window_defaults_to_the_gap_quantile_and_is_shown() {
    // Gaps: a 10, 20, 30, 40, 50, 60, 70, 80, 90 and b 100: the 90 % quantile of 10 gaps is 90.
    let mut text = String::from("customer_id,date,amount\n");
    let mut day = 0;
    for gap in [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] {
        day += gap;
        text.push_str(&format!("a,{},5\n", date(day)));
    }
    text.push_str(&format!("b,{},5\nb,{},5\n", date(0), date(100)));
    let (_dir, path) = temp_file("gaps.csv", text.as_bytes());
    let table = ok(clm(&[
        "lifecycle",
        path.to_str().unwrap(),
        "--format",
        "table",
        "-q",
    ]));
    assert!(
        table.contains("lapsed after 90 days without a purchase (the 90 % quantile of 10 gaps"),
        "{table}"
    );
    // b's last purchase is day 100, the as-of date day 450: lapsed; a bought on the as-of date.
    let rows = rows_by_id(&ok(clm(&[
        "lifecycle",
        path.to_str().unwrap(),
        "--format",
        "csv",
        "-q",
    ])));
    assert_eq!(rows["b"]["stage"], "lapsed");
    assert_ne!(rows["a"]["stage"], "lapsed");
}

#[test]
fn transition_rows_add_up_to_the_customers_and_their_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let moves = dir.path().join("moves.csv");
    let out = clm(&[
        "lifecycle",
        "fixtures/transactions.csv",
        "--compare",
        "13w",
        "--transitions",
        moves.to_str().unwrap(),
        "--format",
        "table",
        "-q",
    ]);
    let table = ok(out);
    assert!(table.contains("Stage on 2025-09-30 (rows) against 2025-12-30 (columns)"));
    let text = std::fs::read_to_string(&moves).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "from_stage,to_stage,customers,revenue"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let (mut customers, mut into_lapsed_revenue) = (0i64, 0.0f64);
    for record in reader.records() {
        let record = record.unwrap();
        customers += record[2].parse::<i64>().unwrap();
        if &record[1] == "lapsed" {
            into_lapsed_revenue += record[3].parse::<f64>().unwrap().abs();
        }
    }
    assert_eq!(customers, 3000);
    // Lapsed now means no purchase in the lapse window (longer than 13 weeks): no revenue.
    assert_eq!(into_lapsed_revenue, 0.0);
}

#[test]
fn bad_rule_tables_and_durations_are_refused() {
    let (_dir, rules) = temp_file(
        "rules.toml",
        b"[[rule]]\nstage = \"exploration\"\npurchases = { max = 2 }\n",
    );
    let run = clm(&[
        "lifecycle",
        "fixtures/transactions.csv",
        "--rules",
        rules.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(run.stderr.contains("rules.toml") && run.stderr.contains("last rule"));
    let run = clm(&[
        "lifecycle",
        "fixtures/transactions.csv",
        "--rules",
        "no-such.toml",
        "-q",
    ]);
    assert_eq!(run.code, 66);
    let run = clm(&[
        "lifecycle",
        "fixtures/transactions.csv",
        "--compare",
        "3 months",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("90d or 13w"));
}

#[test]
fn no_repeat_buyer_and_the_input_as_transitions_file_are_refused() {
    let one_purchase_each = b"customer_id,date,amount\na,2024-01-01,5\nb,2024-02-01,5\n";
    let (_dir, single) = temp_file("single.csv", one_purchase_each);
    let no_gaps = clm(&["lifecycle", single.to_str().unwrap(), "-q"]);
    assert_eq!(no_gaps.code, 65);
    assert!(
        no_gaps.stderr.contains("pass --lapse-days"),
        "{}",
        no_gaps.stderr
    );
    let (_dir, input) = temp_file(
        "tx.csv",
        b"customer_id,date,amount\na,2024-01-01,5\na,2024-02-01,5\n",
    );
    let input = input.to_str().unwrap();
    let run = clm(&[
        "lifecycle",
        input,
        "--compare",
        "30d",
        "--transitions",
        input,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("refusing to overwrite the input"));
    assert!(
        std::fs::read_to_string(input)
            .unwrap()
            .starts_with("customer_id,date,amount")
    );
}

#[test]
fn customers_and_rows_left_out_are_counted() {
    let text = "customer_id,date,amount\na,2024-01-01,5\na,2024-02-01,5\nr,2024-01-15,-3\na,2024-06-01,5\n";
    let (_dir, path) = temp_file("left-out.csv", text.as_bytes());
    let run = clm(&[
        "lifecycle",
        path.to_str().unwrap(),
        "--as-of",
        "2024-03-01",
        "--format",
        "csv",
    ]);
    assert!(
        run.stderr
            .contains("1 row dated after the as-of date 2024-03-01 ignored")
    );
    assert!(
        run.stderr
            .contains("1 customer with only returns up to the as-of date left out")
    );
    let rows = rows_by_id(&ok(run));
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(rows["a"]["purchases"], "2");
}
