//! The shared Redis's settings (`REDIS_*`).

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{ConfigError, Env};

/// The Redis that instances share; unset means one instance on in-process stand-ins.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://`, `rediss://`, `redis-cluster://` or `redis-sentinel://`. Holds credentials.
    pub url: Option<SecretString>,
    pub pool_size: usize,
    /// Per command (cache reads and writes, health).
    pub timeout: Duration,
}

const SCHEMES: [&str; 6] = [
    "redis://",
    "rediss://",
    "redis-cluster://",
    "rediss-cluster://",
    "redis-sentinel://",
    "rediss-sentinel://",
];

impl RedisConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(RedisConfig {
            url: env.parse_with(
                "REDIS_URL",
                None,
                "a redis://, rediss://, redis-cluster:// or redis-sentinel:// URL",
                |v| {
                    SCHEMES
                        .iter()
                        .any(|scheme| v.starts_with(scheme))
                        .then(|| Some(SecretString::from(v)))
                },
            )?,
            pool_size: env.parse_positive("REDIS_POOL_SIZE", 4, "a whole number above 0")?,
            timeout: env.millis("REDIS_TIMEOUT_MS", 250)?,
        })
    }
}
