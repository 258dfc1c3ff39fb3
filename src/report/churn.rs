//! Churn: the back-test's gains chart, risk bands, and the customers most at risk with their
//! reasons, scored as `clm churn` scores by default (90-day horizon, the scorer with the best
//! back-test AUC, CLV over 52 weeks at 10 % a year).

use super::document::{Block, Chart, ChartKind, Section, Series};
use super::{numbers, percent, texts, thousands};
use crate::analysis::churn::{
    Backtest, Context, Scorer, chance_warning, choose_scorer, mean_of, usable_scorer,
};
use crate::analysis::churn_report::{Selection, SortBy, customer_rows, customer_value};
use crate::analysis::value::Valuation;
use crate::features::btyd::TimeUnit;
use crate::features::churn::Histories;
use crate::output::{Log, Table, format_day};
use crate::segment::risk_bands::risk_band_summary;

const TITLE: &str = "Churn risk";

/// Days after the as-of date in which a customer who makes no purchase has churned.
const HORIZON_DAYS: i32 = 90;

/// Customers listed in the table of those most at risk.
const TOP_AT_RISK: usize = 20;

/// The churn section as of `as_of`; `last_day` is the last transaction's day.
pub fn section(
    histories: &Histories,
    source: &str,
    as_of: i32,
    last_day: i32,
    log: &Log,
) -> Section {
    let quiet = Log { quiet: true };
    let context = Context {
        histories,
        extra: None,
        horizon: HORIZON_DAYS,
    };
    let evaluation = context.window(as_of.min(last_day - HORIZON_DAYS), true);
    let (backtest, trained, scoring) = context.backtest_and_training(&evaluation, as_of);
    drop(evaluation);
    if scoring.customers.is_empty() {
        return unavailable(format!(
            "no customer bought on or before {}",
            format_day(as_of)
        ));
    }
    let scores = match context.score(&scoring, trained.as_ref().ok(), &quiet) {
        Ok(scores) => scores,
        Err(e) => return unavailable(e.to_string()),
    };
    let choice = choose_scorer(None, &backtest, &trained);
    let (scorer, why) = match usable_scorer(choice, &scores, &trained, source, scoring.cutoff, log)
    {
        Ok(chosen) => chosen,
        Err(e) => return unavailable(format!("{e:#}")),
    };
    let risk: Vec<f64> = match scorer {
        Scorer::Btyd => scores.btyd.clone(),
        Scorer::Supervised => scores.supervised.clone(),
        Scorer::Ensemble => mean_of(&scores.btyd, &scores.supervised),
    };
    let valuation = Valuation {
        unit: TimeUnit::Week,
        horizon: 365.0 / TimeUnit::Week.days(),
        annual_discount: 0.10,
        margin: 1.0,
    };
    let params = scores.btyd_params.as_ref().ok().copied();
    let value = customer_value(&scoring, &params, &valuation, &quiet);

    let mut section = Section::new("churn", TITLE);
    section.push(Block::Text(format!(
        "A customer churns when they make no purchase in the {HORIZON_DAYS} days after {}. Risk is the {} score ({why}); value at risk = risk × CLV over the next year.",
        format_day(as_of),
        scorer.name()
    )));
    if let Some(warning) = chance_warning(scorer, &backtest) {
        section.push(Block::Warning(format!(
            "Read the scores with care: {warning}."
        )));
    }
    section.push(gains_block(&backtest, scorer));
    let bands = risk_band_summary(&risk, &value);
    section.push(Block::Chart(bands_chart(&bands)));
    section.push(Block::Table {
        caption: "Risk bands: customers, expected churners, CLV and value at risk".into(),
        table: bands.clone(),
    });
    // The first rows of `clm churn`'s list: sorted by value at risk, with the reasons.
    let reason_model = scores.reason_model(scorer);
    let selection = Selection {
        sort: SortBy::Value,
        min_clv: None,
        top: Some(TOP_AT_RISK),
    };
    let rows = customer_rows(
        &context,
        &scoring,
        &scores,
        reason_model,
        &risk,
        &value,
        &selection,
    );
    let top = columns_of(&rows, &TOP_COLUMNS);
    section.push(Block::Table {
        caption: format!(
            "The {} customers with the most value at risk, and why",
            top.height()
        ),
        table: top.clone(),
    });
    section.sheet("churn bands", bands);
    section.sheet("top at risk", top);
    section
}

