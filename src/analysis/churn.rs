//! The churn analysis: customer windows at a cut-off, the supervised model's training, the two
//! scorers' probabilities, the back-test that checks them on the latest fully observed horizon,
//! and the rules that decide which scores can be trusted. `commands/churn.rs` is the recipe that
//! reads the export, calls these and writes the list.

use std::borrow::Cow;

use anyhow::Result;
use rayon::prelude::*;

use crate::analysis::value::{self, PurchaseModel, PurchaseModelChoice};
use crate::data::customer_inputs::CustomerInputs;
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;
use crate::features::churn::{
    CustomerWindows, CutoffFeatures, INPUT_NAMES, RISING_WITH_RECENCY, model_inputs,
};
use crate::models::bgnbd::BgNbdParams;
use crate::models::evaluation::{brier, ranking};
use crate::models::logistic::{self, FitFailure, LogisticModel, Rows};
use crate::models::no_purchase::bgnbd_no_purchase;
use crate::models::predict::Btyd;
use crate::models::{Triple, compress_triples};
use crate::output::{Log, Stopwatch, counted, format_day};

/// A scorer that produced probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scorer {
    Btyd,
    Supervised,
    Ensemble,
}

impl Scorer {
    pub fn name(self) -> &'static str {
        match self {
            Scorer::Btyd => "btyd",
            Scorer::Supervised => "supervised",
            Scorer::Ensemble => "ensemble",
        }
    }
}

/// The supervised model needs at least this many churners and as many repeat buyers in its
/// training window; with fewer it is not trained and the BTYD score is used.
pub const MIN_PER_CLASS: usize = 30;

/// L2 penalty of the logistic regression (on standardised inputs).
pub const PENALTY: f64 = 1.0;

/// The supervised model learns from at most this many labelled customers, evenly spaced in id
/// order when there are more: a dozen coefficients are pinned down long before that, and
/// training time stays flat for millions of customers.
pub const MAX_TRAINING_CUSTOMERS: usize = 500_000;

/// A back-test AUC below this is reported as close to chance.
pub const CHANCE_AUC: f64 = 0.55;

/// The customers who had bought by a cut-off, their features, and (when labelled) whether they
/// churned in the horizon after it.
pub struct Window {
    pub cutoff: i32,
    pub customers: Vec<usize>,
    pub features: Vec<CutoffFeatures>,
    pub churned: Vec<bool>,
}

impl Window {
    pub fn churners(&self) -> usize {
        self.churned.iter().filter(|&&c| c).count()
    }
}

/// What every step shares: the histories, the extra inputs, the horizon in days.
pub struct Context<'a> {
    pub histories: &'a dyn CustomerWindows,
    pub extra: Option<&'a CustomerInputs>,
    pub horizon: i32,
}

/// A trained supervised model, or why there is none.
pub type Trained = std::result::Result<LogisticModel, String>;

/// Each scorer's probabilities for one window.
pub struct Scores {
    /// The BG/NBD fit, or why there is none.
    pub btyd_params: std::result::Result<BgNbdParams, String>,
    pub btyd: Vec<f64>,
    /// NaN when there is no supervised model.
    pub supervised: Vec<f64>,
    pub model: Option<LogisticModel>,
}

impl Scores {
    /// The model whose terms explain a customer's score (reason codes): the supervised model,
    /// unless the scores shown are the BG/NBD ones alone.
    pub fn reason_model(&self, scorer: Scorer) -> Option<&LogisticModel> {
        self.model.as_ref().filter(|_| scorer != Scorer::Btyd)
    }
}

/// One scorer's back-test figures.
pub struct Metrics {
    pub scorer: &'static str,
    pub auc: Option<f64>,
    pub lift: Option<f64>,
    pub capture: Option<f64>,
    pub brier: Option<f64>,
    /// Share of churners found in the riskiest 0 %, 10 %, …, 100 % of customers.
    pub gains: Option<Vec<f64>>,
}

