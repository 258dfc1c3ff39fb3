//! Customer value: the one fitting path for the purchase model (BG/NBD, Pareto/NBD, MBG/NBD, or
//! the best by BIC) and the Gamma-Gamma spend model, and the valuation
//! CLV = margin × expected spend × discounted expected purchases.
//!
//! `clm clv` and `clm churn` both fit and value through here, so they accept or refuse the same
//! fit (the acceptance rule is [`crate::models::finish_fit`]'s) and value a customer the same
//! way. A refused fit is an error, never a model to use.

use std::fmt;

use rayon::prelude::*;

use crate::features::btyd::{TimeUnit, has_usable_repeat_spend};
use crate::models::gamma_gamma::{self, GammaGammaFit, GammaGammaParams, SpendSummary};
use crate::models::predict::{Btyd, PredictionSettings};
use crate::models::{FitError, FitReport, Triple, bgnbd, mbgnbd, pareto_nbd};
use crate::output::{Log, Table, Values};

/// Which purchase model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseModelChoice {
    /// BG/NBD (Fader, Hardie & Lee 2005).
    BgNbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987).
    ParetoNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007).
    MbgNbd,
    /// All three; the lowest BIC wins.
    Auto,
}

/// The candidates of [`PurchaseModelChoice::Auto`], in the order they are tried and listed.
const AUTO_CANDIDATES: [PurchaseModelChoice; 3] = [
    PurchaseModelChoice::BgNbd,
    PurchaseModelChoice::ParetoNbd,
    PurchaseModelChoice::MbgNbd,
];

/// The printed name of a model given by its short name (`"bgnbd"`, …).
pub fn model_label(name: &str) -> &'static str {
    match name {
        "bgnbd" => "BG/NBD",
        "pareto-nbd" => "Pareto/NBD",
        "mbgnbd" => "MBG/NBD",
        "bgbb" => "BG/BB",
        "gamma-gamma" => "the Gamma-Gamma spend model",
        _ => "model",
    }
}

impl PurchaseModelChoice {
    /// The printed name.
    pub fn label(self) -> &'static str {
        match self {
            PurchaseModelChoice::BgNbd => "BG/NBD",
            PurchaseModelChoice::ParetoNbd => "Pareto/NBD",
            PurchaseModelChoice::MbgNbd => "MBG/NBD",
            PurchaseModelChoice::Auto => "any purchase model",
        }
    }
}

/// A fitted purchase model.
#[derive(Debug, Clone)]
pub struct PurchaseModel {
    /// The parameters, behind the model kind.
    pub btyd: Btyd,
    /// Log-likelihood, standard errors, AIC, BIC, iterations.
    pub report: FitReport,
    /// The comparison table of [`PurchaseModelChoice::Auto`].
    pub selection: Option<Table>,
}

/// A model that could not be fitted: which, and why. Its message reads
/// "cannot fit BG/NBD: the data cannot identify the model: …"; the command adds what to try.
#[derive(Debug, Clone, PartialEq)]
pub struct NotFitted {
    /// The printed name of the model, e.g. "BG/NBD".
    pub model: &'static str,
    /// Why.
    pub error: FitError,
}

impl fmt::Display for NotFitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot fit {}: {}", self.model, self.error)
    }
}

impl std::error::Error for NotFitted {}

