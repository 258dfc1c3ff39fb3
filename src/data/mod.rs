//! Reading transaction exports into the canonical frame: loading, column mapping, dates.

pub mod columns;
mod convert;
pub mod customer_inputs;
pub mod customers;
pub mod dates;
pub mod delimited;
pub mod load;
pub mod options;
pub mod placeholders;
mod plain_text;
pub mod stream;
pub mod subscriptions;
pub mod summary;
mod summary_plain;
mod summary_typed;
pub mod survey;
pub mod table;

pub use load::{Transactions, load_transactions};
