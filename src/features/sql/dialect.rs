//! What differs between the SQL engines `clm sql` writes for, in one table ([`SYNTAX`]): how
//! identifiers and strings are quoted, the type names, date arithmetic, regular expressions and
//! date parsing. Everything else in the generated SQL is common to the five.

use std::fmt::Write as _;

/// The SQL engines `clm sql` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB.
    Duckdb,
    /// Apache Spark SQL (Databricks, EMR, `spark-sql`).
    Spark,
    /// Google BigQuery (GoogleSQL).
    Bigquery,
    /// PostgreSQL.
    Postgres,
    /// Snowflake.
    Snowflake,
}

/// How a string literal escapes its quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringEscape {
    /// The SQL standard: `'` is written `''`, a backslash is an ordinary character.
    Doubled,
    /// C-style escapes: `\'`, `\\`, `\n` (Spark, BigQuery, Snowflake).
    Backslash,
}

/// How `--date-format`'s strftime specifiers are written for the engine's date parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatStyle {
    /// strftime itself (DuckDB `strptime`, BigQuery `PARSE_DATETIME`).
    Strftime,
    /// Java `DateTimeFormatter` patterns (Spark), literal letters in `'…'`.
    Java,
    /// PostgreSQL templates (`to_date`), literal letters in `"…"`.
    Postgres,
    /// Snowflake formats (`TO_DATE`), literal letters in `"…"`.
    Snowflake,
}

/// One engine's syntax. Templates name their arguments in braces (`{date}`, `{days}`).
#[derive(Debug)]
pub struct Syntax {
    /// The character around a quoted identifier.
    identifier_quote: char,
    /// How that character is written inside a quoted identifier.
    identifier_quote_escaped: &'static str,
    /// Backslashes are escapes inside quoted identifiers too (BigQuery).
    identifier_backslash_escapes: bool,
    string_escape: StringEscape,
    /// Type names: text, 64-bit float, 64-bit integer, 32-bit integer.
    pub text: &'static str,
    pub float: &'static str,
    pub bigint: &'static str,
    pub int: &'static str,
    /// `{date}` minus `{days}` (a whole number) days.
    minus_days: &'static str,
    /// `{date}` plus `{days}` (a whole number) days.
    plus_days: &'static str,
    /// Days from `{earlier}` to `{later}`.
    days_between: &'static str,
    /// Whether `{text}` matches the regular expression `{pattern}`.
    regex_matches: &'static str,
    /// `{text}` with every match of `{pattern}` replaced by `{replacement}`.
    regex_replace: &'static str,
    /// A date from `{text}` in the engine's `{format}` (no time of day in it).
    parse_date: &'static str,
    /// A date from `{text}` in the engine's `{format}` (with a time of day).
    parse_datetime_date: &'static str,
    format_style: FormatStyle,
}

