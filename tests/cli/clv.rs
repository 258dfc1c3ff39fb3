//! `clm clv`: published estimates on CDNOW and the donations data, parameter recovery on
//! simulated data, model round trips, the holdout report and failures.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{clm, ok, temp_file};

const CDNOW: &str = "fixtures/cdnow_sample.csv";
const CALIBRATION_END: &str = "1997-09-30";

/// Parameter values and standard errors of one fit in a `--model-out` document.
fn params(fit: &serde_json::Value) -> BTreeMap<String, (f64, f64)> {
    fit["params"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                (
                    p["value"].as_f64().unwrap(),
                    p["std_error"].as_f64().unwrap_or(f64::NAN),
                ),
            )
        })
        .collect()
}

fn fit_cdnow(model: &str) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("model.json");
    let out = ok(clm(&[
        "clv",
        CDNOW,
        "--as-of",
        CALIBRATION_END,
        "--time-unit",
        "week",
        "--model",
        model,
        "--model-out",
        json.to_str().unwrap(),
        "--format",
        "table",
        "-q",
    ]));
    let text = std::fs::read_to_string(&json).unwrap();
    (serde_json::from_str(&text).unwrap(), out)
}

fn assert_close(what: &str, got: f64, published: f64, tolerance: f64) {
    assert!(
        (got - published).abs() <= tolerance,
        "{what}: got {got}, published {published} (tolerance {tolerance})"
    );
}

/// Published values are printed to 3 decimals (LL to 1): we agree to that rounding.
#[test]
fn cdnow_bgnbd_and_gamma_gamma_match_fader_hardie_lee() {
    let (model, table) = fit_cdnow("bgnbd");
    assert_eq!(model["model"], "bgnbd");
    assert_eq!(model["time_unit"], "week");
    assert_eq!(model["as_of"], CALIBRATION_END);
    let p = params(&model["fit"]);
    assert_close("r", p["r"].0, 0.243, 0.0005);
    assert_close("alpha", p["alpha"].0, 4.414, 0.0005);
    assert_close("a", p["a"].0, 0.793, 0.0005);
    assert_close("b", p["b"].0, 2.426, 0.0005);
    assert_close(
        "LL",
        model["fit"]["log_likelihood"].as_f64().unwrap(),
        -9582.4,
        0.05,
    );
    assert_eq!(model["fit"]["customers"], 2357.0);
    let spend = &model["gamma_gamma"];
    assert_eq!(spend["customers"], 946.0);
    let g = params(spend);
    assert_close("p", g["p"].0, 6.25, 0.005);
    assert_close("q", g["q"].0, 3.74, 0.005);
    assert_close("gamma", g["gamma"].0, 15.44, 0.005);
    assert!(table.contains("time unit: week"), "{table}");
    assert!(
        table.contains("P(alive) = 1 for every one-time buyer"),
        "{table}"
    );
    for tier in ["platinum", "gold", "iron", "lead"] {
        assert!(table.contains(tier), "{table}");
    }
}

#[test]
fn cdnow_pareto_nbd_matches_the_published_fit() {
    let (model, _) = fit_cdnow("pareto-nbd");
    assert_eq!(model["model"], "pareto-nbd");
    let p = params(&model["fit"]);
    assert_close("r", p["r"].0, 0.553, 0.0005);
    assert_close("alpha", p["alpha"].0, 10.578, 0.0005);
    assert_close("s", p["s"].0, 0.606, 0.0005);
    assert_close("beta", p["beta"].0, 11.669, 0.0005);
    assert_close(
        "LL",
        model["fit"]["log_likelihood"].as_f64().unwrap(),
        -9595.0,
        0.05,
    );
}

#[test]
fn auto_picks_the_lowest_bic_and_says_so() {
    let (model, table) = fit_cdnow("auto");
    assert!(
        table.contains("Model selection (--model auto), by BIC"),
        "{table}"
    );
    assert!(table.contains("lowest BIC"), "{table}");
    // On CDNOW MBG/NBD edges out BG/NBD (BIC 19195.3 vs 19195.9); Pareto/NBD is last.
    assert_eq!(model["model"], "mbgnbd");
}

