//! Wasm-safe domain: value types and the shapes the UI and the API share. No I/O.

pub mod api_error;
pub mod password;
pub mod roles;
