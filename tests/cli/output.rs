//! The output layer: formats, atomic files, refusing to overwrite input, spreadsheet safety.

use crate::common::{clm, fixture, ok, temp_file};

const SMALL: &str = "fixtures/small.csv";

#[test]
fn file_output_matches_stdout_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("rfm.csv");
    let run = clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(ok(run), "", "summary goes to a terminal only");
    let expected = std::fs::read_to_string(fixture("expected/small_rfm.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("rfm.csv")]);
}

#[test]
fn formats_by_extension_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (name, starts) in [
        ("r.tsv", "customer_id\trecency_days"),
        ("r.json", "[\n{\"customer_id\":\"A\""),
        ("r.jsonl", "{\"customer_id\":\"A\",\"recency_days\":10,"),
    ] {
        let target = dir.path().join(name);
        ok(clm(&[
            "rfm",
            SMALL,
            "--as-of",
            "2025-06-30",
            "-o",
            target.to_str().unwrap(),
            "-q",
        ]));
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(text.starts_with(starts), "{name}: {text}");
    }
    let parquet = dir.path().join("r.parquet");
    ok(clm(&["rfm", SMALL, "-o", parquet.to_str().unwrap(), "-q"]));
    assert_eq!(&std::fs::read(&parquet).unwrap()[..4], b"PAR1");
    let json = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--format",
        "json",
        "-q",
    ]));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[3]["segment"], "About To Sleep");
    assert_eq!(parsed[0]["monetary"], 175.0);
}

#[test]
fn refuses_to_overwrite_the_input() {
    let (_dir, path) = temp_file("export.csv", b"customer_id,date,amount\nA,2025-01-01,3\n");
    let before = std::fs::read(&path).unwrap();
    let run = clm(&["rfm", path.to_str().unwrap(), "-o", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("refusing to overwrite the input file"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn output_that_cannot_be_created_is_73() {
    let run = clm(&["rfm", SMALL, "-o", "/nonexistent-folder/rfm.csv"]);
    assert_eq!(run.code, 73);
    assert!(
        run.stderr
            .contains("cannot write '/nonexistent-folder/rfm.csv'"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_output_extension_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = clm(&[
        "rfm",
        SMALL,
        "-o",
        dir.path().join("rfm.xyz").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
}

#[test]
fn formula_like_ids_are_defused_in_csv_not_in_json() {
    let (_dir, path) = temp_file(
        "export.csv",
        b"customer_id,date,amount\n=HYPERLINK(\"x\"),2025-01-01,3\n@SUM,2025-01-01,-4\n",
    );
    let csv = ok(clm(&["rfm", path.to_str().unwrap(), "-q"]));
    assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\",0,1,3.00"), "{csv}");
    let json = ok(clm(&[
        "rfm",
        path.to_str().unwrap(),
        "--format",
        "jsonl",
        "-q",
    ]));
    assert!(
        json.contains("\"customer_id\":\"=HYPERLINK(\\\"x\\\")\""),
        "{json}"
    );
}
