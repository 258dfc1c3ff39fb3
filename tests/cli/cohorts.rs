//! `clm cohorts`: exact cells on a small log (netted returns, a returns-only customer, a return
//! before the first purchase, a row after the as-of date), censored cells empty, the "all" row
//! over observing cohorts only, the column contract on a simulated log, and bad input.

use std::collections::BTreeMap;

use crate::common::{clm, ok, temp_file};

const SMALL: &str = "customer_id,date,amount
a,2024-01-05,10
a,2024-01-20,5
a,2024-03-02,7
b,2024-01-31,20
b,2024-02-10,-4
c,2023-12-20,-3
c,2024-02-01,8
c,2024-02-29,2
d,2024-02-15,-1
a,2024-04-01,99
";

const LONG_COLUMNS: &str = "cohort,period_index,period_start,status,cohort_size,customers_active,retention_pct,revenue,revenue_retention_pct,cumulative_revenue_per_customer";

#[test]
fn cells_of_a_small_log_by_hand_with_the_partial_month_empty() {
    let (_dir, path) = temp_file("small.csv", SMALL.as_bytes());
    let path = path.to_str().unwrap();
    let run = clm(&["cohorts", path, "--as-of", "2024-03-15", "--format", "csv"]);
    assert!(
        run.stderr
            .contains("1 rows dated after the as-of date 2024-03-15 ignored")
    );
    assert!(run.stderr.contains("1 customers with only returns"));
    assert!(
        run.stderr
            .contains("1 return rows dated before the customer's first purchase")
    );
    // January: a (days 5 and 20) and b; b's February return is revenue but not activity.
    // February: c, whose December return is before its first purchase. March is partial.
    let expected = format!(
        "{LONG_COLUMNS}
2024-01,0,2024-01-01,observed,2,2,100.0,35.00,100.0,17.50
2024-01,1,2024-02-01,observed,2,0,0.0,-4.00,-11.4,15.50
2024-01,2,2024-03-01,partial,2,,,,,
2024-02,0,2024-02-01,observed,1,1,100.0,10.00,100.0,10.00
2024-02,1,2024-03-01,partial,1,,,,,
"
    );
    assert_eq!(ok(run), expected);
}

#[test]
fn wide_matrix_averages_each_column_over_the_cohorts_that_observed_it() {
    let (_dir, path) = temp_file("small.csv", SMALL.as_bytes());
    let path = path.to_str().unwrap();
    let wide = |metric: &str| {
        ok(clm(&[
            "cohorts",
            path,
            "--as-of",
            "2024-03-15",
            "--metric",
            metric,
            "--summary",
            "--format",
            "csv",
            "-q",
        ]))
    };
    // Column 1 is observed by January only: its "all" cell is January's, not a mean with a 0.
    assert_eq!(
        wide("retention"),
        "cohort,customers,0,1,2\n2024-01,2,100.0,0.0,\n2024-02,1,100.0,,\nall,3,100.0,0.0,\n"
    );
    // Cumulative revenue per customer pools the cohorts: (35 + 10) / 3 customers.
    assert_eq!(
        wide("cumulative-revenue"),
        "cohort,customers,0,1,2\n2024-01,2,17.50,15.50,\n2024-02,1,10.00,,\nall,3,15.00,15.50,\n"
    );
    assert_eq!(
        wide("active"),
        "cohort,customers,0,1,2\n2024-01,2,2,0,\n2024-02,1,1,,\nall,3,2,0,\n"
    );
}

#[test]
fn an_as_of_date_on_the_last_day_of_the_month_observes_that_month() {
    let (_dir, path) = temp_file("small.csv", SMALL.as_bytes());
    let path = path.to_str().unwrap();
    let text = ok(clm(&[
        "cohorts",
        path,
        "--as-of",
        "2024-03-31",
        "--format",
        "csv",
        "-q",
    ]));
    assert!(!text.contains("partial"), "{text}");
    assert!(text.contains("2024-01,2,2024-03-01,observed,2,1,50.0,7.00,20.0,19.00"));
    let table = ok(clm(&[
        "cohorts",
        path,
        "--as-of",
        "2024-03-31",
        "--format",
        "table",
        "-q",
    ]));
    assert!(table.contains("as of 2024-03-31"));
    assert!(table.contains("no cell is partial"));
    let table = ok(clm(&[
        "cohorts",
        path,
        "--as-of",
        "2024-03-15",
        "--format",
        "table",
        "-q",
    ]));
    assert!(table.contains("month 2024-03 ends after the as-of date"));
    assert!(table.contains("rests on a single cohort from column 1 on"));
}

#[test]
fn weeks_start_on_monday_and_quarters_are_calendar_quarters() {
    let (_dir, path) = temp_file("small.csv", SMALL.as_bytes());
    let path = path.to_str().unwrap();
    let weeks = ok(clm(&[
        "cohorts",
        path,
        "--as-of",
        "2024-03-15",
        "--period",
        "week",
        "--format",
        "csv",
        "-q",
    ]));
    // a's first purchase, Friday 2024-01-05, is in the week of Monday 2024-01-01.
    assert!(weeks.contains("\n2024-01-01,0,2024-01-01,observed,1,1,100.0,10.00,"));
    // Friday 2024-03-15 is inside the week of Monday 2024-03-11: that week is partial.
    assert!(weeks.contains(",2024-03-11,partial,"));
    assert!(!weeks.contains(",2024-03-18,"));
    let quarters = ok(clm(&[
        "cohorts",
        path,
        "--as-of",
        "2024-03-15",
        "--period",
        "quarter",
        "--format",
        "csv",
        "-q",
    ]));
    assert_eq!(
        quarters,
        format!("{LONG_COLUMNS}\n2024-Q1,0,2024-01-01,partial,3,,,,,\n")
    );
}

/// CSV text as rows of named cells.
fn records(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn simulated_log_keeps_the_column_contract_and_its_invariants() {
    let text = ok(clm(&[
        "cohorts",
        "fixtures/transactions.csv",
        "--format",
        "csv",
        "-q",
    ]));
    assert_eq!(text.lines().next().unwrap(), LONG_COLUMNS);
    let rows = records(&text);
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for row in &rows {
        let size: u64 = row["cohort_size"].parse().unwrap();
        sizes.insert(row["cohort"].clone(), size);
        if row["status"] != "observed" {
            assert_eq!(row["status"], "partial");
            assert!(row["retention_pct"].is_empty() && row["customers_active"].is_empty());
            continue;
        }
        let active: f64 = row["customers_active"].parse().unwrap();
        let retention: f64 = row["retention_pct"].parse().unwrap();
        assert!(active <= size as f64);
        assert!((retention - 100.0 * active / size as f64).abs() < 0.051);
        if row["period_index"] == "0" {
            assert_eq!(retention, 100.0, "{row:?}");
        }
    }
    // Every customer with a purchase is in exactly one cohort.
    assert_eq!(sizes.values().sum::<u64>(), 3000);
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "partial").count(),
        sizes.len(),
        "one partial cell per cohort: the as-of date is the last transaction, mid-month"
    );
}

#[test]
fn no_purchase_by_the_as_of_date_is_bad_data() {
    let (_dir, path) = temp_file("small.csv", SMALL.as_bytes());
    let run = clm(&[
        "cohorts",
        path.to_str().unwrap(),
        "--as-of",
        "2023-12-31",
        "-q",
    ]);
    assert_eq!(run.code, 65);
    assert!(run.stderr.contains("no purchases on or before 2023-12-31"));
}
