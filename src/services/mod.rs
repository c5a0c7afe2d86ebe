//! The one way in to tenant data: each service checks the acting
//! principal's permission, works in a tenant transaction and writes the
//! audit entry in the same transaction. Server functions and HTTP handlers
//! are thin adapters around these.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    cache::Cache, clock::Clock, config::Config, mail::Mailer, ratelimit::Limiter, redis::Redis,
    storage::Storage,
};

pub mod accounts;
pub mod api_keys;
pub mod appointment_mail;
pub mod appointments;
pub mod audit_log;
pub mod availability;
pub mod background;
pub mod calendar;
pub mod catalog;
pub mod clients;
pub mod dashboard;
pub mod email_verification;
pub mod files;
pub mod inbox;
pub mod jobs;
pub mod maintenance;
pub mod metrics;
pub mod reminders;
pub mod team;
pub mod tenants;
pub mod two_factor;
pub mod user_sessions;
pub mod work;

pub use work::{Read, Work};

/// What services need from the outside world.
#[derive(Clone, Debug)]
pub struct Deps {
    pub pool: PgPool,
    pub mailer: Mailer,
    pub config: Arc<Config>,
    /// Hot reads; shared through Redis when configured.
    pub cache: Cache,
    pub limiter: Limiter,
    /// Blocks addresses that keep being refused by the rate limits.
    pub auto_block: crate::ratelimit::auto_block::AutoBlock,
    /// The shared Redis, when configured (for its health).
    pub redis: Option<Redis>,
    /// Client files.
    pub storage: Storage,
    /// The time schedules, reminders and job due times go by.
    pub clock: Clock,
    /// Where errors are reported (Sentry, when configured).
    pub errors: std::sync::Arc<sentry::Hub>,
    /// The instance's Prometheus metrics.
    pub metrics: crate::telemetry::metrics::Metrics,
}

impl Deps {
    /// What resolving and ending sessions needs.
    pub fn sessions(&self) -> crate::auth::session::Sessions<'_> {
        crate::auth::session::Sessions {
            pool: &self.pool,
            cache: &self.cache,
            refresh: self.config.auth.session_refresh,
        }
    }

    /// An absolute link into the app, for emails.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.config.http.public_url)
    }
}

/// The database error code of a unique-constraint violation on `constraint`.
pub(crate) fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("23505") && db.constraint() == Some(constraint))
}

#[cfg(test)]
mod tests {
    /// No service reaches a raw transaction: the unit of work (`work.rs`)
    /// is the only way in, so the permission check, audit entry and
    /// after-commit effects cannot be skipped.
    #[test]
    fn only_the_unit_of_work_opens_transactions() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
        let mut files = vec![dir.clone()];
        let mut offenders = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.ends_with("work.rs") || path.ends_with("mod.rs") && path.parent() == Some(&dir)
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for forbidden in [
                "begin_system",
                "begin_with",
                "pool.begin",
                "Transaction<",
                "audit::record",
                ".invalidate(",
            ] {
                if text.contains(forbidden) {
                    offenders.push(format!("{}: {forbidden}", path.display()));
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
