//! A fitted model as a small, documented JSON document (`clm clv --model-out / --model-in`):
//! parameters with standard errors and fit statistics only, never customer data.
//!
//! Layout (version 1; see `docs/clv.md`):
//! ```json
//! {
//!   "format": "clm-clv-model", "version": 1,
//!   "model": "bgnbd", "time_unit": "week", "as_of": "1997-09-30",
//!   "fit": { "params": [{"name": "r", "value": 0.243, "std_error": 0.013}, …],
//!            "log_likelihood": -9582.43, "aic": …, "bic": …, "customers": 2357,
//!            "iterations": 18, "converged": true },
//!   "gamma_gamma": { same layout with p, q, gamma } or null
//! }
//! ```
//! `model` is one of `bgnbd`, `pareto-nbd`, `mbgnbd`, `bgbb`; `time_unit` is `day` or `week`
//! (`period` for BG/BB). A standard error that could not be computed is `null`.

use serde::{Deserialize, Serialize};

use super::bgbb::BgBbParams;
use super::bgnbd::BgNbdParams;
use super::gamma_gamma::GammaGammaParams;
use super::mbgnbd::MbgNbdParams;
use super::pareto_nbd::ParetoNbdParams;
use super::predict::Btyd;
use super::{FitReport, ParamEstimate};

/// The value of the `format` field.
pub const FORMAT: &str = "clm-clv-model";
/// The layout version written.
pub const VERSION: u32 = 1;

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedParam {
    pub name: String,
    pub value: f64,
    /// Asymptotic standard error; `null` when the Hessian was singular.
    pub std_error: Option<f64>,
}

/// One fitted model's parameters and fit statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFit {
    pub params: Vec<SavedParam>,
    pub log_likelihood: f64,
    pub aic: f64,
    pub bic: f64,
    /// Customers the model was fitted on (total weight).
    pub customers: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    pub format: String,
    pub version: u32,
    /// `bgnbd`, `pareto-nbd`, `mbgnbd` or `bgbb`.
    pub model: String,
    /// `day` or `week` (`period` for BG/BB): the unit of every rate and time in the file.
    pub time_unit: String,
    /// The end of the calibration period, ISO date (empty for summaries without dates).
    pub as_of: String,
    pub fit: SavedFit,
    /// The spend model, when one was fitted.
    pub gamma_gamma: Option<SavedFit>,
}

impl SavedFit {
    /// Copies a fit report.
    pub fn from_report(report: &FitReport) -> SavedFit {
        SavedFit {
            params: report
                .params
                .iter()
                .map(|p| SavedParam {
                    name: p.name.to_string(),
                    value: p.value,
                    std_error: p.std_error.is_finite().then_some(p.std_error),
                })
                .collect(),
            log_likelihood: report.log_likelihood,
            aic: report.aic,
            bic: report.bic,
            customers: report.n_obs,
            iterations: report.iterations,
            converged: report.converged,
        }
    }

    /// The values of the parameters `names`, in that order, checked positive and finite.
    pub fn values(&self, names: &[&str]) -> Result<Vec<f64>, String> {
        names
            .iter()
            .map(|name| {
                let param = self
                    .params
                    .iter()
                    .find(|p| p.name == *name)
                    .ok_or_else(|| format!("parameter '{name}' is missing"))?;
                if param.value.is_finite() && param.value > 0.0 {
                    Ok(param.value)
                } else {
                    Err(format!(
                        "parameter '{name}' must be positive, got {}",
                        param.value
                    ))
                }
            })
            .collect()
    }

    /// Back to a fit report, with the parameter names `names` (the model's canonical order).
    pub fn to_report(&self, names: &[&'static str]) -> Result<FitReport, String> {
        let values = self.values(names)?;
        let params = names
            .iter()
            .zip(values)
            .map(|(&name, value)| ParamEstimate {
                name,
                value,
                std_error: self
                    .params
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.std_error)
                    .unwrap_or(f64::NAN),
            })
            .collect();
        Ok(FitReport {
            params,
            log_likelihood: self.log_likelihood,
            aic: self.aic,
            bic: self.bic,
            n_obs: self.customers,
            iterations: self.iterations,
            converged: self.converged,
        })
    }
}

/// Canonical parameter names of a model name, if it is known.
pub fn param_names(model: &str) -> Option<&'static [&'static str]> {
    match model {
        "bgnbd" | "mbgnbd" => Some(&["r", "alpha", "a", "b"]),
        "pareto-nbd" => Some(&["r", "alpha", "s", "beta"]),
        "bgbb" => Some(&super::bgbb::PARAM_NAMES),
        _ => None,
    }
}

