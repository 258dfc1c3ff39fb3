//! Buy-till-you-die (BTYD) customer-lifetime-value models: the numeric core.
//!
//! Plain `f64` code over slices and small structs, free of I/O and data frames.
//! Every model is fitted by maximum likelihood on *unique* customer summaries
//! weighted by how many customers share them ([`compress_triples`]), with
//! parameters optimised in log space ([`optimize`]).
//!
//! * [`bgnbd`]: BG/NBD, Fader, Hardie & Lee (2005a), "Counting your customers the easy way".
//! * [`pareto_nbd`]: Pareto/NBD, Schmittlein, Morrison & Colombo (1987).
//! * [`mbgnbd`]: MBG/NBD, Batislam, Denizel & Filiztekin (2007).
//! * [`gamma_gamma`]: Gamma-Gamma spend, Fader, Hardie & Lee (2005b), "RFM and CLV".
//! * [`bgbb`]: BG/BB for discrete opportunities, Fader, Hardie & Shang (2010).
//! * [`predict`]: the [`predict::Btyd`] enum and batch predictions per customer.
//!
//! Time is in one unit throughout (whatever the caller used to compute `t_x`
//! and `T`): rates such as `alpha` are per that unit, horizons and discount
//! rates must be given in it too.

pub mod bgbb;
pub mod bgnbd;
pub mod evaluation;
pub mod gamma_gamma;
pub mod kaplan_meier;
pub mod logistic;
pub mod mbgnbd;
pub mod no_purchase;
pub mod optimize;
pub mod pareto_nbd;
pub mod predict;
pub mod saved;
pub mod sbg;
pub mod simulate;
pub mod simulate_survey;
pub mod special;

#[cfg(test)]
mod test_data;

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

use rayon::prelude::*;

/// `HashMap` with foldhash's fast hasher and a fixed seed, for grouping by `f64` bit patterns:
/// SipHash dominated the run time of compressing a million customers, and a plain
/// multiply-rotate hash (FxHash) put whole numbers such as `37.0`, whose low mantissa bits are
/// all zero, under one hashbrown tag, slowing every lookup. The fixed seed keeps runs repeatable.
pub(crate) type FastHashMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// One customer's (or a group of identical customers') calibration summary.
///
/// `x` = number of repeat transactions, `t_x` = time of the last transaction
/// measured from the first one, `t_cal` = `T` = time from the first
/// transaction to the end of calibration; `weight` = number of customers
/// sharing exactly this summary (1 for a single customer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triple {
    /// Repeat transactions `x` (transactions after the first).
    pub x: f64,
    /// Time of last transaction since the first, `t_x` (0 when `x` = 0).
    pub t_x: f64,
    /// Time from first transaction to the as-of date, `T`.
    pub t_cal: f64,
    /// Number of customers sharing this summary.
    pub weight: f64,
}

impl Triple {
    /// A single customer's summary (weight 1).
    pub fn new(x: f64, t_x: f64, t_cal: f64) -> Self {
        Self {
            x,
            t_x,
            t_cal,
            weight: 1.0,
        }
    }

    /// `x` is a non-negative whole number, `0 <= t_x <= T`, `T > 0`, all finite,
    /// weight positive.
    pub fn is_valid(&self) -> bool {
        self.x.is_finite()
            && self.x >= 0.0
            && self.x.fract() == 0.0
            && self.t_x.is_finite()
            && self.t_x >= 0.0
            && self.t_cal.is_finite()
            && self.t_cal > 0.0
            && self.t_x <= self.t_cal
            && self.weight.is_finite()
            && self.weight > 0.0
    }
}

/// Merges identical `(x, t_x, T)` summaries into one weighted triple each,
/// summing their weights. Output order is unspecified but deterministic.
pub fn compress_triples(customers: &[Triple]) -> Vec<Triple> {
    compress_triples_indexed(customers).0
}

/// log2 of the number of hash partitions [`compress_triples_indexed`] works in: each
/// partition's table stays small enough for the cache, and partitions run in parallel.
const COMPRESS_PARTITION_BITS: u32 = 4;

/// Maps fixed-size chunks of `items` in parallel and adds the chunks' results in chunk order,
/// so a floating-point sum is the same bits on every run and for any thread count (rayon's own
/// `reduce` and `sum` group partial results as the work happened to split).
pub(crate) fn sum_in_chunks<T, S>(
    items: &[T],
    chunk: usize,
    part: impl Fn(&[T]) -> S + Sync + Send,
) -> S
where
    T: Sync,
    S: Send + Default + std::ops::Add<Output = S>,
{
    items
        .par_chunks(chunk)
        .map(part)
        .collect::<Vec<S>>()
        .into_iter()
        .fold(S::default(), |sum, next| sum + next)
}

