//! Counts in messages: "1 customer", "2 customers".

use std::fmt::Display;

/// `count` and `noun`, the noun plural (with `s`) unless the count as written is `1`:
/// `counted(1, "customer")` is "1 customer", `counted(3, "return row")` "3 return rows".
/// A rounded float is counted as it is shown: `counted(format!("{x:.0}"), "day")`.
pub fn counted(count: impl Display, noun: &str) -> String {
    let count = count.to_string();
    let plural = if count == "1" { "" } else { "s" };
    format!("{count} {noun}{plural}")
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1usize, "customer"), "1 customer");
        assert_eq!(counted(0u32, "customer"), "0 customers");
        assert_eq!(
            counted(2i64, "return or cancellation row"),
            "2 return or cancellation rows"
        );
        assert_eq!(counted(1.0, "period"), "1 period");
        assert_eq!(counted(format!("{:.0}", 1.2), "day"), "1 day");
        assert_eq!(counted(1.5, "period"), "1.5 periods");
        assert_eq!(counted(11, "day"), "11 days");
    }
}
