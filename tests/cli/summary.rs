//! `clm summary` and `--input-kind summary`: every analysis gives the same bytes from the
//! per-customer summary as from the transactions it summarises.

use std::path::Path;

use crate::common::{clm, clm_with_stdin, ok, temp_file};

/// Fixtures and the as-of flags given both to `clm summary` and to the analysis. (An as-of
/// date after the last transaction is left out: a summary cannot tell where the data end, and
/// churn's back-test depends on it; docs/summary.md.)
const INPUTS: &[(&str, &[&str])] = &[
    ("fixtures/transactions.csv", &[]),
    ("fixtures/online_retail_sample.csv", &[]),
    ("fixtures/cdnow_sample.csv", &["--as-of", "1997-09-30"]),
    ("fixtures/rfm_data_orders.csv", &[]),
    ("fixtures/loyalty_tx.csv", &[]),
];

/// Analyses and their own flags.
const ANALYSES: &[&[&str]] = &[
    &["rfm"],
    &["rfm", "--scoring", "r-rfm", "--monetary", "mean"],
    &["clv"],
    &["churn", "--horizon", "90"],
    &["churn", "--horizon", "90", "--backtest"],
    &["loyalty", "--survey", "fixtures/survey.csv"],
    &["loyalty", "--survey", "fixtures/loyalty_survey.csv"],
];

fn summarise(input: &str, as_of: &[&str], out: &Path) {
    let out = out.to_str().unwrap();
    let mut args = vec!["summary", input, "--horizon", "90", "-q", "-o", out];
    args.extend(as_of);
    ok(clm(&args));
}

/// Runs an analysis on `input` and returns (exit code, stdout).
fn analyse(analysis: &[&str], input: &str, as_of: &[&str], kind: &[&str]) -> (i32, String) {
    let mut args = vec![analysis[0], input, "-q", "--format", "csv"];
    args.extend(&analysis[1..]);
    args.extend(as_of);
    args.extend(kind);
    let run = clm(&args);
    (run.code, run.stdout)
}

#[test]
fn every_analysis_reads_the_summary_as_the_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (k, (input, as_of)) in INPUTS.iter().enumerate() {
        let summary = dir.path().join(format!("summary_{k}.csv"));
        summarise(input, as_of, &summary);
        let summary = summary.to_str().unwrap();
        for analysis in ANALYSES {
            let (code, direct) = analyse(analysis, input, as_of, &[]);
            let kind = ["--input-kind", "summary"];
            let (summary_code, from_summary) = analyse(analysis, summary, as_of, &kind);
            let case = format!("{} on {input} {as_of:?}", analysis.join(" "));
            assert_eq!(code, summary_code, "{case}: exit codes");
            assert_eq!(direct, from_summary, "{case}: output");
            if code == 0 {
                assert!(direct.lines().count() > 1, "{case}: {direct}");
                compared += 1;
            }
        }
    }
    // Most runs succeed (a survey matches one transaction fixture; clv cannot fit every one).
    assert!(compared >= 20, "{compared}");
}

#[test]
fn a_parquet_summary_and_one_on_stdin_give_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("summary.parquet");
    summarise("fixtures/transactions.csv", &[], &parquet);
    let parquet = parquet.to_str().unwrap();
    for analysis in [&["rfm"][..], &["clv"], &["churn", "--horizon", "90"]] {
        let (_, direct) = analyse(analysis, "fixtures/transactions.csv", &[], &[]);
        let kind = ["--input-kind", "summary"];
        let (code, from_parquet) = analyse(analysis, parquet, &[], &kind);
        assert_eq!(code, 0, "{analysis:?}");
        assert_eq!(direct, from_parquet, "{analysis:?}");
    }
    let csv = ok(clm(&["summary", "fixtures/transactions.csv", "-q"]));
    let from_stdin = ok(clm_with_stdin(
        &["clv", "-", "--input-kind", "summary", "-q"],
        csv.as_bytes(),
    ));
    let (_, direct) = analyse(&["clv"], "fixtures/transactions.csv", &[], &[]);
    assert_eq!(direct, from_stdin);
}

