//! Display labels in the reader's language (`--lang`): the names of segments, quadrants, tiers,
//! stages and bands, their recommended actions, and table headers.
//!
//! Files keep the stable English codes in their own columns (scripts match on them); a terminal
//! table shows the label instead of the code, and a file written with `--lang zh` gains a
//! `<column>_label` column beside each coded column and beside `action`. docs/labels.md lists
//! the vocabulary and where each term comes from.
//!
//! Every table here is data keyed by the English code or text the rule tables in `segment/` (and
//! the commands' own small tables) produce; tests beside those tables check that each of their
//! codes and actions has a label in every language.

use clap::ValueEnum;

use super::{Table, Values, human_header};

/// The language of labels and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Lang {
    /// English (the codes themselves).
    #[default]
    En,
    /// Simplified Chinese, in the vocabulary of the course material.
    Zh,
}

/// The labels of one rule table's codes: the columns that hold them and each code's Chinese name.
pub struct CodeLabels {
    /// Column names whose values are these codes.
    pub columns: &'static [&'static str],
    /// (English code, Chinese label).
    pub labels: &'static [(&'static str, &'static str)],
}

/// RFM segments, of both the default table and the R package's (`segment/rfm.rs`).
pub const RFM_SEGMENTS: CodeLabels = CodeLabels {
    columns: &["segment"],
    labels: &[
        ("Champions", "冠军客户"),
        ("Loyal Customers", "忠诚客户"),
        ("Potential Loyalist", "潜力忠诚客户"),
        ("New Customers", "新客户"),
        ("Promising", "潜力新客户"),
        ("Need Attention", "需关注客户"),
        ("About To Sleep", "即将沉睡客户"),
        ("At Risk", "流失风险客户"),
        ("Can't Lose Them", "重要挽留客户"),
        ("Lost", "已流失客户"),
        ("Others", "其他客户"),
    ],
};

/// Loyalty quadrants (Dick & Basu; `segment/loyalty.rs`), in the course material's words.
pub const LOYALTY_QUADRANTS: CodeLabels = CodeLabels {
    columns: &["quadrant"],
    labels: &[
        ("True loyalty", "绝对忠诚"),
        ("Latent loyalty", "潜在忠诚"),
        ("Spurious loyalty", "惯性忠诚"),
        ("No loyalty", "非忠诚"),
        ("Attitude unknown", "态度未知"),
    ],
};

/// Stages of the loyalty ladder (`segment/loyalty.rs`).
pub const LADDER_STAGES: CodeLabels = CodeLabels {
    columns: &["ladder_stage"],
    labels: &[
        ("Prospect", "潜在客户"),
        ("First-time customer", "首次购买客户"),
        ("Repeat customer", "重复购买客户"),
        ("Client", "常客"),
        ("Advocate", "拥护者"),
    ],
};

/// Value tiers of the customer pyramid (`segment/tiers.rs`), in the course material's words.
pub const VALUE_TIERS: CodeLabels = CodeLabels {
    columns: &["tier"],
    labels: &[
        ("platinum", "铂金"),
        ("gold", "黄金"),
        ("iron", "钢铁"),
        ("lead", "重铅"),
    ],
};

/// Relationship stages (`segment/lifecycle.rs`), in the course material's words; `new` is a
/// customer acquired since the earlier date of a stage migration.
pub const LIFECYCLE_STAGES: CodeLabels = CodeLabels {
    columns: &["stage", "from_stage", "to_stage", "from \\ to"],
    labels: &[
        ("exploration", "考察期"),
        ("formation", "形成期"),
        ("stability", "稳定期"),
        ("decline", "退化期"),
        ("lapsed", "退出期"),
        ("new", "新客户"),
    ],
};

/// Exit patterns of lapsed customers (`segment/lifecycle.rs`), in the course material's words.
pub const EXIT_PATTERNS: CodeLabels = CodeLabels {
    columns: &["exit_pattern"],
    labels: &[
        ("early abort", "初期流产型"),
        ("mid-way", "半途夭折型"),
        ("early exit", "提前退出型"),
        ("long-term", "长期保持型"),
    ],
};

/// Churn risk bands (`clm churn`).
pub const RISK_BANDS: CodeLabels = CodeLabels {
    columns: &["risk_band"],
    labels: &[
        ("very high", "极高风险"),
        ("high", "高风险"),
        ("medium", "中等风险"),
        ("low", "低风险"),
        ("very low", "极低风险"),
        ("unknown", "无评分"),
    ],
};