/// The back-test: models as of `cutoff − h` (supervised) or `cutoff` (btyd), scored at
/// `cutoff`, against churn in `(cutoff, cutoff + h]`.
pub struct Backtest {
    pub cutoff: i32,
    pub customers: usize,
    pub base_rate: f64,
    pub metrics: Vec<Metrics>,
    /// Why there is no back-test, or why a scorer has no row in it.
    pub missing: Vec<String>,
}

impl Backtest {
    /// The back-test AUC of a scorer, if it has one.
    pub fn auc_of(&self, scorer: &str) -> Option<f64> {
        self.metrics.iter().find(|m| m.scorer == scorer)?.auc
    }
}

impl Context<'_> {
    pub fn window(&self, cutoff: i32, labelled: bool) -> Window {
        let customers = self.histories.customer_ids().len();
        let rows: Vec<(usize, CutoffFeatures, bool)> = (0..customers)
            .into_par_iter()
            .filter_map(|i| {
                let features = self.histories.features_at(i, cutoff)?;
                let churned = labelled && self.histories.churned(i, cutoff, self.horizon);
                Some((i, features, churned))
            })
            .collect();
        let mut window = Window {
            cutoff,
            customers: Vec::with_capacity(rows.len()),
            features: Vec::with_capacity(rows.len()),
            churned: Vec::with_capacity(if labelled { rows.len() } else { 0 }),
        };
        for (i, features, churned) in rows {
            window.customers.push(i);
            window.features.push(features);
            if labelled {
                window.churned.push(churned);
            }
        }
        window
    }

    pub fn input_count(&self) -> usize {
        INPUT_NAMES.len() + self.extra.map_or(0, |e| e.names.len())
    }

    /// Appends the supervised model's inputs for the window's customer at position `i`.
    pub fn push_inputs(&self, window: &Window, i: usize, out: &mut Vec<f64>) {
        out.extend(model_inputs(&window.features[i]));
        if let Some(extra) = self.extra {
            out.extend(extra.row(window.customers[i]));
        }
    }

    /// Each model input's median over the window's customers.
    pub fn typical_inputs(&self, window: &Window) -> Vec<f64> {
        let columns = self.input_count();
        let mut values = Vec::with_capacity(window.customers.len() * columns);
        for i in 0..window.customers.len() {
            self.push_inputs(window, i, &mut values);
        }
        (0..columns)
            .into_par_iter()
            .map(|j| median(values.iter().skip(j).step_by(columns).copied()))
            .collect()
    }

    /// Trains the supervised model on a labelled window: features at its cut-off and churn in
    /// the horizon after it.
    pub fn train_on(&self, window: &Window) -> Trained {
        let cutoff = window.cutoff;
        let churners = window.churners();
        let stayers = window.customers.len() - churners;
        if churners < MIN_PER_CLASS || stayers < MIN_PER_CLASS {
            return Err(format!(
                "at the training cut-off {} there are {} and {}; it needs {MIN_PER_CLASS} of each",
                format_day(cutoff),
                counted(churners, "churner"),
                counted(stayers, "repeat buyer")
            ));
        }
        let step = window.customers.len().div_ceil(MAX_TRAINING_CUSTOMERS);
        let sample: Vec<usize> = (0..window.customers.len()).step_by(step).collect();
        let mut values = Vec::with_capacity(sample.len() * self.input_count());
        for &i in &sample {
            self.push_inputs(window, i, &mut values);
        }
        let labels: Vec<bool> = sample.iter().map(|&i| window.churned[i]).collect();
        let rows = Rows {
            values: &values,
            columns: self.input_count(),
        };
        logistic::fit_constrained(rows, &labels, PENALTY, &RISING_WITH_RECENCY).map_err(|failure| {
            match failure {
                FitFailure::Unfittable => "the training window has a single outcome",
                FitFailure::NotConverged => "the logistic regression did not converge",
            }
            .to_string()
        })
    }

    /// BTYD and supervised probabilities of churn for a window's customers.
    pub fn score(
        &self,
        window: &Window,
        model: Option<&LogisticModel>,
        log: &Log,
    ) -> Result<Scores> {
        let mut timer = Stopwatch::start("churn score");
        let h_weeks = f64::from(self.horizon) / TimeUnit::Week.days();
        let btyd_params = fit_btyd(window);
        if let Err(reason) = &btyd_params {
            log.note(reason);
        }
        timer.lap("BG/NBD fit");
        let btyd = match &btyd_params {
            Ok(params) => window
                .features
                .par_iter()
                .map(|f| bgnbd_no_purchase(params, &triple_in_weeks(f), h_weeks))
                .collect(),
            Err(_) => vec![f64::NAN; window.customers.len()],
        };
        let supervised = match model {
            Some(model) => (0..window.customers.len())
                .into_par_iter()
                .map_init(Vec::new, |row, i| {
                    row.clear();
                    self.push_inputs(window, i, row);
                    model.probability(row)
                })
                .collect(),
            None => vec![f64::NAN; window.customers.len()],
        };
        timer.lap("probabilities");
        Ok(Scores {
            btyd_params,
            btyd,
            supervised,
            model: model.cloned(),
        })
    }

    /// The back-test on `evaluation`, then the model trained for the as-of date (on
    /// `evaluation` itself when its cut-off is one horizon before `as_of`, as with the default
    /// as-of date), then the as-of window to score.
    ///
    /// One after the other on purpose: the model fits add up their terms on the thread pool, and
    /// how rayon splits that work depends on what else runs, so fits run beside other work can
    /// differ in the last bits and reorder near-ties in the customer list.
    pub fn backtest_and_training(
        &self,
        evaluation: &Window,
        as_of: i32,
    ) -> (Backtest, Trained, Window) {
        let backtest = self.backtest(evaluation);
        let trained = if evaluation.cutoff == as_of - self.horizon {
            self.train_on(evaluation)
        } else {
            self.train_on(&self.window(as_of - self.horizon, true))
        };
        let scoring = self.window(as_of, false);
        (backtest, trained, scoring)
    }

    /// Back-test on a labelled window (the latest whose horizon the data covers).
    pub fn backtest(&self, evaluation: &Window) -> Backtest {
        let cutoff = evaluation.cutoff;
        let mut backtest = Backtest {
            cutoff,
            customers: 0,
            base_rate: f64::NAN,
            metrics: Vec::new(),
            missing: Vec::new(),
        };
        let churners = evaluation.churners();
        backtest.customers = evaluation.customers.len();
        if churners == 0 || churners == evaluation.customers.len() {
            backtest.missing.push(format!(
                "no back-test: at {} the data has {}, {churners} of them churned in the following {}; both outcomes are needed",
                format_day(cutoff),
                counted(evaluation.customers.len(), "customer"),
                counted(self.horizon, "day")
            ));
            return backtest;
        }
        backtest.base_rate = churners as f64 / evaluation.customers.len() as f64;
        let mut timer = Stopwatch::start("churn back-test");
        let progress = crate::output::Progress::bar("back-test: training window", 4, "steps");
        let training = self.window(cutoff - self.horizon, true);
        timer.lap("training window");
        progress.inc(1);
        progress.set_message("back-test: training");
        let trained = self.train_on(&training);
        drop(training);
        timer.lap("training");
        progress.inc(1);
        progress.set_message("back-test: scoring");
        let quiet = Log { quiet: true };
        let Ok(scores) = self.score(evaluation, trained.as_ref().ok(), &quiet) else {
            return backtest;
        };
        timer.lap("scoring");
        progress.inc(1);
        progress.set_message("back-test: measuring");
        let labels = &evaluation.churned;
        // (scorer, probabilities, calibrated): measured side by side, listed in this order.
        let mut measured: Vec<(&'static str, Cow<[f64]>, bool)> = Vec::new();
        match &scores.btyd_params {
            Ok(_) => measured.push(("btyd", Cow::Borrowed(&scores.btyd), true)),
            Err(reason) => backtest
                .missing
                .push(format!("no btyd back-test: {reason}")),
        }
        match &trained {
            Ok(_) => {
                measured.push(("supervised", Cow::Borrowed(&scores.supervised), true));
                if scores.btyd_params.is_ok() {
                    let ensemble = mean_of(&scores.btyd, &scores.supervised);
                    measured.push(("ensemble", Cow::Owned(ensemble), true));
                }
            }
            Err(reason) => backtest
                .missing
                .push(format!("no supervised back-test: {reason}")),
        }
        let recency: Vec<f64> = evaluation
            .features
            .iter()
            .map(|f| f64::from(f.recency_days))
            .collect();
        measured.push(("recency only", Cow::Owned(recency), false));
        backtest.metrics = measured
            .par_iter()
            .map(|(scorer, probabilities, calibrated)| {
                let ranking = ranking(probabilities, labels);
                Metrics {
                    scorer,
                    auc: ranking.auc,
                    lift: ranking.top_decile.map(|d| d.lift),
                    capture: ranking.top_decile.map(|d| d.capture),
                    brier: calibrated.then(|| brier(probabilities, labels)),
                    gains: ranking.gains,
                }
            })
            .collect();
        timer.lap("metrics");
        backtest
    }
}

