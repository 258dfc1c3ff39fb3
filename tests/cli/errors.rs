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
        (&["clv", "--horizon", "-5"], "'-5' must be positive"),
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

// Issue 12: hostile inputs on the loading side.

/// Writes a frame as Parquet into a temporary folder.
fn parquet_file(frame: &mut polars::prelude::DataFrame) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("export.parquet");
    let file = std::fs::File::create(&path).expect("create parquet");
    polars::prelude::ParquetWriter::new(file)
        .finish(frame)
        .expect("write parquet");
    (dir, path)
}

fn rfm_on_file(path: &std::path::Path, extra: &[&str]) -> crate::common::Run {
    let mut args = vec!["rfm", path.to_str().unwrap(), "-q", "--format", "csv"];
    args.extend_from_slice(extra);
    clm(&args)
}

#[test]
fn ragged_rows_are_65_naming_the_line() {
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,10,EXTRA\n");
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 2: 4 fields where the header has 3: 'A,2025-01-01,10,EXTRA'"),
        "{}",
        run.stderr
    );
    // An extra field beyond a column the analysis does not read is caught too.
    let run = rfm_on("customer_id,date,amount,note\nA,2025-01-01,10,x\nB,2025-01-02,3,y,z\n");
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 3: 5 fields where the header has 4"),
        "{}",
        run.stderr
    );
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,10\nB,2025-01-02\n");
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 3: 2 fields where the header has 3"),
        "{}",
        run.stderr
    );
}

#[test]
fn parquet_decimal_amounts_are_numbers() {
    use polars::prelude::*;
    let amount = Series::new("amount".into(), [10.25_f64, 3.5, 7.0])
        .cast(&DataType::Decimal(12, 2))
        .expect("decimal column");
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ["A", "A", "B"]),
        Column::new("date".into(), ["2025-01-01", "2025-01-05", "2025-01-03"]),
        amount.into(),
    ])
    .expect("frame");
    let (_dir, path) = parquet_file(&mut frame);
    let out = ok(rfm_on_file(&path, &[]));
    assert!(out.contains("\nA,0,2,13.75,"), "{out}");
    assert!(out.contains("\nB,2,1,7.00,"), "{out}");
    for command in ["clv", "churn"] {
        let run = clm(&[command, path.to_str().unwrap(), "-q"]);
        assert_ne!(run.code, 101, "{command} panicked: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn non_finite_amounts_are_65_naming_row_and_value() {
    for (value, line) in [("NaN", 3), ("inf", 3), ("-Infinity", 3)] {
        let run = rfm_on(&format!(
            "customer_id,date,amount\nA,2025-01-01,3\nB,2025-01-02,{value}\n"
        ));
        assert_eq!(run.code, 65, "{value}: {}", run.stderr);
        let expected =
            format!("row 2 (line {line}), column 'amount': '{value}' is not a finite number");
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
    }
}

#[test]
fn parquet_nan_and_inf_amounts_are_65() {
    use polars::prelude::*;
    for value in [f64::NAN, f64::INFINITY] {
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("customer_id".into(), ["A", "B"]),
            Column::new("date".into(), ["2025-01-01", "2025-01-02"]),
            Column::new("amount".into(), [3.0, value]),
        ])
        .expect("frame");
        let (_dir, path) = parquet_file(&mut frame);
        let run = rfm_on_file(&path, &[]);
        assert_eq!(run.code, 65, "{value}: {}", run.stderr);
        assert!(
            run.stderr.contains("row 2, column 'amount': '")
                && run.stderr.contains("is not a finite number"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn amounts_that_overflow_when_summed_are_65() {
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,1e308\nA,2025-01-02,1e308\n");
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("the amounts add up to more than"),
        "{}",
        run.stderr
    );
}

#[test]
fn dev_stdin_and_fifos_are_read_like_stdin() {
    let content = std::fs::read(crate::common::fixture("small.csv")).expect("fixture");
    let expected = ok(clm(&["rfm", "fixtures/small.csv", "-q", "--format", "csv"]));
    let run =
        crate::common::clm_with_stdin(&["rfm", "/dev/stdin", "-q", "--format", "csv"], &content);
    assert_eq!(ok(run), expected);

    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("export.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, content).expect("write fifo"))
    };
    let run = clm(&["rfm", fifo.to_str().unwrap(), "-q", "--format", "csv"]);
    writer.join().expect("writer");
    assert_eq!(ok(run), expected);
}

#[test]
fn an_open_quote_is_one_line_naming_line_and_column() {
    let mut content = String::from("customer_id,date,amount\nA,2025-01-01,\"10\n");
    for i in 0..2000 {
        content.push_str(&format!("C{i},2025-01-02,3\n"));
    }
    let run = rfm_on(&content);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 2, column 'amount': a quote is opened and never closed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.len() < 300, "{}", run.stderr);
}

#[test]
fn invalid_utf8_in_an_id_names_the_line() {
    let mut content = b"customer_id,date,amount\nA,2025-01-01,3\n".to_vec();
    content.extend_from_slice(b"B\xff\xfe,2025-01-02,4\n");
    let (_dir, path) = temp_file("export.csv", &content);
    let run = rfm_on_file(&path, &[]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("line 3, column 'customer_id': invalid UTF-8"),
        "{}",
        run.stderr
    );
}

#[test]
fn parquet_text_amount_is_not_a_number() {
    use polars::prelude::*;
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ["A", "B"]),
        Column::new("date".into(), ["2025-01-01", "2025-01-02"]),
        Column::new("amount".into(), ["3", "abc"]),
    ])
    .expect("frame");
    let (_dir, path) = parquet_file(&mut frame);
    let run = rfm_on_file(&path, &[]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("row 2, column 'amount': 'abc' is not a number"),
        "{}",
        run.stderr
    );
}