/// The five engines' syntax, in the order of [`Dialect`].
const SYNTAX: [Syntax; 5] = [
    // DuckDB
    Syntax {
        identifier_quote: '"',
        identifier_quote_escaped: "\"\"",
        identifier_backslash_escapes: false,
        string_escape: StringEscape::Doubled,
        text: "VARCHAR",
        float: "DOUBLE",
        bigint: "BIGINT",
        int: "INTEGER",
        minus_days: "({date} - {days})",
        plus_days: "({date} + {days})",
        days_between: "({later} - {earlier})",
        regex_matches: "regexp_full_match({text}, {pattern})",
        regex_replace: "regexp_replace({text}, {pattern}, {replacement}, 'g')",
        parse_date: "CAST(strptime({text}, {format}) AS DATE)",
        parse_datetime_date: "CAST(strptime({text}, {format}) AS DATE)",
        format_style: FormatStyle::Strftime,
    },
    // Spark
    Syntax {
        identifier_quote: '`',
        identifier_quote_escaped: "``",
        identifier_backslash_escapes: false,
        string_escape: StringEscape::Backslash,
        text: "STRING",
        float: "DOUBLE",
        bigint: "BIGINT",
        int: "INT",
        minus_days: "date_sub({date}, {days})",
        plus_days: "date_add({date}, {days})",
        days_between: "datediff({later}, {earlier})",
        regex_matches: "({text} RLIKE {pattern})",
        regex_replace: "regexp_replace({text}, {pattern}, {replacement})",
        parse_date: "to_date({text}, {format})",
        parse_datetime_date: "CAST(to_timestamp({text}, {format}) AS DATE)",
        format_style: FormatStyle::Java,
    },
    // BigQuery
    Syntax {
        identifier_quote: '`',
        identifier_quote_escaped: "\\`",
        identifier_backslash_escapes: true,
        string_escape: StringEscape::Backslash,
        text: "STRING",
        float: "FLOAT64",
        bigint: "INT64",
        int: "INT64",
        minus_days: "DATE_SUB({date}, INTERVAL {days} DAY)",
        plus_days: "DATE_ADD({date}, INTERVAL {days} DAY)",
        days_between: "DATE_DIFF({later}, {earlier}, DAY)",
        regex_matches: "REGEXP_CONTAINS({text}, {pattern})",
        regex_replace: "REGEXP_REPLACE({text}, {pattern}, {replacement})",
        parse_date: "PARSE_DATE({format}, {text})",
        parse_datetime_date: "DATE(PARSE_DATETIME({format}, {text}))",
        format_style: FormatStyle::Strftime,
    },
    // Postgres
    Syntax {
        identifier_quote: '"',
        identifier_quote_escaped: "\"\"",
        identifier_backslash_escapes: false,
        string_escape: StringEscape::Doubled,
        text: "TEXT",
        float: "DOUBLE PRECISION",
        bigint: "BIGINT",
        int: "INTEGER",
        minus_days: "({date} - {days})",
        plus_days: "({date} + {days})",
        days_between: "({later} - {earlier})",
        regex_matches: "({text} ~ {pattern})",
        regex_replace: "regexp_replace({text}, {pattern}, {replacement}, 'g')",
        parse_date: "to_date({text}, {format})",
        parse_datetime_date: "CAST(to_timestamp({text}, {format}) AS DATE)",
        format_style: FormatStyle::Postgres,
    },
    // Snowflake
    Syntax {
        identifier_quote: '"',
        identifier_quote_escaped: "\"\"",
        identifier_backslash_escapes: false,
        string_escape: StringEscape::Backslash,
        text: "VARCHAR",
        float: "DOUBLE",
        bigint: "BIGINT",
        int: "INTEGER",
        minus_days: "DATEADD(day, -{days}, {date})",
        plus_days: "DATEADD(day, {days}, {date})",
        days_between: "DATEDIFF(day, {earlier}, {later})",
        regex_matches: "REGEXP_LIKE({text}, {pattern})",
        regex_replace: "REGEXP_REPLACE({text}, {pattern}, {replacement})",
        parse_date: "TO_DATE({text}, {format})",
        parse_datetime_date: "CAST(TO_TIMESTAMP({text}, {format}) AS DATE)",
        format_style: FormatStyle::Snowflake,
    },
];

impl Dialect {
    /// The engine's syntax.
    pub fn syntax(self) -> &'static Syntax {
        &SYNTAX[self as usize]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Bigquery => "bigquery",
            Dialect::Postgres => "postgres",
            Dialect::Snowflake => "snowflake",
        }
    }
}

