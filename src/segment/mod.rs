//! Rule tables (RFM segments, loyalty quadrants, value tiers, churn risk bands) and their application.

pub mod lifecycle;
pub mod loyalty;
pub mod rfm;
pub mod risk;
pub mod tiers;
