//! The system path: transactions across businesses, for the platform's own
//! tables (the job queue, sessions, schedule runs). Services never use it
//! directly: they open a unit of work (`services::work`), which also owns
//! the tenant transactions.

use sqlx::{PgPool, Postgres, Transaction};

pub(crate) type SystemTx = Transaction<'static, Postgres>;

/// Begins a transaction on the system path: as the connecting role, across
/// tenants. `reason` names the caller in the log.
pub(crate) async fn begin_system(
    pool: &PgPool,
    reason: &'static str,
) -> Result<SystemTx, sqlx::Error> {
    tracing::debug!(target: "frontdesk::system_path", reason, "system transaction");
    super::begin(
        pool,
        "BEGIN; SELECT set_config('app.system', 'on', true)".to_owned(),
    )
    .await
}
