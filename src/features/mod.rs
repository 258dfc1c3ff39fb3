//! Per-customer summaries computed from the canonical transaction frame.

pub mod loyalty;
pub mod rfm;