/// Fits one model; `fitting` says on a terminal which one while it runs ("fitting
/// Pareto/NBD"), with the likelihood evaluations of a Pareto/NBD fit (seconds on a million
/// customers).
fn fit_one(
    choice: PurchaseModelChoice,
    histories: &[Triple],
    fitting: &str,
    log: &Log,
) -> Result<PurchaseModel, NotFitted> {
    let not_fitted = |error| NotFitted {
        model: choice.label(),
        error,
    };
    let message = format!("{fitting} on {} histories", histories.len());
    let (btyd, report) = match choice {
        PurchaseModelChoice::ParetoNbd => {
            let progress = log.counter(&message, "evaluations");
            let fit = pareto_nbd::fit_observed(histories, &|phase, evaluations| {
                if evaluations == 1 {
                    progress.set_message(&match phase {
                        pareto_nbd::FitPhase::Subsample => format!("{message} (subsample)"),
                        pareto_nbd::FitPhase::FullData => format!("{message} (all)"),
                    });
                }
                progress.set_position(evaluations as u64);
            })
            .map_err(not_fitted)?;
            (Btyd::ParetoNbd(fit.params), fit.report)
        }
        PurchaseModelChoice::MbgNbd => {
            let _spinner = log.spinner(&message);
            let fit = mbgnbd::fit(histories).map_err(not_fitted)?;
            (Btyd::MbgNbd(fit.params), fit.report)
        }
        PurchaseModelChoice::BgNbd | PurchaseModelChoice::Auto => {
            let _spinner = log.spinner(&message);
            let fit = bgnbd::fit(histories).map_err(not_fitted)?;
            (Btyd::BgNbd(fit.params), fit.report)
        }
    };
    Ok(PurchaseModel {
        btyd,
        report,
        selection: None,
    })
}

/// Fits the chosen purchase model on distinct `(x, t_x, T)` histories weighted by their
/// customers (compress them first, [`crate::models::compress_triples`]).
///
/// Customers whose first purchase is on the as-of date (T = 0) say nothing about rates and are
/// left out (with a note). The histories are put in one canonical order first, so that the
/// order a caller happens to hold them in can never decide whether a fit is accepted.
pub fn fit_purchase_model(
    choice: PurchaseModelChoice,
    histories: &[Triple],
    log: &Log,
) -> Result<PurchaseModel, NotFitted> {
    let (mut histories, first_day_today): (Vec<Triple>, Vec<Triple>) =
        histories.iter().partition(|t| t.t_cal > 0.0);
    if !first_day_today.is_empty() {
        log.note(format!(
            "{} customers whose first purchase is on the as-of date left out of the fit (T = 0)",
            first_day_today.iter().map(|t| t.weight).sum::<f64>()
        ));
    }
    histories.sort_unstable_by(|a, b| {
        (a.t_cal.total_cmp(&b.t_cal))
            .then(a.t_x.total_cmp(&b.t_x))
            .then(a.x.total_cmp(&b.x))
            .then(a.weight.total_cmp(&b.weight))
    });
    if choice != PurchaseModelChoice::Auto {
        return fit_one(
            choice,
            &histories,
            &format!("fitting {}", choice.label()),
            log,
        );
    }
    let mut fits = Vec::new();
    let mut last_error = None;
    for (i, candidate) in AUTO_CANDIDATES.into_iter().enumerate() {
        let fitting = format!(
            "--model auto {}/{}: fitting {}",
            i + 1,
            AUTO_CANDIDATES.len(),
            candidate.label()
        );
        match fit_one(candidate, &histories, &fitting, log) {
            Ok(fit) => fits.push(fit),
            Err(e) => {
                log.note(format!("--model auto: {e}"));
                last_error = Some(e.error);
            }
        }
    }
    let Some(best) =
        (0..fits.len()).min_by(|&i, &j| fits[i].report.bic.total_cmp(&fits[j].report.bic))
    else {
        return Err(NotFitted {
            model: PurchaseModelChoice::Auto.label(),
            error: last_error.unwrap_or(FitError::EmptyInput),
        });
    };
    let selection = selection_table(&fits, best);
    let mut chosen = fits.swap_remove(best);
    chosen.selection = Some(selection);
    Ok(chosen)
}

