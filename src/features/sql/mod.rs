//! The SQL that computes the per-customer summary (`docs/summary.md`, version 1) from a
//! transaction table where the data lives, for `clm sql`: pure text building, one dialect table
//! ([`dialect`]) for what differs between engines.
//!
//! The query follows the loader's row rules (`docs/input.md`): ids trimmed and a spreadsheet's
//! `.0` dropped when every id has it, rows without an id left out, `--exclude-ids`, returns
//! (a negative amount, or an order id starting with `C`) per `--returns`, calendar days. Every
//! name the user gives is a quoted identifier and every value a quoted literal.

pub mod dialect;

use std::fmt::Write as _;

pub use dialect::Dialect;
use dialect::Syntax;

use crate::data::options::ReturnsPolicy;

/// The summary's version, written in every row.
pub const SUMMARY_VERSION: u32 = 1;

/// Days in a quarter of the summary's revenue windows: `(c − 91, c]` and `(c − 182, c − 91]`.
pub const QUARTER_DAYS: u32 = 91;

/// Where the amount of a row comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountColumns {
    /// One column holding the net amount.
    Amount(String),
    /// Quantity times unit price.
    QuantityTimesPrice { quantity: String, price: String },
}

/// The transaction table and its columns, as named in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    /// The table, possibly qualified (`sales.tx`, `project.dataset.tx`): split at dots.
    pub table: String,
    pub customer: String,
    pub date: String,
    pub amount: AmountColumns,
    pub order: Option<String>,
    /// strftime format of a text date column; `None` casts the column to a date.
    pub date_format: Option<String>,
}

/// The as-of date of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The table's last date (after the row rules), as the analyses default to.
    LastDate,
    /// The engine's current date when the query runs.
    Today,
    /// A fixed date, days since 1970-01-01.
    Day(i32),
}

/// What the summary holds: the row rules and the cut-offs.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryQuery {
    pub source: SourceTable,
    pub returns: ReturnsPolicy,
    /// Customer ids to leave out, trimmed (`--exclude-ids`).
    pub exclude_ids: Vec<String>,
    pub as_of: AsOf,
    /// Churn's horizon in days: the summary then has the cut-offs `clm churn` reads (see
    /// [`cutoffs`]); `None` for the as-of date alone (rfm, clv, loyalty).
    pub churn_horizon: Option<u32>,
}

/// A request the SQL cannot express (an empty name, a date format the engine cannot read):
/// a usage error for the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError(pub String);

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SqlError {}

/// The SQL statement computing the summary of `query` in `dialect`: one row per customer and
/// cut-off, with the columns of `docs/summary.md` in its order.
pub fn summary_sql(query: &SummaryQuery, dialect: Dialect) -> Result<String, SqlError> {
    let sql = &dialect.syntax();
    let table = qualified_table(sql, &query.source.table)?;
    let mut out = header(query, dialect);
    out.push_str("WITH\n");
    let has_orders = query.source.order.is_some();
    let ctes = [
        Some(source_rows(sql, &query.source, &table)?),
        Some(id_form(sql)),
        Some(identified(sql, query)),
        Some(tx(sql, query)),
        order_days(has_orders),
        Some(customer_days(has_orders)),
        Some(day_facts(sql)),
        Some(as_of(sql, query.as_of)),
        Some(cutoffs(sql, query.churn_horizon)),
    ];
    let ctes: Vec<String> = ctes.into_iter().flatten().collect();
    out.push_str(&ctes.join(",\n"));
    out.push('\n');
    out.push_str(&final_select(sql));
    out.push_str(";\n");
    Ok(out)
}

/// `sales.tx` as `"sales"."tx"`: each part quoted on its own.
fn qualified_table(sql: &Syntax, table: &str) -> Result<String, SqlError> {
    let parts: Vec<&str> = table.split('.').collect();
    if parts.iter().any(|part| part.trim().is_empty()) {
        return Err(SqlError(format!(
            "--table '{table}' has an empty name part; give e.g. sales.transactions"
        )));
    }
    let quoted: Vec<String> = parts.iter().map(|part| sql.identifier(part)).collect();
    Ok(quoted.join("."))
}

/// A column name, quoted; an empty name is an error naming the flag.
fn column(sql: &Syntax, name: &str, flag: &str) -> Result<String, SqlError> {
    if name.is_empty() {
        return Err(SqlError(format!("{flag} is empty; give the column's name")));
    }
    Ok(sql.identifier(name))
}

