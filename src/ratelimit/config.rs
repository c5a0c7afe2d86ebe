//! Rate limits' settings (`RATE_LIMIT_*`, `AUTO_BLOCK_*`).

use std::time::Duration;

use super::{auto_block::AutoBlockConfig, Policies};
use crate::config::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub policies: Policies,
    /// A shared decision slower than this is made in-process instead.
    pub redis_timeout: Duration,
    /// Addresses (or networks) never limited: internal callers, monitors.
    pub allow_ips: Vec<ipnet::IpNet>,
    /// API key ids never limited.
    pub allow_keys: Vec<uuid::Uuid>,
    /// Addresses (or networks) refused outright.
    pub deny_ips: Vec<ipnet::IpNet>,
    /// Blocking addresses that keep being refused.
    pub auto_block: AutoBlockConfig,
}

impl RateLimitConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(RateLimitConfig {
            enabled: env.flag("RATE_LIMIT_ENABLED", true)?,
            policies: Policies::from_rates(|kind| env.string(kind.variable(), kind.default_rate()))
                .map_err(|kind| ConfigError {
                    variable: kind.variable(),
                    problem: "is malformed".into(),
                    expected: "a rate such as 100/min, or windows such as 10/s,100/min (units s, min, h, day)",
                })?,
            redis_timeout: env.millis("RATE_LIMIT_REDIS_TIMEOUT_MS", 50)?,
            allow_ips: env.parse_with(
                "RATE_LIMIT_ALLOW_IPS",
                Vec::new(),
                "addresses or networks such as 10.0.0.0/8, separated by commas",
                parse_networks,
            )?,
            allow_keys: env.parse_with(
                "RATE_LIMIT_ALLOW_KEYS",
                Vec::new(),
                "API key ids (UUIDs) separated by commas",
                |v| v.split(',').map(|k| k.trim().parse().ok()).collect(),
            )?,
            deny_ips: env.parse_with(
                "RATE_LIMIT_DENY_IPS",
                Vec::new(),
                "addresses or networks such as 203.0.113.7, separated by commas",
                parse_networks,
            )?,
            auto_block: AutoBlockConfig {
                denials: env.parse(
                    "AUTO_BLOCK_DENIALS",
                    20,
                    "a whole number (0 turns automatic blocking off)",
                )?,
                window: env.seconds("AUTO_BLOCK_WINDOW_SECS", 300)?,
                first_block: env.seconds("AUTO_BLOCK_SECS", 900)?,
                max_block: env.seconds("AUTO_BLOCK_MAX_SECS", 86_400)?,
            },
        })
    }
}

/// `10.0.0.0/8, 192.168.1.7`: networks, or single addresses.
fn parse_networks(v: &str) -> Option<Vec<ipnet::IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| p.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        })
        .collect()
}
