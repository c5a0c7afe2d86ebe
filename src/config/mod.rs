//! Typed configuration, read once at start-up from the environment (and `.env`).
//!
//! Each platform module owns its settings and reads its own variables through
//! [`Env`]; this module only puts them together. A missing or malformed
//! variable stops start-up with a [`ConfigError`] that names the variable and
//! says what is expected. Every variable is documented in `.env.example`.

pub mod env;
mod http;

use std::collections::HashMap;

pub use env::Env;
pub use http::{HttpConfig, SiteConfig};

use crate::{
    auth::AuthConfig,
    cache::CacheConfig,
    db::DatabaseConfig,
    jobs::JobsConfig,
    mail::MailConfig,
    ratelimit::RateLimitConfig,
    redis::RedisConfig,
    storage::{StorageConfig, UploadConfig},
    telemetry::{error_tracking::ErrorTrackingConfig, LogConfig, MetricsConfig},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub errors: ErrorTrackingConfig,
    pub metrics: MetricsConfig,
    pub site: SiteConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub redis: RedisConfig,
    pub cache: CacheConfig,
    pub rate_limit: RateLimitConfig,
    pub storage: StorageConfig,
    pub uploads: UploadConfig,
    pub jobs: JobsConfig,
    pub inbox: crate::imap::InboxConfig,
    pub live: crate::live::config::LiveConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}; expected {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub expected: &'static str,
}

