//! What a command computes, below the command recipes and above features and models: model
//! fitting and selection, customer value. Unit-testable without the CLI; nothing here reads
//! `cli` types.

pub mod value;