impl SavedModel {
    /// Parses and checks a document.
    pub fn from_json(text: &str) -> Result<SavedModel, String> {
        let model: SavedModel = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if model.format != FORMAT {
            return Err(format!(
                "not a clm CLV model (format '{}', expected '{FORMAT}')",
                model.format
            ));
        }
        if model.version != VERSION {
            return Err(format!(
                "model layout version {} is not supported (this clm reads version {VERSION})",
                model.version
            ));
        }
        Ok(model)
    }

    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The continuous-time model it holds.
    pub fn btyd(&self) -> Result<Btyd, String> {
        let names = param_names(&self.model)
            .filter(|_| self.model != "bgbb")
            .ok_or_else(|| {
                format!(
                    "model '{}' is not a continuous-time model (bgnbd, pareto-nbd, mbgnbd)",
                    self.model
                )
            })?;
        let v = self.fit.values(names)?;
        Ok(match self.model.as_str() {
            "bgnbd" => Btyd::BgNbd(BgNbdParams {
                r: v[0],
                alpha: v[1],
                a: v[2],
                b: v[3],
            }),
            "mbgnbd" => Btyd::MbgNbd(MbgNbdParams {
                r: v[0],
                alpha: v[1],
                a: v[2],
                b: v[3],
            }),
            _ => Btyd::ParetoNbd(ParetoNbdParams {
                r: v[0],
                alpha: v[1],
                s: v[2],
                beta: v[3],
            }),
        })
    }

    /// The BG/BB model it holds.
    pub fn bgbb(&self) -> Result<BgBbParams, String> {
        if self.model != "bgbb" {
            return Err(format!("model '{}' is not BG/BB", self.model));
        }
        let v = self.fit.values(&super::bgbb::PARAM_NAMES)?;
        Ok(BgBbParams {
            alpha: v[0],
            beta: v[1],
            gamma: v[2],
            delta: v[3],
        })
    }

    /// The Gamma-Gamma spend model, if the file has one.
    pub fn gamma_gamma(&self) -> Result<Option<GammaGammaParams>, String> {
        let Some(fit) = &self.gamma_gamma else {
            return Ok(None);
        };
        let v = fit.values(&super::gamma_gamma::PARAM_NAMES)?;
        Ok(Some(GammaGammaParams {
            p: v[0],
            q: v[1],
            gamma: v[2],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> FitReport {
        FitReport {
            params: vec![
                ParamEstimate {
                    name: "r",
                    value: 0.243,
                    std_error: 0.0125,
                },
                ParamEstimate {
                    name: "alpha",
                    value: 4.414,
                    std_error: f64::NAN,
                },
                ParamEstimate {
                    name: "a",
                    value: 0.793,
                    std_error: 0.19,
                },
                ParamEstimate {
                    name: "b",
                    value: 2.426,
                    std_error: 0.7,
                },
            ],
            log_likelihood: -9582.4,
            aic: 19172.8,
            bic: 19195.9,
            n_obs: 2357.0,
            iterations: 20,
            converged: true,
        }
    }

    #[test]
    fn round_trip_keeps_values_bit_for_bit() {
        let saved = SavedModel {
            format: FORMAT.to_string(),
            version: VERSION,
            model: "bgnbd".to_string(),
            time_unit: "week".to_string(),
            as_of: "1997-09-30".to_string(),
            fit: SavedFit::from_report(&report()),
            gamma_gamma: None,
        };
        let back = SavedModel::from_json(&saved.to_json()).unwrap();
        assert_eq!(back, saved);
        assert_eq!(back.fit.params[1].std_error, None);
        let restored = back.fit.to_report(&["r", "alpha", "a", "b"]).unwrap();
        assert_eq!(restored.params[0], report().params[0]);
        assert!(restored.params[1].std_error.is_nan());
        match back.btyd().unwrap() {
            Btyd::BgNbd(p) => assert_eq!(p.alpha, 4.414),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_other_documents() {
        assert!(SavedModel::from_json("{}").is_err());
        let text = r#"{"format":"x","version":1,"model":"bgnbd","time_unit":"week","as_of":"",
            "fit":{"params":[],"log_likelihood":0,"aic":0,"bic":0,"customers":1,"iterations":0,
            "converged":true},"gamma_gamma":null}"#;
        assert!(
            SavedModel::from_json(text)
                .unwrap_err()
                .contains("not a clm CLV model")
        );
        let fixed = text.replace("\"x\"", "\"clm-clv-model\"");
        let model = SavedModel::from_json(&fixed).unwrap();
        assert!(model.btyd().unwrap_err().contains("'r' is missing"));
    }
}
