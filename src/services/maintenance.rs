//! Housekeeping across businesses: expired sessions, finished jobs and old
//! schedule runs.

use super::Deps;
use crate::{audit::Origin, error::AppError};

/// Finished jobs are kept this long for the jobs page, then deleted.
const KEEP_FINISHED_DAYS: i32 = 14;
/// Schedule runs are kept this long (the jobs page shows the last one).
const KEEP_SCHEDULE_RUNS_DAYS: i32 = 30;

/// Deletes expired sessions, finished jobs after 14 days and schedule runs
/// after 30.
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
    work.commit().await?;
    tracing::info!(jobs, schedule_runs = runs, "cleanup done");
    Ok(())
}