/// The `--model auto` comparison: one row per fitted model, the chosen one marked.
fn selection_table(fits: &[PurchaseModel], best: usize) -> Table {
    let column = |get: fn(&FitReport) -> f64| fits.iter().map(|f| get(&f.report)).collect();
    Table::default()
        .with(
            "model",
            Values::Text(
                fits.iter()
                    .map(|f| model_label(f.btyd.name()).to_string())
                    .collect(),
            ),
        )
        .with(
            "log_likelihood",
            Values::Float(column(|r| r.log_likelihood), 2),
        )
        .with("aic", Values::Float(column(|r| r.aic), 2))
        .with("bic", Values::Float(column(|r| r.bic), 2))
        .with(
            "chosen",
            Values::Text(
                (0..fits.len())
                    .map(|i| if i == best { "lowest BIC" } else { "" }.to_string())
                    .collect(),
            ),
        )
}

/// Fits Gamma-Gamma on the repeat buyers whose mean repeat spend is usable
/// ([`has_usable_repeat_spend`]); `repeat_purchases[i]` and `mean_repeat_spend[i]` are customer
/// `i`'s.
pub fn fit_spend(
    repeat_purchases: &[u32],
    mean_repeat_spend: &[f64],
) -> Result<GammaGammaFit, NotFitted> {
    let buyers: Vec<SpendSummary> = repeat_purchases
        .iter()
        .zip(mean_repeat_spend)
        .filter(|&(&x, &m)| has_usable_repeat_spend(x, m))
        .map(|(&x, &m)| SpendSummary {
            x: f64::from(x),
            mean_spend: m,
            weight: 1.0,
        })
        .collect();
    let not_fitted = |error| NotFitted {
        model: model_label("gamma-gamma"),
        error,
    };
    if buyers.is_empty() {
        return Err(not_fitted(FitError::NotIdentified(
            "no repeat buyer with a positive mean repeat spend".to_string(),
        )));
    }
    gamma_gamma::fit(&buyers).map_err(not_fitted)
}

/// Horizon, discounting and margin of a valuation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valuation {
    /// The time unit of the model, the horizon and the discounting.
    pub unit: TimeUnit,
    /// Prediction horizon in `unit`.
    pub horizon: f64,
    /// Discount rate per year (0.10 = 10 %).
    pub annual_discount: f64,
    /// Margin applied to expected spend.
    pub margin: f64,
}

/// The longest horizon clm values over: 100 years. Beyond it a "lifetime" value says nothing
/// and the prediction would cost time for nothing.
pub const MAX_HORIZON_DAYS: f64 = 36_525.0;

/// Discounting steps: one a week up to this many (ten years), then this many equal steps, so
/// that a valuation costs the same for any horizon.
pub const MAX_DISCOUNT_STEPS: usize = 520;

impl Valuation {
    /// The discount rate per time unit.
    pub fn discount_rate(&self) -> f64 {
        self.unit.rate_from_annual(self.annual_discount)
    }

    /// Prediction settings: purchases of each week of the horizon (of each of
    /// [`MAX_DISCOUNT_STEPS`] equal steps on horizons over ten years) discounted to its end.
    pub fn prediction_settings(&self) -> PredictionSettings {
        let weeks = self.horizon * self.unit.days() / 7.0;
        PredictionSettings {
            horizon: self.horizon,
            discount_rate: self.discount_rate(),
            steps: discount_steps(weeks),
        }
    }
}

/// Weekly steps, at least one, at most [`MAX_DISCOUNT_STEPS`].
fn discount_steps(weeks: f64) -> usize {
    if !(weeks.is_finite() && weeks > 1.0) {
        return 1;
    }
    (weeks.ceil() as usize).min(MAX_DISCOUNT_STEPS)
}

/// Each customer's predictions, expected spend and CLV, as the columns they are written in.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerValues {
    /// P(alive).
    pub p_alive: Vec<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Vec<f64>,
    /// Gamma-Gamma expected spend per purchase (the population mean for customers without a
    /// usable repeat spend).
    pub expected_spend: Vec<f64>,
    /// margin × expected spend × discounted expected purchases.
    pub clv: Vec<f64>,
}

