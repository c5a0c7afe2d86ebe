//! The job kinds Frontdesk runs and their handlers: thin adapters around
//! services, like server functions and REST handlers.

use std::time::Duration;

use serde::Deserialize;

use super::{JobContext, JobError, Registry};
use crate::mail::OutgoingEmail;

/// Sends one email (`OutgoingEmail` as payload).
pub const EMAIL: &str = "email.send";
/// Arms the reminders due soon (the `reminders` schedule).
pub const REMINDER_SCAN: &str = "reminders.scan";
/// Sends one appointment reminder.
pub const REMINDER_SEND: &str = "reminders.send";
/// Daily housekeeping: expired sessions, old finished jobs and schedule runs.
pub const CLEANUP: &str = "cleanup";
/// Removes objects of deleted files and abandoned uploads.
pub const STORAGE_SWEEP: &str = "storage.sweep";
/// Does nothing (for `hold_ms`, at most ten minutes): checks and measures the queue.
pub const PROBE: &str = "queue.probe";

/// Finished jobs are kept this long for the jobs page, then deleted.
const KEEP_FINISHED: &str = "14 days";

/// Every kind, with its timeout.
pub fn registry() -> Registry {
    let mut registry = Registry::default();
    registry
        .register(EMAIL, Duration::from_secs(60), true, send_email)
        .register(
            REMINDER_SCAN,
            Duration::from_secs(300),
            false,
            |ctx| async move {
                crate::services::reminders::scan(&ctx.deps).await?;
                Ok(())
            },
        )
        .register(
            REMINDER_SEND,
            Duration::from_secs(60),
            false,
            crate::services::reminders::send,
        )
        .register(CLEANUP, Duration::from_secs(600), false, cleanup)
        .register(
            STORAGE_SWEEP,
            Duration::from_secs(600),
            false,
            |ctx| async move {
                loop {
                    let sweep = crate::services::files::sweep(&ctx.deps, 500)
                        .await
                        .map_err(|e| JobError::Retry(e.to_string()))?;
                    if sweep.removed + sweep.failed < 500 {
                        return Ok(());
                    }
                }
            },
        )
        .register(PROBE, Duration::from_secs(660), false, probe);
    registry
}

async fn send_email(ctx: JobContext) -> Result<(), JobError> {
    let email: OutgoingEmail = ctx.payload()?;
    ctx.deps
        .mailer
        .send(&email, ctx.job.tenant_id)
        .await
        .map_err(|err| {
            if err.is_transient() {
                JobError::Retry(err.to_string())
            } else {
                JobError::Permanent(err.to_string())
            }
        })
}

async fn cleanup(ctx: JobContext) -> Result<(), JobError> {
    use tower_sessions::session_store::ExpiredDeletion;
    let pool = &ctx.deps.pool;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
        .delete_expired()
        .await
        .map_err(|e| JobError::Retry(format!("expired sessions: {e}")))?;
    let mut tx = crate::db::begin_system(pool, "cleanup").await?;
    let jobs = sqlx::query(&format!(
        "DELETE FROM jobs WHERE status IN ('done', 'discarded') AND finished_at < now() - interval '{KEEP_FINISHED}'"
    ))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let runs = sqlx::query("DELETE FROM schedule_runs WHERE fired_at < now() - interval '30 days'")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    tracing::info!(jobs, schedule_runs = runs, "cleanup done");
    Ok(())
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    hold_ms: u64,
}

async fn probe(ctx: JobContext) -> Result<(), JobError> {
    let probe: Probe = ctx.payload()?;
    let hold = Duration::from_millis(probe.hold_ms).min(Duration::from_secs(600));
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    Ok(())
}