/// The back-test's evaluation cut-off: the as-of date, or the latest cut-off whose horizon the
/// data covers (`last_day − horizon`) when that is earlier.
pub fn evaluation_cutoff(as_of: i32, last_day: i32, horizon: i32) -> i32 {
    as_of.min(last_day - horizon)
}

/// Every cut-off churn reads, latest first: the as-of date and the training cut-off one
/// horizon earlier; the back-test's evaluation cut-off, the end of its horizon and its training
/// cut-off. With the as-of date at the last day that is as-of, as-of − h and as-of − 2h.
pub fn cutoffs_read(as_of: i32, last_day: i32, horizon: i32) -> Vec<i32> {
    let evaluation = evaluation_cutoff(as_of, last_day, horizon);
    let mut cutoffs = vec![
        as_of,
        as_of - horizon,
        evaluation + horizon,
        evaluation,
        evaluation - horizon,
    ];
    cutoffs.sort_unstable_by(|a, b| b.cmp(a));
    cutoffs.dedup();
    cutoffs
}

pub fn triple_in_weeks(f: &CutoffFeatures) -> Triple {
    let t = f.triple_in_days();
    let week = TimeUnit::Week.days();
    Triple::new(t.x, t.t_x / week, t.t_cal / week)
}

/// BG/NBD fitted on the window's customers in weeks, through the fitting path `clm clv` uses
/// (customers with T = 0 left out), or why that path refused it: no btyd scores and no CLV then.
pub fn fit_btyd(window: &Window) -> std::result::Result<BgNbdParams, String> {
    let triples: Vec<Triple> = window.features.iter().map(triple_in_weeks).collect();
    let quiet = Log { quiet: true };
    match value::fit_purchase_model(
        PurchaseModelChoice::BgNbd,
        &compress_triples(&triples),
        &quiet,
    ) {
        Ok(PurchaseModel {
            btyd: Btyd::BgNbd(params),
            ..
        }) => Ok(params),
        Ok(_) => Err("the fitting path returned another model than BG/NBD".to_string()),
        Err(error) => Err(format!(
            "as of {}, {error}: no btyd scores and no CLV",
            format_day(window.cutoff)
        )),
    }
}

