//! Per-customer summaries computed from the canonical transaction frame.

pub mod btyd;
pub mod churn;
pub mod churn_reasons;
pub mod cohorts;
pub mod lifecycle;
pub mod loyalty;
pub mod retention;
pub mod rfm;
pub mod sql;
pub mod summary;