#[test]
fn donations_bgbb_from_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bgbb.json");
    let out = ok(clm(&[
        "clv",
        "fixtures/donations_summary.csv",
        "--input-kind",
        "summary",
        "--model-out",
        json.to_str().unwrap(),
    ]));
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(model["model"], "bgbb");
    let p = params(&model["fit"]);
    assert_close("alpha", p["alpha"].0, 1.204, 0.0005);
    assert_close("beta", p["beta"].0, 0.750, 0.0005);
    assert_close("gamma", p["gamma"].0, 0.657, 0.0005);
    assert_close("delta", p["delta"].0, 2.783, 0.0005);
    assert!(
        out.starts_with("frequency,recency,periods,customers,p_alive,expected_purchases\n"),
        "{out}"
    );
}

/// Simulated BG/NBD + Gamma-Gamma data with known weekly parameters: each estimate lies within
/// four of its own standard errors of the truth. Under a correct model and asymptotic normality
/// a 4-SE miss has probability 6e-5 per parameter; the only systematic error, dates rounded to
/// whole days, is far smaller than one SE at 20,000 customers.
#[test]
fn recovers_simulation_parameters_within_four_standard_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sim.csv");
    let json = dir.path().join("sim.json");
    let log = log.to_str().unwrap();
    ok(clm(&[
        "simulate",
        "--customers",
        "20000",
        "--seed",
        "2",
        "-o",
        log,
        "-q",
    ]));
    // The simulated period is 2024-01-01 + 730 days: the last possible day is 2025-12-30.
    ok(clm(&[
        "clv",
        log,
        "--time-unit",
        "week",
        "--as-of",
        "2025-12-30",
        "--model-out",
        json.to_str().unwrap(),
        "--format",
        "table",
        "-q",
    ]));
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let truth = [
        ("fit", "r", 0.25),
        ("fit", "alpha", 4.0),
        ("fit", "a", 0.8),
        ("fit", "b", 1.7),
        ("gamma_gamma", "p", 6.25),
        ("gamma_gamma", "q", 3.74),
        ("gamma_gamma", "gamma", 15.44),
    ];
    for (fit, name, true_value) in truth {
        let (value, std_error) = params(&model[fit])[name];
        assert!(std_error > 0.0, "{name}: no standard error");
        assert!(
            (value - true_value).abs() <= 4.0 * std_error,
            "{name}: estimate {value} ± {std_error}, truth {true_value}"
        );
    }
}

#[test]
fn model_in_reproduces_the_fitted_predictions_without_refitting() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("m.json");
    let json = json.to_str().unwrap();
    let common = ["clv", CDNOW, "--as-of", CALIBRATION_END, "-q"];
    let fitted = ok(clm(&[&common[..], &["--model-out", json]].concat()));
    let scored = ok(clm(&[&common[..], &["--model-in", json]].concat()));
    assert_eq!(fitted, scored);
    assert!(
        fitted.starts_with(
            "customer_id,x,t_x,T,p_alive,expected_purchases,expected_spend,clv,tier\n"
        ),
        "{}",
        &fitted[..200]
    );
    // A tampered parameter changes the predictions: the file is used, not a refit.
    let text = std::fs::read_to_string(json).unwrap();
    let tampered = text.replacen("\"value\": 0.2", "\"value\": 0.3", 1);
    assert_ne!(text, tampered);
    let (_dir, other) = temp_file("t.json", tampered.as_bytes());
    let rescored = ok(clm(&[
        &common[..],
        &["--model-in", other.to_str().unwrap()],
    ]
    .concat()));
    assert_ne!(fitted, rescored);
    // A different time unit than the saved one is a usage error.
    let run = clm(&[&common[..], &["--model-in", json, "--time-unit", "day"]].concat());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("saved model's unit (week)"),
        "{}",
        run.stderr
    );
}

