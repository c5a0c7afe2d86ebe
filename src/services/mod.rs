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
pub mod reminders;
pub mod team;
pub mod tenants;
pub mod two_factor;
pub mod user_sessions;

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
}

impl Deps {
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