/// The comment at the top: what the query computes and the rules it applies. It holds no value
/// the user typed (a line break in a name would end the comment).
fn header(query: &SummaryQuery, dialect: Dialect) -> String {
    let as_of = match query.as_of {
        AsOf::LastDate => "the table's last date".to_string(),
        AsOf::Today => "the current date".to_string(),
        AsOf::Day(day) => crate::output::format_day(day),
    };
    let cutoffs = match query.churn_horizon {
        None => "the as-of date".to_string(),
        Some(h) => format!(
            "those clm churn --horizon {h} reads (as-of, as-of - {h} days, as-of - {} days \
             when as-of is the last date)",
            2 * h
        ),
    };
    let returns = match query.returns {
        ReturnsPolicy::Net => "net (subtracted, not purchases)",
        ReturnsPolicy::Drop => "drop (left out)",
        ReturnsPolicy::Keep => "keep (ordinary rows)",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- The per-customer summary, version {SUMMARY_VERSION} (docs/summary.md), for {}.",
        dialect.name()
    );
    let _ = writeln!(out, "-- As of {as_of}; cut-offs: {cutoffs}.");
    let _ = writeln!(
        out,
        "-- Rows without a customer id are left out; returns: {returns}."
    );
    let _ = writeln!(
        out,
        "-- Read the result with: clm <analysis> summary.csv --input-kind summary"
    );
    out
}

/// The table's rows with the columns renamed: trimmed id text, calendar day, amount, order id
/// (an empty one is none).
fn source_rows(sql: &Syntax, source: &SourceTable, table: &str) -> Result<String, SqlError> {
    let customer = column(sql, &source.customer, "--customer-col")?;
    let date = column(sql, &source.date, "--date-col")?;
    let id_text = format!("CAST({customer} AS {})", sql.text);
    let raw_id = sql.regex_replace(&id_text, r"^\s+|\s+$", "");
    let day = match &source.date_format {
        Some(format) => {
            let text = format!("TRIM(CAST({date} AS {}))", sql.text);
            sql.parse_date(&text, format)
                .map_err(|e| SqlError(format!("--date-format '{format}': {e}")))?
        }
        None => format!("CAST(CAST({date} AS TIMESTAMP) AS DATE)"),
    };
    let number = |name: &str, flag: &str| -> Result<String, SqlError> {
        Ok(format!(
            "CAST({} AS {})",
            column(sql, name, flag)?,
            sql.float
        ))
    };
    let amount = match &source.amount {
        AmountColumns::Amount(name) => number(name, "--amount-col")?,
        AmountColumns::QuantityTimesPrice { quantity, price } => format!(
            "{} * {}",
            number(quantity, "--quantity-col")?,
            number(price, "--price-col")?
        ),
    };
    let order = match &source.order {
        Some(name) => format!(
            "NULLIF(CAST({} AS {}), '')",
            column(sql, name, "--order-col")?,
            sql.text
        ),
        None => format!("CAST(NULL AS {})", sql.text),
    };
    Ok(format!(
        "source_rows AS (
  SELECT
    {raw_id} AS raw_id,
    {day} AS tx_day,
    {amount} AS amount,
    {order} AS order_id
  FROM {table}
)"
    ))
}

/// Whether every id is written as a float (`17850.0`, a spreadsheet's doing): then the `.0` is
/// dropped from each, as the loader does.
fn id_form(sql: &Syntax) -> String {
    let float_written = sql.regex_matches("raw_id", r"^[0-9]+\.0$");
    format!(
        "id_form AS (
  SELECT COUNT(*) > 0 AND COUNT(CASE WHEN NOT {float_written} THEN 1 END) = 0 AS float_ids
  FROM source_rows
  WHERE raw_id <> ''
)"
    )
}

/// Rows with an id, the id in its final form, and whether each row is a return.
fn identified(sql: &Syntax, query: &SummaryQuery) -> String {
    let without_suffix = sql.regex_replace("raw_id", r"\.0$", "");
    let is_return = match (query.returns, query.source.order.is_some()) {
        (ReturnsPolicy::Keep, _) => "FALSE".to_string(),
        (_, false) => "COALESCE(amount < 0, FALSE)".to_string(),
        (_, true) => {
            "(COALESCE(amount < 0, FALSE) OR COALESCE(order_id LIKE 'C%', FALSE))".to_string()
        }
    };
    format!(
        "identified AS (
  SELECT
    CASE WHEN id_form.float_ids THEN {without_suffix} ELSE raw_id END AS customer_id,
    id_form.float_ids,
    tx_day,
    amount,
    order_id,
    {is_return} AS is_return
  FROM source_rows CROSS JOIN id_form
  WHERE raw_id <> ''
)"
    )
}

