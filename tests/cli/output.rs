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

/// A terminal table fits the terminal (COLUMNS) by hiding the action column and wrapping
/// between words, with human headers; `--wide` shows everything; files keep every column.
#[test]
fn terminal_tables_fit_the_width_and_wide_shows_everything() {
    let table = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_clm"))
            .args([
                "rfm",
                "fixtures/transactions.csv",
                "--format",
                "table",
                "-q",
            ])
            .args(extra)
            .env("COLUMNS", "100")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let narrow = table(&[]);
    for line in narrow.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    assert!(narrow.contains("Share (%)"), "{narrow}");
    assert!(narrow.contains("action hidden"), "{narrow}");
    assert!(!narrow.contains("reactivat\n"), "{narrow}");
    let wide = table(&["--wide"]);
    assert!(
        wide.contains("Low-cost reactivation campaign at most"),
        "{wide}"
    );
    let csv = ok(clm(&[
        "rfm",
        "fixtures/transactions.csv",
        "--summary",
        "--format",
        "csv",
        "-q",
    ]));
    assert!(csv.starts_with("segment,customers,share_pct"), "{csv}");
    assert!(csv.contains("reactivation"), "{csv}");
}

/// The file types `std` can tell apart on Unix.
fn file_type(path: &std::path::Path) -> std::fs::FileType {
    std::fs::metadata(path).unwrap().file_type()
}

#[test]
fn no_input_of_any_kind_is_overwritten_whatever_path_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_string()
    };
    let base = file(
        "base.csv",
        &std::fs::read(fixture("transactions.csv")).unwrap(),
    );
    let segments = file(
        "seg.csv",
        b"segment,r,f,m,action\nEveryone,1-5,1-5,1-5,say hello\n",
    );
    let extra = file("x.csv", b"customer_id,tickets\nC0286,3\nC0660,1\n");
    let survey = file("survey.csv", &std::fs::read(fixture("survey.csv")).unwrap());
    let model = dir.path().join("model.json");
    ok(clm(&[
        "clv",
        &base,
        "--model-out",
        model.to_str().unwrap(),
        "-q",
    ]));
    let model = model.to_str().unwrap().to_string();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    // Another spelling of the same file.
    let other_name = |path: &str| {
        let name = std::path::Path::new(path).file_name().unwrap();
        dir.path()
            .join("sub/..")
            .join(name)
            .to_str()
            .unwrap()
            .to_string()
    };
    // OUT stands for the output path, spelt as the input is and another way.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["clv", &base, "--model-out", "OUT"], &base),
        (
            vec!["rfm", &base, "--segments", &segments, "-o", "OUT"],
            &segments,
        ),
        (
            vec!["churn", &base, "--inputs", &extra, "-o", "OUT"],
            &extra,
        ),
        (
            vec!["clv", &base, "--model-in", &model, "-o", "OUT"],
            &model,
        ),
        (
            vec!["loyalty", &base, "--survey", &survey, "-o", "OUT"],
            &survey,
        ),
    ];
    for (args, input) in &cases {
        for spelling in [input.to_string(), other_name(input)] {
            let args: Vec<&str> = args
                .iter()
                .map(|&a| if a == "OUT" { spelling.as_str() } else { a })
                .collect();
            let before = std::fs::read(input).unwrap();
            let run = clm(&args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains("refusing to overwrite the input file"),
                "{args:?}: {}",
                run.stderr
            );
            assert_eq!(std::fs::read(input).unwrap(), before, "{args:?}");
        }
    }
}