pub fn mean_of(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| (x + y) / 2.0).collect()
}

/// The scorer to use and why.
pub fn choose_scorer(
    requested: Option<Scorer>,
    backtest: &Backtest,
    trained: &Trained,
) -> (Scorer, String) {
    if trained.is_err() {
        let why = match requested {
            Some(Scorer::Btyd) => "as asked",
            Some(_) => "asked for a supervised score, but there is too little labelled history",
            None => "too little labelled history for the supervised model",
        };
        return (Scorer::Btyd, why.to_string());
    }
    if let Some(scorer) = requested {
        return (scorer, "as asked".to_string());
    }
    let best = [Scorer::Btyd, Scorer::Supervised, Scorer::Ensemble]
        .into_iter()
        .filter_map(|s| {
            let m = backtest.metrics.iter().find(|m| m.scorer == s.name())?;
            Some((s, m.auc?))
        })
        .fold(None, |best: Option<(Scorer, f64)>, (s, auc)| match best {
            Some((_, top)) if top >= auc => best,
            _ => Some((s, auc)),
        });
    match best {
        Some((scorer, auc)) => (scorer, format!("best back-test AUC, {auc:.3}")),
        None => (Scorer::Btyd, "no back-test to choose by".to_string()),
    }
}

/// The chosen scorer if it produced usable scores, else the other one, with a warning; an
/// error when neither did. The supervised scores are unusable when degenerate (see
/// [`degenerate`]): a model that saturates cannot rank anybody.
pub fn usable_scorer(
    (chosen, why): (Scorer, String),
    scores: &Scores,
    trained: &Trained,
    source: &str,
    cutoff: i32,
    log: &Log,
) -> Result<(Scorer, String)> {
    let degenerate = scores
        .model
        .as_ref()
        .and_then(|_| degenerate(&scores.supervised));
    let btyd_ok = scores.btyd_params.is_ok();
    let supervised_ok = scores.model.is_some() && degenerate.is_none();
    let usable = |s: Scorer| match s {
        Scorer::Btyd => btyd_ok,
        Scorer::Supervised => supervised_ok,
        Scorer::Ensemble => btyd_ok && supervised_ok,
    };
    if usable(chosen) {
        return Ok((chosen, why));
    }
    let problem = match (&degenerate, &scores.btyd_params) {
        (Some(problem), _) if chosen != Scorer::Btyd => {
            format!("the supervised scores are degenerate ({problem})")
        }
        (_, Err(reason)) => reason.clone(),
        _ => "the supervised model is not trained".to_string(),
    };
    let fallback = [Scorer::Btyd, Scorer::Supervised]
        .into_iter()
        .find(|&s| usable(s));
    let Some(fallback) = fallback else {
        let mut reasons = vec![match &scores.btyd_params {
            Err(reason) => reason.clone(),
            Ok(_) => "BG/NBD was fitted".to_string(),
        }];
        reasons.push(match (trained, &degenerate) {
            (Err(reason), _) => format!("supervised model not trained: {reason}"),
            (Ok(_), Some(problem)) => format!("supervised scores degenerate: {problem}"),
            (Ok(_), None) => "supervised model trained".to_string(),
        });
        return Err(ClmError::BadData(format!(
            "{source}: no churn score can be computed at {}: {}",
            format_day(cutoff),
            reasons.join("; ")
        ))
        .into());
    };
    log.warn(format!(
        "{} cannot score: {problem}; using {} instead",
        chosen.name(),
        fallback.name()
    ));
    Ok((fallback, format!("{} unusable: {problem}", chosen.name())))
}