/// The rows the summary counts: `--exclude-ids` left out (an id written `0.0` names customer
/// `0` when the ids are float-written, as in the loader), returns dropped under `--returns drop`.
fn tx(sql: &Syntax, query: &SummaryQuery) -> String {
    let mut conditions = Vec::new();
    if !query.exclude_ids.is_empty() {
        let list = |ids: &[String]| -> String {
            let literals: Vec<String> = ids.iter().map(|id| sql.string(id)).collect();
            literals.join(", ")
        };
        let as_given = list(&query.exclude_ids);
        let as_loaded: Vec<String> = query
            .exclude_ids
            .iter()
            .map(|id| float_written_digits(id).unwrap_or(id).to_string())
            .collect();
        let as_loaded = list(&as_loaded);
        conditions.push(if as_loaded == as_given {
            format!("customer_id NOT IN ({as_given})")
        } else {
            format!(
                "NOT (CASE WHEN float_ids THEN customer_id IN ({as_loaded}) \
                 ELSE customer_id IN ({as_given}) END)"
            )
        });
    }
    if query.returns == ReturnsPolicy::Drop {
        conditions.push("NOT is_return".to_string());
    }
    let filter = match conditions.is_empty() {
        true => String::new(),
        false => format!("\n  WHERE {}", conditions.join("\n    AND ")),
    };
    format!(
        "tx AS (
  SELECT customer_id, tx_day, amount, order_id, is_return
  FROM identified{filter}
)"
    )
}

/// The digits of an id written as a float (`17850.0` → `17850`), the loader's rule.
fn float_written_digits(id: &str) -> Option<&str> {
    id.strip_suffix(".0")
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The as-of date and the table's last date (after the row rules).
fn as_of(sql: &Syntax, as_of: AsOf) -> String {
    let as_of = match as_of {
        AsOf::LastDate => "MAX(tx_day)".to_string(),
        AsOf::Today => "CURRENT_DATE".to_string(),
        AsOf::Day(day) => sql.date(&crate::output::format_day(day)),
    };
    format!("as_of AS (\n  SELECT {as_of} AS as_of, MAX(tx_day) AS last_day FROM customer_days\n)")
}

/// The cut-offs: the as-of date; for churn with horizon `h` every cut-off `clm churn` reads
/// (`analysis::churn::cutoffs_read`): as-of and as-of − h, and the back-test's evaluation
/// cut-off `e` = the earlier of as-of and last date − h, with `e + h` and `e − h`. With the
/// as-of date at the last date that is as-of, as-of − h and as-of − 2h.
fn cutoffs(sql: &Syntax, churn_horizon: Option<u32>) -> String {
    let Some(h) = churn_horizon else {
        return "cutoffs AS (\n  SELECT as_of AS cutoff FROM as_of\n)".to_string();
    };
    let evaluation = format!("LEAST(as_of, {})", sql.minus_days("last_day", h));
    let candidates = [
        "as_of".to_string(),
        sql.minus_days("as_of", h),
        sql.plus_days(&evaluation, h),
        evaluation.clone(),
        sql.minus_days(&evaluation, h),
    ];
    let selects: Vec<String> = candidates
        .iter()
        .map(|cutoff| format!("    SELECT {cutoff} AS cutoff FROM as_of"))
        .collect();
    format!(
        "cutoffs AS (\n  SELECT DISTINCT cutoff FROM (\n{}\n  ) candidates\n)",
        selects.join("\n    UNION ALL\n")
    )
}

/// With an order column, each row with the day its order was first bought on (among purchase
/// rows): an order counts once, on that day, however many days its rows span.
fn order_days(has_orders: bool) -> Option<String> {
    has_orders.then(|| {
        "order_days AS (
  SELECT
    customer_id,
    tx_day,
    amount,
    order_id,
    is_return,
    MIN(CASE WHEN NOT is_return THEN tx_day END) OVER (PARTITION BY customer_id, order_id) AS order_first_day
  FROM tx
)"
        .to_string()
    })
}

