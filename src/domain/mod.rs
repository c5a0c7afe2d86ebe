//! Wasm-safe domain: value types and the shapes the UI and the API share. No I/O.

pub mod account;
pub mod api_error;
pub mod api_scopes;
pub mod background;
pub mod files;
pub mod form;
pub mod form_values;
pub mod free_time;
pub mod inbox;
pub mod live;
pub mod password;
pub mod records;
pub mod roles;
pub mod scheduling;
pub mod text;
pub mod time_format;
pub mod today;
pub mod two_factor;
pub mod views;
pub mod zone;
