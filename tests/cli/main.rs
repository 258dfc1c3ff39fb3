//! End-to-end tests of the `clm` binary: one test binary, one module per area.

mod architecture;
mod churn;
mod clv;
mod cohorts;
mod common;
mod errors;
mod fuzz;
mod golden;
mod lang;
mod lifecycle;
mod loyalty;
mod output;
mod progress;
mod report;
mod retention;
mod rfm;
mod side_tables;
mod simulate;
mod sql;
mod stream;
mod summary;
