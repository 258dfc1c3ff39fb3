//! `clm rfm` on fixtures: exact output, policies, and agreement with an independent computation.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{clm, clm_with_stdin, fixture, ok, temp_file};

const SMALL: &str = "fixtures/small.csv";

#[test]
fn small_fixture_exact_rows_when_piped() {
    let run = clm(&["rfm", SMALL, "--as-of", "2025-06-30"]);
    let expected = std::fs::read_to_string(fixture("expected/small_rfm.csv")).unwrap();
    assert_eq!(
        run.stderr,
        "fixtures/small.csv: 1 return or cancellation row (see --returns)\n1 row dated after the as-of date 2025-06-30 ignored\n"
    );
    assert_eq!(ok(run), expected);
}

#[test]
fn default_as_of_is_the_last_transaction_day() {
    let out = ok(clm(&["rfm", SMALL]));
    // E bought on 2025-07-05, the last day: recency 0 and three purchase days.
    assert!(out.contains("\nE,0,3,1009.00,"), "{out}");
}

#[test]
fn returns_policies() {
    let drop = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--returns",
        "drop",
        "-q",
    ]));
    assert!(drop.contains("\nC,5,2,100.00,"), "{drop}");
    let keep = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--returns",
        "keep",
        "-q",
    ]));
    assert!(keep.contains("\nC,5,3,85.00,"), "{keep}");
}

#[test]
fn mean_monetary_is_spend_per_order() {
    let out = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--monetary",
        "mean",
        "-q",
    ]));
    assert!(out.contains("\nA,10,2,87.50,"), "{out}");
}

#[test]
fn summary_table_in_csv() {
    let out = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--summary",
        "-q",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "segment,customers,share_pct,mean_recency_days,mean_frequency,mean_monetary,revenue_share_pct,action"
    );
    // Every segment is listed, empty ones with blank means; the default table leaves no Others.
    assert_eq!(lines.len(), 11, "{out}");
    assert!(lines[1].starts_with("Champions,0,0.0,,,,0.0,"), "{out}");
    assert!(
        lines[2].starts_with("Loyal Customers,2,40.0,2.5,2.00,47.50,16.4,"),
        "{out}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Lost,1,20.0,166.0,1.00,10.00,1.7,"),
        "{out}"
    );
}

#[test]
fn table_format_prints_summary_with_heading() {
    let out = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--format",
        "table",
        "-q",
    ]));
    assert!(
        out.starts_with("RFM as of 2025-06-30: 5 customers, 5 bins"),
        "{out}"
    );
    assert!(out.contains("Loyal Customers"), "{out}");
}

#[test]
fn gzipped_csv_on_stdin_matches_the_file() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(fixture("small.csv")).unwrap())
        .unwrap();
    let bytes = gz.finish().unwrap();
    let from_stdin = ok(clm_with_stdin(
        &["rfm", "-", "--as-of", "2025-06-30", "-q"],
        &bytes,
    ));
    let from_file = ok(clm(&["rfm", SMALL, "--as-of", "2025-06-30", "-q"]));
    assert_eq!(from_stdin, from_file);
    let (_dir, path) = temp_file("small.csv.gz", &bytes);
    assert_eq!(
        ok(clm(&[
            "rfm",
            path.to_str().unwrap(),
            "--as-of",
            "2025-06-30",
            "-q"
        ])),
        from_file
    );
}

#[test]
fn custom_segment_table_from_toml() {
    let toml = b"[[segment]]\nname = \"Recent\"\nr = \"4-5\"\nf = \"1-5\"\nm = \"1-5\"\naction = \"Say hello\"\n";
    let (_dir, path) = temp_file("segments.toml", toml);
    let out = ok(clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "--segments",
        path.to_str().unwrap(),
        "-q",
    ]));
    let segments: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(segments, ["Others", "Others", "Recent", "Others", "Recent"]);
}

#[test]
fn uci_line_items_amount_from_quantity_times_price_and_float_ids() {
    let run = clm(&["rfm", "fixtures/online_retail_sample.csv"]);
    assert!(
        run.stderr.contains("58 return or cancellation rows"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("22 customers with only returns up to the as-of date left out"),
        "{}",
        run.stderr
    );
    let out = ok(run);
    assert!(
        out.lines()
            .skip(1)
            .all(|l| !l.split(',').next().unwrap().ends_with(".0")),
        "ids keep .0"
    );
    assert!(out.contains("\n17850,"), "{out}");
}

/// Rows of `fixtures/small.csv` for the given customers, with the header, as bytes for stdin.
fn small_rows_of(customers: &[&str]) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture("small.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| customers.iter().any(|c| l.starts_with(&format!("{c},")))) {
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// `customer_id → "r,f,m"` from piped per-customer rows.
fn scores_by_customer(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[4..7].join(","))
        })
        .collect()
}

