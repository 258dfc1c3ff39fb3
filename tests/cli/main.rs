//! End-to-end tests of the `clm` binary: one test binary, one module per area.

mod architecture;
mod churn;
mod clv;
mod cohorts;
mod common;
mod errors;
mod fuzz;
mod golden;
mod lifecycle;
mod loyalty;
mod output;
mod report;
mod retention;
mod rfm;
mod simulate;
