//! `clm report`: the self-contained HTML page and the workbook.

use crate::common::{clm, ok, temp_file};

const SECTIONS: [&str; 6] = ["overview", "rfm", "clv", "churn", "cohorts", "lifecycle"];

/// Runs `clm report` on `input` into a fresh folder; returns the folder and the page's text.
fn html_report(input: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.html");
    ok(clm(&[
        "report",
        input,
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]));
    let html = std::fs::read_to_string(&target).unwrap();
    (dir, html)
}

/// The text of one `<section id="…">`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = start + html[start..].find("</section>").expect("section closes");
    &html[start..end]
}

#[test]
fn every_section_and_one_inline_svg_per_chart_on_the_fixtures() {
    for (input, charts) in [
        ("fixtures/transactions.csv", 10),
        ("fixtures/cdnow_sample.csv", 10),
        ("fixtures/online_retail_sample.csv", 10),
    ] {
        let (_dir, html) = html_report(input);
        for id in SECTIONS {
            assert!(!section(&html, id).is_empty(), "{input}: {id}");
        }
        let figures = html.matches("<figure class=\"chart\">").count();
        assert_eq!(figures, charts, "{input}");
        assert_eq!(html.matches("<svg").count(), figures, "{input}");
        assert_eq!(html.matches("<figcaption><b>").count(), figures, "{input}");
        // Nothing to fetch: the only address is the SVG namespace, which is a name, not a link.
        let addresses = html.matches("http://").count() + html.matches("https://").count();
        let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
        assert_eq!(addresses, namespaces, "{input}");
        assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("url("));
        assert!(html.contains("@media print"));
    }
}

/// The RFM chart's reading names the segment with the largest revenue share in `clm rfm`'s own
/// summary, with its shares.
#[test]
fn a_chart_reading_is_computed_from_the_data() {
    let (_dir, html) = html_report("fixtures/transactions.csv");
    let summary = ok(clm(&[
        "rfm",
        "fixtures/transactions.csv",
        "--summary",
        "--format",
        "csv",
        "-q",
    ]));
    let mut rows = csv::Reader::from_reader(summary.as_bytes());
    let top = rows
        .records()
        .map(|r| r.unwrap())
        .max_by(|a, b| {
            let share = |r: &csv::StringRecord| r[6].parse::<f64>().unwrap_or(f64::NAN);
            share(a).total_cmp(&share(b))
        })
        .unwrap();
    let expected = format!(
        "{} are {:.0} % of customers and {:.0} % of net revenue",
        &top[0],
        top[2].parse::<f64>().unwrap(),
        top[6].parse::<f64>().unwrap()
    );
    assert!(section(&html, "rfm").contains(&expected), "{expected}");
}

/// The lifecycle section's migration matrix is `clm lifecycle --compare 90d`'s: each of its
/// (from, to) cells holds the customers and revenue of the command's transition rows, and the
/// heat map's reading gives the share of the stability row that stayed there.
#[test]
fn the_lifecycle_migration_is_the_commands_transition_matrix() {
    let input = "fixtures/transactions.csv";
    let (dir, html) = html_report(input);
    let moves = dir.path().join("moves.csv");
    ok(clm(&[
        "lifecycle",
        input,
        "--compare",
        "90d",
        "--transitions",
        moves.to_str().unwrap(),
        "-o",
        dir.path().join("stages.csv").to_str().unwrap(),
        "-q",
    ]));
    let lifecycle = section(&html, "lifecycle");
    assert!(lifecycle.contains("Lifecycle migration"), "{lifecycle}");
    let mut rows = csv::Reader::from_path(&moves).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 30, "6 earlier stages (with new) × 5 stages now");
    let mut moved = 0;
    for row in &rows {
        let customers: u64 = row[2].parse().unwrap();
        let revenue: f64 = row[3].parse().unwrap();
        moved += customers;
        let cell = format!("<td>{customers} / {revenue:.0}</td>");
        assert!(
            lifecycle.contains(&cell),
            "{cell} for {} to {}",
            &row[0],
            &row[1]
        );
    }
    assert!(moved > 100, "{moved}");
    let stability: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == "stability").collect();
    let total: f64 = stability.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
    let stayed: f64 = stability
        .iter()
        .find(|r| &r[1] == "stability")
        .map(|r| r[2].parse().unwrap())
        .unwrap();
    let pct = 100.0 * stayed / total;
    let stayed_text = if pct >= 10.0 {
        format!("{pct:.0} % still are")
    } else {
        format!("{pct:.1} % still are")
    };
    let reading = format!("Of the {total} customers in stability 90 days earlier, {stayed_text}");
    assert!(lifecycle.contains(&reading), "{reading}");
}

