//! Every code and action of every rule table has a label in every language
//! (`output::labels`), so a `--lang zh` table never shows an English name by accident.

use crate::output::Lang;
use crate::output::labels::{action_label, code_label};

use super::lifecycle::{ExitPattern, Stage};
use super::loyalty::{LadderStage, LoyaltyQuadrant};
use super::rfm::{OTHERS, OTHERS_ACTION, SegmentTable};
use super::tiers::{TIER_ACTIONS, TIER_NAMES};

const LANGS: [Lang; 2] = [Lang::En, Lang::Zh];

fn assert_code(column: &str, code: &str) {
    for lang in LANGS {
        assert!(
            code_label(column, code, lang).is_some(),
            "{column} '{code}' has no {lang:?} label"
        );
    }
}

fn assert_action(action: &str) {
    for lang in LANGS {
        assert!(
            action_label(action, lang).is_some(),
            "action '{action}' has no {lang:?} text"
        );
    }
}

#[test]
fn rfm_segments_of_both_tables() {
    for table in [SegmentTable::default(), SegmentTable::r_rfm()] {
        for rule in &table.rules {
            assert_code("segment", &rule.name);
            assert_action(&rule.action);
        }
    }
    assert_code("segment", OTHERS);
    assert_action(OTHERS_ACTION);
}

#[test]
fn loyalty_quadrants_their_actions_and_short_actions() {
    for quadrant in LoyaltyQuadrant::ALL {
        assert_code("quadrant", quadrant.name());
        let action = quadrant.recommended_action();
        assert_action(action);
        // The summary shows the words before the first colon.
        assert_action(action.split(':').next().unwrap_or(action));
    }
    for stage in LadderStage::ALL {
        assert_code("ladder_stage", stage.name());
    }
    assert_eq!(
        code_label("quadrant", LoyaltyQuadrant::Spurious.name(), Lang::Zh),
        Some("惯性忠诚")
    );
}

#[test]
fn value_tiers() {
    for (tier, action) in TIER_NAMES.iter().zip(TIER_ACTIONS) {
        assert_code("tier", tier);
        assert_action(action);
    }
    let zh: Vec<_> = TIER_NAMES
        .iter()
        .filter_map(|t| code_label("tier", t, Lang::Zh))
        .collect();
    assert_eq!(zh, ["铂金", "黄金", "钢铁", "重铅"]);
}

#[test]
fn lifecycle_stages_and_exit_patterns() {
    for stage in Stage::ALL {
        for column in ["stage", "from_stage", "to_stage"] {
            assert_code(column, stage.name());
        }
        assert_action(stage.action());
    }
    for pattern in ExitPattern::ALL {
        assert_code("exit_pattern", pattern.name());
        assert_action(pattern.action());
    }
}

#[test]
fn churn_risk_bands_and_their_actions() {
    for band in &super::risk_bands::RISK_BANDS {
        assert_code("risk_band", band.name);
        assert_action(band.action);
    }
}
