//! `clm`: customer analytics from transaction exports.
//!
//! The binary in `main.rs` only parses and dispatches; everything else lives here:
//! loading (`data`), per-customer features (`features`), pure numeric models (`models`),
//! rule tables (`segment`), output (`output`) and one module per subcommand (`commands`).

pub mod allocator;
pub mod analysis;
pub mod cleanup;
pub mod cli;
pub mod commands;
pub mod data;
pub mod error;
pub mod features;
pub mod models;
pub mod output;
pub mod report;
pub mod segment;
