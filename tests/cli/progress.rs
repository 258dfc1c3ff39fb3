//! Progress displays are for people at a terminal: with stderr a pipe (cron, scripts, these
//! tests) a run writes no spinner, bar, carriage return or terminal control code.

use crate::common::clm;

/// Long phases of each kind: reading, a Pareto/NBD fit under `--model auto`, the churn
/// back-test, writing a file.
#[test]
fn no_progress_bytes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let out = out.to_str().unwrap();
    let runs: [&[&str]; 4] = [
        &[
            "clv",
            "fixtures/cdnow_sample.csv",
            "--model",
            "auto",
            "-o",
            out,
        ],
        &[
            "churn",
            "fixtures/transactions.csv",
            "--horizon",
            "90",
            "-o",
            out,
        ],
        &["rfm", "fixtures/online_retail_sample.csv", "-o", out],
        &[
            "lifecycle",
            "fixtures/transactions.csv",
            "--lang",
            "zh",
            "-o",
            out,
        ],
    ];
    for args in runs {
        let run = clm(args);
        assert_eq!(run.code, 0, "clm {}: {}", args.join(" "), run.stderr);
        for byte in ['\r', '\u{1b}'] {
            assert!(
                !run.stderr.contains(byte),
                "clm {}: {byte:?} in stderr:\n{}",
                args.join(" "),
                run.stderr
            );
        }
        for word in ["evaluations", "back-test:", "reading "] {
            assert!(
                !run.stderr.contains(word),
                "clm {}: {}",
                args.join(" "),
                run.stderr
            );
        }
    }
}