/// Fills a template's `{name}` slots in one pass, so a value holding braces is left as it is.
fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let slot = after.find('}').and_then(|close| {
            let name = &after[..close];
            slots
                .iter()
                .find(|(slot, _)| *slot == name)
                .map(|(_, value)| (close, *value))
        });
        match slot {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Syntax {
    /// One identifier, quoted: a quote character inside it is escaped, so any name is safe.
    pub fn identifier(&self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 2);
        out.push(self.identifier_quote);
        for c in name.chars() {
            match c {
                c if c == self.identifier_quote => out.push_str(self.identifier_quote_escaped),
                '\\' if self.identifier_backslash_escapes => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push(self.identifier_quote);
        out
    }

    /// A string literal holding `value` exactly, whatever it contains.
    pub fn string(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            match (self.string_escape, c) {
                (StringEscape::Doubled, '\'') => out.push_str("''"),
                (StringEscape::Doubled, c) => out.push(c),
                (StringEscape::Backslash, '\'') => out.push_str("\\'"),
                (StringEscape::Backslash, '\\') => out.push_str("\\\\"),
                (StringEscape::Backslash, '\n') => out.push_str("\\n"),
                (StringEscape::Backslash, '\r') => out.push_str("\\r"),
                (StringEscape::Backslash, '\t') => out.push_str("\\t"),
                (StringEscape::Backslash, c) if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                (StringEscape::Backslash, c) => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// A date literal; `iso` is `YYYY-MM-DD`, checked by the caller.
    pub fn date(&self, iso: &str) -> String {
        format!("DATE {}", self.string(iso))
    }

    /// `date` minus a whole number of days.
    pub fn minus_days(&self, date: &str, days: u32) -> String {
        fill(
            self.minus_days,
            &[("date", date), ("days", &days.to_string())],
        )
    }

    /// `date` plus a whole number of days.
    pub fn plus_days(&self, date: &str, days: u32) -> String {
        fill(
            self.plus_days,
            &[("date", date), ("days", &days.to_string())],
        )
    }

    /// Days from `earlier` to `later`, as an integer.
    pub fn days_between(&self, later: &str, earlier: &str) -> String {
        fill(self.days_between, &[("later", later), ("earlier", earlier)])
    }

    /// Whether `text` matches `pattern` (a regular expression written for RE2, Java and POSIX
    /// alike: anchored, no look-around).
    pub fn regex_matches(&self, text: &str, pattern: &str) -> String {
        fill(
            self.regex_matches,
            &[("text", text), ("pattern", &self.string(pattern))],
        )
    }

    /// `text` with every match of `pattern` replaced by `replacement` (plain text).
    pub fn regex_replace(&self, text: &str, pattern: &str, replacement: &str) -> String {
        fill(
            self.regex_replace,
            &[
                ("text", text),
                ("pattern", &self.string(pattern)),
                ("replacement", &self.string(replacement)),
            ],
        )
    }

    /// The date that text `text` holds in the strftime format `format`; with no time of day in
    /// the format, a time of day after the date is dropped first, as `clm` does.
    pub fn parse_date(&self, text: &str, format: &str) -> Result<String, String> {
        let engine_format = self.date_format(format)?;
        let literal = self.string(&engine_format);
        if has_time_of_day(format) {
            return Ok(fill(
                self.parse_datetime_date,
                &[("text", text), ("format", &literal)],
            ));
        }
        let date_only = self.regex_replace(text, TIME_OF_DAY, "");
        Ok(fill(
            self.parse_date,
            &[("text", &date_only), ("format", &literal)],
        ))
    }

    /// A strftime format (`%d/%m/%Y`) written for this engine's date parser; a specifier it has
    /// no equivalent for is an error naming it.
    pub fn date_format(&self, format: &str) -> Result<String, String> {
        let items = format_items(format)?;
        let mut out = String::new();
        for (at, item) in items.iter().enumerate() {
            match *item {
                FormatItem::Literal(c) => self.push_literal(&mut out, c),
                FormatItem::Field(spec) => {
                    // Java reads `M` as one or two digits, which cannot tell where `yyyyMd`
                    // splits: a field next to another takes its fixed two-digit form.
                    let is_field = |i: Option<&FormatItem>| matches!(i, Some(FormatItem::Field(_)));
                    let adjacent =
                        is_field(items.get(at + 1)) || (at > 0 && is_field(items.get(at - 1)));
                    out.push_str(self.specifier(spec, adjacent).ok_or_else(|| {
                        format!(
                            "%{spec} has no equivalent in this engine's date parser; \
                             use %Y %y %m %d %H %I %M %S %p %b %B (or %F, %T)"
                        )
                    })?);
                }
            }
        }
        Ok(out)
    }

    /// One strftime specifier in the engine's format language; `fixed` asks for the
    /// zero-padded form where the engine tells the two apart.
    fn specifier(&self, spec: char, fixed: bool) -> Option<&'static str> {
        const SPECIFIERS: [(char, [&str; 5]); 11] = [
            // strftime, Java, Java fixed width, Postgres, Snowflake
            ('Y', ["%Y", "yyyy", "yyyy", "YYYY", "YYYY"]),
            ('y', ["%y", "yy", "yy", "YY", "YY"]),
            ('m', ["%m", "M", "MM", "MM", "MM"]),
            ('d', ["%d", "d", "dd", "DD", "DD"]),
            ('H', ["%H", "H", "HH", "HH24", "HH24"]),
            ('I', ["%I", "h", "hh", "HH12", "HH12"]),
            ('M', ["%M", "m", "mm", "MI", "MI"]),
            ('S', ["%S", "s", "ss", "SS", "SS"]),
            ('p', ["%p", "a", "a", "AM", "AM"]),
            ('b', ["%b", "MMM", "MMM", "Mon", "MON"]),
            ('B', ["%B", "MMMM", "MMMM", "Month", "MMMM"]),
        ];
        let column = match self.format_style {
            FormatStyle::Strftime => 0,
            FormatStyle::Java if fixed => 2,
            FormatStyle::Java => 1,
            FormatStyle::Postgres => 3,
            FormatStyle::Snowflake => 4,
        };
        SPECIFIERS
            .iter()
            .find(|(c, _)| *c == spec)
            .map(|(_, names)| names[column])
    }

    /// A literal character of a date format: letters (which the engine would read as a field)
    /// are quoted in its own way.
    fn push_literal(&self, out: &mut String, c: char) {
        match self.format_style {
            FormatStyle::Strftime if c == '%' => out.push_str("%%"),
            FormatStyle::Strftime => out.push(c),
            FormatStyle::Java if c == '\'' => out.push_str("''"),
            FormatStyle::Java if c.is_alphabetic() => {
                let _ = write!(out, "'{c}'");
            }
            FormatStyle::Postgres | FormatStyle::Snowflake if c.is_alphabetic() || c == '%' => {
                let _ = write!(out, "\"{c}\"");
            }
            _ => out.push(c),
        }
    }
}

/// A piece of a strftime format: a literal character or a field (`%d` is `Field('d')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatItem {
    Literal(char),
    Field(char),
}

/// A strftime format split into literals and fields, `%F` and `%T` spelled out.
fn format_items(format: &str) -> Result<Vec<FormatItem>, String> {
    let mut items = Vec::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            items.push(FormatItem::Literal(c));
            continue;
        }
        match chars.next().ok_or("it ends with a lone %")? {
            '%' => items.push(FormatItem::Literal('%')),
            'F' => items.extend(format_items("%Y-%m-%d")?),
            'T' => items.extend(format_items("%H:%M:%S")?),
            spec => items.push(FormatItem::Field(spec)),
        }
    }
    Ok(items)
}