/// `--lang zh`: the page says it is Chinese, section titles, segment and stage names (in the
/// charts and the tables) and headers are the labels of docs/labels.md; the English page has
/// none of them, and the readings stay in English in both.
#[test]
fn lang_zh_names_segments_stages_and_headers_in_chinese() {
    let input = "fixtures/transactions.csv";
    let (_dir, english) = html_report(input);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("zh.html");
    ok(clm(&[
        "report",
        input,
        "--lang",
        "zh",
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]));
    let chinese = std::fs::read_to_string(&target).unwrap();
    assert!(chinese.contains("<html lang=\"zh\">") && english.contains("<html lang=\"en\">"));
    let rfm = section(&chinese, "rfm");
    assert!(rfm.contains("<h2>RFM 客户分群</h2>"), "{rfm}");
    let chart = &rfm[rfm.find("<svg").unwrap()..rfm.find("</svg>").unwrap()];
    assert!(
        chart.contains("冠军客户") && !chart.contains("Champions"),
        "{chart}"
    );
    assert!(rfm.contains("<th>客户细分</th>") && rfm.contains("<td>冠军客户</td>"));
    // The reading is generated English text, with the English segment name.
    assert!(rfm.contains("Champions are "), "{rfm}");
    let lifecycle = section(&chinese, "lifecycle");
    assert!(lifecycle.contains("<h2>客户生命周期阶段</h2>"));
    assert!(lifecycle.contains("稳定期") && lifecycle.contains("新客户"));
    let churn = section(&chinese, "churn");
    assert!(
        churn.contains("极高风险") || churn.contains("高风险"),
        "{churn}"
    );
    for word in ["冠军客户", "稳定期", "客户细分", "铂金"] {
        assert!(!english.contains(word), "{word} in the English page");
    }
    assert!(section(&chinese, "clv").contains("铂金"));
}

#[test]
fn customer_ids_are_escaped() {
    let mut export = String::from("customer_id,date,amount\n");
    // Ids holding outsized shares of the rows or the sales: the overview names them.
    for day in 1..=28 {
        export.push_str(&format!(
            "<script>alert(1)</script>,2025-01-{day:02},5\n\"A&B \"\"x\"\"\",2025-02-{day:02},50\n"
        ));
    }
    for c in 0..200 {
        export.push_str(&format!("C{c},2025-01-{:02},20\n", 1 + c % 28));
    }
    let (dir, path) = temp_file("export.csv", export.as_bytes());
    let target = dir.path().join("r.html");
    ok(clm(&[
        "report",
        path.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]));
    let html = std::fs::read_to_string(&target).unwrap();
    assert!(!html.contains("<script"), "an id became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("A&amp;B &quot;x&quot;"));
}

#[test]
fn a_section_whose_model_cannot_be_fitted_says_why_instead_of_a_chart() {
    // On the R package's orders every BTYD model runs off to r, alpha -> infinity.
    let (_dir, html) = html_report("fixtures/rfm_data_orders.csv");
    let clv = section(&html, "clv");
    assert!(clv.contains("class=\"unavailable\""), "{clv}");
    assert!(clv.contains("cannot fit BG/NBD"), "{clv}");
    assert!(!clv.contains("<svg"), "{clv}");
    // The other sections still have their charts.
    assert!(section(&html, "rfm").contains("<svg"));
    assert!(section(&html, "cohorts").contains("<svg"));
}

#[test]
fn the_workbook_is_written_and_an_unknown_extension_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("report.xlsx");
    ok(clm(&[
        "report",
        "fixtures/transactions.csv",
        "-o",
        book.to_str().unwrap(),
        "-q",
    ]));
    let bytes = std::fs::read(&book).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert!(bytes.len() > 10_000, "{} bytes", bytes.len());
    let wrong = dir.path().join("report.pdf");
    let run = clm(&[
        "report",
        "fixtures/transactions.csv",
        "-o",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(".html") && run.stderr.contains(".xlsx"));
    assert!(!wrong.exists());
}

#[test]
fn the_report_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.html");
    std::fs::write(&target, "last week's report").unwrap();
    // A failed run leaves the old report as it was.
    let (_input_dir, bad) = temp_file("bad.csv", b"customer_id,date,amount\nA,not a date,3\n");
    let run = clm(&[
        "report",
        bad.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 65, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "last week's report"
    );
    // A good run replaces it and leaves no temporary file beside it.
    ok(clm(&[
        "report",
        "fixtures/cdnow_sample.csv",
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]));
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("report.html")]);
}

#[test]
fn a_survey_adds_the_loyalty_matrix_with_the_nps_of_each_quadrant() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.html");
    ok(clm(&[
        "report",
        "fixtures/transactions.csv",
        "--survey",
        "fixtures/survey.csv",
        "-o",
        target.to_str().unwrap(),
        "-q",
    ]));
    let html = std::fs::read_to_string(&target).unwrap();
    let loyalty = section(&html, "loyalty");
    assert_eq!(loyalty.matches("<svg").count(), 1);
    let summary = ok(clm(&[
        "loyalty",
        "fixtures/transactions.csv",
        "--survey",
        "fixtures/survey.csv",
        "--summary",
        "--format",
        "csv",
        "-q",
    ]));
    let mut rows = csv::Reader::from_reader(summary.as_bytes());
    for row in rows.records().map(|r| r.unwrap()).take(4) {
        // The cell text of each quadrant: its share of customers and its NPS, from clm loyalty.
        let share: f64 = row[2].parse().unwrap();
        let nps: f64 = row[7].parse().unwrap();
        let shown = if share >= 10.0 {
            format!("{share:.0} %")
        } else {
            format!("{share:.1} %")
        };
        let cell = format!("{}: {shown}, NPS {nps:.0}", &row[0]);
        assert!(loyalty.contains(&cell), "{cell}");
    }
    // Without a survey there is no loyalty section.
    let (_dir, plain) = html_report("fixtures/transactions.csv");
    assert!(!plain.contains("<section id=\"loyalty\">"));
}
