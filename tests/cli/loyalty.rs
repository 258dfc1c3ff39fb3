//! `clm loyalty`: exact output on a hand-computed fixture, survey errors, and invariants on the
//! simulated fixture.
//!
//! Hand computation for fixtures/loyalty_tx.csv (as of 2025-06-30) and loyalty_survey.csv:
//! frequency A3 B1 C2 D4 E1 → percentile ranks B,E 0.125, C 0.5, A 0.75, D 1 (repeat rate is
//! (f−1)/f, same ranks); recency A10 B5 C149 D0 E211 → reversed ranks D1 B.75 A.5 C.25 E0.
//! Behaviour = (2·freq rank + recency rank)/3: A .667, B .333, C .417, D 1, E .083.
//! Attitude = mean of nps/10 and (sat−1)/4: A (latest answer 9, 5) .95, B (10, 4) .875,
//! C (3, 2) .275, D (5, 2) .375, X (8, 4) .775; E did not answer. X bought nothing: Prospect.

use std::collections::{BTreeSet, HashMap};

use crate::common::{clm, ok, temp_file};

const TX: &str = "fixtures/loyalty_tx.csv";
const SURVEY: &str = "fixtures/loyalty_survey.csv";

#[test]
fn hand_computed_rows() {
    let run = clm(&["loyalty", TX, "--survey", SURVEY]);
    assert_eq!(
        run.stderr,
        "fixtures/loyalty_survey.csv: 1 repeated answer resolved (latest per customer and question)\n\
         fixtures/loyalty_survey.csv: 1 of 5 respondents match no customer with a purchase up to 2025-06-30; they are listed as Prospects (behaviour index 0)\n"
    );
    assert_eq!(
        ok(run),
        "customer_id,frequency,recency_days,monetary,behaviour_index,attitude_index,quadrant,ladder_stage,nps,action\n\
         A,3,10,200.00,0.667,0.950,True loyalty,Advocate,9,Reward and involve\n\
         B,1,5,40.00,0.333,0.875,Latent loyalty,First-time customer,10,Remove what keeps them from buying\n\
         C,2,149,60.00,0.417,0.275,No loyalty,Repeat customer,3,Low priority\n\
         D,4,0,500.00,1.000,0.375,Spurious loyalty,Client,5,Build the relationship before a competitor's offer breaks the habit\n\
         E,1,211,20.00,0.083,,Attitude unknown,First-time customer,,Ask\n\
         X,0,,0.00,0.000,0.775,Latent loyalty,Prospect,8,Remove what keeps them from buying\n"
    );
}

#[test]
fn hand_computed_matrix_and_nps() {
    let out = ok(clm(&["loyalty", TX, "--survey", SURVEY, "--summary", "-q"]));
    let rows: Vec<String> = out
        .lines()
        .map(|l| l.split(',').take(8).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        rows,
        [
            "quadrant,customers,share_pct,revenue_share_pct,mean_monetary,mean_frequency,nps_respondents,nps",
            "True loyalty,1,16.7,24.4,200.00,3.00,1,100.0",
            "Latent loyalty,2,33.3,4.9,20.00,0.50,2,50.0",
            "Spurious loyalty,1,16.7,61.0,500.00,4.00,1,-100.0",
            "No loyalty,1,16.7,7.3,60.00,2.00,1,-100.0",
            "Attitude unknown,1,16.7,2.4,20.00,1.00,0,",
        ]
    );
    let table = ok(clm(&[
        "loyalty", TX, "--survey", SURVEY, "--format", "table", "-q",
    ]));
    assert!(
        table.contains("NPS overall: +0.0 (5 respondents: 2 promoters, 1 passive, 2 detractors)"),
        "{table}"
    );
    assert!(table.contains("1 survey-only prospect)"), "{table}");
}