/// True when a strftime format carries a time of day (the values are then datetimes); the
/// loader's rule (`data::dates::has_time`) with `%I` for 12-hour clocks.
fn has_time_of_day(format: &str) -> bool {
    crate::data::dates::has_time(format) || format.contains("%I")
}

/// A time of day after a date (`8:26`, `08:26:00`, `T08:26:00.5`, `8:26 PM`): dropped before a
/// date format without one is applied, as the loader does. Written with `[0-9]` rather than
/// `\d` so that RE2, Java and POSIX engines read it alike.
const TIME_OF_DAY: &str = "[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]*)?)?( ?[AaPp][Mm])?$";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn identifiers_escape_their_own_quote() {
        assert_eq!(Dialect::Duckdb.syntax().identifier(r#"a"b"#), r#""a""b""#);
        assert_eq!(
            Dialect::Postgres.syntax().identifier("Customer ID"),
            r#""Customer ID""#
        );
        assert_eq!(Dialect::Spark.syntax().identifier("a`b"), "`a``b`");
        assert_eq!(
            Dialect::Bigquery.syntax().identifier(r"a`b\c"),
            r"`a\`b\\c`"
        );
        // A backtick is ordinary inside double quotes, a double quote inside backticks.
        assert_eq!(Dialect::Snowflake.syntax().identifier("a`b"), "\"a`b\"");
        assert_eq!(Dialect::Spark.syntax().identifier("a\"b"), "`a\"b`");
    }

    #[test]
    fn string_literals_escape_quotes_and_backslashes() {
        assert_eq!(Dialect::Duckdb.syntax().string("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Postgres.syntax().string(r"a\b"), r"'a\b'");
        for dialect in [Dialect::Spark, Dialect::Bigquery, Dialect::Snowflake] {
            let syntax = dialect.syntax();
            assert_eq!(syntax.string("O'Brien"), r"'O\'Brien'");
            assert_eq!(syntax.string(r"a\b"), r"'a\\b'");
            assert_eq!(syntax.string("a\nb"), r"'a\nb'");
            // An id ending in a backslash cannot escape the closing quote.
            assert_eq!(syntax.string("x\\"), r"'x\\'");
        }
    }

    #[test]
    fn templates_fill_each_slot_once() {
        assert_eq!(
            fill("f({a}, {b})", &[("a", "{b}"), ("b", "2")]),
            "f({b}, 2)"
        );
        assert_eq!(fill("{x}", &[]), "{x}");
        assert_eq!(
            Dialect::Bigquery.syntax().minus_days("c", 91),
            "DATE_SUB(c, INTERVAL 91 DAY)"
        );
        assert_eq!(
            Dialect::Snowflake.syntax().days_between("b", "a"),
            "DATEDIFF(day, a, b)"
        );
    }

    #[test]
    fn date_formats_are_translated_per_engine() {
        let format = "%d/%m/%Y %H:%M";
        assert_eq!(
            Dialect::Duckdb.syntax().date_format(format).unwrap(),
            format
        );
        assert_eq!(
            Dialect::Spark.syntax().date_format(format).unwrap(),
            "d/M/yyyy H:m"
        );
        assert_eq!(
            Dialect::Postgres.syntax().date_format(format).unwrap(),
            "DD/MM/YYYY HH24:MI"
        );
        assert_eq!(
            Dialect::Snowflake.syntax().date_format("%FT%T").unwrap(),
            "YYYY-MM-DD\"T\"HH24:MI:SS"
        );
        assert_eq!(
            Dialect::Spark.syntax().date_format("%FT%T").unwrap(),
            "yyyy-M-d'T'H:m:s"
        );
        assert_eq!(
            Dialect::Spark.syntax().date_format("%Y%m%d").unwrap(),
            "yyyyMMdd"
        );
        for &dialect in Dialect::value_variants() {
            let error = dialect.syntax().date_format("%j").unwrap_err();
            assert!(error.contains("%j"), "{error}");
        }
    }

    #[test]
    fn a_date_only_format_drops_a_time_of_day_first() {
        let duckdb = Dialect::Duckdb.syntax();
        let sql = duckdb.parse_date("t", "%m/%d/%Y").unwrap();
        assert!(
            sql.starts_with("CAST(strptime(regexp_replace(t, '[ T]"),
            "{sql}"
        );
        let sql = duckdb.parse_date("t", "%m/%d/%Y %H:%M").unwrap();
        assert_eq!(sql, "CAST(strptime(t, '%m/%d/%Y %H:%M') AS DATE)");
        let spark = Dialect::Spark.syntax().parse_date("t", "%Y%m%d").unwrap();
        assert!(spark.starts_with("to_date(regexp_replace(t, "), "{spark}");
        assert!(spark.ends_with(", 'yyyyMMdd')"), "{spark}");
    }
}
