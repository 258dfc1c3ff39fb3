//! Per-customer summaries computed from the canonical transaction frame.

pub mod btyd;
pub mod churn;
pub mod loyalty;
pub mod retention;
pub mod rfm;
