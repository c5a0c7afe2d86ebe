//! Logging's settings (`LOG_*`, `RUST_LOG`).

use secrecy::SecretSlice;

use crate::config::{AppEnv, ConfigError, Env};

/// The key used when `LOG_HASH_KEY` is unset in development. Production refuses it.
const DEV_LOG_HASH_KEY: &str = "frontdesk-development-log-hash-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log shippers.
    Json,
    /// Readable lines for a terminal.
    Pretty,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// An `EnvFilter` directive such as `info` or `info,sqlx=warn`.
    pub filter: String,
    pub format: LogFormat,
    /// Key for hashing user ids in logs; secret.
    pub hash_key: SecretSlice<u8>,
}

impl LogConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let filter = env
            .get("LOG_LEVEL")
            .or_else(|| env.get("RUST_LOG"))
            .unwrap_or_else(|| "info".to_string());
        let default_format = match env.app_env {
            AppEnv::Production => LogFormat::Json,
            AppEnv::Development => LogFormat::Pretty,
        };
        let format = env.parse_with(
            "LOG_FORMAT",
            default_format,
            "json or pretty",
            |v| match v {
                "json" => Some(LogFormat::Json),
                "pretty" | "text" => Some(LogFormat::Pretty),
                _ => None,
            },
        )?;
        let hash_key = env.secret(
            "LOG_HASH_KEY",
            16,
            DEV_LOG_HASH_KEY,
            "it is required when APP_ENV=production",
            "a random secret of at least 16 characters",
        )?;
        Ok(LogConfig {
            filter,
            format,
            hash_key: hash_key.into(),
        })
    }
}

/// Where Prometheus reads the metrics (`METRICS_*`); nowhere by default.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// `GET /metrics` on the app's own port, for `Authorization: Bearer <token>` only.
    pub token: Option<secrecy::SecretString>,
    /// A separate listener (such as `127.0.0.1:9100`) that serves only
    /// `/metrics`, for a network the public cannot reach.
    pub addr: Option<std::net::SocketAddr>,
}

impl MetricsConfig {
    /// Whether anything can read the metrics (else nothing is counted).
    pub fn is_served(&self) -> bool {
        self.token.is_some() || self.addr.is_some()
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(MetricsConfig {
            token: env.parse_with(
                "METRICS_TOKEN",
                None,
                "a random token of at least 16 characters",
                |v| (v.len() >= 16).then(|| Some(secrecy::SecretString::from(v))),
            )?,
            addr: env.parse_with(
                "METRICS_ADDR",
                None,
                "a socket address such as 127.0.0.1:9100",
                |v| v.parse().ok().map(Some),
            )?,
        })
    }
}
