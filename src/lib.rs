//! Frontdesk's domain and platform.
//!
//! [`domain`] is wasm-safe and shared with the browser build. Everything that
//! does I/O sits behind the `server` feature.

pub mod domain;

#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod imap;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod live;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod ratelimit;
#[cfg(feature = "server")]
pub mod redis;
#[cfg(feature = "server")]
pub mod request_context;
#[cfg(feature = "server")]
pub mod services;
#[cfg(feature = "server")]
pub mod storage;
#[cfg(feature = "server")]
pub mod telemetry;
#[cfg(feature = "server")]
pub mod tools;

/// Secrets whose `Debug` and `Display` never show them (configuration).
#[cfg(feature = "server")]
pub use secrecy;
