//! The layers every response passes through.

pub mod error_bodies;
pub mod request_id;
pub mod security_headers;