/// Why probabilities cannot rank customers, if they cannot: most of them pinned at 0 or 1, or
/// all (nearly) equal. `None` for usable scores.
pub fn degenerate(risk: &[f64]) -> Option<String> {
    const PINNED: f64 = 1e-4;
    let finite: Vec<f64> = risk.iter().copied().filter(|r| r.is_finite()).collect();
    if finite.is_empty() {
        return Some("no finite score".to_string());
    }
    let pinned = finite
        .iter()
        .filter(|&&r| !(PINNED..=1.0 - PINNED).contains(&r))
        .count();
    if 2 * pinned > finite.len() {
        return Some(format!(
            "{:.0} % of customers scored at 0 or 1",
            100.0 * pinned as f64 / finite.len() as f64
        ));
    }
    let (low, high) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &r| {
            (l.min(r), h.max(r))
        });
    (finite.len() > 1 && high - low < 1e-3)
        .then(|| format!("every customer scored between {low:.4} and {high:.4}"))
}

/// A warning when the scorer's back-test does not show it ranks better than chance or than
/// recency alone; `None` when it does.
pub fn chance_warning(scorer: Scorer, backtest: &Backtest) -> Option<String> {
    let name = scorer.name();
    let Some(auc) = backtest.auc_of(name) else {
        return Some(format!(
            "the {name} scores have no back-test AUC, so how well they rank is unknown"
        ));
    };
    let recency = backtest.auc_of("recency only");
    if auc < CHANCE_AUC {
        return Some(format!(
            "the {name} scores rank little better than chance: back-test AUC {auc:.3} (0.5 is a coin toss)"
        ));
    }
    match recency {
        Some(recency) if auc <= recency => Some(format!(
            "the {name} scores do not rank better than days since the last purchase: back-test AUC {auc:.3}, recency only {recency:.3}"
        )),
        _ => None,
    }
}