/// [`compress_triples`], also returning for each input the position of its
/// summary in the output (to scatter per-summary results back to customers).
///
/// The customers are split by the top bits of a hash of their summary; each partition, in
/// parallel, numbers its distinct summaries in order of first appearance, and the partitions'
/// lists are concatenated in partition order.
pub fn compress_triples_indexed(customers: &[Triple]) -> (Vec<Triple>, Vec<u32>) {
    let key = |c: &Triple| (c.x.to_bits(), c.t_x.to_bits(), c.t_cal.to_bits());
    let partition_of: Vec<u8> = customers
        .par_iter()
        .map(|c| {
            let hash = foldhash::fast::FixedState::default().hash_one(key(c));
            (hash >> (64 - COMPRESS_PARTITION_BITS)) as u8
        })
        .collect();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); 1 << COMPRESS_PARTITION_BITS];
    for (i, &p) in partition_of.iter().enumerate() {
        members[p as usize].push(i as u32);
    }
    let partitions: Vec<(Vec<Triple>, Vec<u32>)> = members
        .par_iter()
        .map(|members| {
            let mut index: FastHashMap<(u64, u64, u64), u32> =
                FastHashMap::with_capacity_and_hasher(members.len() / 2, Default::default());
            let mut unique: Vec<Triple> = Vec::new();
            let positions = members
                .iter()
                .map(|&i| {
                    let customer = &customers[i as usize];
                    let position = *index.entry(key(customer)).or_insert_with(|| {
                        unique.push(Triple {
                            weight: 0.0,
                            ..*customer
                        });
                        (unique.len() - 1) as u32
                    });
                    unique[position as usize].weight += customer.weight;
                    position
                })
                .collect();
            (unique, positions)
        })
        .collect();
    let mut offsets = Vec::with_capacity(partitions.len());
    let mut unique = Vec::new();
    for (part, _) in &partitions {
        offsets.push(unique.len() as u32);
        unique.extend_from_slice(part);
    }
    let mut next = vec![0usize; partitions.len()];
    let positions = partition_of
        .iter()
        .map(|&p| {
            let p = p as usize;
            next[p] += 1;
            offsets[p] + partitions[p].1[next[p] - 1]
        })
        .collect();
    (unique, positions)
}

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// No rows, or total weight zero.
    EmptyInput,
    /// A row violates the model's domain (e.g. `t_x > T`, negative `x`, m <= 0).
    InvalidData(String),
    /// The data cannot identify the model (e.g. no repeat buyers).
    NotIdentified(String),
    /// The optimiser did not reach a finite optimum.
    NotConverged {
        /// Iterations used before giving up.
        iterations: usize,
        /// Negative log-likelihood reached.
        value: f64,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::EmptyInput => write!(f, "no customers to fit the model on"),
            FitError::InvalidData(why) => write!(f, "invalid input: {why}"),
            FitError::NotIdentified(why) => write!(f, "the data cannot identify the model: {why}"),
            FitError::NotConverged { iterations, value } => write!(
                f,
                "the fit did not converge after {iterations} iterations (negative log-likelihood {value})"
            ),
        }
    }
}

impl std::error::Error for FitError {}

/// One fitted parameter with its asymptotic standard error.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamEstimate {
    /// The paper's symbol, e.g. `"alpha"`.
    pub name: &'static str,
    /// Maximum-likelihood estimate.
    pub value: f64,
    /// Square root of the diagonal of the inverse Hessian of the negative
    /// log-likelihood (natural scale); NaN when the Hessian is singular.
    pub std_error: f64,
}

/// Summary of a maximum-likelihood fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// Parameters in the model's canonical order.
    pub params: Vec<ParamEstimate>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// `2k - 2 LL`.
    pub aic: f64,
    /// `k ln(n) - 2 LL`, `n` = total weight (number of customers).
    pub bic: f64,
    /// Number of observations `n` (total weight).
    pub n_obs: f64,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Whether the optimiser met its gradient tolerance.
    pub converged: bool,
}