/// One row per customer and day: the day's net total, rows, return rows, whether any row is a
/// purchase, and the orders first bought that day (a purchase row without an order id counts
/// its day as the order; without an order column an order is a purchase day).
fn customer_days(has_orders: bool) -> String {
    let (new_orders, rows) = match has_orders {
        true => (
            "COUNT(DISTINCT CASE WHEN NOT is_return AND tx_day = order_first_day THEN order_id END)
      + MAX(CASE WHEN NOT is_return AND order_id IS NULL THEN 1 ELSE 0 END)",
            "order_days",
        ),
        false => ("MAX(CASE WHEN is_return THEN 0 ELSE 1 END)", "tx"),
    };
    format!(
        "customer_days AS (
  SELECT
    customer_id,
    tx_day,
    SUM(amount) AS day_total,
    COUNT(*) AS day_rows,
    SUM(CASE WHEN is_return THEN 1 ELSE 0 END) AS day_return_rows,
    MAX(CASE WHEN is_return THEN 0 ELSE 1 END) AS purchase,
    {new_orders} AS new_orders
  FROM {rows}
  GROUP BY customer_id, tx_day
)"
    )
}

/// Each day with, for a purchase day, its rank among the customer's purchase days and the gap
/// in days since the previous one (the same at every cut-off, which only cuts the list short).
/// One window, partitioned by customer and purchase, so the purchase days are in a row.
fn day_facts(sql: &Syntax) -> String {
    let window = "OVER (PARTITION BY customer_id, purchase ORDER BY tx_day)";
    let gap = sql.days_between("tx_day", &format!("LAG(tx_day) {window}"));
    format!(
        "day_facts AS (
  SELECT
    customer_id,
    tx_day,
    day_total,
    day_rows,
    day_return_rows,
    purchase,
    new_orders,
    CASE WHEN purchase = 1 THEN ROW_NUMBER() {window} END AS nth,
    CASE WHEN purchase = 1 THEN {gap} END AS gap
  FROM customer_days
)"
    )
}

