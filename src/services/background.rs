//! The jobs page (Settings > Background jobs): a business's own jobs by
//! status and kind, failures, dead jobs to retry or discard, and the
//! schedules' last and next runs.

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

const JOB_COLUMNS: &str =
    "id, kind, status, attempts, max_attempts, last_error, run_at, updated_at";

type JobRow = (
    Uuid,
    String,
    String,
    i32,
    i32,
    Option<String>,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
);

fn job_view(
    (id, kind, status, attempts, max_attempts, last_error, run_at, updated_at): JobRow,
) -> JobView {
    JobView {
        id,
        kind,
        status,
        attempts,
        max_attempts,
        last_error,
        run_at,
        updated_at,
    }
}

pub async fn overview(deps: &Deps, who: &impl Principal) -> Result<JobsOverview, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps.read(who, Permission::ManageSettings).await?;
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, status, count(*) FROM jobs WHERE tenant_id = $1 GROUP BY kind, status ORDER BY kind, status",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    let failing: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND status IN ('pending', 'running') \
         AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 20"
    ))
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    let dead: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND status = 'dead' ORDER BY updated_at DESC LIMIT 50"
    ))
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(JobsOverview {
        counts: counts
            .into_iter()
            .map(|(kind, status, count)| JobCount {
                kind,
                status,
                count,
            })
            .collect(),
        failing: failing.into_iter().map(job_view).collect(),
        dead: dead.into_iter().map(job_view).collect(),
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