impl FitReport {
    /// Builds the report for a negative log-likelihood `nll` (a function of
    /// the *log* parameters) minimised at `log_params`.
    pub(crate) fn from_optimum(
        names: &[&'static str],
        nll: &impl optimize::Objective,
        minimum: &optimize::Minimum,
        n_obs: f64,
    ) -> Self {
        let values: Vec<f64> = minimum.x.iter().map(|v| v.exp()).collect();
        let std_errors = match &minimum.hessian {
            Some(hessian) => optimize::std_errors_from_hessian(hessian, &minimum.x),
            None => optimize::std_errors_from_log_space(nll, &minimum.x),
        };
        let log_likelihood = -minimum.value;
        let k = names.len() as f64;
        Self {
            params: names
                .iter()
                .zip(values.iter().zip(std_errors))
                .map(|(name, (value, std_error))| ParamEstimate {
                    name,
                    value: *value,
                    std_error,
                })
                .collect(),
            log_likelihood,
            aic: 2.0 * k - 2.0 * log_likelihood,
            bic: k * n_obs.ln() - 2.0 * log_likelihood,
            n_obs,
            iterations: minimum.iterations,
            converged: minimum.converged,
        }
    }

    /// The value of the parameter called `name`, if any.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.params.iter().find(|p| p.name == name).map(|p| p.value)
    }
}

/// Checks BTYD triples and returns their total weight.
pub(crate) fn validate_triples(triples: &[Triple]) -> Result<f64, FitError> {
    if triples.is_empty() {
        return Err(FitError::EmptyInput);
    }
    if let Some(bad) = triples.par_iter().find_first(|t| !t.is_valid()) {
        return Err(FitError::InvalidData(format!(
            "customer summary x={}, t_x={}, T={}, weight={} (need whole x >= 0, 0 <= t_x <= T, T > 0, weight > 0)",
            bad.x, bad.t_x, bad.t_cal, bad.weight
        )));
    }
    if !triples.par_iter().any(|t| t.x > 0.0) {
        return Err(FitError::NotIdentified(
            "no customer made a repeat purchase".to_string(),
        ));
    }
    Ok(triples.iter().map(|t| t.weight).sum())
}

/// Turns an optimiser result into a report, or an error when it is not a usable optimum.
///
/// This is the one acceptance rule of every maximum-likelihood fit in clm, so that `clv`, `churn`
/// and any later command accept or refuse the same fit:
/// 1. the optimum is finite;
/// 2. no parameter ran to the edge of the search ([`optimize::Objective::log_limit`]): the
///    likelihood kept improving towards a limit of the model, so there is no estimate;
/// 3. the optimiser met its gradient tolerance, or the optimum is nearly stationary;
/// 4. the Hessian there is positive definite (every standard error finite): otherwise the
///    likelihood is flat in some direction and the data do not pin the parameters down.
pub(crate) fn finish_fit(
    names: &[&'static str],
    nll: &impl optimize::Objective,
    minimum: optimize::Minimum,
    n_obs: f64,
) -> Result<FitReport, FitError> {
    let finite = minimum.value.is_finite() && minimum.x.iter().all(|v| v.is_finite());
    if !finite {
        return Err(FitError::NotConverged {
            iterations: minimum.iterations,
            value: minimum.value,
        });
    }
    if !optimize::coordinates_at_edge(nll, &minimum.x).is_empty() {
        // The coordinates at the edge and those far out with them (r and α run off together).
        let far_out: Vec<usize> = (0..minimum.x.len())
            .filter(|&i| minimum.x[i].abs() >= nll.log_limit(i) / 2.0)
            .collect();
        let running: Vec<String> = far_out
            .iter()
            .map(|&i| {
                let direction = if minimum.x[i] > 0.0 { "∞" } else { "0" };
                format!("{} → {direction}", names.get(i).copied().unwrap_or("?"))
            })
            .collect();
        return Err(FitError::NotIdentified(format!(
            "the likelihood keeps rising as {} (a limit of the model, not an estimate)",
            running.join(", ")
        )));
    }
    let nearly_stationary = minimum.gradient_norm <= 1e-3 * (1.0 + minimum.value.abs());
    if !(minimum.converged || nearly_stationary) {
        return Err(FitError::NotConverged {
            iterations: minimum.iterations,
            value: minimum.value,
        });
    }
    let report = FitReport::from_optimum(names, nll, &minimum, n_obs);
    let flat: Vec<&str> = report
        .params
        .iter()
        .filter(|p| !p.std_error.is_finite())
        .map(|p| p.name)
        .collect();
    if !flat.is_empty() {
        return Err(FitError::NotIdentified(format!(
            "the likelihood is flat at its maximum (no finite standard error for {})",
            flat.join(", ")
        )));
    }
    Ok(report)
}
