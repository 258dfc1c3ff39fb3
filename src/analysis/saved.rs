//! Saved models (`clm clv --model-out / --model-in`): reading one with its parameters checked,
//! turning it back into the fitted models, and writing one atomically; the file reading and
//! atomic writing are shared with `clm retention`'s saved sBG models. The JSON layout is
//! [`crate::models::saved`]'s.

use std::path::Path;

use anyhow::Result;

use crate::analysis::value::PurchaseModel;
use crate::error::ClmError;
use crate::features::btyd::TimeUnit;
use crate::models::FitReport;
use crate::models::bgbb::{self, BgBbParams};
use crate::models::gamma_gamma::{self, GammaGammaParams};
use crate::models::saved::{FORMAT, SavedFit, SavedModel, VERSION, param_names};

/// The time unit to use: the saved model's when there is one (a different `--time-unit` is a
/// usage error: its rates are per its own unit), else the one asked for, else weeks.
pub fn resolve_unit(requested: Option<TimeUnit>, saved: Option<&SavedModel>) -> Result<TimeUnit> {
    let Some(saved) = saved else {
        return Ok(requested.unwrap_or(TimeUnit::Week));
    };
    let saved_unit = TimeUnit::from_name(&saved.time_unit).ok_or_else(|| {
        ClmError::BadData(format!(
            "the saved model's time unit '{}' is not day or week",
            saved.time_unit
        ))
    })?;
    if let Some(requested) = requested
        && requested != saved_unit
    {
        return Err(ClmError::Usage(format!(
            "--time-unit {} differs from the saved model's unit ({}); its rates are per {}",
            requested.name(),
            saved_unit.name(),
            saved_unit.name()
        ))
        .into());
    }
    Ok(saved_unit)
}

/// Reads a saved model and checks its parameters now, so that an error names the file.
pub fn read_model(path: &Path) -> Result<SavedModel> {
    let name = path.display();
    let text = read_model_text(path)?;
    let bad = |e: String| ClmError::BadData(format!("model file '{name}': {e}"));
    let saved = SavedModel::from_json(&text).map_err(bad)?;
    // Check the parameters now, so that an error names the file they come from.
    if saved.model == "bgbb" {
        saved.bgbb().map_err(bad)?;
    } else {
        saved.btyd().map_err(bad)?;
    }
    saved.gamma_gamma().map_err(bad)?;
    Ok(saved)
}

/// The purchase model of a saved model, as if just fitted (no selection table).
pub fn saved_purchase_model(saved: &SavedModel) -> Result<PurchaseModel> {
    let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
    let btyd = saved.btyd().map_err(bad)?;
    let names = param_names(btyd.name()).unwrap_or(&[]);
    let report = saved.fit.to_report(names).map_err(bad)?;
    Ok(PurchaseModel {
        btyd,
        report,
        selection: None,
    })
}

/// The Gamma-Gamma spend model of a saved model, when it has one.
pub fn saved_spend_model(saved: &SavedModel) -> Result<Option<(GammaGammaParams, FitReport)>> {
    let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
    let Some(params) = saved.gamma_gamma().map_err(bad)? else {
        return Ok(None);
    };
    let report = saved
        .gamma_gamma
        .as_ref()
        .map(|fit| fit.to_report(&gamma_gamma::PARAM_NAMES))
        .transpose()
        .map_err(bad)?;
    Ok(report.map(|report| (params, report)))
}

/// The BG/BB model of a saved model, with its fit statistics.
pub fn saved_bgbb_model(saved: &SavedModel) -> Result<(BgBbParams, FitReport)> {
    let bad = |e: String| ClmError::BadData(format!("saved model: {e}"));
    Ok((
        saved.bgbb().map_err(bad)?,
        saved.fit.to_report(&bgbb::PARAM_NAMES).map_err(bad)?,
    ))
}

/// Writes a fitted model: `model` and `time_unit` as saved (`bgnbd` … `bgbb`; `week`, `day`
/// or `period`), `as_of` empty for summaries, the spend model's fit when there is one.
pub fn write_model(
    path: &Path,
    (model, time_unit, as_of): (&str, &str, &str),
    fit: &FitReport,
    spend: Option<&FitReport>,
) -> Result<()> {
    let saved = SavedModel {
        format: FORMAT.to_string(),
        version: VERSION,
        model: model.to_string(),
        time_unit: time_unit.to_string(),
        as_of: as_of.to_string(),
        fit: SavedFit::from_report(fit),
        gamma_gamma: spend.map(SavedFit::from_report),
    };
    write_text(path, &saved.to_json())
}

/// The text of a model file (`--model-in`); one that cannot be read is a missing input (66).
pub fn read_model_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        let name = path.display();
        ClmError::InputMissing(format!("cannot read model file '{name}': {e}")).into()
    })
}

/// Writes a model's JSON text and a newline atomically (`--model-out`).
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    crate::output::write_atomically(path, |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    })
}