#[test]
fn parquet_list_column_is_named() {
    use polars::prelude::*;
    let amounts = [
        Series::new("".into(), [1.0, 2.0]),
        Series::new("".into(), [3.0]),
    ];
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ["A", "B"]),
        Column::new("date".into(), ["2025-01-01", "2025-01-02"]),
        Column::new("amount".into(), amounts),
    ])
    .expect("frame");
    let (_dir, path) = parquet_file(&mut frame);
    let run = rfm_on_file(&path, &[]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("column 'amount' holds list"),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_date_format_is_a_usage_error_about_the_flag() {
    let run = clm(&["rfm", "fixtures/small.csv", "--date-format", "%Q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--date-format '%Q' is not a valid format"),
        "{}",
        run.stderr
    );
}

/// A UCI Online Retail-like export: 1,500 rows of December 1st before the 13th decides.
fn us_timestamps() -> String {
    let mut content = String::from("InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n");
    for i in 0..1500 {
        content.push_str(&format!("{},1,12/1/2010 8:26,2.5,{}\n", 536365 + i, i % 7));
    }
    content.push_str("540000,2,12/13/2010 9:01,1.5,0\n");
    content
}

#[test]
fn us_timestamps_are_decided_past_the_sample() {
    let out = ok(rfm_on(&us_timestamps()));
    // Customer 0 bought on December 1st and 13th: recency 0 from the last day.
    let row = out
        .lines()
        .find(|l| l.starts_with("0,"))
        .expect("customer 0");
    assert!(row.starts_with("0,0,"), "{row}");
    let row = out
        .lines()
        .find(|l| l.starts_with("1,"))
        .expect("customer 1");
    assert!(row.starts_with("1,12,"), "{row}");
}

#[test]
fn a_date_format_without_time_drops_the_time_of_day() {
    let (_dir, path) = temp_file("export.csv", us_timestamps().as_bytes());
    let out = ok(rfm_on_file(&path, &["--date-format", "%m/%d/%Y"]));
    let row = out
        .lines()
        .find(|l| l.starts_with("1,"))
        .expect("customer 1");
    assert!(row.starts_with("1,12,"), "{row}");
}

#[test]
fn semicolon_pipe_and_tab_exports_are_detected() {
    for delimiter in [";", "|", "\t"] {
        let content =
            "customer_id,date,amount\nA,2025-01-01,3\nA,2025-01-11,4\n".replace(',', delimiter);
        let out = ok(rfm_on(&content));
        assert!(out.contains("\nA,0,2,7.00,"), "{delimiter:?}: {out}");
    }
    let (_dir, path) = temp_file(
        "export.txt",
        b"customer_id:date:amount\nA:2025-01-01:3\nA:2025-01-11:4\n",
    );
    let out = ok(rfm_on_file(&path, &["--delimiter", ":"]));
    assert!(out.contains("\nA,0,2,7.00,"), "{out}");
}

#[test]
fn decimal_comma_amounts() {
    let (_dir, path) = temp_file(
        "export.csv",
        b"customer_id;date;amount\nA;2025-01-01;1.234,50\nA;2025-01-11;0,25\n",
    );
    let out = ok(rfm_on_file(&path, &["--decimal-comma"]));
    assert!(out.contains("\nA,0,2,1234.75,"), "{out}");
    let run = rfm_on_file(&path, &[]);
    assert_eq!(run.code, 65, "without the flag: {}", run.stderr);
    assert!(
        run.stderr
            .contains("'1.234,50' is not a number; pass --decimal-comma"),
        "{}",
        run.stderr
    );
}

#[test]
fn blank_lines_at_the_end_are_dropped_and_counted_between_rows_named() {
    let clean = ok(rfm_on(
        "customer_id,date,amount\nA,2025-01-01,3\nB,2025-01-02,4\n",
    ));
    for ending in ["\n\n", "\r\n\r\n", ",,\n,,\n"] {
        let (_dir, path) = temp_file(
            "export.csv",
            format!("customer_id,date,amount\nA,2025-01-01,3\nB,2025-01-02,4\n{ending}").as_bytes(),
        );
        let run = clm(&["rfm", path.to_str().unwrap(), "--format", "csv"]);
        assert!(
            run.stderr.contains("empty rows at the end of the file"),
            "{ending:?}: {}",
            run.stderr
        );
        assert_eq!(ok(run), clean, "{ending:?}");
    }
    let run = rfm_on("customer_id,date,amount\nA,2025-01-01,3\n\nB,2025-01-02,4\n");
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(run.stderr.contains("line 3 is blank"), "{}", run.stderr);
}

#[test]
fn parquet_text_dates_are_decided_past_the_sample_too() {
    use polars::prelude::*;
    let mut dates = vec!["12/1/2010 8:26"; 1500];
    dates.push("12/13/2010 9:01");
    let ids: Vec<String> = (0..dates.len()).map(|i| format!("C{}", i % 7)).collect();
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ids),
        Column::new("date".into(), dates),
        Column::new("amount".into(), vec![2.5; 1501]),
    ])
    .expect("frame");
    let (_dir, path) = parquet_file(&mut frame);
    let out = ok(rfm_on_file(&path, &[]));
    // The 1,501st row (C2) is on December 13th; C0 bought only on December 1st.
    assert!(out.contains("\nC0,12,1,"), "{out}");
    assert!(out.contains("\nC2,0,2,"), "{out}");
}
