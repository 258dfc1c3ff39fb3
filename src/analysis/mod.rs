//! What a command computes, below the command recipes and above features and models: model
//! fitting and selection, customer value, the churn scorers and their back-test. Unit-testable without the CLI; nothing here reads
//! `cli` types.

pub mod churn;
pub mod rfm;
pub mod value;
