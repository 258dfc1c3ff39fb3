//! Fuzz-style property test of the loader through the binary: random bytes and random mutations
//! of a valid export never panic, exit 0, 65 or 66, and on 0 write output that parses.

use proptest::prelude::*;

use crate::common::{clm, temp_file};

/// A small valid export with an order column, quoted text and a quantity × price amount.
const VALID: &str = "InvoiceNo,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n\
536365,\"LANTERN, WHITE\",6,2010-12-01 08:26:00,2.55,17850.0\n\
536366,MUG,2,2010-12-02 09:00:00,1.85,17850.0\n\
C536367,MUG,-1,2010-12-03 10:00:00,1.85,13047.0\n\
536368,\"SIGN \"\"HOME\"\"\",12,2010-12-05 11:30:00,0.85,13047.0\n\
536369,BOX,3,2010-12-07 12:00:00,4.95,12583.0\n";

/// One change to the bytes of an export.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserted = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b";".to_vec()),
        Just(b"\xff".to_vec()),
        Just(b"NaN".to_vec()),
        Just(vec![b'9'; 400]),
        Just(vec![b'x'; 100_000]),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (0..VALID.len()).prop_map(Mutation::Truncate),
        (0..VALID.len(), inserted).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (0..VALID.len(), 1..20usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, change: &Mutation) {
    match change {
        Mutation::Truncate(at) => bytes.truncate(*at.min(&bytes.len())),
        Mutation::Insert(at, inserted) => {
            let at = (*at).min(bytes.len());
            bytes.splice(at..at, inserted.iter().copied());
        }
        Mutation::Delete(at, n) => {
            let at = (*at).min(bytes.len());
            let end = (at + n).min(bytes.len());
            bytes.drain(at..end);
        }
    }
}

fn export() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        4 => proptest::collection::vec(mutation(), 1..4).prop_map(|changes| {
            let mut bytes = VALID.as_bytes().to_vec();
            for change in &changes {
                apply(&mut bytes, change);
            }
            bytes
        }),
    ]
}

/// Asserts what every run must satisfy; on success the CSV output must parse with numeric
/// measures that are finite.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (_dir, path) = temp_file("export.csv", bytes);
    let run = clm(&["rfm", path.to_str().unwrap(), "-q", "--format", "csv"]);
    prop_assert!(
        [0, 65, 66].contains(&run.code),
        "exit {} on {:?}: {}",
        run.code,
        String::from_utf8_lossy(bytes),
        run.stderr
    );
    prop_assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    if run.code != 0 {
        prop_assert!(run.stderr.lines().count() <= 2, "{}", run.stderr);
        return Ok(());
    }
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers = reader.headers().expect("output header").clone();
    prop_assert_eq!(&headers[0], "customer_id");
    let monetary = headers
        .iter()
        .position(|h| h == "monetary")
        .expect("monetary");
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| TestCaseError::fail(format!("output: {e}")))?;
        prop_assert_eq!(record.len(), headers.len());
        let value: f64 = record[monetary]
            .parse()
            .map_err(|e| TestCaseError::fail(format!("monetary '{}': {e}", &record[monetary])))?;
        prop_assert!(value.is_finite());
        rows += 1;
    }
    prop_assert!(rows > 0);
    Ok(())
}

/// Each case starts the debug binary once (about 0.1 s): 48 cases take a few seconds.
/// `CLM_FUZZ_CASES=2000 cargo test --test cli fuzz::` runs a longer search.
fn cases() -> u32 {
    std::env::var("CLM_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_exports_never_panic(bytes in export()) {
        check(&bytes)?;
    }
}

#[test]
fn the_valid_export_itself_loads() {
    check(VALID.as_bytes()).expect("valid export");
}
