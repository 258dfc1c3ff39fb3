//! Relationship stages (exploration, formation, stability, decline), the exit patterns of lapsed
//! customers, and the rule table that assigns a stage from a customer's own purchase rhythm.
//!
//! The stages and exit patterns come from the customer-relationship life-cycle literature that
//! the loyalty course material summarises (see docs/lifecycle.md): exploration 考察期, formation
//! 形成期, stability 稳定期, decline 退化期; exits: early abort 初期流产型, mid-way 半途夭折型,
//! early exit 提前退出型, long-term 长期保持型.

use serde::Deserialize;

/// Where a customer is in the relationship at a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Trial purchases, short tenure, little value yet.
    Exploration,
    /// Repeat buying, rising purchase rate.
    Formation,
    /// Regular buying at the customer's own level: the most valuable stage.
    Stability,
    /// Buying well below the customer's own earlier rate, or overdue against their rhythm.
    Decline,
    /// No purchase within the lapse window.
    Lapsed,
}

impl Stage {
    /// Every stage, in the order of the summary.
    pub const ALL: [Stage; 5] = [
        Stage::Exploration,
        Stage::Formation,
        Stage::Stability,
        Stage::Decline,
        Stage::Lapsed,
    ];

    /// The stage's name in the output.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Exploration => "exploration",
            Stage::Formation => "formation",
            Stage::Stability => "stability",
            Stage::Decline => "decline",
            Stage::Lapsed => "lapsed",
        }
    }

    /// What to do with a customer in this stage (lapsed customers get their exit pattern's).
    pub fn action(self) -> &'static str {
        match self {
            Stage::Exploration => {
                "Make the first experiences count: onboarding and a reason for a second purchase; no trust or switching cost holds them yet"
            }
            Stage::Formation => {
                "Reward the rising rate and meet rising expectations: service, range, cross-selling"
            }
            Stage::Stability => {
                "Protect the relationship: keep the best value, fair terms and recognition; the most valuable stage"
            }
            Stage::Decline => {
                "Buying fell against their own rhythm: ask why and act before they lapse"
            }
            Stage::Lapsed => "Lapsed: see the exit pattern",
        }
    }
}

/// How a lapsed relationship ended, by the stage it lapsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitPattern {
    /// Left during exploration (初期流产型).
    EarlyAbort,
    /// Left during formation (半途夭折型).
    MidWay,
    /// Left early in stability (提前退出型).
    EarlyExit,
    /// Left after a long time in stability (长期保持型).
    LongTerm,
}

impl ExitPattern {
    /// Every pattern, in relationship order.
    pub const ALL: [ExitPattern; 4] = [
        ExitPattern::EarlyAbort,
        ExitPattern::MidWay,
        ExitPattern::EarlyExit,
        ExitPattern::LongTerm,
    ];

    /// The pattern's name in the output.
    pub fn name(self) -> &'static str {
        match self {
            ExitPattern::EarlyAbort => "early abort",
            ExitPattern::MidWay => "mid-way",
            ExitPattern::EarlyExit => "early exit",
            ExitPattern::LongTerm => "long-term",
        }
    }

    /// The literature's explanation of the pattern, as an action.
    pub fn action(self) -> &'static str {
        match self {
            ExitPattern::EarlyAbort => {
                "Left during exploration: the value did not meet expectations and no trust or switching cost held them; fix the first experience and the offer to new customers"
            }
            ExitPattern::MidWay => {
                "Left during formation: expectations kept rising and were not met; check what repeat buyers came to expect against what they got"
            }
            ExitPattern::EarlyExit => {
                "Left early in stability: not enough continued innovation, or the relationship felt unfair; review what established customers get against new customers' deals"
            }
            ExitPattern::LongTerm => {
                "Left after a long time in stability, held there by consistently best value, a fair relationship and high switching costs: find out what changed; a loss worth a personal win-back"
            }
        }
    }
}

/// A customer's measures at a date, as the rules read them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageMeasures {
    /// Purchase days up to the date.
    pub purchases: u32,
    /// Days from the first purchase to the date.
    pub tenure_days: f64,
    /// Days since the last purchase over the customer's rhythm (median gap); NaN with one
    /// purchase.
    pub overdue: f64,
    /// Change of the purchase rate in the recent window against the earlier one, in [−1, 1]:
    /// (recent − earlier) / max(recent, earlier); NaN with one purchase or when the earlier
    /// window is shorter than the recent one.
    pub trend: f64,
}