/// The summary: each customer's days on or before each cut-off, summed, in the schema's types,
/// in customer order (clm reads a summary sorted by id without grouping it again: 1.4 GB
/// instead of 3.5 GB for 10 million customers).
fn final_select(sql: &Syntax) -> String {
    let last_quarter = sql.minus_days("c.cutoff", QUARTER_DAYS);
    let prior_quarter = sql.minus_days("c.cutoff", 2 * QUARTER_DAYS);
    let float = |expr: &str| format!("CAST({expr} AS {})", sql.float);
    let bigint = |expr: &str| format!("CAST({expr} AS {})", sql.bigint);
    let columns = [
        (
            format!("CAST({SUMMARY_VERSION} AS {})", sql.int),
            "summary_version",
        ),
        ("f.customer_id".to_string(), "customer_id"),
        ("c.cutoff".to_string(), "cutoff"),
        (
            "MIN(CASE WHEN f.purchase = 1 THEN f.tx_day END)".to_string(),
            "first_day",
        ),
        (
            "MAX(CASE WHEN f.purchase = 1 THEN f.tx_day END)".to_string(),
            "last_day",
        ),
        (bigint("SUM(f.purchase)"), "purchase_days"),
        (bigint("SUM(f.new_orders)"), "orders"),
        (bigint("SUM(f.day_rows)"), "rows"),
        (bigint("SUM(f.day_return_rows)"), "return_rows"),
        (float("SUM(f.day_total)"), "revenue"),
        (
            float("SUM(CASE WHEN f.nth > 1 THEN f.day_total ELSE 0 END)"),
            "repeat_revenue",
        ),
        (
            float(&format!(
                "SUM(CASE WHEN f.tx_day > {last_quarter} THEN f.day_total ELSE 0 END)"
            )),
            "revenue_last_quarter",
        ),
        (
            float(&format!(
                "SUM(CASE WHEN f.tx_day > {prior_quarter} AND f.tx_day <= {last_quarter} \
                 THEN f.day_total ELSE 0 END)"
            )),
            "revenue_prior_quarter",
        ),
        (
            float(&format!(
                "SUM(CASE WHEN f.gap IS NULL THEN 0 ELSE {} * f.gap END)",
                float("f.gap")
            )),
            "gap_square_sum",
        ),
    ];
    let columns: Vec<String> = columns
        .iter()
        .map(|(expr, name)| format!("  {expr} AS {}", sql.identifier(name)))
        .collect();
    format!(
        "SELECT\n{}\nFROM day_facts f\nJOIN cutoffs c ON f.tx_day <= c.cutoff\nGROUP BY f.customer_id, c.cutoff\nORDER BY f.customer_id, c.cutoff DESC",
        columns.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    fn query() -> SummaryQuery {
        SummaryQuery {
            source: SourceTable {
                table: "sales.tx".into(),
                customer: "cust".into(),
                date: "ts".into(),
                amount: AmountColumns::Amount("net".into()),
                order: None,
                date_format: None,
            },
            returns: ReturnsPolicy::Net,
            exclude_ids: Vec::new(),
            as_of: AsOf::LastDate,
            churn_horizon: None,
        }
    }

    #[test]
    fn every_dialect_writes_the_schema_columns_in_order() {
        let names = crate::data::summary::SUMMARY_COLUMNS;
        for &dialect in Dialect::value_variants() {
            let sql = summary_sql(&query(), dialect).unwrap();
            let syntax = dialect.syntax();
            let mut from = 0;
            for name in names {
                let quoted = format!(" AS {}", syntax.identifier(name));
                let at = sql[from..]
                    .find(&quoted)
                    .unwrap_or_else(|| panic!("{name} missing or out of order in {sql}"));
                from += at + quoted.len();
            }
            assert!(sql.trim_end().ends_with(';'), "{sql}");
        }
    }

    #[test]
    fn each_dialect_has_its_own_shape() {
        let duckdb = summary_sql(&query(), Dialect::Duckdb).unwrap();
        assert!(duckdb.contains(r#"FROM "sales"."tx""#), "{duckdb}");
        assert!(duckdb.contains(r#"CAST("net" AS DOUBLE)"#));
        assert!(duckdb.contains("regexp_full_match(raw_id, '^[0-9]+\\.0$')"));
        assert!(duckdb.contains("(c.cutoff - 91)"));
        let spark = summary_sql(&query(), Dialect::Spark).unwrap();
        assert!(spark.contains("FROM `sales`.`tx`"), "{spark}");
        assert!(spark.contains("CAST(`cust` AS STRING)"));
        assert!(spark.contains(r"(raw_id RLIKE '^[0-9]+\\.0$')"), "{spark}");
        assert!(spark.contains("date_sub(c.cutoff, 91)"));
        assert!(
            spark.contains("datediff(tx_day, LAG(tx_day) OVER (PARTITION BY customer_id, purchase")
        );
        let bigquery = summary_sql(&query(), Dialect::Bigquery).unwrap();
        assert!(bigquery.contains("FROM `sales`.`tx`"));
        assert!(bigquery.contains("CAST(`net` AS FLOAT64)"));
        assert!(bigquery.contains("DATE_SUB(c.cutoff, INTERVAL 182 DAY)"));
        assert!(bigquery.contains("CAST(1 AS INT64) AS `summary_version`"));
        let postgres = summary_sql(&query(), Dialect::Postgres).unwrap();
        assert!(postgres.contains(r#"CAST("net" AS DOUBLE PRECISION)"#));
        assert!(postgres.contains(r"(raw_id ~ '^[0-9]+\.0$')"));
        assert!(postgres.contains("'^\\s+|\\s+$', '', 'g')"), "{postgres}");
        let snowflake = summary_sql(&query(), Dialect::Snowflake).unwrap();
        assert!(snowflake.contains("DATEADD(day, -91, c.cutoff)"));
        assert!(snowflake.contains(r"REGEXP_LIKE(raw_id, '^[0-9]+\\.0$')"));
        assert!(snowflake.contains("DATEDIFF(day, LAG(tx_day)"));
    }

    #[test]
    fn names_with_quotes_stay_names() {
        let mut query = query();
        query.source.table = "my\"schema.tx`s".into();
        query.source.customer = "Customer \"ID\"".into();
        query.source.date = "when`".into();
        let duckdb = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(duckdb.contains(r#"FROM "my""schema"."tx`s""#), "{duckdb}");
        assert!(duckdb.contains(r#"CAST("Customer ""ID""" AS VARCHAR)"#));
        let spark = summary_sql(&query, Dialect::Spark).unwrap();
        assert!(spark.contains("FROM `my\"schema`.`tx``s`"), "{spark}");
        assert!(spark.contains("CAST(CAST(`when``` AS TIMESTAMP) AS DATE)"));
        let bigquery = summary_sql(&query, Dialect::Bigquery).unwrap();
        assert!(bigquery.contains(r"`when\``"), "{bigquery}");
        query.source.table = "sales..tx".into();
        let error = summary_sql(&query, Dialect::Duckdb).unwrap_err();
        assert!(error.0.contains("--table 'sales..tx'"), "{error}");
    }

    #[test]
    fn exclude_ids_are_literals_in_both_id_forms() {
        let mut query = query();
        query.exclude_ids = vec!["O'Brien".into(), "0.0".into()];
        let duckdb = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(
            duckdb.contains(
                "NOT (CASE WHEN float_ids THEN customer_id IN ('O''Brien', '0') \
                 ELSE customer_id IN ('O''Brien', '0.0') END)"
            ),
            "{duckdb}"
        );
        let spark = summary_sql(&query, Dialect::Spark).unwrap();
        assert!(
            spark.contains(r"customer_id IN ('O\'Brien', '0')"),
            "{spark}"
        );
        query.exclude_ids = vec!["guest".into()];
        let postgres = summary_sql(&query, Dialect::Postgres).unwrap();
        assert!(postgres.contains("WHERE customer_id NOT IN ('guest')"));
    }

    #[test]
    fn returns_policy_decides_the_return_flag_and_filter() {
        let mut query = query();
        query.source.order = Some("InvoiceNo".into());
        let net = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(net.contains("COALESCE(order_id LIKE 'C%', FALSE)"));
        assert!(!net.contains("NOT is_return\n"));
        query.returns = ReturnsPolicy::Drop;
        let drop = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(drop.contains("WHERE NOT is_return\n"), "{drop}");
        query.returns = ReturnsPolicy::Keep;
        let keep = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(keep.contains("FALSE AS is_return"));
        assert!(!keep.contains("LIKE 'C%'"));
    }

    #[test]
    fn churn_has_the_cutoffs_churn_reads_and_a_fixed_as_of_is_a_date_literal() {
        let mut query = query();
        query.as_of = AsOf::Day(20269); // 2025-06-30
        query.churn_horizon = Some(90);
        let duckdb = summary_sql(&query, Dialect::Duckdb).unwrap();
        assert!(
            duckdb.contains("SELECT DATE '2025-06-30' AS as_of, MAX(tx_day) AS last_day"),
            "{duckdb}"
        );
        assert!(duckdb.contains("SELECT (as_of - 90) AS cutoff FROM as_of"));
        assert!(duckdb.contains("SELECT (LEAST(as_of, (last_day - 90)) + 90) AS cutoff"));
        assert!(duckdb.contains("SELECT (LEAST(as_of, (last_day - 90)) - 90) AS cutoff"));
        assert!(duckdb.contains("SELECT DISTINCT cutoff FROM ("));
        assert_eq!(duckdb.matches("UNION ALL").count(), 4);
        query.as_of = AsOf::Today;
        let spark = summary_sql(&query, Dialect::Spark).unwrap();
        assert!(spark.contains("SELECT CURRENT_DATE AS as_of"));
        assert!(
            spark.contains("date_add(LEAST(as_of, date_sub(last_day, 90)), 90)"),
            "{spark}"
        );
        query.churn_horizon = None;
        let one = summary_sql(&query, Dialect::Spark).unwrap();
        assert!(!one.contains("UNION"), "{one}");
    }

    #[test]
    fn a_date_format_is_parsed_and_quantity_times_price_multiplied() {
        let mut query = query();
        query.source.date_format = Some("%d/%m/%Y".into());
        query.source.amount = AmountColumns::QuantityTimesPrice {
            quantity: "Quantity".into(),
            price: "UnitPrice".into(),
        };
        let postgres = summary_sql(&query, Dialect::Postgres).unwrap();
        assert!(postgres.contains("to_date(regexp_replace(TRIM(CAST(\"ts\" AS TEXT))"));
        assert!(postgres.contains("'DD/MM/YYYY')"), "{postgres}");
        assert!(postgres.contains(
            r#"CAST("Quantity" AS DOUBLE PRECISION) * CAST("UnitPrice" AS DOUBLE PRECISION)"#
        ));
        query.source.date_format = Some("%j".into());
        let error = summary_sql(&query, Dialect::Spark).unwrap_err();
        assert!(
            error.0.starts_with("--date-format '%j': %j has no"),
            "{error}"
        );
    }

    #[test]
    fn the_header_comment_holds_no_user_text() {
        let mut query = query();
        query.source.table = "tx\nDROP TABLE x".into();
        query.exclude_ids = vec!["a\nb".into()];
        let sql = summary_sql(&query, Dialect::Postgres).unwrap();
        let header: Vec<&str> = sql.lines().take_while(|l| l.starts_with("--")).collect();
        assert_eq!(header.len(), 4);
        assert!(header.iter().all(|line| !line.contains("DROP")));
    }
}