fn unavailable(why: String) -> Section {
    Section::unavailable("churn", TITLE, format!("Churn risk is not shown: {why}."))
}

/// The gains chart of the back-test (the chosen scorer against recency alone and chance), or
/// why there is none.
fn gains_block(backtest: &Backtest, scorer: Scorer) -> Block {
    let curve = |name: &str| {
        backtest
            .metrics
            .iter()
            .find(|m| m.scorer == name)
            .and_then(|m| m.gains.clone())
    };
    let Some(chosen) = curve(scorer.name()) else {
        let why = match backtest.missing.is_empty() {
            true => "the back-test has no score for this scorer".to_string(),
            false => backtest.missing.join("; "),
        };
        return Block::Unavailable(format!("No gains chart: {why}."));
    };
    let x: Vec<f64> = (0..=10).map(|k| f64::from(k) * 10.0).collect();
    let to_pct = |curve: Vec<f64>| curve.iter().map(|g| 100.0 * g).collect::<Vec<f64>>();
    let top_decile = 100.0 * chosen[1];
    let mut series = vec![Series::line(
        &format!("{} score", scorer.name()),
        x.clone(),
        to_pct(chosen),
    )];
    if let Some(recency) = curve("recency only") {
        series.push(Series::line(
            "days since last purchase",
            x.clone(),
            to_pct(recency),
        ));
    }
    series.push(Series::line("random order", x.clone(), x));
    Block::Chart(Chart {
        title: format!(
            "Gains in the back-test: churners found, customers ranked by risk at {}",
            format_day(backtest.cutoff)
        ),
        reading: format!(
            "Contacting the 10 % of customers the {} score ranks riskiest reaches {} of the churners ({:.1}× a random 10 %); {} of {} customers churned.",
            scorer.name(),
            percent(top_decile),
            top_decile / 10.0,
            percent(100.0 * backtest.base_rate),
            thousands(backtest.customers)
        ),
        kind: ChartKind::Lines {
            series,
            x_label: "customers contacted, riskiest first (%)".into(),
            y_label: "churners reached (%)".into(),
            marker: None,
        },
    })
}

/// Customers and value at risk per band.
fn bands_chart(bands: &Table) -> Chart {
    let names = texts(bands, "risk_band");
    let share = numbers(bands, "share_pct");
    let at_risk = numbers(bands, "value_at_risk");
    let total: f64 = at_risk.iter().filter(|v| v.is_finite()).sum();
    let at_risk_pct: Vec<f64> = at_risk
        .iter()
        .map(|v| {
            if total > 0.0 {
                100.0 * v / total
            } else {
                f64::NAN
            }
        })
        .collect();
    let high: f64 = share.iter().take(2).sum();
    let high_value: f64 = at_risk_pct.iter().take(2).filter(|v| v.is_finite()).sum();
    let mut series = vec![Series::bars("customers (%)", share)];
    if total > 0.0 {
        series.push(Series::bars("value at risk (%)", at_risk_pct));
    }
    Chart {
        title: "Customers and value at risk by risk band".into(),
        reading: if total > 0.0 {
            format!(
                "{} of customers are at high or very high risk (0.6 and over), holding {} of the value at risk.",
                percent(high),
                percent(high_value)
            )
        } else {
            format!(
                "{} of customers are at high or very high risk (0.6 and over); no CLV could be computed, so no value at risk.",
                percent(high)
            )
        },
        kind: ChartKind::Bars {
            categories: names,
            series,
            value_label: "share of scored customers / of value at risk (%)".into(),
            category_label: "risk band".into(),
        },
    }
}

/// The columns of the customers at risk a reader needs.
const TOP_COLUMNS: [&str; 9] = [
    "rank",
    "customer_id",
    "churn_risk",
    "risk_band",
    "clv",
    "value_at_risk",
    "reason_1",
    "reason_2",
    "reason_3",
];

/// The columns of `table` named in `names`, in the table's order.
fn columns_of(table: &Table, names: &[&str]) -> Table {
    let mut picked = Table::default();
    for (name, values) in table.names.iter().zip(&table.columns) {
        if names.contains(&name.as_str()) {
            picked = picked.with(name, values.clone());
        }
    }
    picked
}