#[test]
fn a_hard_link_to_the_input_is_the_input() {
    let (dir, path) = temp_file("export.csv", b"customer_id,date,amount\nA,2025-01-01,3\n");
    let link = dir.path().join("link.csv");
    std::fs::hard_link(&path, &link).unwrap();
    let run = clm(&["rfm", path.to_str().unwrap(), "-o", link.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to overwrite the input file"),
        "{}",
        run.stderr
    );
}

#[test]
fn devices_and_standard_output_are_written_directly() {
    use std::os::unix::fs::FileTypeExt;
    let expected = std::fs::read_to_string(fixture("expected/small_rfm.csv")).unwrap();
    let rows = |target: &str| clm(&["rfm", SMALL, "--as-of", "2025-06-30", "-o", target, "-q"]);
    assert_eq!(ok(rows("/dev/null")), "");
    assert!(file_type("/dev/null".as_ref()).is_char_device());
    let full = rows("/dev/full");
    assert_eq!(full.code, 73, "{}", full.stderr);
    assert!(
        full.stderr
            .contains("cannot write '/dev/full': No space left on device"),
        "{}",
        full.stderr
    );
    assert!(file_type("/dev/full".as_ref()).is_char_device());
    assert_eq!(ok(rows("/dev/stdout")), expected);
    let crate_root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dash = crate_root.join("-");
    let out = rows("-");
    let file_named_dash = dash.exists();
    if file_named_dash {
        std::fs::remove_file(&dash).unwrap();
    }
    assert!(!file_named_dash, "-o - wrote a file named '-'");
    assert_eq!(ok(out), expected);
}

#[test]
fn a_fifo_is_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("rows.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let run = clm(&[
        "rfm",
        SMALL,
        "--as-of",
        "2025-06-30",
        "-o",
        fifo.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(file_type(&fifo).is_fifo(), "the FIFO was replaced");
    let expected = std::fs::read_to_string(fixture("expected/small_rfm.csv")).unwrap();
    assert_eq!(reader.join().unwrap(), expected);
}

#[test]
fn a_fifo_whose_reader_stops_early_is_success() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let export = simulated_export(dir.path(), 20_000);
    let fifo = dir.path().join("rows.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut first = String::new();
            let file = std::fs::File::open(fifo).unwrap();
            std::io::BufReader::new(file).read_line(&mut first).unwrap();
            first
        })
    };
    let run = clm(&[
        "rfm",
        export.to_str().unwrap(),
        "-o",
        fifo.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        reader.join().unwrap(),
        "customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

/// A transaction file of `customers` simulated customers in `dir`.
fn simulated_export(dir: &std::path::Path, customers: usize) -> std::path::PathBuf {
    let path = dir.join("simulated.csv");
    let customers = customers.to_string();
    ok(clm(&[
        "simulate",
        "--customers",
        &customers,
        "-o",
        path.to_str().unwrap(),
        "-q",
    ]));
    path
}

#[test]
fn a_reader_that_stops_early_is_success_in_every_format() {
    use std::io::{BufRead, Read};
    let dir = tempfile::tempdir().unwrap();
    let export = simulated_export(dir.path(), 20_000);
    for format in ["csv", "tsv", "json", "jsonl", "parquet"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clm"))
            .args(["rfm", export.to_str().unwrap(), "--format", format, "-q"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        if format == "parquet" {
            let mut magic = [0u8; 4];
            stdout.read_exact(&mut magic).unwrap();
            assert_eq!(&magic, b"PAR1");
        } else {
            let mut first = String::new();
            stdout.read_line(&mut first).unwrap();
            assert!(!first.is_empty(), "{format}");
        }
        drop(stdout); // as `head -1` does
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert_eq!(stderr, "", "{format}");
    }
}

#[test]
fn new_files_follow_the_umask_and_replaced_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let with_umask = |umask: &str, target: &std::path::Path| {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_clm"))
            .args(["rfm", SMALL, "-q", "-o", target.to_str().unwrap()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::metadata(target).unwrap().permissions().mode() & 0o7777
    };
    assert_eq!(with_umask("022", &dir.path().join("a.csv")), 0o644);
    assert_eq!(with_umask("007", &dir.path().join("b.csv")), 0o660);
    let existing = dir.path().join("c.csv");
    std::fs::write(&existing, "old").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(with_umask("022", &existing), 0o640);
    assert_ne!(std::fs::read_to_string(&existing).unwrap(), "old");
}

/// Starts `clm args` with `TMPDIR` set, waits until a file shows up in `watched` (a temporary
/// file being written), sends `signal` and returns the exit code.
fn signal_once_a_file_appears(
    args: &[&str],
    tmpdir: &std::path::Path,
    watched: &std::path::Path,
    known: &[&str],
    signal: &str,
) -> Option<i32> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clm"))
        .args(args)
        .env("TMPDIR", tmpdir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let appeared = std::fs::read_dir(watched)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .any(|name| !known.iter().any(|k| name == *k));
        if appeared {
            // clm lists the file for removal just after creating it: let it get there.
            std::thread::sleep(std::time::Duration::from_millis(20));
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("clm ended ({status}) before a temporary file was seen; make the work larger");
        }
        assert!(started.elapsed().as_secs() < 300, "no temporary file seen");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    child.wait().unwrap().code()
}

#[test]
fn a_signal_during_a_write_removes_the_temporary_file_and_keeps_the_old_output() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("simulated.csv");
        std::fs::write(&target, "previous output\n").unwrap();
        let args = [
            "simulate",
            "--customers",
            "300000",
            "-o",
            target.to_str().unwrap(),
        ];
        let exit =
            signal_once_a_file_appears(&args, dir.path(), dir.path(), &["simulated.csv"], signal);
        assert_eq!(exit, Some(code), "SIG{signal}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["simulated.csv"], "SIG{signal}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "previous output\n"
        );
    }
}

#[test]
fn a_signal_while_reading_a_gz_input_removes_its_copy_in_tmpdir() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let export = simulated_export(dir.path(), 100_000);
    let gz = dir.path().join("simulated.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&std::fs::read(&export).unwrap()).unwrap();
    encoder.finish().unwrap();
    let tmpdir = dir.path().join("tmp");
    std::fs::create_dir(&tmpdir).unwrap();
    let exit = signal_once_a_file_appears(
        &["rfm", gz.to_str().unwrap(), "-q"],
        &tmpdir,
        &tmpdir,
        &[],
        "TERM",
    );
    assert_eq!(exit, Some(143));
    assert_eq!(std::fs::read_dir(&tmpdir).unwrap().count(), 0);
}
