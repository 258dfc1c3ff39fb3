//! Golden files: the exact output of each analysis on the shipped fixtures, compared byte for
//! byte, so that any change in a figure, a column or an order is seen in review.
//!
//! When a change is intended, regenerate them and read the diff:
//!
//! ```sh
//! CLM_BLESS=1 cargo test --test cli golden
//! git diff fixtures/expected
//! ```

use crate::common::{clm, fixture};

/// Each golden file and the command line that produces it (CSV on stdout, `-q`).
pub const GOLDEN: &[(&str, &[&str])] = &[
    (
        "rfm_transactions.csv",
        &["rfm", "fixtures/transactions.csv"],
    ),
    (
        "rfm_orders_r_preset.csv",
        &[
            "rfm",
            "fixtures/rfm_data_orders.csv",
            "--as-of",
            "2006-12-31",
            "--scoring",
            "r-rfm",
        ],
    ),
    (
        "clv_cdnow.csv",
        &["clv", "fixtures/cdnow_sample.csv", "--as-of", "1997-09-30"],
    ),
    (
        "clv_cdnow_summary.csv",
        &[
            "clv",
            "fixtures/cdnow_sample.csv",
            "--as-of",
            "1997-09-30",
            "--summary",
        ],
    ),
    (
        "churn_transactions.csv",
        &["churn", "fixtures/transactions.csv", "--horizon", "90"],
    ),
    (
        "churn_transactions_backtest.csv",
        &[
            "churn",
            "fixtures/transactions.csv",
            "--horizon",
            "90",
            "--backtest",
        ],
    ),
    (
        "loyalty_transactions.csv",
        &[
            "loyalty",
            "fixtures/transactions.csv",
            "--survey",
            "fixtures/survey.csv",
        ],
    ),
    (
        "loyalty_transactions_summary.csv",
        &[
            "loyalty",
            "fixtures/transactions.csv",
            "--survey",
            "fixtures/survey.csv",
            "--summary",
        ],
    ),
    (
        "cohorts_online_retail.csv",
        &["cohorts", "fixtures/online_retail_sample.csv"],
    ),
    (
        "lifecycle_transactions.csv",
        &["lifecycle", "fixtures/transactions.csv"],
    ),
    (
        "retention_sbg_2007.csv",
        &[
            "retention",
            "fixtures/sbg_retention_2007.csv",
            "--period",
            "year",
        ],
    ),
];

#[test]
fn every_analysis_matches_its_golden_file() {
    let bless = std::env::var_os("CLM_BLESS").is_some();
    let mut differ = Vec::new();
    for (name, args) in GOLDEN {
        let mut all = args.to_vec();
        all.extend(["--format", "csv", "-q"]);
        let run = clm(&all);
        assert_eq!(run.code, 0, "clm {}: {}", args.join(" "), run.stderr);
        let path = fixture(&format!("expected/{name}"));
        if bless {
            std::fs::write(&path, &run.stdout).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!("{name} missing: run CLM_BLESS=1 cargo test --test cli golden")
        });
        if expected != run.stdout {
            let line = expected
                .lines()
                .zip(run.stdout.lines())
                .position(|(a, b)| a != b)
                .map_or("the line count".to_string(), |i| format!("line {}", i + 1));
            differ.push(format!(
                "{name} (clm {}): first difference at {line}",
                args.join(" ")
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "output differs from the golden files (if intended: CLM_BLESS=1 cargo test --test cli golden, then read git diff fixtures/expected):\n{}",
        differ.join("\n")
    );
}