/// An inclusive range of a measure; an open end is unbounded. A NaN measure fails a range with
/// any bound (an unknown trend is not a falling one).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bounds {
    const ANY: Bounds = Bounds {
        min: None,
        max: None,
    };

    fn at_least(min: f64) -> Bounds {
        Bounds {
            min: Some(min),
            max: None,
        }
    }

    fn at_most(max: f64) -> Bounds {
        Bounds {
            min: None,
            max: Some(max),
        }
    }

    fn holds(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }

    fn is_any(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }
}

/// One row of the stage table: the stage when every range holds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRule {
    pub stage: Stage,
    #[serde(default)]
    pub purchases: Bounds,
    #[serde(default)]
    pub tenure_days: Bounds,
    #[serde(default)]
    pub overdue: Bounds,
    #[serde(default)]
    pub trend: Bounds,
}

impl StageRule {
    fn matches(&self, m: &StageMeasures) -> bool {
        self.purchases.holds(f64::from(m.purchases))
            && self.tenure_days.holds(m.tenure_days)
            && self.overdue.holds(m.overdue)
            && self.trend.holds(m.trend)
    }

    fn is_catch_all(&self) -> bool {
        self.purchases.is_any()
            && self.tenure_days.is_any()
            && self.overdue.is_any()
            && self.trend.is_any()
    }
}

/// The stage rules (first match wins) and the settings around them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageTable {
    /// Quantile of all inter-purchase gaps that sets the default lapse window.
    #[serde(default = "default_lapse_quantile")]
    pub lapse_quantile: f64,
    /// Days in stability before leaving that make an exit long-term rather than early.
    #[serde(default = "default_long_term_days")]
    pub long_term_days: f64,
    #[serde(alias = "rules")]
    pub rule: Vec<StageRule>,
}

fn default_lapse_quantile() -> f64 {
    0.9
}

fn default_long_term_days() -> f64 {
    365.0
}

impl Default for StageTable {
    /// The default table (docs/lifecycle.md): at most 2 purchases is exploration; from 3 on,
    /// overdue by twice the rhythm or a rate down by half is decline, a rate up by half again
    /// (recent at least twice the earlier) is formation; 5 or more purchases is stability; the
    /// rest (3–4 purchases) formation.
    fn default() -> StageTable {
        let rule = |stage, purchases, overdue, trend| StageRule {
            stage,
            purchases,
            tenure_days: Bounds::ANY,
            overdue,
            trend,
        };
        StageTable {
            lapse_quantile: default_lapse_quantile(),
            long_term_days: default_long_term_days(),
            rule: vec![
                rule(
                    Stage::Exploration,
                    Bounds::at_most(2.0),
                    Bounds::ANY,
                    Bounds::ANY,
                ),
                rule(
                    Stage::Decline,
                    Bounds::ANY,
                    Bounds::at_least(2.0),
                    Bounds::ANY,
                ),
                rule(
                    Stage::Decline,
                    Bounds::ANY,
                    Bounds::ANY,
                    Bounds::at_most(-0.5),
                ),
                rule(
                    Stage::Formation,
                    Bounds::ANY,
                    Bounds::ANY,
                    Bounds::at_least(0.5),
                ),
                rule(
                    Stage::Stability,
                    Bounds::at_least(5.0),
                    Bounds::ANY,
                    Bounds::ANY,
                ),
                rule(Stage::Formation, Bounds::ANY, Bounds::ANY, Bounds::ANY),
            ],
        }
    }
}

impl StageTable {
    /// Reads a table from TOML (`lapse_quantile`, `long_term_days`, and `[[rule]]` rows with
    /// `stage` and optional `purchases`, `tenure_days`, `overdue`, `trend` as `{ min, max }`).
    pub fn from_toml(text: &str) -> Result<StageTable, String> {
        let table: StageTable = toml::from_str(text).map_err(|e| e.to_string())?;
        table.check()?;
        Ok(table)
    }

