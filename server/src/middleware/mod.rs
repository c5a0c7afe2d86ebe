//! The layers every response passes through.

pub mod bearer;
pub mod client;
pub mod csrf;
pub mod dev_outbox;
pub mod error_bodies;
pub mod error_tracking;
pub mod metrics;
pub mod paths;
pub mod principal;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod session_cache;
pub mod session_outage;
pub mod static_cache;
pub mod text_input;