#[test]
fn median_split_moves_c_to_spurious() {
    // Medians: behaviour of buyers .417, attitude of respondents .775; C has behaviour .417.
    let out = ok(clm(&[
        "loyalty", TX, "--survey", SURVEY, "--split", "median", "-q",
    ]));
    let quadrants: Vec<String> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap().to_string())
        .collect();
    assert_eq!(
        quadrants,
        [
            "True loyalty",
            "Latent loyalty",
            "Spurious loyalty",
            "Spurious loyalty",
            "Attitude unknown",
            "Latent loyalty"
        ]
    );
    let table = ok(clm(&[
        "loyalty", TX, "--survey", SURVEY, "--split", "median", "--format", "table", "-q",
    ]));
    assert!(
        table.contains("attitude index >= 0.775 and behaviour index >= 0.417 (median split)"),
        "{table}"
    );
}

#[test]
fn declared_scales_weights_and_mean_aggregation() {
    // Only NPS, weight 1: A's latest 9 → 0.9; with mean of 4 and 9 → 0.65.
    let latest = ok(clm(&[
        "loyalty",
        TX,
        "--survey",
        SURVEY,
        "--attitude",
        "nps:0-10",
        "-q",
    ]));
    assert!(latest.contains("\nA,3,10,200.00,0.667,0.900,"), "{latest}");
    let mean_run = clm(&[
        "loyalty",
        TX,
        "--survey",
        SURVEY,
        "--attitude",
        "nps:0-10",
        "--survey-agg",
        "mean",
    ]);
    assert!(
        mean_run
            .stderr
            .contains("1 repeated answer resolved (mean per customer and question)"),
        "{}",
        mean_run.stderr
    );
    let mean = ok(mean_run);
    assert!(
        mean.contains("\nA,3,10,200.00,0.667,0.650,True loyalty,Client,6.5,"),
        "{mean}"
    );
    // Recency only: D (bought today) 1, E 0.
    let recency = ok(clm(&[
        "loyalty",
        TX,
        "--survey",
        SURVEY,
        "--behaviour-weights",
        "repeat=0,frequency=0",
        "-q",
    ]));
    assert!(recency.contains("\nB,1,5,40.00,0.750,"), "{recency}");
}

