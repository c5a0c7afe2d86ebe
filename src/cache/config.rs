//! The read cache's settings (`CACHE_*`).

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub enabled: bool,
    /// Size of the in-process cache used without Redis.
    pub local_max_bytes: u64,
}

impl CacheConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(CacheConfig {
            enabled: env.flag("CACHE_ENABLED", true)?,
            local_max_bytes: 1024
                * 1024
                * env.parse_positive::<u64>(
                    "CACHE_LOCAL_MAX_MB",
                    64,
                    "a whole number of megabytes above 0",
                )?,
        })
    }
}
