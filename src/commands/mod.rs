//! One module per subcommand; each reads as load, compute, emit.

pub mod loyalty;
pub mod rfm;
pub mod simulate;
