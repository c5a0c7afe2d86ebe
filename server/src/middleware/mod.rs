//! The layers every response passes through.

pub mod csrf;
pub mod error_bodies;
pub mod principal;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