/// Churn scorers (`clm churn --backtest`).
pub const CHURN_SCORERS: CodeLabels = CodeLabels {
    columns: &["scorer"],
    labels: &[
        ("btyd", "BTYD 模型"),
        ("supervised", "监督模型"),
        ("ensemble", "组合模型"),
        ("recency only", "仅按最近购买"),
    ],
};

/// Whether a cohort cell or a retention period is observed (`clm cohorts`, `clm retention`).
pub const OBSERVATION: CodeLabels = CodeLabels {
    columns: &["status", "observed"],
    labels: &[
        ("observed", "已观测"),
        ("partial", "部分观测"),
        ("unobserved", "未观测"),
        ("projected", "预测"),
    ],
};

/// Units of model parameters (`clm clv`'s parameter tables).
pub const PARAMETER_UNITS: CodeLabels = CodeLabels {
    columns: &["unit"],
    labels: &[("weeks", "周"), ("days", "天"), ("currency", "货币单位")],
};

/// The mark of the model `--model auto` chose.
pub const MODEL_CHOICE: CodeLabels = CodeLabels {
    columns: &["chosen"],
    labels: &[("lowest BIC", "BIC 最低")],
};

/// Every table of codes.
pub const CODE_TABLES: [&CodeLabels; 11] = [
    &RFM_SEGMENTS,
    &LOYALTY_QUADRANTS,
    &LADDER_STAGES,
    &VALUE_TIERS,
    &LIFECYCLE_STAGES,
    &EXIT_PATTERNS,
    &RISK_BANDS,
    &CHURN_SCORERS,
    &OBSERVATION,
    &PARAMETER_UNITS,
    &MODEL_CHOICE,
];

