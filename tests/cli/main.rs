//! End-to-end tests of the `clm` binary: one test binary, one module per area.

mod churn;
mod clv;
mod common;
mod errors;
mod fuzz;
mod loyalty;
mod output;
mod rfm;
mod simulate;