/// Issue 11, item 9: a lone customer who bought on the as-of date was scored R = 1 ("Lost").
/// Scores on tiny inputs keep their meaning: the most recent (most frequent, biggest) customers
/// score 5 however few or tied they are; the least recent score 1 unless all are tied.
#[test]
fn tiny_inputs_score_the_most_recent_customer_high() {
    let scores = |customers: &[&str]| {
        scores_by_customer(&ok(clm_with_stdin(
            &["rfm", "-", "--as-of", "2025-06-30", "-q"],
            &small_rows_of(customers),
        )))
    };
    // E bought on 2025-06-29 and on the as-of date (twice, 10.00).
    assert_eq!(scores(&["E"])["E"], "5,5,5");
    // A: 10 days ago, 2 orders, 175.00; B: 166 days ago, 1 order, 10.00.
    let two = scores(&["A", "B"]);
    assert_eq!((two["A"].as_str(), two["B"].as_str()), ("5,5,5", "1,1,1"));
    let three = scores(&["A", "B", "E"]);
    assert_eq!(three["E"], "5,5,1");
    assert_eq!(three["A"], "2,5,5");
    assert_eq!(three["B"], "1,1,1");
    // All tied: two customers who each bought once, for the same amount, on the as-of date.
    let tied = ok(clm_with_stdin(
        &["rfm", "-", "--as-of", "2025-06-30", "-q"],
        b"customer,date,amount\nX,2025-06-30,5\nY,2025-06-30,5\n",
    ));
    let tied = scores_by_customer(&tied);
    assert_eq!((tied["X"].as_str(), tied["Y"].as_str()), ("5,5,5", "5,5,5"));
}

/// On the small fixture three of five customers share the top frequency (2 orders): they
/// score F = 5, not the 3 of their first rank.
#[test]
fn small_fixture_top_frequency_tie_scores_five() {
    let scores = scores_by_customer(&ok(clm(&["rfm", SMALL, "--as-of", "2025-06-30", "-q"])));
    for (customer, f) in [("A", "5"), ("B", "1"), ("C", "5"), ("D", "1"), ("E", "5")] {
        assert_eq!(scores[customer].split(',').nth(1), Some(f), "{customer}");
    }
}

/// The first column of each data line of a CSV summary, and its `customers` column.
fn summary_counts(out: &str) -> Vec<(String, usize)> {
    out.lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[1].parse().unwrap())
        })
        .collect()
}

const DEFAULT_SEGMENTS: [&str; 10] = [
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Lost",
];

/// Issue 11, item 8: with the R package's table 307 of the 853 customers of the online-retail
/// sample (36 %) fell to Others. The default table covers every score: all ten segments are
/// listed (in table order, empty or not), nobody is in Others, and the counts add up.
#[test]
fn default_segments_cover_every_customer_of_the_online_retail_sample() {
    let out = ok(clm(&[
        "rfm",
        "fixtures/online_retail_sample.csv",
        "--summary",
        "-q",
    ]));
    let counts = summary_counts(&out);
    let names: Vec<&str> = counts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, DEFAULT_SEGMENTS, "{out}");
    assert_eq!(counts.iter().map(|(_, c)| c).sum::<usize>(), 853);
    // The R package's table on the same scores leaves customers to Others.
    let r_table = r_package_segment_table_csv();
    let (_dir, path) = temp_file("r_rfm.csv", r_table.as_bytes());
    let with_r_table = summary_counts(&ok(clm(&[
        "rfm",
        "fixtures/online_retail_sample.csv",
        "--segments",
        path.to_str().unwrap(),
        "--summary",
        "-q",
    ])));
    assert_eq!(with_r_table.last().unwrap(), &("Others".to_string(), 307));
}

/// The R package's segment table as a CSV for `--segments`.
fn r_package_segment_table_csv() -> String {
    "segment,r,f,m\nChampions,4-5,4-5,4-5\nLoyal Customers,2-5,3-5,3-5\n\
     Potential Loyalist,3-5,1-3,1-3\nNew Customers,4-5,1,1\nPromising,3-4,1,1\n\
     Need Attention,2-3,2-3,2-3\nAbout To Sleep,2-3,1-2,1-2\nAt Risk,1-2,2-5,2-5\n\
     Can't Lose Them,1,4-5,4-5\nLost,1-2,1-2,1-2\n"
        .to_string()
}