/// Recommended actions, keyed by their English text: the rule tables' actions and the short
/// forms the loyalty summary shows.
const ACTIONS: &[(&str, &str)] = &[
    // RFM segments (default table and the R package's).
    (
        "Reward them; early access to new products; ask for reviews and referrals",
        "给予奖励；新品抢先体验；邀请评价和推荐",
    ),
    (
        "Upsell higher-value products; invite to the loyalty programme; ask for reviews",
        "向上销售更高价值的产品；邀请加入会员计划；邀请评价",
    ),
    (
        "Offer membership or a loyalty programme; recommend related products",
        "提供会员资格或忠诚计划；推荐相关产品",
    ),
    (
        "Onboard well: welcome series, early support, a reason for a second order",
        "做好新客引导：欢迎系列、早期支持、给出再次购买的理由",
    ),
    (
        "A big first order: follow up quickly with related products and a reason to return",
        "首单金额大：尽快跟进相关产品，并给出回购的理由",
    ),
    (
        "Build awareness of the range; free trials or samples",
        "提升对产品系列的认知；免费试用或样品",
    ),
    (
        "Limited-time offers and recommendations based on past purchases",
        "限时优惠，以及基于历史购买的推荐",
    ),
    (
        "Reconnect with popular products and useful content before they lapse",
        "在其流失之前，用热门产品和有用内容重新建立联系",
    ),
    (
        "Personal win-back messages, renewal offers, ask what went wrong",
        "个性化挽回信息、续订优惠，询问问题出在哪里",
    ),
    (
        "Win them back with new products or renewals; talk to them in person",
        "用新品或续订赢回他们；当面沟通",
    ),
    (
        "Low-cost reactivation campaign at most; otherwise do not spend on them",
        "至多做低成本的唤醒活动；否则不再投入",
    ),
    (
        "No rule matched: look at these customers and refine the segment table",
        "没有匹配的规则：查看这些客户并完善细分规则表",
    ),
    // Loyalty quadrants: the full actions and the short forms before the first colon.
    (
        "Reward and involve: recognise them (early access, loyalty tiers, a personal thank-you), \
         invite them to reviews, beta tests and communities, and ask for referrals. \
         Protect the experience; don't spend discounts on people who buy anyway.",
        "奖励并让其参与：给予认可（抢先体验、会员等级、亲自致谢），邀请其参与评价、内测和社群，\
         并请其推荐。守护其体验；不要把折扣花在本来就会购买的人身上。",
    ),
    ("Reward and involve", "奖励并让其参与"),
    (
        "Remove what keeps them from buying: find the barrier (price, delivery, access, \
         assortment, rules that favour new customers) with a short survey, then make it \
         easy: reminders at their usual interval, existing-customer offers, free shipping \
         threshold, broader availability.",
        "消除阻碍购买的因素：用简短调查找出障碍（价格、配送、渠道、品类、偏向新客户的规则），\
         再让购买变得容易：按其惯常间隔提醒、老客户优惠、包邮门槛、更广的供货。",
    ),
    ("Remove what keeps them from buying", "消除阻碍其购买的因素"),
    (
        "Build the relationship before a competitor's offer breaks the habit: find and fix \
         what they dislike (follow up on low scores), add switching value (service, \
         personalisation, loyalty benefits), and watch for declining frequency.",
        "在竞争对手的优惠打破其习惯之前建立关系：找出并解决其不满（跟进低分），\
         增加转换成本（服务、个性化、会员权益），并留意购买频次的下降。",
    ),
    (
        "Build the relationship before a competitor's offer breaks the habit",
        "在竞争对手的优惠打破其习惯之前建立关系",
    ),
    (
        "Low priority: serve them efficiently with low-cost channels and standard offers; \
         don't overspend on retention. Re-score later: some become latent or spurious.",
        "低优先级：用低成本渠道和标准优惠高效服务；不要在保留上过度投入。\
         之后重新评分：部分客户会转为潜在忠诚或惯性忠诚。",
    ),
    ("Low priority", "低优先级"),
    (
        "Ask: include them in the next survey (short NPS plus one satisfaction question) \
         so they can be placed; meanwhile treat them by behaviour and RFM segment.",
        "询问：把他们纳入下一次调查（简短的 NPS 加一道满意度题）以便归类；\
         在此之前按行为和 RFM 细分对待。",
    ),
    ("Ask", "询问"),
    // Value tiers.
    (
        "Protect: personal contact, service priority and early access; watch for any drop in activity",
        "保护：专人联系、服务优先和抢先体验；留意任何活跃度下降",
    ),
    (
        "Grow: cross-sell and loyalty rewards that move them towards platinum",
        "培养：交叉销售和会员奖励，推动其向铂金层级升级",
    ),
    (
        "Develop selectively: offers tied to their next purchase; test what lifts their frequency",
        "有选择地发展：与下一次购买挂钩的优惠；测试什么能提高其购买频次",
    ),
    (
        "Serve at low cost: automated, self-service contact; no discounts that cost more than they bring",
        "低成本服务：自动化、自助式联系；不给得不偿失的折扣",
    ),
    // Lifecycle stages and exit patterns.
    (
        "Make the first experiences count: onboarding and a reason for a second purchase; no trust or switching cost holds them yet",
        "让最初的体验发挥作用：新客引导，并给出再次购买的理由；此时还没有信任或转换成本留住他们",
    ),
    (
        "Reward the rising rate and meet rising expectations: service, range, cross-selling",
        "奖励不断上升的购买率，满足不断提高的期望：服务、品类、交叉销售",
    ),
    (
        "Protect the relationship: keep the best value, fair terms and recognition; the most valuable stage",
        "守护关系：保持最佳价值、公平的条件和认可；这是最有价值的阶段",
    ),
    (
        "Buying fell against their own rhythm: ask why and act before they lapse",
        "购买相对其自身节奏下降：在其流失之前问明原因并采取行动",
    ),
    ("Lapsed: see the exit pattern", "已退出：见退出模式"),
    (
        "Left during exploration: the value did not meet expectations and no trust or switching cost held them; fix the first experience and the offer to new customers",
        "在考察期离开：价值未达预期，也没有信任或转换成本留住他们；改进首次体验和对新客户的提供物",
    ),
    (
        "Left during formation: expectations kept rising and were not met; check what repeat buyers came to expect against what they got",
        "在形成期离开：期望不断提高却未被满足；对比重复购买者的期望与实际所得",
    ),
    (
        "Left early in stability: not enough continued innovation, or the relationship felt unfair; review what established customers get against new customers' deals",
        "在稳定期早期离开：持续创新不足，或感到关系不公平；对比老客户所得与新客户的优惠",
    ),
    (
        "Left after a long time in stability, held there by consistently best value, a fair relationship and high switching costs: find out what changed; a loss worth a personal win-back",
        "在稳定期长期保持后离开（曾因持续的最佳价值、公平的关系和高转换成本而留下）：查明发生了什么变化；值得亲自挽回",
    ),
    // Churn risk bands.
    (
        "win back now: personal contact or an offer sized to their value",
        "立即挽回：专人联系，或按其价值定制优惠",
    ),
    (
        "reach out this cycle: a reminder or an offer on what they usually buy",
        "本周期内联系：提醒，或针对其常购商品的优惠",
    ),
    (
        "nudge: relevant news or a service check; watch the next run",
        "轻度触达：相关资讯或服务回访；在下次运行时观察",
    ),
    (
        "keep the relationship: service as usual, ask for reviews and referrals",
        "维持关系：照常服务，邀请评价和推荐",
    ),
    (
        "no churn action needed: reward loyalty",
        "无需流失干预：奖励忠诚",
    ),
    ("no score: see the warning for why", "无评分：原因见警告"),
];

