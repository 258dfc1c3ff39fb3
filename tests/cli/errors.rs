//! Bad input: one clear message naming file, row, column and value, and the documented exit code.

use crate::common::{clm, ok, temp_file};

fn rfm_on(content: &str) -> crate::common::Run {
    let (_dir, path) = temp_file("export.csv", content.as_bytes());
    clm(&["rfm", path.to_str().unwrap(), "-q"])
}

#[test]
fn missing_file_is_66() {
    let run = clm(&["rfm", "fixtures/no-such-file.csv"]);
    assert_eq!(run.code, 66);
    assert!(
        run.stderr
            .contains("cannot read input file 'fixtures/no-such-file.csv'"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_file_is_65() {
    let run = rfm_on("");
    assert_eq!(run.code, 65);
    assert!(run.stderr.contains("the file is empty"), "{}", run.stderr);
}

#[test]
fn header_without_rows_is_65() {
    let run = rfm_on("customer_id,date,amount\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr.contains("has a header but no data rows"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_column_names_the_columns_that_exist() {
    let run = rfm_on("customer_id,when,amount\nA,2025-01-01,3\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr.contains(
            "no date column found among 'customer_id', 'when', 'amount'; name it with --date-col"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn explicit_column_fixes_it() {
    let (_dir, path) = temp_file("export.csv", b"customer_id,when,amount\nA,2025-01-01,3\n");
    let out = ok(clm(&[
        "rfm",
        path.to_str().unwrap(),
        "--date-col",
        "when",
        "-q",
    ]));
    assert!(out.contains("\nA,0,1,3.00,"), "{out}");
}

#[test]
fn ambiguous_column_is_65() {
    let run = rfm_on("customer_id,Customer ID,date,amount\nA,A,2025-01-01,3\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("customer id column is ambiguous: 'customer_id', 'Customer ID'"),
        "{}",
        run.stderr
    );
}

#[test]
fn unparseable_date_names_row_line_column_and_value() {
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,3\nB,2025-13-45,4\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("row 2 (line 3), column 'date': '2025-13-45' is not a date"),
        "{}",
        run.stderr
    );
}

#[test]
fn unparseable_amount_names_row_column_and_value() {
    let run =
        rfm_on("customer_id,date,amount\nA,2025-01-01,3\nB,2025-01-02,4\nC,2025-01-03,12,50\n");
    assert_ne!(run.code, 0);
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,3\nB,2025-01-02,four\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("row 2 (line 3), column 'amount': 'four' is not a number"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_customer_id_fails_unless_skipped_and_counted() {
    let content = "customer_id,date,amount\nA,2025-01-01,3\n,2025-01-02,4\n,2025-01-03,5\n";
    let run = rfm_on(content);
    assert_eq!(run.code, 65);
    assert!(
        run.stderr.contains(
            "row 2 (line 3), column 'customer_id': the customer id is empty (2 such rows)"
        ),
        "{}",
        run.stderr
    );
    let (_dir, path) = temp_file("export.csv", content.as_bytes());
    let run = clm(&["rfm", path.to_str().unwrap(), "--skip-missing-ids"]);
    assert!(
        run.stderr.contains("skipped 2 rows: empty customer id"),
        "{}",
        run.stderr
    );
    assert_eq!(ok(run).lines().count(), 2);
}

#[test]
fn empty_date_and_amount_are_named() {
    let run = rfm_on("customer_id,date,amount\nA,,3\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("row 1 (line 2), column 'date': the date is empty"),
        "{}",
        run.stderr
    );
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,3\nA,2025-01-02,\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("row 2 (line 3), column 'amount': the amount is empty"),
        "{}",
        run.stderr
    );
}

#[test]
fn dates_in_no_known_format() {
    let run = rfm_on("customer_id,date,amount\nA,yesterday,3\n");
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("does not hold dates in a known format (first value 'yesterday')"),
        "{}",
        run.stderr
    );
}

#[test]
fn explicit_date_format_and_compact_dates() {
    let out = ok(rfm_on(
        "customer_id,date,amount\nA,20250101,3\nA,20250111,3\n",
    ));
    assert!(out.contains("\nA,0,2,6.00,"), "{out}");
    let (_dir, path) = temp_file(
        "export.csv",
        b"customer_id,date,amount\nA,01/02/2025,3\nA,03/02/2025,3\n",
    );
    let run = clm(&["rfm", path.to_str().unwrap()]);
    assert_eq!(run.code, 65, "01/02 vs 03/02 is ambiguous");
    assert!(run.stderr.contains("--date-format"), "{}", run.stderr);
    let out = ok(clm(&[
        "rfm",
        path.to_str().unwrap(),
        "--date-format",
        "%d/%m/%Y",
        "-q",
    ]));
    assert!(out.contains("\nA,0,2,6.00,"), "{out}");
}

#[test]
fn bad_as_of_is_a_usage_error() {
    let run = clm(&["rfm", "fixtures/small.csv", "--as-of", "June"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--as-of 'June' is not a date"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_flag_is_a_usage_error() {
    assert_eq!(clm(&["rfm", "fixtures/small.csv", "--frobnicate"]).code, 2);
}

#[test]
fn missing_segment_table_is_66_and_bad_one_65() {
    assert_eq!(
        clm(&["rfm", "fixtures/small.csv", "--segments", "nope.toml"]).code,
        66
    );
    let (_dir, path) = temp_file("segments.csv", b"segment,r,f,m\nX,1-9,1,1\n");
    let run = clm(&[
        "rfm",
        "fixtures/small.csv",
        "--segments",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 65);
    assert!(
        run.stderr
            .contains("segment 'X' uses scores 1-9, outside 1-5"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_write_error_names_the_target_not_the_temporary_file() {
    let run = clm(&[
        "rfm",
        "fixtures/small.csv",
        "-o",
        "/nonexistent-folder/rfm.csv",
    ]);
    assert_eq!(run.code, 73);
    assert!(
        run.stderr
            .contains("cannot write '/nonexistent-folder/rfm.csv': No such file or directory"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".clm-"), "{}", run.stderr);
}

#[test]
fn an_unsupported_output_format_is_refused_before_the_input_is_read() {
    for command in ["rfm", "clv", "churn"] {
        let run = clm(&[command, "fixtures/no-such-file.csv", "-o", "out.docx"]);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("cannot tell the format of 'out.docx' from its extension"),
            "{command}: {}",
            run.stderr
        );
    }
    let run = clm(&[
        "loyalty",
        "fixtures/no-such-file.csv",
        "--survey",
        "fixtures/survey.csv",
        "-o",
        "out.docx",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_saved_model_with_a_bad_parameter_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let model = model.to_str().unwrap();
    ok(clm(&[
        "clv",
        "fixtures/transactions.csv",
        "--model-out",
        model,
        "-q",
    ]));
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model).unwrap()).unwrap();
    assert_eq!(saved["fit"]["params"][0]["name"], "r");
    saved["fit"]["params"][0]["value"] = serde_json::json!(-1.0);
    std::fs::write(model, saved.to_string()).unwrap();
    let run = clm(&["clv", "fixtures/transactions.csv", "--model-in", model]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "model file '{model}': parameter 'r' must be positive, got -1"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn negative_flag_values_are_refused_with_their_range() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["clv", "--horizon", "-5"],
            "--horizon must be positive, got -5",
        ),
        (
            &["clv", "--discount-rate", "-1"],
            "--discount-rate is a yearly rate >= 0 such as 0.10, got -1",
        ),
        (&["rfm", "--bins", "-1"], "-1 is not in 2..=20"),
        (&["churn", "--horizon", "-5"], "-5 is not in 1..=3650"),
        (&["churn", "--top", "-5"], "must be 0 or more, got -5"),
        (
            &["simulate", "--customers", "-5"],
            "must be 1 or more, got -5",
        ),
    ];
    for (args, message) in cases {
        let mut args = args.to_vec();
        if args[0] != "simulate" {
            args.insert(1, "fixtures/small.csv");
        }
        let run = clm(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("unexpected argument"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn one_of_a_kind_is_not_plural() {
    let run = clm(&["rfm", "fixtures/small.csv", "--as-of", "2025-06-30"]);
    assert!(
        run.stderr
            .contains("1 return or cancellation row (see --returns)"),
        "{}",
        run.stderr
    );
}