#[test]
fn survey_customer_col_and_satisfaction_gap() {
    let (_dir, path) = temp_file(
        "survey-export.csv",
        b"Member No,Likelihood to recommend,expectation,experience\nA,10,4,5\nB,2,4,2\nD,7,3,3\n",
    );
    let out = ok(clm(&[
        "loyalty",
        TX,
        "--survey",
        path.to_str().unwrap(),
        "--survey-customer-col",
        "Member No",
        "-q",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "customer_id,frequency,recency_days,monetary,behaviour_index,attitude_index,quadrant,ladder_stage,nps,satisfaction_gap,action"
    );
    assert!(lines[1].starts_with("A,3,10,200.00,0.667,1.000,True loyalty,Advocate,10,1.00,"));
    assert!(
        lines[2].starts_with("B,1,5,40.00,0.333,0.200,No loyalty,First-time customer,2,-2.00,")
    );
    let summary = ok(clm(&[
        "loyalty",
        TX,
        "--survey",
        path.to_str().unwrap(),
        "--survey-customer-col",
        "Member No",
        "--summary",
        "-q",
    ]));
    assert!(summary.starts_with("quadrant,customers,share_pct,revenue_share_pct,mean_monetary,mean_frequency,nps_respondents,nps,mean_satisfaction_gap,action\n"));
    assert!(summary.contains("\nNo loyalty,1,20.0,"), "{summary}");
}

fn survey_error(content: &str, extra: &[&str]) -> crate::common::Run {
    let (_dir, path) = temp_file("survey.csv", content.as_bytes());
    let mut args = vec!["loyalty", TX, "--survey", path.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    let run = clm(&args);
    let name = path.display().to_string();
    crate::common::Run {
        stderr: run.stderr.replace(&name, "survey.csv"),
        ..run
    }
}

#[test]
fn out_of_scale_answer_is_65_with_row_column_value() {
    let run = survey_error("customer_id,nps\nA,9\nB,11\n", &[]);
    assert_eq!(run.code, 65);
    assert_eq!(
        run.stderr,
        "clm: error: survey.csv: row 2 (line 3), column 'nps': '11' is outside the scale 0-10 declared for it (see --attitude); pass --skip-invalid-answers to leave such answers out\n"
    );
    let declared = survey_error("customer_id,q1\nA,6\n", &["--attitude", "q1:1-5"]);
    assert_eq!(declared.code, 65);
    assert!(
        declared
            .stderr
            .contains("row 1 (line 2), column 'q1': '6' is outside the scale 1-5")
    );
}

#[test]
fn non_numeric_answer_is_65() {
    let run = survey_error("customer_id,satisfaction\nA,4\nB,very\n", &[]);
    assert_eq!(run.code, 65);
    assert_eq!(
        run.stderr,
        "clm: error: survey.csv: row 2 (line 3), column 'satisfaction': 'very' is not a number; pass --skip-invalid-answers to leave such answers out\n"
    );
}

#[test]
fn duplicate_header_is_65() {
    let run = survey_error("customer_id,nps,nps\nA,9,8\n", &[]);
    assert_eq!(run.code, 65);
    assert_eq!(
        run.stderr,
        "clm: error: survey.csv: the header names column 'nps' twice (columns 2 and 3); rename one of them\n"
    );
}

#[test]
fn repeated_answers_without_a_date_need_a_rule() {
    let run = survey_error("customer_id,nps\nA,9\nB,3\nA,4\n", &[]);
    assert_eq!(run.code, 65);
    assert!(
        run.stderr.contains("row 3 (line 4), column 'customer_id': customer 'A' answered again (first at row 1 (line 2))"),
        "{}",
        run.stderr
    );
    let mean = survey_error(
        "customer_id,nps\nA,9\nB,3\nA,4\n",
        &["--survey-agg", "mean"],
    );
    assert_eq!(mean.code, 0, "{}", mean.stderr);
}

#[test]
fn no_attitude_column_and_bad_flags() {
    let run = survey_error("customer_id,mood\nA,9\n", &[]);
    assert_eq!(run.code, 65);
    assert!(run.stderr.contains("no attitude column recognised among 'customer_id', 'mood'; declare them with --attitude"), "{}", run.stderr);
    let empty = survey_error("", &[]);
    assert_eq!(empty.code, 65, "{}", empty.stderr);
    let header_only = survey_error("customer_id,nps\n", &[]);
    assert_eq!(header_only.code, 65);
    assert!(
        header_only
            .stderr
            .contains("survey.csv: the file has a header but no data rows")
    );
    let empty_id = survey_error("customer_id,nps\nA,9\n,8\n", &[]);
    assert_eq!(
        empty_id.stderr,
        "clm: error: survey.csv: row 2 (line 3), column 'customer_id': the customer id is empty\n"
    );
    let usage = survey_error("customer_id,mood\nA,9\n", &["--attitude", "mood:10-0"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    let weights = survey_error(
        "customer_id,nps\nA,9\n",
        &["--behaviour-weights", "wallet=1"],
    );
    assert_eq!(weights.code, 2, "{}", weights.stderr);
}

#[test]
fn missing_survey_file_is_66() {
    let run = clm(&["loyalty", TX, "--survey", "fixtures/no-such-survey.csv"]);
    assert_eq!(run.code, 66);
    assert!(
        run.stderr
            .contains("cannot read survey file 'fixtures/no-such-survey.csv'"),
        "{}",
        run.stderr
    );
}

#[test]
fn simulated_fixture_every_customer_in_exactly_one_cell() {
    let out = ok(clm(&[
        "loyalty",
        "fixtures/transactions.csv",
        "--survey",
        "fixtures/survey.csv",
        "-q",
    ]));
    let buyers: BTreeSet<String> =
        std::fs::read_to_string(crate::common::fixture("transactions.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
    let respondents: BTreeSet<String> =
        std::fs::read_to_string(crate::common::fixture("survey.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
    let mut cell_of: HashMap<String, String> = HashMap::new();
    for line in out.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let previous = cell_of.insert(fields[0].to_string(), fields[6].to_string());
        assert!(previous.is_none(), "{} appears twice", fields[0]);
        // Attitude is known exactly for respondents.
        assert_eq!(
            fields[5].is_empty(),
            !respondents.contains(fields[0]),
            "{line}"
        );
    }
    let everyone: BTreeSet<String> = buyers.union(&respondents).cloned().collect();
    assert_eq!(cell_of.keys().cloned().collect::<BTreeSet<_>>(), everyone);
    assert_eq!(everyone.len(), 3000);

    let summary = ok(clm(&[
        "loyalty",
        "fixtures/transactions.csv",
        "--survey",
        "fixtures/survey.csv",
        "--summary",
        "-q",
    ]));
    let counted: i64 = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, 3000);
}

#[test]
fn unmatched_survey_ids_are_counted_as_prospects() {
    let (_dir, path) = temp_file(
        "survey.csv",
        b"customer_id,nps\nC0001,9\nNOBODY1,10\nNOBODY2,0\n",
    );
    let run = clm(&[
        "loyalty",
        "fixtures/transactions.csv",
        "--survey",
        path.to_str().unwrap(),
    ]);
    assert!(
        run.stderr
            .contains(": 2 of 3 respondents match no customer"),
        "{}",
        run.stderr
    );
    let out = ok(run);
    assert!(
        out.contains("\nNOBODY1,0,,0.00,0.000,1.000,Latent loyalty,Prospect,10,"),
        "{out}"
    );
    assert!(
        out.contains("\nNOBODY2,0,,0.00,0.000,0.000,No loyalty,Prospect,0,"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 3003);
}

#[test]
fn simulate_writes_a_matching_survey() {
    let dir = tempfile::tempdir().unwrap();
    let tx = dir.path().join("t.csv");
    let survey = dir.path().join("s.csv");
    ok(clm(&[
        "simulate",
        "--customers",
        "3000",
        "--seed",
        "7",
        "-o",
        tx.to_str().unwrap(),
        "--survey",
        survey.to_str().unwrap(),
        "-q",
    ]));
    let fixture = |name: &str| std::fs::read_to_string(crate::common::fixture(name)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&tx).unwrap(),
        fixture("transactions.csv")
    );
    assert_eq!(
        std::fs::read_to_string(&survey).unwrap(),
        fixture("survey.csv")
    );
    let bad = clm(&[
        "simulate",
        "--customers",
        "10",
        "--survey",
        survey.to_str().unwrap(),
        "--survey-response-rate",
        "1.5",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn parquet_survey_gives_the_same_matrix_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let tx = dir.path().join("t.parquet");
    let survey_csv = dir.path().join("s.csv");
    let survey_parquet = dir.path().join("s.parquet");
    for survey in [&survey_csv, &survey_parquet] {
        ok(clm(&[
            "simulate",
            "--customers",
            "400",
            "--seed",
            "5",
            "-o",
            tx.to_str().unwrap(),
            "--survey",
            survey.to_str().unwrap(),
            "-q",
        ]));
    }
    let run = |survey: &std::path::Path| {
        ok(clm(&[
            "loyalty",
            tx.to_str().unwrap(),
            "--survey",
            survey.to_str().unwrap(),
            "-q",
        ]))
    };
    let from_csv = run(&survey_csv);
    assert_eq!(from_csv, run(&survey_parquet));
    let gz = dir.path().join("s.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut encoder, &std::fs::read(&survey_csv).unwrap()).unwrap();
    encoder.finish().unwrap();
    assert_eq!(from_csv, run(&gz));
    assert_eq!(from_csv.lines().count(), 401);
}

#[test]
fn explicit_survey_date_column_and_format() {
    let (_dir, path) = temp_file(
        "survey.csv",
        b"Member,answered,LTR\nA,02/06/2025,3\nA,01/06/2025,10\nB,15/05/2025,9\n",
    );
    let path = path.to_str().unwrap();
    let out = ok(clm(&[
        "loyalty",
        TX,
        "--survey",
        path,
        "--survey-date-col",
        "answered",
        "--survey-date-format",
        "%d/%m/%Y",
        "-q",
    ]));
    // A's latest answer (2 June) is 3, not the 10 of 1 June.
    assert!(
        out.contains("\nA,3,10,200.00,0.667,0.300,Spurious loyalty,Client,3,"),
        "{out}"
    );
    let bad = clm(&[
        "loyalty",
        TX,
        "--survey",
        path,
        "--survey-date-col",
        "answered",
        "--survey-date-format",
        "%Y-%m-%d",
        "-q",
    ]);
    assert_eq!(bad.code, 65);
    assert!(
        bad.stderr.contains(
            "row 1 (line 2), column 'answered': '02/06/2025' is not a date in the format %Y-%m-%d"
        ),
        "{}",
        bad.stderr
    );
}

/// Survey rows dated after `--as-of` are left out and counted, like transactions: A's answer
/// of 2025-06-01 counts, the rows of C, D and X (2025-06-02 to 06-04) do not.
#[test]
fn survey_rows_after_the_as_of_date_are_left_out() {
    let run = clm(&["loyalty", TX, "--survey", SURVEY, "--as-of", "2025-06-01"]);
    assert!(
        run.stderr
            .contains("fixtures/loyalty_survey.csv: 3 rows dated after the as-of date left out\n"),
        "{}",
        run.stderr
    );
    let out = ok(run);
    assert!(
        out.contains("\nA,2,92,150.00,0.556,0.950,True loyalty,"),
        "{out}"
    );
    assert!(
        out.contains("\nC,2,120,60.00,0.444,,Attitude unknown,"),
        "{out}"
    );
    assert!(!out.contains("\nX,"), "{out}");
}

/// Issue 12: an answer outside its scale still stops the run by default (a mis-declared scale
/// must not silently drop answers), and the message says how many there are and how to go on.
/// With `--skip-invalid-answers` such answers (and non-numeric ones) are unanswered questions,
/// counted per column on stderr.
#[test]
fn invalid_answers_stop_the_run_unless_skipped_and_counted() {
    let survey = "customer_id,nps,satisfaction\nA,9,5\nB,11,4\nC,3,7\nD,12,\nE,n/a,3\n";
    let stopped = survey_error(survey, &[]);
    assert_eq!(stopped.code, 65);
    assert_eq!(
        stopped.stderr,
        "clm: error: survey.csv: row 2 (line 3), column 'nps': '11' is outside the scale 0-10 declared for it (see --attitude); 2 answers in this column are outside it; pass --skip-invalid-answers to leave such answers out\n"
    );
    let not_a_number = survey_error("customer_id,nps\nA,9\nB,n/a\n", &[]);
    assert!(
        not_a_number.stderr.contains(
            "row 2 (line 3), column 'nps': 'n/a' is not a number; pass --skip-invalid-answers to leave such answers out"
        ),
        "{}",
        not_a_number.stderr
    );

    let (_dir, path) = temp_file("survey.csv", survey.as_bytes());
    let run = clm(&[
        "loyalty",
        TX,
        "--survey",
        path.to_str().unwrap(),
        "--skip-invalid-answers",
    ]);
    let stderr = run
        .stderr
        .replace(&path.display().to_string(), "survey.csv");
    assert!(
        stderr.contains(
            "survey.csv: 4 invalid answers left out (--skip-invalid-answers): \
             'nps' 2 outside 0-10 (first: row 2 (line 3), '11') and 1 not a number (first: row 5 (line 6), 'n/a'); \
             'satisfaction' 1 outside 1-5 (first: row 3 (line 4), '7')\n"
        ),
        "{stderr}"
    );
    let out = ok(run);
    // B: satisfaction 4 only → (4 − 1)/4; C: NPS 3 only → 0.3; D: nothing valid → unknown;
    // E: satisfaction 3 only → 0.5.
    assert!(out.contains("\nB,1,5,40.00,0.333,0.750,"), "{out}");
    assert!(out.contains("\nC,2,149,60.00,0.417,0.300,"), "{out}");
    assert!(
        out.contains("\nD,4,0,500.00,1.000,,Attitude unknown,"),
        "{out}"
    );
    assert!(out.contains("\nE,1,211,20.00,0.083,0.500,"), "{out}");
    assert!(
        out.contains("\nB,1,5,40.00,0.333,0.750,Latent loyalty,First-time customer,,"),
        "{out}"
    );
}

/// Issue 12: a survey whose ids match no customer is bad data, not a matrix of "Attitude
/// unknown"; the message shows ids from both files so the mismatch can be seen.
#[test]
fn survey_that_matches_no_customer_is_65() {
    let mut survey = String::from("respondent_id,nps\n");
    for i in 0..1802 {
        survey.push_str(&format!("S{i:05},{}\n", i % 11));
    }
    let (_dir, path) = temp_file("survey.csv", survey.as_bytes());
    let run = clm(&[
        "loyalty",
        TX,
        "--survey",
        path.to_str().unwrap(),
        "--survey-customer-col",
        "respondent_id",
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    let stderr = run
        .stderr
        .replace(&path.display().to_string(), "survey.csv");
    assert!(
        stderr.contains(
            "clm: error: survey.csv: 0 of 1,802 survey ids match a customer of fixtures/loyalty_tx.csv with a purchase up to 2025-06-30 \
             (survey ids such as 'S00000', 'S00001'; customer ids such as 'A', 'B')"
        ),
        "{stderr}"
    );
    assert!(run.stdout.is_empty());
}

/// Fewer than half of the survey ids matching a customer is most likely a mismatch of ids
/// (another id column, a prefix): a warning, and the run goes on.
#[test]
fn survey_where_few_ids_match_warns() {
    let run = survey_error("customer_id,nps\nA,9\nZ1,8\nZ2,7\n", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // -q keeps warnings off: run again without it.
    let (_dir, path) = temp_file("survey.csv", b"customer_id,nps\nA,9\nZ1,8\nZ2,7\n");
    let run = clm(&["loyalty", TX, "--survey", path.to_str().unwrap()]);
    let stderr = run
        .stderr
        .replace(&path.display().to_string(), "survey.csv");
    assert!(
        stderr.contains(
            "warning: survey.csv: only 1 of 3 survey ids (33.3%) match a customer with a purchase; check that both files use the same customer ids"
        ),
        "{stderr}"
    );
    // Half or more: no warning.
    let (_dir2, path2) = temp_file("survey.csv", b"customer_id,nps\nA,9\nB,8\nZ2,7\n");
    let run = clm(&["loyalty", TX, "--survey", path2.to_str().unwrap()]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

/// Issue 12: the usual wording of the recommend question is the 0–10 NPS question; a free-text
/// follow-up ("Why would you recommend us?") is not an attitude column.
#[test]
fn nps_question_wording_is_detected() {
    for header in [
        "How likely are you to recommend us?",
        "Likelihood to Recommend",
        "Q1 - How likely is it that you would recommend Acme to a friend or colleague? (0-10)",
    ] {
        let survey = format!(
            "customer_id,\"{header}\",Why would you recommend us?\nA,10,great service\nB,6,\nC,8,price\n"
        );
        let (_dir, path) = temp_file("survey.csv", survey.as_bytes());
        let out = ok(clm(&[
            "loyalty",
            TX,
            "--survey",
            path.to_str().unwrap(),
            "-q",
            "--format",
            "table",
        ]));
        assert!(
            out.contains("NPS overall: +0.0 (3 respondents: 1 promoter, 1 passive, 1 detractor)")
                || out.contains(
                    "NPS overall: +0.0 (3 respondents: 1 promoters, 1 passives, 1 detractors)"
                ),
            "{header}: {out}"
        );
        assert!(
            out.contains(&format!("Attitude: {header} 0-10 ×1 from")),
            "{header}: {out}"
        );
    }
}

/// Issue 12: without `--survey`, say what a survey file holds instead of a bare clap error.
#[test]
fn missing_survey_flag_explains_the_survey_file() {
    let run = clm(&["loyalty", TX]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needed in [
        "--survey FILE",
        "one row per answer sheet",
        "customer id",
        "0-10",
        "1-5",
        "--attitude",
        "customer_id,survey_date,nps,satisfaction",
    ] {
        assert!(run.stderr.contains(needed), "{needed}: {}", run.stderr);
    }
}

/// Issue 12: `A` and `A ` are one customer, in the transactions and in the survey (they are
/// joined on it), and the trimming is said with a count; an id of only spaces is empty.
#[test]
fn ids_with_surrounding_whitespace_are_trimmed_and_counted() {
    let (_dir, tx) = temp_file(
        "tx.csv",
        b"customer_id,date,amount\nA,2025-06-01,10\n\"A \",2025-06-02,20\n\" B\",2025-06-03,5\nB,2025-06-04,5\nC,2025-06-05,1\n",
    );
    let (_dir2, survey) = temp_file("survey.csv", b"customer_id,nps\n\"  A\",10\nB,0\nC\t,7\n");
    let run = clm(&[
        "loyalty",
        tx.to_str().unwrap(),
        "--survey",
        survey.to_str().unwrap(),
    ]);
    let stderr = run
        .stderr
        .replace(&tx.display().to_string(), "tx.csv")
        .replace(&survey.display().to_string(), "survey.csv");
    assert!(
        stderr.contains("tx.csv: whitespace trimmed around the customer id in 2 rows ('A ' and 'A' are one customer)\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("survey.csv: whitespace trimmed around the customer id in 2 rows ('A ' and 'A' are one customer)\n"),
        "{stderr}"
    );
    let out = ok(run);
    assert_eq!(
        out.lines()
            .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>(),
        ["customer_id,frequency", "A,2", "B,2", "C,1"]
    );
    let rfm = ok(clm(&["rfm", tx.to_str().unwrap(), "-q"]));
    assert_eq!(rfm.lines().count(), 4, "{rfm}");

    // Float-written ids lose the `.0` whether or not they had whitespace (a blank id does
    // not stop the detection).
    let (_dir4, floats) = temp_file(
        "tx.csv",
        b"customer_id,date,amount\n17850.0,2025-06-01,10\n\"17850.0 \",2025-06-02,20\n\" 17851.0\",2025-06-03,5\n\"   \",2025-06-03,5\n",
    );
    let rfm = ok(clm(&[
        "rfm",
        floats.to_str().unwrap(),
        "--skip-missing-ids",
        "-q",
    ]));
    let ids: Vec<&str> = rfm
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids, ["17850", "17851"], "{rfm}");

    let (_dir3, blank) = temp_file(
        "tx.csv",
        b"customer_id,date,amount\nA,2025-06-01,10\n\"  \",2025-06-02,20\n",
    );
    let run = clm(&["rfm", blank.to_str().unwrap(), "-q"]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("row 2 (line 3), column 'customer_id': the customer id is empty"),
        "{}",
        run.stderr
    );
}
