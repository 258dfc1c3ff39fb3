//! `clm retention`: sBG per cohort beside Kaplan–Meier, from a survival table or subscriptions.

use crate::common::{clm, ok, temp_file};

/// Fader & Hardie (2007), Table 1: customers alive at the start of years 1–8 of 1000.
const PAPER_TABLE: &str = "segment,year,alive
regular,1,1000
regular,2,631
regular,3,468
regular,4,382
regular,5,326
regular,6,289
regular,7,262
regular,8,241
high end,1,1000
high end,2,869
high end,3,743
high end,4,653
high end,5,593
high end,6,551
high end,7,517
high end,8,491
";

fn saved_params(path: &std::path::Path) -> Vec<(String, f64, f64, f64, f64)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(json["format"], "clm-retention-model");
    json["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let p = &c["fit"]["params"];
            (
                c["cohort"].as_str().unwrap().to_string(),
                p[0]["value"].as_f64().unwrap(),
                p[0]["std_error"].as_f64().unwrap(),
                p[1]["value"].as_f64().unwrap(),
                p[1]["std_error"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn paper_table_gives_the_papers_estimates_and_the_curve() {
    let (dir, input) = temp_file("paper.csv", PAPER_TABLE.as_bytes());
    let model = dir.path().join("sbg.json");
    let curve = ok(clm(&[
        "retention",
        input.to_str().unwrap(),
        "--period",
        "year",
        "--horizon",
        "5",
        "--model-out",
        model.to_str().unwrap(),
        "-q",
    ]));
    let params = saved_params(&model);
    let rounded = |v: f64| (v * 1000.0).round() / 1000.0;
    let find = |name: &str| params.iter().find(|p| p.0 == name).unwrap().clone();
    let regular = find("regular");
    assert_eq!((rounded(regular.1), rounded(regular.3)), (0.704, 1.182));
    let high_end = find("high end");
    assert_eq!((rounded(high_end.1), rounded(high_end.3)), (0.668, 3.806));
    let mut lines = curve.lines();
    assert_eq!(
        lines.next(),
        Some(
            "cohort,period,at_risk,churned,km_survival,km_std_error,km_lower,km_upper,sbg_survival,sbg_retention,observed"
        )
    );
    // Regular, year 1: 369 of 1000 left; sBG S(1) = β/(α+β) = 1.182/1.886.
    let first_regular = curve.lines().find(|l| l.starts_with("regular,1,")).unwrap();
    assert!(
        first_regular.starts_with("regular,1,1000,369,0.6310,0.0153,"),
        "{first_regular}"
    );
    assert!(
        first_regular.ends_with(",0.6267,0.6267,observed"),
        "{first_regular}"
    );
    // 7 observed renewals and 5 projected per cohort (pool, regular, high end).
    assert_eq!(curve.lines().count(), 1 + 3 * 12);
    assert!(curve.contains("high end,12,,,,,,,"));
}

#[test]
fn the_fixture_is_the_papers_table() {
    let fixture =
        std::fs::read_to_string(crate::common::fixture("sbg_retention_2007.csv")).unwrap();
    assert_eq!(fixture, PAPER_TABLE);
}

#[test]
fn summary_and_saved_model_give_the_same_figures() {
    let (dir, input) = temp_file("paper.csv", PAPER_TABLE.as_bytes());
    let model = dir.path().join("sbg.json");
    let path = input.to_str().unwrap();
    let fitted = ok(clm(&[
        "retention",
        path,
        "--period",
        "year",
        "--summary",
        "--model-out",
        model.to_str().unwrap(),
        "-q",
    ]));
    assert!(fitted.starts_with(
        "cohort,customers,active,renewals_observed,alpha,alpha_se,beta,beta_se,retention_1,expected_lifetime,median_lifetime,discounted_lifetime,mean_derl_active,model\n"
    ));
    // High end, 491 active after 7 renewals, d = 10 %: DERL 7.53 (the peer implementation's
    // README example, jdmaturen/shifted_beta_geometric_py).
    let high_end = fitted.lines().find(|l| l.starts_with("high end,")).unwrap();
    assert!(
        high_end.starts_with("high end,1000,491,7,0.6681,"),
        "{high_end}"
    );
    assert!(high_end.ends_with(",7.53,high end"), "{high_end}");
    let reused = ok(clm(&[
        "retention",
        path,
        "--summary",
        "--model-in",
        model.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(reused, fitted);
    let other_period = clm(&[
        "retention",
        path,
        "--period",
        "month",
        "--model-in",
        model.to_str().unwrap(),
    ]);
    assert_eq!(other_period.code, 2, "{}", other_period.stderr);
    assert!(
        other_period.stderr.contains("saved model's period 'year'"),
        "{}",
        other_period.stderr
    );
}

#[test]
fn simulated_subscriptions_are_fitted_back() {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs.csv");
    let model = dir.path().join("sbg.json");
    let customers = dir.path().join("active.csv");
    let run = clm(&[
        "simulate",
        "--kind",
        "subscriptions",
        "--customers",
        "20000",
        "--days",
        "1095",
        "--churn-alpha",
        "0.9",
        "--churn-beta",
        "2.4",
        "--seed",
        "9",
        "-o",
        subs.to_str().unwrap(),
    ]);
    assert!(run.stderr.contains("--as-of 2026-12-31"), "{}", run.stderr);
    ok(run);
    let text = std::fs::read_to_string(&subs).unwrap();
    assert!(text.starts_with("customer_id,start,end\n"));
    ok(clm(&[
        "retention",
        subs.to_str().unwrap(),
        "--as-of",
        "2026-12-31",
        "--model-out",
        model.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "-q",
    ]));
    let pooled = saved_params(&model)
        .into_iter()
        .find(|p| p.0 == "all")
        .unwrap();
    // Within four standard errors of the truth.
    assert!((pooled.1 - 0.9).abs() < 4.0 * pooled.2, "{pooled:?}");
    assert!((pooled.3 - 2.4).abs() < 4.0 * pooled.4, "{pooled:?}");
    let active_in_log = text.lines().skip(1).filter(|l| l.ends_with(',')).count();
    let active = std::fs::read_to_string(&customers).unwrap();
    assert!(
        active.starts_with(
            "customer_id,cohort,start,renewals,next_renewal,p_renew_next,derl,model\n"
        )
    );
    assert_eq!(active.lines().count() - 1, active_in_log);
}

#[test]
fn a_subscription_file_read_by_hand() {
    // Monthly, as of 2024-06-30. a: cancelled at its first renewal (T = 1); b: at its third
    // (T = 3); c: active after 5 renewals; d: starts later, left out.
    let (_dir, input) = temp_file(
        "subs.csv",
        b"customer,start_date,cancel_date\na,2024-01-10,2024-02-10\nb,2024-01-20,2024-04-20\nc,2024-01-25,\nd,2024-07-02,\n",
    );
    let run = clm(&[
        "retention",
        input.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
        "--horizon",
        "1",
    ]);
    assert!(
        run.stderr
            .contains("1 subscriptions start after the as-of date"),
        "{}",
        run.stderr
    );
    let curve = ok(run);
    // Kaplan–Meier by hand: renewal 1, 3 at risk, 1 lost; renewal 2, 2 at risk, none lost;
    // renewal 3, 2 at risk (c is censored later), 1 lost.
    let rows: Vec<&str> = curve
        .lines()
        .skip(1)
        .map(|l| l.split(",observed").next().unwrap())
        .collect();
    assert_eq!(
        rows[0].split(',').take(5).collect::<Vec<_>>(),
        ["all", "1", "3", "1", "0.6667"]
    );
    assert_eq!(
        rows[1].split(',').take(5).collect::<Vec<_>>(),
        ["all", "2", "2", "0", "0.6667"]
    );
    assert_eq!(
        rows[2].split(',').take(5).collect::<Vec<_>>(),
        ["all", "3", "2", "1", "0.3333"]
    );
    assert_eq!(curve.lines().count(), 1 + 5 + 1);
}

#[test]
fn bad_input_gets_a_row_and_column_and_the_data_exit_code() {
    let (_dir, input) = temp_file(
        "subs.csv",
        b"customer_id,start,end\na,2024-01-10,2024-02-10\nb,2024-03-01,2024-02-01\n",
    );
    let run = clm(&["retention", input.to_str().unwrap()]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr.contains("row 2 (line 3), column 'end'"),
        "{}",
        run.stderr
    );

    let missing = clm(&["retention", "no-such-file.csv"]);
    assert_eq!(missing.code, 66, "{}", missing.stderr);

    let (_dir, input) = temp_file("t.csv", b"cohort,period,alive\nA,0,100\nA,1,50\n");
    let one_period = clm(&["retention", input.to_str().unwrap()]);
    assert_eq!(one_period.code, 65, "{}", one_period.stderr);
    assert!(
        one_period
            .stderr
            .contains("fewer than two renewal decisions"),
        "{}",
        one_period.stderr
    );

    let horizon = clm(&["retention", input.to_str().unwrap(), "--horizon", "0"]);
    assert_eq!(horizon.code, 2, "{}", horizon.stderr);

    let (_dir, input) = temp_file(
        "subs.csv",
        b"customer_id,start,end\na,2024-01-10,2024-02-10\nb,2024-01-20,2024-04-20\nc,2024-01-25,\n",
    );
    let before = std::fs::read(&input).unwrap();
    let path = input.to_str().unwrap();
    ok(clm(&["retention", path, "-q"]));
    let overwrite = clm(&["retention", path, "--customers", path]);
    assert_eq!(overwrite.code, 2, "{}", overwrite.stderr);
    assert!(
        overwrite.stderr.contains("refusing to overwrite the input"),
        "{}",
        overwrite.stderr
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn csv_gzip_and_parquet_subscriptions_give_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("subs.csv");
    let parquet = dir.path().join("subs.parquet");
    for path in [&csv, &parquet] {
        ok(clm(&[
            "simulate",
            "--kind",
            "subscriptions",
            "--customers",
            "3000",
            "--seed",
            "4",
            "-o",
            path.to_str().unwrap(),
            "-q",
        ]));
    }
    let gz = dir.path().join("subs.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut encoder, &std::fs::read(&csv).unwrap()).unwrap();
    encoder.finish().unwrap();
    let summary = |path: &std::path::Path| {
        ok(clm(&[
            "retention",
            path.to_str().unwrap(),
            "--as-of",
            "2025-12-31",
            "--summary",
            "-q",
        ]))
    };
    let from_csv = summary(&csv);
    assert!(from_csv.lines().count() > 2, "{from_csv}");
    assert_eq!(summary(&gz), from_csv);
    assert_eq!(summary(&parquet), from_csv);
}