/// A messy export: a returns-only customer, same-day rows, an order spanning two days, a
/// customer whose first purchase is after the earlier cut-off, padded ids.
const MESSY: &str = "\
customer_id,order_id,date,amount
A ,o1,2025-01-10,10.10
A,o2,2025-01-10,0.20
A,o3,2025-03-01,5
A,o3,2025-03-02,1
A,o4,2025-03-02,-2
R,r1,2025-02-01,-9
B,b1,2025-05-30,7.5
";

#[test]
fn the_summary_of_a_messy_file_reads_as_documented() {
    let (_dir, path) = temp_file("messy.csv", MESSY.as_bytes());
    let path = path.to_str().unwrap();
    let out = ok(clm(&["summary", path, "--horizon", "60d", "-q"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "summary_version,customer_id,cutoff,first_day,last_day,purchase_days,orders,rows,\
         return_rows,revenue,repeat_revenue,revenue_last_quarter,revenue_prior_quarter,gap_square_sum"
    );
    // As-of 2025-05-30; cut-offs 60 and 120 days earlier: 2025-03-31 and 2025-01-30.
    assert_eq!(
        &lines[1..],
        [
            // Same-day rows are one purchase day; o3 spans two days; day 2025-03-02 nets its
            // return (1 − 2); 10.10 + 0.20 is written in full, as the float it is. Gaps 50
            // and 1 days.
            "1,A,2025-05-30,2025-01-10,2025-03-02,3,3,5,1,14.299999999999999,4,4,10.299999999999999,2501",
            "1,A,2025-03-31,2025-01-10,2025-03-02,3,3,5,1,14.299999999999999,4,14.299999999999999,0,2501",
            "1,A,2025-01-30,2025-01-10,2025-01-10,1,2,2,0,10.299999999999999,0,10.299999999999999,0,0",
            "1,B,2025-05-30,2025-05-30,2025-05-30,1,1,1,0,7.5,0,7.5,0,0",
            "1,R,2025-05-30,,,0,0,1,1,-9,0,0,-9,0",
            "1,R,2025-03-31,,,0,0,1,1,-9,0,-9,0,0",
        ]
    );
}

#[test]
fn a_summary_without_the_cutoffs_an_analysis_needs_is_bad_data() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.csv");
    ok(clm(&[
        "summary",
        "fixtures/transactions.csv",
        "-q",
        "-o",
        one.to_str().unwrap(),
    ]));
    let one = one.to_str().unwrap();
    let run = clm(&["churn", one, "--input-kind", "summary", "--horizon", "90"]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("no rows at the cut-offs"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("clm summary TRANSACTIONS --as-of 2025-12-30 --horizon 90d"),
        "{}",
        run.stderr
    );
    let run = clm(&[
        "rfm",
        one,
        "--input-kind",
        "summary",
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(run.stderr.contains("--as-of 2025-06-30"), "{}", run.stderr);
}

#[test]
fn bad_summaries_name_file_row_and_column() {
    let good = ok(clm(&["summary", "fixtures/transactions.csv", "-q"]));
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    let original = lines[3].clone();
    let cases = [
        (
            original.replacen('1', "2", 1),
            "row 3 (line 4), column 'summary_version'",
        ),
        (
            original.replacen(",2025-", ",30/12/2025-", 1),
            "row 3 (line 4), column 'cutoff'",
        ),
        (
            {
                let mut cells: Vec<&str> = original.split(',').collect();
                cells[9] = "lots";
                cells.join(",")
            },
            "row 3 (line 4), column 'revenue': 'lots' is not a number",
        ),
    ];
    for (line, expected) in cases {
        lines[3] = line;
        let (_dir, path) = temp_file("bad.csv", (lines.join("\n") + "\n").as_bytes());
        let run = clm(&["rfm", path.to_str().unwrap(), "--input-kind", "summary"]);
        assert_eq!(run.code, 65, "{}", run.stderr);
        assert!(run.stderr.contains("bad.csv: "), "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
    let without_revenue = good.replace(",revenue,", ",income,");
    let (_dir, path) = temp_file("bad.csv", without_revenue.as_bytes());
    let run = clm(&[
        "loyalty",
        path.to_str().unwrap(),
        "--input-kind",
        "summary",
        "--survey",
        "fixtures/survey.csv",
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("needs the column revenue"),
        "{}",
        run.stderr
    );
}

#[test]
fn row_flags_belong_to_clm_summary() {
    let (_dir, path) = temp_file("s.csv", b"summary_version\n1\n");
    let run = clm(&[
        "rfm",
        path.to_str().unwrap(),
        "--input-kind",
        "summary",
        "--exclude-ids",
        "0",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("give it to clm summary"),
        "{}",
        run.stderr
    );
}

#[test]
fn clv_still_reads_the_x_t_x_t_shape() {
    let out = ok(clm(&[
        "clv",
        "fixtures/donations_summary.csv",
        "--input-kind",
        "summary",
        "--model",
        "bgbb",
        "-q",
    ]));
    assert!(
        out.starts_with("frequency,recency,periods,customers,p_alive"),
        "{out}"
    );
}

/// Four months of purchases with returns and a returns-only customer: churn's earliest cut-off
/// (as-of − 2 × 90 days, 2010-10-03) is before anyone bought, so the summary has no rows there.
const YOUNG: &str = "\
customer_id,order_id,date,amount
A,1001,2010-12-01,10.5
A,1002,2010-12-01,4.5
A,1003,2010-12-03,-2
A,1004,2011-01-15,20
A,1005,2011-03-02,7.25
O,2001,2010-12-02,30
O,C2002,2010-12-20,12
O,2003,2011-02-20,40
B,3001,2011-02-01,-9
C,6001,2010-11-30,15
C,6002,2011-03-31,25
C,6003,2011-04-01,35
";

#[test]
fn a_cutoff_before_anyone_bought_is_an_empty_window_not_a_missing_one() {
    let (dir, path) = temp_file("young.csv", YOUNG.as_bytes());
    let path = path.to_str().unwrap();
    let summary = dir.path().join("summary.csv");
    let summary = summary.to_str().unwrap();
    ok(clm(&[
        "summary",
        path,
        "--horizon",
        "90",
        "-q",
        "-o",
        summary,
    ]));
    let written = std::fs::read_to_string(summary).unwrap();
    assert!(!written.contains(",2010-10-03,"), "{written}");
    let kind = ["--input-kind", "summary"];
    for analysis in [
        &["churn", "--horizon", "90"][..],
        &["churn", "--horizon", "90", "--backtest"],
    ] {
        let (code, direct) = analyse(analysis, path, &[], &[]);
        let (summary_code, from_summary) = analyse(analysis, summary, &[], &kind);
        assert_eq!((code, summary_code), (0, 0), "{analysis:?}");
        assert_eq!(direct, from_summary, "{analysis:?}");
    }
    let scores = analyse(&["churn", "--horizon", "90"], summary, &[], &kind).1;
    assert_eq!(scores.lines().count(), 4, "{scores}");
    // An as-of date before anyone bought: the same message as from the transactions.
    for analysis in ["rfm", "clv"] {
        let as_of = ["--as-of", "2010-06-01"];
        let direct = clm(&[analysis, path, "-q", as_of[0], as_of[1]]);
        let from_summary = clm(&[
            analysis, summary, "-q", as_of[0], as_of[1], kind[0], kind[1],
        ]);
        assert_eq!((direct.code, from_summary.code), (65, 65), "{analysis}");
        assert!(
            direct
                .stderr
                .contains("no purchases on or before 2010-06-01")
                && from_summary
                    .stderr
                    .contains("no purchases on or before 2010-06-01"),
            "{analysis}: {} / {}",
            direct.stderr,
            from_summary.stderr
        );
    }
    // A cut-off after the first purchase that the file lacks is still refused.
    let run = clm(&[
        "rfm",
        summary,
        "-q",
        "--as-of",
        "2011-02-15",
        kind[0],
        kind[1],
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("no rows at the cut-off 2011-02-15"),
        "{}",
        run.stderr
    );
}
