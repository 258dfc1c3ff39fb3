//! `clm sql`: the command line (flags, exit codes, output file); the SQL itself is unit-tested
//! in `features::sql` and run on real engines by `scripts/check_sql.py`.

use crate::common::{clm, ok, temp_file};

#[test]
fn prints_one_statement_for_the_dialect_asked() {
    let out = ok(clm(&[
        "sql",
        "clv",
        "--dialect",
        "spark",
        "--table",
        "sales.tx",
        "--customer-col",
        "cust",
        "--date-col",
        "ts",
        "--amount-col",
        "net",
        "--as-of",
        "2025-06-30",
    ]));
    assert!(
        out.starts_with("-- The per-customer summary, version 1"),
        "{out}"
    );
    assert!(out.contains("FROM `sales`.`tx`"), "{out}");
    assert!(out.contains("SELECT DATE '2025-06-30' AS as_of"), "{out}");
    let statement: String = out.lines().filter(|l| !l.starts_with("--")).collect();
    assert_eq!(statement.matches(';').count(), 1, "{out}");
    assert!(out.trim_end().ends_with(';'));
}

#[test]
fn churn_gets_the_cutoffs_churn_reads_from_the_horizon() {
    let out = ok(clm(&[
        "sql",
        "churn",
        "--dialect",
        "duckdb",
        "--table",
        "tx",
        "--horizon",
        "13w",
    ]));
    assert!(out.contains("SELECT (as_of - 91) AS cutoff"), "{out}");
    assert!(
        out.contains("SELECT (LEAST(as_of, (last_day - 91)) - 91) AS cutoff"),
        "{out}"
    );
    let default = ok(clm(&[
        "sql",
        "churn",
        "--dialect",
        "duckdb",
        "--table",
        "tx",
    ]));
    assert!(
        default.contains("SELECT (LEAST(as_of, (last_day - 90)) - 90) AS cutoff"),
        "{default}"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let cases: [(&[&str], &str); 6] = [
        (&["--horizon", "90"], "--horizon sets churn's cut-offs"),
        (&["--as-of", "June"], "--as-of 'June' is not a date"),
        (
            &["--date-format", "%Q"],
            "--date-format '%Q' is not a valid format",
        ),
        (&["--date-format", "%j"], "%j has no equivalent"),
        (
            &[
                "--amount-col",
                "a",
                "--quantity-col",
                "q",
                "--price-col",
                "p",
            ],
            "cannot be used",
        ),
        (&["--quantity-col", "q"], "--price-col"),
    ];
    for (flags, message) in cases {
        let mut args = vec!["sql", "rfm", "--dialect", "postgres", "--table", "tx"];
        args.extend_from_slice(flags);
        let run = clm(&args);
        assert_eq!(run.code, 2, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let run = clm(&["sql", "rfm", "--dialect", "duckdb", "--table", "a..b"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--table 'a..b' has an empty name part"),
        "{}",
        run.stderr
    );
}

#[test]
fn writes_a_file_and_reads_exclude_ids_from_one() {
    let (dir, ids) = temp_file("ids.txt", b"# placeholders\nO'Brien\n0.0\n");
    let out = dir.path().join("summary.sql");
    let ids_flag = format!("@{}", ids.display());
    let args = [
        "sql",
        "rfm",
        "--dialect",
        "postgres",
        "--table",
        "tx",
        "--exclude-ids",
        &ids_flag,
        "-o",
        out.to_str().unwrap(),
    ];
    assert_eq!(ok(clm(&args)), "");
    let sql = std::fs::read_to_string(&out).unwrap();
    assert!(
        sql.contains("customer_id IN ('O''Brien', '0') ELSE customer_id IN ('O''Brien', '0.0')"),
        "{sql}"
    );
    let mut overwrite = args;
    overwrite[9] = ids.to_str().unwrap();
    let run = clm(&overwrite);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to overwrite"),
        "{}",
        run.stderr
    );
    assert!(std::fs::read_to_string(&ids).unwrap().contains("O'Brien"));
    let missing = clm(&[
        "sql",
        "rfm",
        "--dialect",
        "duckdb",
        "--table",
        "t",
        "--exclude-ids",
        "@/no/such",
    ]);
    assert_eq!(missing.code, 66, "{}", missing.stderr);
}

/// The help paragraph of `flag` in a `--help` text: its line and the lines up to the next blank.
fn help_of(help: &str, flag: &str) -> String {
    let lines: Vec<&str> = help.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.trim_start().starts_with(flag))
        .unwrap_or_else(|| panic!("{flag} in {help}"));
    lines[start..]
        .iter()
        .take_while(|line| !line.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_column_flags_are_the_analyses_own() {
    let sql = ok(clm(&["sql", "--help"]));
    let defaults = ok(clm(&["sql", "rfm", "--dialect", "duckdb", "--table", "tx"]));
    for analysis in ["rfm", "clv", "churn", "summary"] {
        let own = ok(clm(&[analysis, "--help"]));
        for flag in [
            "--customer-col",
            "--date-col",
            "--amount-col",
            "--order-col",
            "--date-format",
        ] {
            assert_eq!(
                help_of(&own, flag),
                help_of(&sql, flag),
                "{analysis} {flag}"
            );
        }
    }
    // Each help text names the default clm sql takes, and the SQL reads those columns.
    assert!(help_of(&sql, "--customer-col").contains("customer_id for clm sql"));
    for column in ["\"customer_id\"", "\"date\"", "\"amount\""] {
        assert!(defaults.contains(column), "{column}: {defaults}");
    }
}
