//! Authentication building blocks.

pub mod actor;
mod config;
pub mod password;
pub mod redirect;
pub mod sealed;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use actor::{ApiClient, Principal, Staff};
pub use config::AuthConfig;