/// The middle value (the upper one of an even count); NaN when there is none.
pub fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::churn::Histories;
    use crate::models::simulate::{SimulationSettings, customer_id, simulate_transactions};

    /// Simulated customers' histories (BG/NBD with the default parameters).
    fn simulated_histories() -> (Histories, i32) {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let settings = SimulationSettings::new(3000, start, 730, 17);
        let simulation = simulate_transactions(&settings).unwrap();
        let tx = &simulation.transactions;
        let ids: Vec<String> = tx
            .customer
            .iter()
            .map(|&c| customer_id(c, settings.customer_count))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let histories = Histories::from_rows(&ids, &tx.day, &tx.amount, &vec![false; tx.len()]);
        (histories, 729)
    }

    /// The property the issue asks for: over simulated customers, a longer silence with all
    /// else equal never lowers the supervised risk (and so the ensemble's), and a later cut-off
    /// with no new purchase never lowers the BTYD risk.
    #[test]
    fn churn_risk_never_decreases_when_only_recency_grows() {
        let (histories, last_day) = simulated_histories();
        let context = Context {
            histories: &histories,
            extra: None,
            horizon: 90,
        };
        let model = context
            .train_on(&context.window(last_day - 90, true))
            .expect("trained");
        let scoring = context.window(last_day, false);
        let params = fit_btyd(&scoring).expect("BG/NBD fitted");
        let h_weeks = 90.0 / TimeUnit::Week.days();
        let mut checked = 0;
        for features in &scoring.features {
            let supervised = |f: &CutoffFeatures| model.probability(&model_inputs(f));
            let btyd =
                |f: &CutoffFeatures| bgnbd_no_purchase(&params, &triple_in_weeks(f), h_weeks);
            for extra_days in [1, 7, 30, 90, 365, 3650] {
                let silent = CutoffFeatures {
                    recency_days: features.recency_days + extra_days,
                    ..*features
                };
                assert!(
                    supervised(&silent) >= supervised(features),
                    "{features:?} + {extra_days} days"
                );
                let later = CutoffFeatures {
                    tenure_days: features.tenure_days + extra_days,
                    ..silent
                };
                assert!(
                    btyd(&later) >= btyd(features) - 1e-12,
                    "{features:?} + {extra_days} days"
                );
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn degenerate_scores_are_named() {
        assert!(degenerate(&[0.2, 0.5, 0.9]).is_none());
        assert!(
            degenerate(&[1.0, 1.0, 0.99999, 0.4])
                .unwrap()
                .contains("75 %")
        );
        assert!(degenerate(&[0.3, 0.3004, 0.3]).unwrap().contains("between"));
    }
}