impl Config {
    /// Reads `.env` (when present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                return Err(ConfigError {
                    variable: ".env",
                    problem: format!("could not be read ({err})"),
                    expected: "KEY=value lines",
                });
            }
        }
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Builds the configuration from explicit values (tools, tests of parsing).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| vars.get(name).cloned())
    }

    fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let app_env = Env::new(lookup, AppEnv::Development).parse_with(
            "APP_ENV",
            AppEnv::Development,
            "development or production",
            |v| match v {
                "development" | "dev" => Some(AppEnv::Development),
                "production" | "prod" => Some(AppEnv::Production),
                _ => None,
            },
        )?;
        let env = Env::new(lookup, app_env);
        Ok(Config {
            app_env,
            http: HttpConfig::from_env(&env)?,
            database: DatabaseConfig::from_env(&env)?,
            log: LogConfig::from_env(&env)?,
            errors: ErrorTrackingConfig::from_env(&env)?,
            metrics: MetricsConfig::from_env(&env)?,
            site: SiteConfig::from_env(&env)?,
            auth: AuthConfig::from_env(&env)?,
            mail: MailConfig::from_env(&env)?,
            jobs: JobsConfig::from_env(&env)?,
            inbox: crate::imap::InboxConfig::from_env(&env)?,
            live: crate::live::config::LiveConfig::from_env(&env)?,
            redis: RedisConfig::from_env(&env)?,
            cache: CacheConfig::from_env(&env)?,
            rate_limit: RateLimitConfig::from_env(&env)?,
            storage: StorageConfig::from_env(&env)?,
            uploads: UploadConfig::from_env(&env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::LogFormat;
    use std::time::Duration;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn no_secret_shows_in_the_configuration_s_debug_output() {
        let c = config(&[
            (
                "DATABASE_URL",
                "postgres://app:db-secret-1@db.example/frontdesk",
            ),
            ("REDIS_URL", "redis://:redis-secret-2@cache.example:6379"),
            ("SMTP_URL", "smtps://mail:smtp-secret-3@smtp.example"),
            (
                "JOB_ALERT_WEBHOOK_URL",
                "https://hooks.example/hook-secret-4",
            ),
            ("CRON_SECRET", "cron-secret-5-long-enough"),
            ("S3_ACCESS_KEY_ID", "s3-key-6"),
            ("S3_SECRET_ACCESS_KEY", "s3-secret-7"),
        ])
        .unwrap();
        let shown = format!("{c:?} {c:#?}");
        for secret in [
            "db-secret-1",
            "redis-secret-2",
            "smtp-secret-3",
            "hook-secret-4",
            "cron-secret-5",
            "s3-key-6",
            "s3-secret-7",
        ] {
            assert!(!shown.contains(secret), "{secret} shown");
        }
        assert!(shown.contains("REDACTED"), "{shown}");
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let c = config(&[]).unwrap();
        assert_eq!(c.app_env, AppEnv::Development);
        assert_eq!(c.http.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&c.database.url),
            "postgres://postgres@127.0.0.1:5432/frontdesk"
        );
        assert_eq!(c.log.format, LogFormat::Pretty);
        assert!(!c.http.is_https());
        assert!(c.database.migrate_on_start);
    }

    #[test]
    fn malformed_value_names_the_variable_and_what_is_expected() {
        let err = config(&[("DATABASE_MAX_CONNECTIONS", "lots")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "DATABASE_MAX_CONNECTIONS");
        let msg = err.to_string();
        assert!(
            msg.contains("DATABASE_MAX_CONNECTIONS") && msg.contains("a whole number above 0"),
            "{msg}"
        );

        let err = config(&[("LEPTOS_SITE_ADDR", "localhost")]).err().unwrap();
        assert_eq!(err.variable, "LEPTOS_SITE_ADDR");
        let err = config(&[("REQUEST_TIMEOUT_SECS", "0")]).err().unwrap();
        assert_eq!(err.variable, "REQUEST_TIMEOUT_SECS");
        let err = config(&[("MIGRATE_ON_START", "maybe")]).err().unwrap();
        assert_eq!(err.variable, "MIGRATE_ON_START");
    }

    #[test]
    fn secret_values_are_not_echoed_in_errors_or_debug() {
        let err = config(&[("DATABASE_URL", "mysql://root:hunter2@db/x")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(!err.to_string().contains("hunter2"));

        let c = config(&[("DATABASE_URL", "postgres://app:hunter2@db/x")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn production_requires_a_log_hash_key_and_logs_json() {
        let err = config(&[("APP_ENV", "production")]).err().unwrap();
        assert_eq!(err.variable, "LOG_HASH_KEY");
        let err = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("FILE_URL_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .err()
        .unwrap();
        assert_eq!(err.variable, "ENCRYPTION_KEY");
        let key = "0f".repeat(32);
        let err = config(&[("ENCRYPTION_KEY", "0f0f")]).err().unwrap();
        assert_eq!(err.variable, "ENCRYPTION_KEY");
        let c = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("FILE_URL_SECRET", "0123456789abcdef0123456789abcdef"),
            ("ENCRYPTION_KEY", key.as_str()),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains(&key));
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.site.leptos_env, "PROD");
    }

    #[test]
    fn https_public_url_enables_hsts_and_min_above_max_is_rejected() {
        let c = config(&[("PUBLIC_URL", "https://desk.example.com/")]).unwrap();
        assert!(c.http.is_https());
        assert_eq!(c.http.public_url, "https://desk.example.com");
        let err = config(&[("DATABASE_MIN_CONNECTIONS", "20")]).err().unwrap();
        assert_eq!(err.variable, "DATABASE_MIN_CONNECTIONS");
    }

    #[test]
    fn redis_and_rate_limits_are_optional_and_checked() {
        let c = config(&[]).unwrap();
        assert!(c.redis.url.is_none());
        assert!(c.cache.enabled && c.rate_limit.enabled);
        assert_eq!(c.rate_limit.redis_timeout, Duration::from_millis(50));
        let err = config(&[("REDIS_URL", "http://cache:6379")]).err().unwrap();
        assert_eq!(err.variable, "REDIS_URL");
        let c = config(&[("REDIS_URL", "redis://:s3cret@cache:6379/0")]).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
        let err = config(&[("RATE_LIMIT_WRITE", "20 per minute")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "RATE_LIMIT_WRITE");
        let c = config(&[
            ("RATE_LIMIT_UPLOAD", "5/s,50/min"),
            ("RATE_LIMIT_ALLOW_IPS", "10.0.0.0/8, 192.168.1.7"),
            ("RATE_LIMIT_DENY_IPS", "203.0.113.7"),
        ])
        .unwrap();
        assert_eq!(
            c.rate_limit.policies[crate::ratelimit::PolicyKind::Upload]
                .tiers
                .len(),
            2
        );
        assert_eq!(c.rate_limit.allow_ips.len(), 2);
        assert!(
            c.rate_limit.deny_ips[0].contains(&"203.0.113.7".parse::<std::net::IpAddr>().unwrap())
        );
        let err = config(&[("RATE_LIMIT_ALLOW_IPS", "10.0.0.300")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "RATE_LIMIT_ALLOW_IPS");
    }

    #[test]
    fn storage_defaults_to_local_files_and_checks_s3_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(c.storage.backend, crate::storage::Backend::Fs);
        assert_eq!(c.storage.url_ttl, Duration::from_secs(3600));
        assert_eq!(c.uploads.max_bytes, 25 * 1024 * 1024);
        assert_eq!(c.uploads.allowed.len(), 9);
        let err = config(&[("STORAGE_BACKEND", "s3")]).err().unwrap();
        assert_eq!(err.variable, "S3_BUCKET");
        let err = config(&[("STORAGE_BACKEND", "ftp")]).err().unwrap();
        assert_eq!(err.variable, "STORAGE_BACKEND");
        let err = config(&[("UPLOAD_ALLOWED_TYPES", "pdf,exe")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "UPLOAD_ALLOWED_TYPES");
        let c = config(&[
            ("STORAGE_BACKEND", "s3"),
            ("S3_BUCKET", "files"),
            ("S3_ACCESS_KEY_ID", "AKIA"),
            ("S3_SECRET_ACCESS_KEY", "very-secret-key"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains("very-secret-key"));
        let key = "0f".repeat(32);
        let err = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("ENCRYPTION_KEY", key.as_str()),
        ])
        .err()
        .unwrap();
        assert_eq!(err.variable, "FILE_URL_SECRET");
    }

    #[test]
    fn log_level_falls_back_to_rust_log() {
        assert_eq!(
            config(&[("RUST_LOG", "debug")]).unwrap().log.filter,
            "debug"
        );
        assert_eq!(
            config(&[("RUST_LOG", "debug"), ("LOG_LEVEL", "warn")])
                .unwrap()
                .log
                .filter,
            "warn"
        );
    }
}