/// Chinese titles of `clm report`'s sections, by the section's anchor.
const REPORT_SECTIONS: &[(&str, &str)] = &[
    ("overview", "数据概览"),
    ("rfm", "RFM 客户分群"),
    ("loyalty", "忠诚度矩阵：态度 × 行为"),
    ("clv", "客户终身价值"),
    ("churn", "流失风险"),
    ("cohorts", "同期群：按获客月份的留存"),
    ("lifecycle", "客户生命周期阶段"),
];

/// The title of the report section with anchor `id` in Chinese, or `None` in English (the
/// section keeps its own title) and for an unknown anchor.
pub fn report_section_title(id: &str, lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::En => None,
        Lang::Zh => REPORT_SECTIONS
            .iter()
            .find(|(anchor, _)| *anchor == id)
            .map(|(_, chinese)| *chinese),
    }
}

/// Chinese table headers by column name; a column not listed keeps its English header.
const HEADERS: &[(&str, &str)] = &[
    ("customer_id", "客户"),
    ("customers", "客户数"),
    ("share_pct", "占比（%）"),
    ("revenue_share_pct", "收入占比（%）"),
    ("value_share_pct", "价值占比（%）"),
    ("action", "建议行动"),
    ("rank", "排名"),
    // RFM
    ("recency_days", "距上次购买（天）"),
    ("frequency", "购买频次"),
    ("monetary", "消费金额"),
    ("segment", "客户细分"),
    ("mean_recency_days", "平均距上次购买（天）"),
    ("mean_frequency", "平均购买频次"),
    ("mean_monetary", "平均消费金额"),
    // CLV
    ("p_alive", "存活概率"),
    ("expected_purchases", "预期购买次数"),
    ("expected_spend", "预期单次消费"),
    ("clv", "客户终身价值"),
    ("tier", "价值层级"),
    ("mean_clv", "平均客户终身价值"),
    ("mean_p_alive", "平均存活概率"),
    ("mean_expected_purchases", "平均预期购买次数"),
    ("parameter", "参数"),
    ("estimate", "估计值"),
    ("std_error", "标准误"),
    ("unit", "单位"),
    ("model", "模型"),
    ("chosen", "选用"),
    ("log_likelihood", "对数似然"),
    ("aic", "AIC"),
    ("bic", "BIC"),
    // Churn
    ("churn_risk", "流失风险"),
    ("risk_band", "风险等级"),
    ("value_at_risk", "风险价值"),
    ("purchase_days", "购买天数"),
    ("tenure_days", "客户时长（天）"),
    ("overdue_ratio", "逾期倍数"),
    ("btyd_risk", "BTYD 风险"),
    ("supervised_risk", "监督模型风险"),
    ("reason_1", "原因 1"),
    ("reason_2", "原因 2"),
    ("reason_3", "原因 3"),
    ("mean_risk", "平均风险"),
    ("expected_churners", "预期流失人数"),
    ("scorer", "评分方法"),
    ("auc", "AUC"),
    ("top_decile_lift", "前 10% 提升度"),
    ("top_decile_capture_pct", "前 10% 捕获率（%）"),
    ("brier", "Brier 分数"),
    ("base_churn_pct", "基准流失率（%）"),
    ("cutoff", "截止日"),
    ("window_end", "窗口结束日"),
    // Loyalty
    ("behaviour_index", "行为指数"),
    ("attitude_index", "态度指数"),
    ("quadrant", "忠诚类型"),
    ("ladder_stage", "忠诚阶梯"),
    ("nps", "NPS"),
    ("nps_respondents", "NPS 受访人数"),
    ("satisfaction_gap", "满意度差距"),
    ("mean_satisfaction_gap", "平均满意度差距"),
    // Cohorts
    ("cohort", "同期群"),
    ("cohort_size", "同期群人数"),
    ("period_index", "期序"),
    ("period_start", "期初"),
    ("status", "观测状态"),
    ("customers_active", "活跃客户数"),
    ("retention_pct", "留存率（%）"),
    ("revenue", "收入"),
    ("revenue_retention_pct", "收入留存率（%）"),
    ("cumulative_revenue_per_customer", "人均累计收入"),
    // Lifecycle
    ("stage", "生命周期阶段"),
    ("exit_pattern", "退出模式"),
    ("purchases", "购买次数"),
    ("rhythm_days", "购买节奏（天）"),
    ("trend", "趋势"),
    ("mean_value", "平均价值"),
    ("from_stage", "原阶段"),
    ("to_stage", "新阶段"),
    ("from \\ to", "原阶段 \\ 新阶段"),
    // Retention
    ("period", "期"),
    ("at_risk", "在险人数"),
    ("churned", "流失人数"),
    ("km_survival", "KM 生存率"),
    ("km_std_error", "KM 标准误"),
    ("km_lower", "KM 下限"),
    ("km_upper", "KM 上限"),
    ("sbg_survival", "sBG 生存率"),
    ("sbg_retention", "sBG 留存率"),
    ("observed", "观测状态"),
    ("active", "活跃客户数"),
    ("renewals_observed", "已观测续约次数"),
    ("alpha", "alpha"),
    ("beta", "beta"),
    ("alpha_se", "alpha 标准误"),
    ("beta_se", "beta 标准误"),
    ("retention_1", "首次续约留存率"),
    ("expected_lifetime", "预期寿命"),
    ("median_lifetime", "寿命中位数"),
    ("discounted_lifetime", "折现预期寿命"),
    ("mean_derl_active", "活跃客户平均 DERL"),
];

