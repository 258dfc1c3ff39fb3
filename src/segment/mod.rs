//! Rule tables (RFM segments, loyalty quadrants, value tiers, churn risk bands, lifecycle
//! stages) and their application.

pub mod lifecycle;
pub mod loyalty;
pub mod rfm;
pub mod risk_bands;
pub mod tiers;

#[cfg(test)]
mod label_coverage;
