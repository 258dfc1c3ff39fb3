//! Rule tables (RFM segments, loyalty quadrants) and their application.

pub mod loyalty;
pub mod rfm;
