//! The database's settings (`DATABASE_*`, `MIGRATE_ON_START`).

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Contains credentials: never logged, never shown.
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub statement_timeout: Duration,
    /// Statements slower than this are logged (text without parameters) and counted.
    pub slow_statement: Duration,
    pub migrate_on_start: bool,
}

impl DatabaseConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let max_connections =
            env.parse_positive("DATABASE_MAX_CONNECTIONS", 10, "a whole number above 0")?;
        let min_connections: u32 = env.parse("DATABASE_MIN_CONNECTIONS", 0, "a whole number")?;
        if min_connections > max_connections {
            return Err(ConfigError {
                variable: "DATABASE_MIN_CONNECTIONS",
                problem: format!(
                    "is {min_connections}, above DATABASE_MAX_CONNECTIONS ({max_connections})"
                ),
                expected: "a number not above DATABASE_MAX_CONNECTIONS",
            });
        }
        Ok(DatabaseConfig {
            url: env.parse_with(
                "DATABASE_URL",
                SecretString::from("postgres://postgres@127.0.0.1:5432/frontdesk"),
                "a postgres:// or postgresql:// URL",
                |v| {
                    (v.starts_with("postgres://") || v.starts_with("postgresql://"))
                        .then(|| SecretString::from(v))
                },
            )?,
            max_connections,
            min_connections,
            acquire_timeout: env.millis("DATABASE_ACQUIRE_TIMEOUT_MS", 3000)?,
            statement_timeout: env.millis("DATABASE_STATEMENT_TIMEOUT_MS", 15000)?,
            slow_statement: env.millis("DATABASE_SLOW_STATEMENT_MS", 500)?,
            migrate_on_start: env.flag("MIGRATE_ON_START", true)?,
        })
    }
}
