//! One module per subcommand; each reads as load, compute, emit.

pub mod churn;
pub mod clv;
pub mod cohorts;
pub mod lifecycle;
pub mod loyalty;
pub mod opening;
pub mod retention;
pub mod rfm;
pub mod simulate;

/// A value parser for a whole number of at least `min`: a negative number is refused with the
/// range (with `allow_negative_numbers`), not taken for a flag or refused as "invalid digit".
pub fn at_least<T: TryFrom<i128>>(
    min: i128,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let number: i128 = text
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a whole number"))?;
        if number < min {
            return Err(format!("must be {min} or more, got {number}"));
        }
        T::try_from(number).map_err(|_| format!("{number} is too large"))
    }
}