/// The label of `code` in a column named `column`, or `None` when the column holds no codes or
/// the code is not in its table (a segment of a user's own table). English labels are the codes.
pub fn code_label(column: &str, code: &str, lang: Lang) -> Option<&'static str> {
    let table = code_table(column)?;
    let (english, chinese) = table.labels.iter().find(|(c, _)| *c == code)?;
    Some(match lang {
        Lang::En => english,
        Lang::Zh => chinese,
    })
}

/// The rule table whose codes a column named `column` holds.
fn code_table(column: &str) -> Option<&'static CodeLabels> {
    CODE_TABLES
        .iter()
        .copied()
        .find(|table| table.columns.contains(&column))
}

/// An action in `lang`, or `None` when it has no translation (an action of a user's own table).
pub fn action_label(action: &str, lang: Lang) -> Option<&'static str> {
    let (english, chinese) = ACTIONS.iter().find(|(en, _)| *en == action)?;
    Some(match lang {
        Lang::En => english,
        Lang::Zh => chinese,
    })
}

/// A column's header in `lang`: `human_header` in English; in Chinese the listed header, else a
/// stage name's label (the columns of a stage migration matrix), else the English header.
pub fn header(column: &str, lang: Lang) -> String {
    if lang == Lang::Zh {
        if let Some((_, chinese)) = HEADERS.iter().find(|(name, _)| *name == column) {
            return (*chinese).to_string();
        }
        if let Some(stage) = code_label("stage", column, lang) {
            return stage.to_string();
        }
    }
    human_header(column)
}

/// Whether a column of this name gets a label: a coded column or the action.
fn is_labelled(column: &str) -> bool {
    column == "action" || code_table(column).is_some()
}

/// The label of one cell of column `column` (the text itself when it has none).
fn cell_label<'a>(column: &str, text: &'a str, lang: Lang) -> &'a str {
    let label = if column == "action" {
        action_label(text, lang)
    } else {
        code_label(column, text, lang)
    };
    label.unwrap_or(text)
}

/// The labels of a text column of codes, as a column of the same shape; `None` for numbers.
fn labelled_values(column: &str, values: &Values, lang: Lang) -> Option<Values> {
    match values {
        // A short list of codes: translate the list, keep the row codes.
        Values::Labels { labels, codes } => Some(Values::Labels {
            labels: labels
                .iter()
                .map(|l| cell_label(column, l, lang).to_string())
                .collect(),
            codes: codes.clone(),
        }),
        Values::Text(_) | Values::PackedText(_) => {
            let rows = (0..values.len())
                .map(|row| cell_label(column, values.text(row).unwrap_or_default(), lang))
                .map(str::to_string)
                .collect();
            Some(Values::Text(rows))
        }
        Values::Int(_) | Values::Float(..) | Values::Date(_) => None,
    }
}

