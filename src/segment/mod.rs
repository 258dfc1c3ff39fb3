//! Rule tables (RFM segments, loyalty quadrants, value tiers) and their application.

pub mod lifecycle;
pub mod loyalty;
pub mod rfm;
pub mod tiers;

#[cfg(test)]
mod label_coverage;
