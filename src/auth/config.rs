//! Sessions' and sign-in throttling's settings (`SESSION_*`, `SIGN_IN_*`,
//! `TRUST_PROXY_HEADERS`, `ENCRYPTION_KEY`).

use std::time::Duration;

use super::sealed::SealingKey;
use crate::config::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// How often a session that is only being used has its idle expiry and
    /// "last seen" written: requests in between write nothing.
    pub session_refresh: Duration,
    /// Failed sign-ins for one email within `lockout` before it is locked.
    pub max_failures_per_account: u32,
    /// Failed sign-ins from one client address within `lockout` before it is locked.
    pub max_failures_per_ip: u32,
    /// How long a lock-out lasts (and the window failures are counted in).
    pub lockout: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy_headers: bool,
    /// Seals two-factor secrets at rest (`ENCRYPTION_KEY`); its Debug shows only its id.
    pub encryption_key: SealingKey,
}

const KEY_EXPECTED: &str =
    "a random 256-bit key in hex, such as the output of `openssl rand -hex 32`";

impl AuthConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let encryption_key = match env.get("ENCRYPTION_KEY") {
            Some(text) => SealingKey::from_hex(&text).ok_or(ConfigError {
                variable: "ENCRYPTION_KEY",
                problem: "is not 64 hexadecimal characters".into(),
                expected: KEY_EXPECTED,
            })?,
            None if env.is_production() => {
                return Err(ConfigError {
                    variable: "ENCRYPTION_KEY",
                    problem: "is not set (two-factor secrets are encrypted with it in production)"
                        .into(),
                    expected: KEY_EXPECTED,
                })
            }
            None => SealingKey::development(),
        };
        Ok(AuthConfig {
            session_idle: env.minutes("SESSION_IDLE_MINUTES", 7 * 24 * 60)?,
            session_refresh: env.seconds("SESSION_REFRESH_SECS", 300)?,
            max_failures_per_account: env.parse_positive(
                "SIGN_IN_MAX_FAILURES",
                5,
                "a whole number above 0",
            )?,
            max_failures_per_ip: env.parse_positive(
                "SIGN_IN_MAX_FAILURES_PER_IP",
                50,
                "a whole number above 0",
            )?,
            lockout: env.seconds("SIGN_IN_LOCKOUT_SECS", 15 * 60)?,
            trust_proxy_headers: env.flag("TRUST_PROXY_HEADERS", false)?,
            encryption_key,
        })
    }
}