/// Distinct purchase days in (as-of, end] of the customers who bought up to the as-of date,
/// computed from the CSV without clm.
fn cdnow_holdout_purchases(as_of: &str, end: &str) -> usize {
    let text = std::fs::read_to_string(crate::common::fixture("cdnow_sample.csv")).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.split(',');
            (
                fields.next().unwrap().to_string(),
                fields.next().unwrap().to_string(),
            )
        })
        .collect();
    let calibration: BTreeSet<&str> = rows
        .iter()
        .filter(|(_, date)| date.as_str() <= as_of)
        .map(|(id, _)| id.as_str())
        .collect();
    rows.iter()
        .filter(|(id, date)| {
            date.as_str() > as_of && date.as_str() <= end && calibration.contains(id.as_str())
        })
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn holdout_report_counts_actual_repeat_purchases() {
    let expected = cdnow_holdout_purchases(CALIBRATION_END, "1998-06-30");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("holdout.csv");
    let table = ok(clm(&[
        "clv",
        CDNOW,
        "--as-of",
        CALIBRATION_END,
        "--holdout-end",
        "1998-06-30",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(table, "", "nothing on stdout when piped with -o");
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "calibration_x,customers,actual,predicted,mean_predicted,mae,correlation"
    );
    let groups: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(groups, ["0", "1", "2", "3", "4", "5", "6", "7+", "all"]);
    let all: Vec<&str> = lines[9].split(',').collect();
    assert_eq!(all[1], "2357");
    assert_eq!(all[2], expected.to_string());
    let group_total: usize = lines[1..9]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(group_total, expected);
    let predicted: f64 = all[3].parse().unwrap();
    assert!(
        (predicted - expected as f64).abs() < 0.2 * expected as f64,
        "BG/NBD predicts the holdout total to within 20 %: {predicted} vs {expected}"
    );
}

#[test]
fn no_repeat_buyers_is_bad_data() {
    let (_dir, path) = temp_file(
        "one_time.csv",
        b"customer_id,date,amount\nA,2025-01-01,10\nB,2025-01-05,20\nC,2025-02-01,5\n",
    );
    let run = clm(&["clv", path.to_str().unwrap(), "--as-of", "2025-03-01"]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot fit BG/NBD: the data cannot identify the model: no customer made a repeat purchase"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        &["--tiers", "5,15"][..],
        &["--margin", "0"],
        &["--holdout-end", "1997-01-01", "--as-of", CALIBRATION_END],
        &["--holdout-end", "1998-06-30"],
    ] {
        let run = clm(&[&["clv", CDNOW][..], args].concat());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

/// x, t_x and T on the small fixture, by hand: same-day rows are one purchase, a return is not
/// a purchase, rows after the as-of date are ignored.
#[test]
fn statistics_of_the_small_fixture_in_days() {
    // Five customers cannot pin down a four-parameter model (see the test below): score them
    // with a model fitted in days on CDNOW.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("days.json");
    let json = json.to_str().unwrap();
    ok(clm(&[
        "clv",
        CDNOW,
        "--as-of",
        CALIBRATION_END,
        "--time-unit",
        "day",
        "--model-out",
        json,
        "-q",
    ]));
    let out = ok(clm(&[
        "clv",
        "fixtures/small.csv",
        "--as-of",
        "2025-06-30",
        "--model-in",
        json,
        "-q",
    ]));
    let stats: Vec<String> = out
        .lines()
        .skip(1)
        .map(|line| line.split(',').take(4).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        stats,
        [
            "A,1,19.0000,29.0000",
            "B,0,0.0000,166.0000",
            "C,1,55.0000,60.0000",
            "D,0,0.0000,121.0000",
            "E,1,1.0000,1.0000",
        ]
    );
}

/// Issue 11, items 4 and 5: on rfm_data_orders.csv every purchase model runs off to a limit of
/// the model (r, α → ∞: the purchase rates do not vary between customers). Each model, and
/// --model auto, ends with exit 65 saying why and what to try, and the advice of a single
/// model's refusal (--model auto) ends the same way instead of hanging.
#[test]
fn a_model_the_data_cannot_identify_is_refused_with_what_to_try() {
    for model in ["bgnbd", "pareto-nbd", "mbgnbd", "auto"] {
        let run = clm(&["clv", "fixtures/rfm_data_orders.csv", "--model", model]);
        assert_eq!(run.code, 65, "{model}: {}", run.stderr);
        assert!(
            run.stderr.contains("the likelihood keeps rising as r → ∞"),
            "{model}: {}",
            run.stderr
        );
        let advice = if model == "auto" {
            "no purchase model fits these histories"
        } else {
            "try --model auto"
        };
        assert!(run.stderr.contains(advice), "{model}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{model}: {}", run.stdout);
    }
}

/// Five customers cannot pin four parameters down: the fit is refused, not printed with blank
/// standard errors.
#[test]
fn five_customers_are_too_few_for_a_fit() {
    let run = clm(&["clv", "fixtures/small.csv", "--as-of", "2025-06-30"]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot fit BG/NBD: the data cannot identify the model"),
        "{}",
        run.stderr
    );
}

/// Issue 11 "Also": --model bgbb is accepted for discrete summaries and refused, with which
/// models fit which inputs, for transactions; discrete summaries refuse continuous models.
#[test]
fn bgbb_is_a_model_choice_for_discrete_summaries() {
    let out = ok(clm(&[
        "clv",
        "fixtures/donations_summary.csv",
        "--input-kind",
        "summary",
        "--model",
        "bgbb",
        "--format",
        "table",
    ]));
    assert!(out.contains("Purchase model: BG/BB"), "{out}");
    let run = clm(&["clv", CDNOW, "--model", "bgbb"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("bgbb fits frequency,recency,periods summaries"),
        "{}",
        run.stderr
    );
    let run = clm(&[
        "clv",
        "fixtures/donations_summary.csv",
        "--input-kind",
        "summary",
        "--model",
        "pareto-nbd",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("only BG/BB fits"), "{}", run.stderr);
}

/// Issue 12, item 7: the horizon is at most 100 years (in the time unit), a usage error beyond;
/// a horizon of decades is valued (at a bounded number of discounting steps) and is worth more
/// than one year.
#[test]
fn the_horizon_is_bounded_and_long_horizons_are_valued() {
    for (horizon, unit, limit) in [
        ("1e6", "week", "at most 5217 weeks"),
        ("1e12", "day", "at most 36525 days"),
        ("1e6", "day", "at most 36525 days"),
    ] {
        let run = clm(&[
            "clv",
            CDNOW,
            "--as-of",
            CALIBRATION_END,
            "--time-unit",
            unit,
            "--horizon",
            horizon,
        ]);
        assert_eq!(run.code, 2, "{horizon} {unit}: {}", run.stderr);
        assert!(
            run.stderr.contains(limit),
            "{horizon} {unit}: {}",
            run.stderr
        );
    }
    let total_clv = |horizon: &str| -> f64 {
        let out = ok(clm(&[
            "clv",
            CDNOW,
            "--as-of",
            CALIBRATION_END,
            "--horizon",
            horizon,
            "-q",
        ]));
        out.lines()
            .skip(1)
            .map(|line| line.split(',').nth(7).unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let (year, decades) = (total_clv("52"), total_clv("5217"));
    assert!(decades > 2.0 * year, "{decades} vs {year}");
    assert!(decades.is_finite());
}

/// Issue 11 "Also": each value tier has a recommended action in the tier summary.
#[test]
fn value_tiers_come_with_recommended_actions() {
    let out = ok(clm(&[
        "clv",
        CDNOW,
        "--as-of",
        CALIBRATION_END,
        "--format",
        "table",
    ]));
    assert!(out.contains("Action"), "{out}");
    for (tier, action) in [
        ("platinum", "Protect"),
        ("gold", "Grow"),
        ("iron", "Develop selectively"),
        ("lead", "Serve at low cost"),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(&format!(" {tier} ")))
            .unwrap_or_else(|| panic!("no {tier} row: {out}"));
        assert!(line.contains(action), "{tier}: {line}");
    }
}