/// Values customers: `histories` are the distinct `(x, t_x, T)` histories and `history_of[i]`
/// customer `i`'s position among them ([`crate::models::compress_triples_indexed`]);
/// `repeat_purchases[i]` and `mean_repeat_spend[i]` are customer `i`'s spend history.
///
/// Customers without a usable repeat spend are valued at the spend model's population mean,
/// or, where Gamma-Gamma has none (q <= 1), at the observed mean of the usable repeat spends
/// (with a note).
pub fn customer_values(
    model: &Btyd,
    spend: &GammaGammaParams,
    (histories, history_of): (&[Triple], &[u32]),
    (repeat_purchases, mean_repeat_spend): (&[u32], &[f64]),
    valuation: &Valuation,
    log: &Log,
) -> CustomerValues {
    // Predicted once per distinct history, then read by each customer's position.
    let per_history = model.predict_distinct(histories, &valuation.prediction_settings());
    let usable = |i: usize| has_usable_repeat_spend(repeat_purchases[i], mean_repeat_spend[i]);
    let customers = repeat_purchases.len();
    let mut population_spend = spend.population_mean_spend();
    if !population_spend.is_finite() {
        let (sum, count) = (0..customers)
            .filter(|&i| usable(i))
            .fold((0.0, 0usize), |(s, c), i| (s + mean_repeat_spend[i], c + 1));
        population_spend = sum / count.max(1) as f64;
        log.note(format!(
            "Gamma-Gamma q <= 1 gives no finite population mean spend: customers without a usable repeat spend are valued at the observed mean {population_spend:.2}"
        ));
    }
    // Customer by customer on the thread pool, in one pass that writes the four columns in
    // place: each value depends on its own customer only.
    let mut values = CustomerValues {
        p_alive: vec![0.0; customers],
        expected_purchases: vec![0.0; customers],
        expected_spend: vec![0.0; customers],
        clv: vec![0.0; customers],
    };
    let columns = (
        values.p_alive.par_iter_mut(),
        values.expected_purchases.par_iter_mut(),
        values.expected_spend.par_iter_mut(),
        values.clv.par_iter_mut(),
    );
    columns.into_par_iter().enumerate().for_each(
        |(i, (p_alive, expected_purchases, expected_spend, clv))| {
            let prediction = &per_history[history_of[i] as usize];
            *p_alive = prediction.p_alive;
            *expected_purchases = prediction.expected_purchases;
            *expected_spend = if usable(i) {
                spend.conditional_expected_spend(
                    f64::from(repeat_purchases[i]),
                    mean_repeat_spend[i],
                )
            } else {
                population_spend
            };
            *clv = valuation.margin * *expected_spend * prediction.discounted_purchases;
        },
    );
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bgnbd::tests::cdnow_triples;
    use crate::models::compress_triples;

    const QUIET: Log = Log { quiet: true };

    #[test]
    fn the_order_of_the_histories_never_decides_the_fit() {
        let histories = compress_triples(&cdnow_triples());
        let mut reversed = histories.clone();
        reversed.reverse();
        let mut interleaved: Vec<Triple> = histories.iter().step_by(2).copied().collect();
        interleaved.extend(histories.iter().skip(1).step_by(2));
        let fit = |h: &[Triple]| fit_purchase_model(PurchaseModelChoice::BgNbd, h, &QUIET);
        let first = fit(&histories).expect("BG/NBD fits CDNOW");
        for other in [&reversed, &interleaved] {
            let again = fit(other).expect("BG/NBD fits CDNOW");
            assert_eq!(first.btyd, again.btyd);
            assert_eq!(first.report, again.report);
        }
    }

    #[test]
    fn first_day_customers_are_left_out_of_the_fit() {
        let mut histories = compress_triples(&cdnow_triples());
        let fitted = fit_purchase_model(PurchaseModelChoice::BgNbd, &histories, &QUIET).unwrap();
        histories.push(Triple {
            weight: 50.0,
            ..Triple::new(0.0, 0.0, 0.0)
        });
        let with_today =
            fit_purchase_model(PurchaseModelChoice::BgNbd, &histories, &QUIET).unwrap();
        assert_eq!(fitted.btyd, with_today.btyd);
    }

    #[test]
    fn auto_keeps_the_lowest_bic_and_lists_the_candidates() {
        let histories = compress_triples(&cdnow_triples());
        let chosen = fit_purchase_model(PurchaseModelChoice::Auto, &histories, &QUIET).unwrap();
        let selection = chosen.selection.expect("a comparison table");
        assert_eq!(selection.height(), 3);
        for candidate in AUTO_CANDIDATES {
            let fit = fit_purchase_model(candidate, &histories, &QUIET).unwrap();
            assert!(chosen.report.bic <= fit.report.bic, "{:?}", candidate);
        }
    }

    #[test]
    fn a_spend_model_without_usable_spends_is_refused() {
        let refused = fit_spend(&[0, 2, 3], &[f64::NAN, -5.0, 0.0]).unwrap_err();
        assert_eq!(refused.model, "the Gamma-Gamma spend model");
        assert!(matches!(refused.error, FitError::NotIdentified(_)));
    }

    #[test]
    fn discounting_is_weekly_up_to_ten_years_then_a_fixed_number_of_steps() {
        assert_eq!(discount_steps(0.5), 1);
        assert_eq!(discount_steps(52.0), 52);
        assert_eq!(discount_steps(52.1), 53);
        assert_eq!(discount_steps(520.0), MAX_DISCOUNT_STEPS);
        assert_eq!(discount_steps(5217.0), MAX_DISCOUNT_STEPS);
        let days = Valuation {
            unit: TimeUnit::Day,
            horizon: 365.0,
            annual_discount: 0.1,
            margin: 1.0,
        };
        assert_eq!(days.prediction_settings().steps, 53);
    }

    /// CLV = margin × expected spend × discounted purchases; customers without a usable repeat
    /// spend get the population mean spend; a longer horizon is worth more.
    #[test]
    fn customers_are_valued_with_the_population_mean_where_spend_is_unusable() {
        let model = Btyd::BgNbd(crate::models::bgnbd::BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        });
        let spend = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let customers = [
            Triple::new(0.0, 0.0, 30.0),
            Triple::new(3.0, 20.0, 30.0),
            Triple::new(2.0, 25.0, 30.0),
        ];
        let (histories, history_of) = crate::models::compress_triples_indexed(&customers);
        let repeat_purchases = [0, 3, 2];
        let mean_repeat_spend = [f64::NAN, 40.0, -3.0];
        let value = |horizon: f64| {
            let valuation = Valuation {
                unit: TimeUnit::Week,
                horizon,
                annual_discount: 0.1,
                margin: 0.5,
            };
            customer_values(
                &model,
                &spend,
                (&histories, &history_of),
                (&repeat_purchases, &mean_repeat_spend),
                &valuation,
                &QUIET,
            )
        };
        let year = value(52.0);
        let population = spend.population_mean_spend();
        assert_eq!(year.expected_spend[0], population);
        assert_eq!(year.expected_spend[2], population);
        assert_eq!(
            year.expected_spend[1],
            spend.conditional_expected_spend(3.0, 40.0)
        );
        let settings = Valuation {
            unit: TimeUnit::Week,
            horizon: 52.0,
            annual_discount: 0.1,
            margin: 0.5,
        }
        .prediction_settings();
        for (i, customer) in customers.iter().enumerate() {
            let discounted = model.discounted_expected_purchases(customer, &settings);
            // P(alive) and expected purchases come from the same history's prediction.
            assert_eq!(year.p_alive[i], model.p_alive(customer));
            let expected = 0.5 * year.expected_spend[i] * discounted;
            assert!((year.clv[i] - expected).abs() < 1e-12);
        }
        let century = value(5217.0);
        for i in 0..3 {
            assert!(century.clv[i] > year.clv[i] && century.clv[i].is_finite());
        }
    }
}