/// `--scoring r-rfm` keeps the R package's table as published: its three unreachable segments
/// are listed with no customers, and Others is listed; no note about them (they are the
/// package's). A user's own table with a rule that earlier rules shadow gets a note.
#[test]
fn r_rfm_preset_lists_its_unreachable_segments_and_others() {
    let run = clm(&[
        "rfm",
        "fixtures/rfm_data_orders.csv",
        "--as-of",
        "2006-12-31",
        "--scoring",
        "r-rfm",
        "--summary",
    ]);
    assert!(
        !run.stderr.contains("can never be assigned"),
        "{}",
        run.stderr
    );
    let counts = summary_counts(&ok(run));
    let count = |name: &str| counts.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
    assert_eq!(count("Champions"), Some(158));
    for unreachable in ["New Customers", "Promising", "Can't Lose Them"] {
        assert_eq!(count(unreachable), Some(0), "{unreachable}");
    }
    assert_eq!(counts.last().unwrap().0, "Others");
    assert_eq!(counts.iter().map(|(_, c)| c).sum::<usize>(), 995);

    let (_dir, path) = temp_file("r_rfm.csv", r_package_segment_table_csv().as_bytes());
    let run = clm(&[
        "rfm",
        SMALL,
        "--segments",
        path.to_str().unwrap(),
        "--summary",
    ]);
    for name in ["New Customers", "Promising", "Can't Lose Them"] {
        assert!(
            run.stderr.contains(&format!(
                "segment '{name}' can never be assigned: earlier rules take all its scores"
            )),
            "{}",
            run.stderr
        );
    }
}

/// Every customer appears once, in exactly one segment, and every score 1..=5 is used.
#[test]
fn simulated_fixture_covers_all_scores_and_segments_once() {
    let out = ok(clm(&["rfm", "fixtures/transactions.csv", "-q"]));
    let mut ids = BTreeSet::new();
    let mut scores: [BTreeSet<u32>; 3] = Default::default();
    for line in out.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert!(
            ids.insert(cells[0].to_string()),
            "customer {} twice",
            cells[0]
        );
        for k in 0..3 {
            scores[k].insert(cells[4 + k].parse().unwrap());
        }
        assert!(!cells[8].is_empty());
    }
    assert_eq!(ids.len(), 3000);
    assert_eq!(scores[0], (1..=5).collect(), "recency scores");
    assert_eq!(scores[2], (1..=5).collect(), "monetary scores");
}

/// RFM on the full CDNOW cohort equals a plain computation written independently of polars:
/// recency = days from the last purchase to 1997-09-30, frequency = distinct purchase days,
/// monetary = total spend (amount 0 rows count as purchases of value 0).
#[test]
fn cdnow_master_matches_an_independent_computation() {
    let out = ok(clm(&[
        "rfm",
        "fixtures/cdnow_master.csv",
        "--as-of",
        "1997-09-30",
        "-q",
    ]));
    let as_of = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut expected: BTreeMap<String, (BTreeSet<chrono::NaiveDate>, f64)> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(fixture("cdnow_master.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let date = chrono::NaiveDate::parse_from_str(&row[1], "%Y-%m-%d").unwrap();
        if date > as_of {
            continue;
        }
        let entry = expected.entry(row[0].to_string()).or_default();
        entry.0.insert(date);
        entry.1 += row[3].parse::<f64>().unwrap();
    }
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows.len(), 23_570);
    for (line, (id, (days, spend))) in rows.iter().zip(&expected) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], id);
        let recency = (as_of - *days.iter().next_back().unwrap()).num_days();
        assert_eq!(cells[1].parse::<i64>().unwrap(), recency, "{line}");
        assert_eq!(cells[2].parse::<usize>().unwrap(), days.len(), "{line}");
        assert!(
            (cells[3].parse::<f64>().unwrap() - spend).abs() < 0.006,
            "{line} vs {spend}"
        );
    }
}

/// `--scoring r-rfm` reproduces the R package `rfm` on its own example orders (analysis date
/// 2006-12-31): Champions are 158 customers with 1,234 orders and 120,178 of revenue, as the
/// package reports (`../shared/data/README.md`).
#[test]
fn r_rfm_scoring_reproduces_the_r_package_champions() {
    let out = ok(clm(&[
        "rfm",
        "fixtures/rfm_data_orders.csv",
        "--as-of",
        "2006-12-31",
        "--scoring",
        "r-rfm",
        "-q",
    ]));
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let (mut customers, mut champions, mut orders, mut revenue) = (0, 0, 0, 0.0);
    for row in reader.records() {
        let row = row.unwrap();
        customers += 1;
        if &row[8] == "Champions" {
            champions += 1;
            orders += row[2].parse::<u32>().unwrap();
            revenue += row[3].parse::<f64>().unwrap();
        }
    }
    assert_eq!(customers, 995);
    assert_eq!((champions, orders), (158, 1234));
    assert!((revenue - 120_178.0).abs() < 0.5, "{revenue}");
    // The default scoring counts distinct purchase days and bins evenly: other Champions.
    let quantile = ok(clm(&[
        "rfm",
        "fixtures/rfm_data_orders.csv",
        "--as-of",
        "2006-12-31",
        "-q",
    ]));
    assert_ne!(quantile, out);
}

