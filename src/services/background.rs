//! The jobs page (Settings > Background jobs): a business's own jobs by
//! status and kind, failures, dead jobs to retry or discard, and the
//! schedules' last and next runs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        background::{JobCount, JobView, JobsOverview},
        roles::Permission,
    },
    error::AppError,
    jobs::{queue::Requeue, schedules},
};

pub async fn overview(deps: &Deps, who: &impl Principal) -> Result<JobsOverview, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps.read(who, Permission::ManageSettings).await?;
    let counts = sqlx::query_as!(
        JobCount,
        r#"SELECT kind, status, count(*) AS "count!" FROM jobs WHERE tenant_id = $1
           GROUP BY kind, status ORDER BY kind, status"#,
        tenant,
    )
    .fetch_all(tx.conn())
    .await?;
    let failing = sqlx::query_as!(
        JobView,
        r#"SELECT id, kind, status, attempts, max_attempts, last_error,
                  run_at AS "run_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>"
           FROM jobs WHERE tenant_id = $1 AND status IN ('pending', 'running')
             AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 20"#,
        tenant,
    )
    .fetch_all(tx.conn())
    .await?;
    let dead = sqlx::query_as!(
        JobView,
        r#"SELECT id, kind, status, attempts, max_attempts, last_error,
                  run_at AS "run_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>"
           FROM jobs WHERE tenant_id = $1 AND status = 'dead' ORDER BY updated_at DESC LIMIT 50"#,
        tenant,
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(JobsOverview {
        counts,
        failing,
        dead,
        schedules: schedules::overview(&deps.queue_env(), super::jobs::registry().scheduled())
            .await?,
    })
}

/// Runs a dead job again, with its attempts counted afresh.
pub async fn retry(
    deps: &Deps,
    who: &impl Principal,
    job: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    change(deps, who, job, origin, true).await
}

/// Gives up on a dead job for good (kept, marked discarded, its payload emptied).
pub async fn discard(
    deps: &Deps,
    who: &impl Principal,
    job: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    change(deps, who, job, origin, false).await
}

async fn change(
    deps: &Deps,
    who: &impl Principal,
    job: Uuid,
    origin: &Origin,
    retry: bool,
) -> Result<(), AppError> {
    let mut tx = deps.work(who, Permission::ManageSettings, origin).await?;
    let kind = if retry {
        match tx.retry_dead_job(job).await? {
            Requeue::Done(kind) => Some(kind),
            Requeue::NotDead => None,
            Requeue::Duplicate => {
                return Err(AppError::Conflict(
                    "The same work is already waiting to run; this job can only be discarded."
                        .into(),
                ))
            }
        }
    } else {
        tx.discard_dead_job(job).await?
    };
    let Some(kind) = kind else {
        return Err(AppError::NotFound("no such dead job".into()));
    };
    tx.audit(Entry {
        action: if retry {
            "job.retried"
        } else {
            "job.discarded"
        },
        entity_type: "job",
        entity_id: Some(job),
        changes: Changes::new().field("kind", None, Some(kind.as_str())),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}
