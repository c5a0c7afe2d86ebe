//! The jobs page (Settings > Background jobs): a business's own jobs by
//! status and kind, failures, dead jobs to retry or discard, and the
//! schedules' last and next runs.

use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{self, Changes, Entry, Origin},
    auth::Principal,
    db,
    domain::{
        background::{JobCount, JobView, JobsOverview},
        roles::Permission,
    },
    error::AppError,
    jobs::schedules,
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
    who.require(Permission::ManageSettings)?;
    let tenant = who.tenant_id();
    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, status, count(*) FROM jobs WHERE tenant_id = $1 GROUP BY kind, status ORDER BY kind, status",
    )
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let failing: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND status IN ('pending', 'running') \
         AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 20"
    ))
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    let dead: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE tenant_id = $1 AND status = 'dead' ORDER BY updated_at DESC LIMIT 50"
    ))
    .bind(tenant)
    .fetch_all(&mut *tx)
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
        schedules: schedules::overview(deps).await?,
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
    who.require(Permission::ManageSettings)?;
    let tenant = who.tenant_id();
    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let sql = if retry {
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now() \
         WHERE id = $1 AND tenant_id = $2 AND status = 'dead' RETURNING kind"
    } else {
        "UPDATE jobs SET status = 'discarded', payload = '{}', finished_at = now(), updated_at = now() \
         WHERE id = $1 AND tenant_id = $2 AND status = 'dead' RETURNING kind"
    };
    let kind: Option<String> = match sqlx::query_scalar(sql)
        .bind(job)
        .bind(tenant)
        .fetch_optional(&mut *tx)
        .await
    {
        Ok(kind) => kind,
        Err(err) if super::is_unique_violation(&err, "jobs_dedupe_idx") => {
            return Err(AppError::Conflict(
                "The same work is already waiting to run; this job can only be discarded.".into(),
            ))
        }
        Err(err) => return Err(err.into()),
    };
    let Some(kind) = kind else {
        return Err(AppError::NotFound("no such dead job".into()));
    };
    if retry {
        crate::jobs::queue::notify(&mut tx, &kind).await?;
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: if retry {
                "job.retried"
            } else {
                "job.discarded"
            },
            entity_type: "job",
            entity_id: Some(job),
            changes: Changes::new().field("kind", None, Some(kind.as_str())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
