//! Housekeeping across businesses: expired sessions, finished jobs, old
//! schedule runs and old change events.

use super::Deps;
use crate::{audit::Origin, error::AppError};

/// Finished jobs are kept this long for the jobs page, then deleted.
const KEEP_FINISHED_DAYS: i32 = 14;
/// Schedule runs are kept this long (the jobs page shows the last one).
const KEEP_SCHEDULE_RUNS_DAYS: i32 = 30;
/// Change events are kept this long for pages that reconnect; a page gone
/// longer reloads what it shows.
const KEEP_CHANGE_EVENTS_DAYS: i32 = 1;

/// Deletes expired sessions, finished jobs after 14 days, schedule runs
/// after 30 and change events after a day.
pub async fn clean_up(deps: &Deps) -> Result<(), AppError> {
    use tower_sessions::session_store::ExpiredDeletion;
    tower_sessions_sqlx_store::PostgresStore::new(deps.pool.clone())
        .delete_expired()
        .await
        .map_err(|e| AppError::internal(format!("expired sessions: {e}")))?;
    let mut work = deps.system("cleanup", &Origin::default()).await?;
    let jobs = sqlx::query!(
        "DELETE FROM jobs WHERE status IN ('done', 'discarded') \
         AND finished_at < now() - make_interval(days => $1)",
        KEEP_FINISHED_DAYS
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    let runs = sqlx::query!(
        "DELETE FROM schedule_runs WHERE fired_at < now() - make_interval(days => $1)",
        KEEP_SCHEDULE_RUNS_DAYS
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    let changes = crate::live::outbox::clean(work.conn(), KEEP_CHANGE_EVENTS_DAYS).await?;
    work.commit().await?;
    tracing::info!(
        jobs,
        schedule_runs = runs,
        change_events = changes,
        "cleanup done"
    );
    Ok(())
}