/// The table as a terminal shows it in `lang`: coded columns and actions replaced by their
/// labels (column names, and so the headers' keys, unchanged).
pub fn localized(table: &Table, lang: Lang) -> Table {
    if lang == Lang::En {
        return table.clone();
    }
    let columns = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, values)| {
            is_labelled(name)
                .then(|| labelled_values(name, values, lang))
                .flatten()
                .unwrap_or_else(|| values.clone())
        })
        .collect();
    Table {
        names: table.names.clone(),
        columns,
    }
}

/// The table as a file holds it in `lang`: every column unchanged, and with Chinese labels a
/// `<name>_label` column right after each coded column and the action.
pub fn with_label_columns(table: &Table, lang: Lang) -> Table {
    let mut out = Table::default();
    for (name, values) in table.names.iter().zip(&table.columns) {
        out.names.push(name.clone());
        out.columns.push(values.clone());
        if lang == Lang::En || !is_labelled(name) {
            continue;
        }
        if let Some(labels) = labelled_values(name, values, lang) {
            out.names.push(format!("{name}_label"));
            out.columns.push(labels);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_one_label_each_and_no_two_codes_of_a_table_share_one() {
        for table in CODE_TABLES {
            for (i, (code, chinese)) in table.labels.iter().enumerate() {
                assert!(!chinese.is_empty() && chinese != code, "{code}");
                for (other, other_chinese) in &table.labels[i + 1..] {
                    assert_ne!(code, other);
                    assert_ne!(chinese, other_chinese, "{code} and {other}");
                }
            }
        }
        // A column belongs to one table, or a code could have two labels.
        let columns: Vec<&str> = CODE_TABLES
            .iter()
            .flat_map(|t| t.columns)
            .copied()
            .collect();
        for (i, column) in columns.iter().enumerate() {
            assert!(!columns[i + 1..].contains(column), "{column} in two tables");
        }
    }

    #[test]
    fn english_labels_are_the_codes() {
        assert_eq!(code_label("tier", "gold", Lang::En), Some("gold"));
        assert_eq!(code_label("tier", "gold", Lang::Zh), Some("黄金"));
        assert_eq!(
            code_label("quadrant", "True loyalty", Lang::Zh),
            Some("绝对忠诚")
        );
        assert_eq!(code_label("tier", "diamond", Lang::Zh), None);
        assert_eq!(code_label("customer_id", "gold", Lang::Zh), None);
        assert_eq!(header("mean_recency_days", Lang::En), "Mean recency (days)");
        assert_eq!(
            header("mean_recency_days", Lang::Zh),
            "平均距上次购买（天）"
        );
        assert_eq!(header("stability", Lang::Zh), "稳定期");
        assert_eq!(header("no_such_column", Lang::Zh), "No such column");
    }

    fn tiers() -> Table {
        Table::default()
            .with("customer_id", Values::Text(vec!["A".into(), "B".into()]))
            .with(
                "tier",
                Values::Labels {
                    labels: vec!["gold".into(), "lead".into()],
                    codes: vec![1, 0],
                },
            )
            .with("clv", Values::Float(vec![1.0, 2.0], 2))
            .with(
                "action",
                Values::Text(vec!["Ask".into(), "Call them".into()]),
            )
    }

    #[test]
    fn files_gain_a_label_column_beside_each_coded_column() {
        let table = with_label_columns(&tiers(), Lang::Zh);
        assert_eq!(
            table.names,
            [
                "customer_id",
                "tier",
                "tier_label",
                "clv",
                "action",
                "action_label"
            ]
        );
        assert_eq!(table.cell(1, 0), "lead");
        assert_eq!(table.cell(2, 0), "重铅");
        assert_eq!(table.cell(2, 1), "黄金");
        assert_eq!(table.cell(5, 0), "询问");
        // An action of a user's own table keeps its text.
        assert_eq!(table.cell(5, 1), "Call them");
        assert_eq!(with_label_columns(&tiers(), Lang::En), tiers());
    }

    #[test]
    fn terminal_tables_show_labels_in_place() {
        let table = localized(&tiers(), Lang::Zh);
        assert_eq!(table.names, tiers().names);
        assert_eq!(table.cell(0, 0), "A");
        assert_eq!(table.cell(1, 1), "黄金");
        assert_eq!(table.cell(3, 0), "询问");
        assert_eq!(localized(&tiers(), Lang::En), tiers());
    }
}
