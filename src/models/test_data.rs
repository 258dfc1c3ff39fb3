//! Test-only loaders for the reference data in `fixtures/` (std only).

use super::Triple;

/// Days since 1970-01-01 for an ISO date `YYYY-MM-DD` (Hinnant's `days_from_civil`).
fn days_from_iso(date: &str) -> i64 {
    let mut parts = date
        .trim()
        .split('-')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let (y, m, d) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One CDNOW customer's calibration-period summary.
pub struct CdnowCustomer {
    pub triple: Triple,
    /// Mean value of the repeat-transaction days' totals (0 when x = 0).
    pub mean_repeat_spend: f64,
}

/// CDNOW sample with the published conventions: calibration ends 1997-09-30,
/// same-day purchases are one transaction, weeks = days / 7.
pub fn cdnow_calibration() -> Vec<CdnowCustomer> {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/cdnow_sample.csv"
    ));
    let end = days_from_iso("1997-09-30");
    // customer -> (day -> total amount)
    let mut days: std::collections::BTreeMap<u64, std::collections::BTreeMap<i64, f64>> =
        Default::default();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 4 {
            continue;
        }
        let id: u64 = fields[0].trim().parse().unwrap_or(0);
        let day = days_from_iso(fields[1]);
        let amount: f64 = fields[3].trim().parse().unwrap_or(0.0);
        *days.entry(id).or_default().entry(day).or_insert(0.0) += amount;
    }
    days.values()
        .map(|by_day| {
            let first = *by_day.keys().next().unwrap_or(&end);
            let calibration: Vec<(i64, f64)> = by_day
                .iter()
                .filter(|(day, _)| **day <= end)
                .map(|(d, a)| (*d, *a))
                .collect();
            let last = calibration.last().map(|(d, _)| *d).unwrap_or(first);
            let repeats = &calibration[1..];
            let x = repeats.len() as f64;
            let mean_repeat_spend = if repeats.is_empty() {
                0.0
            } else {
                repeats.iter().map(|(_, a)| a).sum::<f64>() / x
            };
            CdnowCustomer {
                triple: Triple::new(x, (last - first) as f64 / 7.0, (end - first) as f64 / 7.0),
                mean_repeat_spend,
            }
        })
        .collect()
}

/// `(frequency, recency, periods, weight)` rows of `donations_summary.csv`.
pub fn donations() -> Vec<(f64, f64, f64, f64)> {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/donations_summary.csv"
    ));
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let v: Vec<f64> = line
                .split(',')
                .filter_map(|f| f.trim().parse().ok())
                .collect();
            (v.len() == 4).then(|| (v[0], v[1], v[2], v[3]))
        })
        .collect()
}