const ONLINE_RETAIL: &str = "fixtures/online_retail_sample.csv";

/// Issue 11, item 7: CustomerID `0.0` is on 39 % of the online-retail rows and, unnoticed,
/// becomes a Champion. Loading names it with its shares and the flag that leaves it out;
/// nothing is dropped by default.
#[test]
fn placeholder_id_is_named_with_its_share_and_the_flag() {
    let run = clm(&["rfm", ONLINE_RETAIL]);
    assert!(
        run.stderr.contains(
            "fixtures/online_retail_sample.csv: customer '0' is on 39.3 % of the rows (1884 of 4792; 5.8 % of the sales)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("leave it out with --exclude-ids 0\n"),
        "{}",
        run.stderr
    );
    // One-row customers with a large share of the sales are named too (16446 ordered 80,995
    // paper birds in one line).
    assert!(
        run.stderr.contains(
            "customer '16446' holds 45.0 % of the sales (on 1 of 4792 rows): check it is not a data error or a placeholder"
        ),
        "{}",
        run.stderr
    );
    let out = ok(run);
    assert!(out.contains("\n0,1,868,"), "kept by default");
    assert!(
        out.lines()
            .any(|l| l.starts_with("0,") && l.ends_with(",Champions"))
    );
}

/// `--exclude-ids` drops the placeholder's rows and counts them; the float-written form `0.0`
/// names the same customer as `0`; ids listed in a file work the same, and ids with no rows
/// are named.
#[test]
fn exclude_ids_drops_placeholder_rows_and_counts_them() {
    let run = clm(&["rfm", ONLINE_RETAIL, "--exclude-ids", "0.0"]);
    assert!(
        run.stderr.contains(
            "fixtures/online_retail_sample.csv: skipped 1884 rows: customer ids given with --exclude-ids: 0\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("customer '0'"), "{}", run.stderr);
    let out = ok(run);
    assert!(!out.lines().any(|l| l.starts_with("0,")), "{out}");
    assert_eq!(out.lines().count() - 1, 852);

    let (_dir, path) = temp_file(
        "placeholders.txt",
        b"# ids that stand for many customers\n0\n\nguest\n",
    );
    let from_file = format!("@{}", path.display());
    let run = clm(&["rfm", ONLINE_RETAIL, "--exclude-ids", &from_file]);
    assert!(
        run.stderr
            .contains("skipped 1884 rows: customer ids given with --exclude-ids: 0\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("no rows for these --exclude-ids: guest\n"),
        "{}",
        run.stderr
    );
    assert_eq!(ok(run), out);
}

#[test]
fn exclude_ids_errors() {
    let missing = clm(&["rfm", SMALL, "--exclude-ids", "@/no/such/ids.txt"]);
    assert_eq!(missing.code, 66, "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("cannot read the --exclude-ids file '/no/such/ids.txt'"),
        "{}",
        missing.stderr
    );
    let everyone = clm(&[
        "rfm",
        SMALL,
        "--exclude-ids",
        "A,B,C,D",
        "--exclude-ids",
        "E",
    ]);
    assert_eq!(everyone.code, 65, "{}", everyone.stderr);
    assert!(
        everyone
            .stderr
            .contains("fixtures/small.csv: every row belongs to an id given with --exclude-ids"),
        "{}",
        everyone.stderr
    );
}

/// The bar (10 % of rows or sales, and 20 even shares) stays silent on the clean fixtures,
/// including the five-customer one where every customer holds a large share.
#[test]
fn clean_fixtures_name_no_outsized_id() {
    for file in [
        "fixtures/transactions.csv",
        "fixtures/cdnow_sample.csv",
        "fixtures/rfm_data_orders.csv",
        "fixtures/small.csv",
    ] {
        let run = clm(&["rfm", file]);
        assert!(
            !run.stderr.contains("--exclude-ids"),
            "{file}: {}",
            run.stderr
        );
        ok(run);
    }
}

/// The option is shared: another command drops the same rows.
#[test]
fn exclude_ids_works_for_other_commands() {
    let run = clm(&["clv", "fixtures/transactions.csv", "--exclude-ids", "C1159"]);
    assert!(
        run.stderr
            .contains("fixtures/transactions.csv: skipped 57 rows: customer ids given with --exclude-ids: C1159\n"),
        "{}",
        run.stderr
    );
    assert!(!ok(run).contains("\nC1159,"));
}