    /// Checks that every customer gets a stage: the last rule matches everyone and is not
    /// decline (the stage a lapsed customer left from is read with decline rules skipped),
    /// no rule names `lapsed` (the lapse window decides it), and the settings are in range.
    pub fn check(&self) -> Result<(), String> {
        let last = self.rule.last().ok_or("the table has no rules")?;
        if !last.is_catch_all() || last.stage == Stage::Decline {
            return Err(
                "the last rule must have no conditions and a stage other than decline, so that every customer gets a stage"
                    .into(),
            );
        }
        if self.rule.iter().any(|r| r.stage == Stage::Lapsed) {
            return Err("no rule can name 'lapsed': the lapse window decides it".into());
        }
        if !(self.lapse_quantile > 0.0 && self.lapse_quantile <= 1.0) {
            return Err(format!(
                "lapse_quantile must be in (0, 1], not {}",
                self.lapse_quantile
            ));
        }
        if self.long_term_days.is_nan() || self.long_term_days < 0.0 {
            return Err("long_term_days must be 0 or more".into());
        }
        Ok(())
    }

    /// The stage of an active customer: the first rule that holds.
    pub fn stage(&self, m: &StageMeasures) -> Stage {
        self.first_match(m, false)
    }

    /// The stage ignoring decline rules: where a relationship stood, on the way out.
    pub fn stage_before_decline(&self, m: &StageMeasures) -> Stage {
        self.first_match(m, true)
    }

    fn first_match(&self, m: &StageMeasures, skip_decline: bool) -> Stage {
        self.rule
            .iter()
            .filter(|r| !(skip_decline && r.stage == Stage::Decline))
            .find(|r| r.matches(m))
            .map_or(Stage::Formation, |r| r.stage) // unreachable after check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measures(purchases: u32, overdue: f64, trend: f64) -> StageMeasures {
        StageMeasures {
            purchases,
            tenure_days: 400.0,
            overdue,
            trend,
        }
    }

    #[test]
    fn default_rules_first_match_wins() {
        let table = StageTable::default();
        table.check().unwrap();
        assert_eq!(
            table.stage(&measures(1, f64::NAN, f64::NAN)),
            Stage::Exploration
        );
        assert_eq!(table.stage(&measures(2, 5.0, -1.0)), Stage::Exploration);
        assert_eq!(table.stage(&measures(3, 2.0, 0.0)), Stage::Decline);
        assert_eq!(table.stage(&measures(8, 0.5, -0.5)), Stage::Decline);
        assert_eq!(table.stage(&measures(8, 0.5, 0.6)), Stage::Formation);
        assert_eq!(table.stage(&measures(8, 0.5, 0.1)), Stage::Stability);
        // An unknown trend is neither falling nor rising.
        assert_eq!(table.stage(&measures(8, 0.5, f64::NAN)), Stage::Stability);
        assert_eq!(table.stage(&measures(4, 0.5, f64::NAN)), Stage::Formation);
        assert_eq!(
            table.stage_before_decline(&measures(8, 0.1, -0.9)),
            Stage::Stability
        );
    }

    #[test]
    fn a_table_from_toml_is_checked() {
        let table = StageTable::from_toml(
            "long_term_days = 200\n[[rule]]\nstage = \"exploration\"\npurchases = { max = 3 }\n[[rule]]\nstage = \"stability\"\n",
        )
        .unwrap();
        assert_eq!(table.long_term_days, 200.0);
        assert_eq!(table.lapse_quantile, 0.9);
        assert_eq!(table.stage(&measures(3, 9.0, -1.0)), Stage::Exploration);
        assert_eq!(table.stage(&measures(4, 9.0, -1.0)), Stage::Stability);
        let no_catch_all = "[[rule]]\nstage = \"exploration\"\npurchases = { max = 3 }\n";
        assert!(
            StageTable::from_toml(no_catch_all)
                .unwrap_err()
                .contains("last rule")
        );
        let lapsed = "[[rule]]\nstage = \"lapsed\"\n[[rule]]\nstage = \"formation\"\n";
        assert!(
            StageTable::from_toml(lapsed)
                .unwrap_err()
                .contains("lapsed")
        );
        assert!(StageTable::from_toml("[[rule]]\nstage = \"dormant\"\n").is_err());
        assert!(
            StageTable::from_toml("[[rule]]\nstage = \"formation\"\nrecency = { min = 1 }\n")
                .is_err()
        );
    }
}
