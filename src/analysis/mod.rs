//! What a command computes, below the command recipes and above features and models: model
//! fitting and selection, customer value, holdout validation, the churn scorers and their
//! back-test, and the tables each analysis reports. Unit-testable without the CLI; nothing here
//! reads `cli` types.

pub mod churn;
pub mod churn_report;
pub mod clv;
pub mod holdout;
pub mod lifecycle;
pub mod loyalty;
pub mod options;
pub mod retention;
pub mod rfm;
pub mod saved;
pub mod value;
