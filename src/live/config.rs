//! Live updates' settings (`LIVE_*`).

use std::time::Duration;

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConfig {
    /// Off: changes are not recorded for pages and `/api/live` is not served
    /// (pages then refresh by polling).
    pub enabled: bool,
    /// Between keep-alive comments on an idle stream (proxies close silent ones).
    pub keep_alive: Duration,
    /// How often an open stream checks that its session still holds.
    pub session_check: Duration,
    /// Open streams per signed-in session (one per tab) on an instance.
    pub streams_per_session: usize,
    /// Open streams per client address on an instance.
    pub streams_per_address: usize,
    /// Missed changes a reconnecting page is sent; more and it reloads.
    pub replay: usize,
}

impl LiveConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(LiveConfig {
            enabled: env.flag("LIVE_UPDATES", true)?,
            keep_alive: env.seconds("LIVE_KEEP_ALIVE_SECS", 20)?,
            session_check: env.seconds("LIVE_SESSION_CHECK_SECS", 15)?,
            streams_per_session: env.parse_positive(
                "LIVE_STREAMS_PER_SESSION",
                8,
                "a whole number of streams above 0",
            )?,
            streams_per_address: env.parse_positive(
                "LIVE_STREAMS_PER_ADDRESS",
                200,
                "a whole number of streams above 0",
            )?,
            replay: env.parse_positive("LIVE_REPLAY", 200, "a whole number of changes above 0")?,
        })
    }
}
