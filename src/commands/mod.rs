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
