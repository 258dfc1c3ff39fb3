//! `clm simulate`: deterministic, readable by `clm rfm` in both formats.

use crate::common::{clm, ok};

#[test]
fn same_seed_same_log_and_parameters_on_stderr() {
    let a = clm(&["simulate", "--customers", "200", "--seed", "3"]);
    assert!(
        a.stderr
            .contains("BG/NBD (per week): r=0.25 alpha=4 a=0.8 b=1.7"),
        "{}",
        a.stderr
    );
    let b = clm(&["simulate", "--customers", "200", "--seed", "3", "-q"]);
    assert_eq!(b.stderr, "");
    let (a, b) = (ok(a), ok(b));
    assert_eq!(a, b);
    assert!(a.starts_with("customer_id,date,amount\n"));
    assert_ne!(
        a,
        ok(clm(&[
            "simulate",
            "--customers",
            "200",
            "--seed",
            "4",
            "-q"
        ]))
    );
}

#[test]
fn parquet_and_csv_give_the_same_rfm() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let parquet = dir.path().join("t.parquet");
    for path in [&csv, &parquet] {
        ok(clm(&[
            "simulate",
            "--customers",
            "500",
            "--seed",
            "11",
            "-o",
            path.to_str().unwrap(),
            "-q",
        ]));
    }
    let from_csv = ok(clm(&["rfm", csv.to_str().unwrap(), "-q"]));
    let from_parquet = ok(clm(&["rfm", parquet.to_str().unwrap(), "-q"]));
    assert_eq!(from_csv, from_parquet);
    assert_eq!(from_csv.lines().count(), 501);
}

#[test]
fn bad_parameters_are_usage_errors() {
    let run = clm(&["simulate", "--customers", "10", "--r", "-1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn the_log_and_the_survey_cannot_be_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.csv");
    let path = path.to_str().unwrap();
    let run = clm(&[
        "simulate",
        "--customers",
        "50",
        "-o",
        path,
        "--survey",
        path,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("are the same file"), "{}", run.stderr);
    assert!(!std::path::Path::new(path).exists());
}
