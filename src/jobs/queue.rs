//! The jobs table: enqueue and complete (in the caller's transaction), and
//! claim, renew, fail and release (each in a system transaction of its own).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::job::{Job, NewJob, Tick};
use crate::domain::live::{Change, Topic};

/// The channel `enqueue` notifies on commit; workers LISTEN to it.
pub const CHANNEL: &str = "frontdesk_jobs";

/// The attempts of a job whose kind and configuration name none.
pub const DEFAULT_ATTEMPTS: i32 = 8;

/// Adds `job` within the transaction `conn` is in: it exists exactly when
/// that transaction commits. Returns `None` when a pending or running job
/// has the same dedupe key. The caller wakes the workers with [`notify`].
pub(crate) async fn insert<J: Job>(
    conn: &mut PgConnection,
    job: NewJob<J>,
    tenant: Option<Uuid>,
    default_attempts: i32,
) -> Result<Option<Uuid>, sqlx::Error> {
    let payload = serde_json::to_value(&job.job).map_err(|err| {
        sqlx::Error::Encode(format!("the payload of a {} job: {err}", J::KIND).into())
    })?;
    insert_row(
        conn,
        Row {
            kind: J::KIND,
            payload,
            tenant: job.tenant.or(tenant),
            priority: job.priority.unwrap_or(J::PRIORITY),
            run_at: job.run_at,
            max_attempts: J::ATTEMPTS.unwrap_or(default_attempts),
            dedupe_key: job.dedupe_key.as_deref(),
        },
    )
    .await
}

/// A scheduled job: `kind` with the [`Tick`] as payload, one pending at a time.
pub(crate) async fn insert_tick(
    conn: &mut PgConnection,
    kind: &'static str,
    tick: &Tick,
    max_attempts: i32,
) -> Result<Option<Uuid>, sqlx::Error> {
    let payload = serde_json::to_value(tick)
        .map_err(|err| sqlx::Error::Encode(format!("a schedule's tick: {err}").into()))?;
    insert_row(
        conn,
        Row {
            kind,
            payload,
            tenant: None,
            priority: 50,
            run_at: None,
            max_attempts,
            dedupe_key: Some(&format!("schedule:{}", tick.schedule)),
        },
    )
    .await
}

struct Row<'a> {
    kind: &'static str,
    payload: Value,
    tenant: Option<Uuid>,
    priority: i16,
    run_at: Option<DateTime<Utc>>,
    max_attempts: i32,
    dedupe_key: Option<&'a str>,
}

async fn insert_row(conn: &mut PgConnection, row: Row<'_>) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO jobs (id, tenant_id, kind, payload, priority, run_at, max_attempts, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8) \
         ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('pending', 'running') \
         DO NOTHING RETURNING id",
        Uuid::now_v7(),
        row.tenant,
        row.kind,
        row.payload,
        row.priority,
        row.run_at as _,
        row.max_attempts,
        row.dedupe_key,
    )
    .fetch_optional(conn)
    .await
}

/// Wakes the workers when the transaction `conn` is in commits (never if
/// it rolls back). One notification per transaction is enough: a woken
/// worker claims whatever is due. `kinds` names what was enqueued.
pub(crate) async fn notify(conn: &mut PgConnection, kinds: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, kinds)
        .execute(conn)
        .await?;
    Ok(())
}

/// What became of a request to run a dead job again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requeue {
    /// Pending again; the job's kind.
    Done(String),
    /// No dead job of that id in this business.
    NotDead,
    /// A job with the same dedupe key is already waiting.
    Duplicate,
}

/// Makes a dead job of `tenant` pending again with its attempts counted
/// afresh. The caller wakes the workers.
pub(crate) async fn retry_dead(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> Result<Requeue, sqlx::Error> {
    let kind = sqlx::query_scalar!(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), finished_at = NULL, updated_at = now() \
         WHERE id = $1 AND tenant_id = $2 AND status = 'dead' RETURNING kind",
        id,
        tenant,
    )
    .fetch_optional(conn)
    .await;
    match kind {
        Ok(Some(kind)) => Ok(Requeue::Done(kind)),
        Ok(None) => Ok(Requeue::NotDead),
        Err(sqlx::Error::Database(db))
            if db.code().as_deref() == Some("23505")
                && db.constraint() == Some("jobs_dedupe_idx") =>
        {
            Ok(Requeue::Duplicate)
        }
        Err(err) => Err(err),
    }
}

/// Gives up on a dead job of `tenant` for good: kept, marked discarded, its
/// payload emptied. Returns its kind; `None` when there is no such dead job.
pub(crate) async fn discard_dead(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE jobs SET status = 'discarded', payload = '{}', finished_at = now(), updated_at = now() \
         WHERE id = $1 AND tenant_id = $2 AND status = 'dead' RETURNING kind",
        id,
        tenant,
    )
    .fetch_optional(conn)
    .await
}

/// Takes back a job of `tenant` that has not started: marked discarded,
/// its payload emptied. Returns whether there was one (a job that already
/// ran or is running stays as it is).
pub(crate) async fn withdraw(
    conn: &mut PgConnection,
    tenant: Uuid,
    dedupe_key: &str,
) -> Result<bool, sqlx::Error> {
    let withdrawn = sqlx::query!(
        "UPDATE jobs SET status = 'discarded', payload = '{}', finished_at = now(), updated_at = now() \
         WHERE dedupe_key = $1 AND tenant_id = $2 AND status = 'pending'",
        dedupe_key,
        tenant,
    )
    .execute(conn)
    .await?;
    Ok(withdrawn.rows_affected() > 0)
}

/// A job a worker holds the lease of.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

impl ClaimedJob {
    pub fn is_last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// What one [`complete_and_claim`] did.
#[derive(Debug, Default)]
pub struct Round {
    /// The finished jobs marked done: those `owner` still held (the others
    /// were reclaimed, and their new owner completes them).
    pub done: Vec<Uuid>,
    pub claimed: Vec<ClaimedJob>,
}

/// In one statement: marks the `finished` jobs `owner` still holds done
/// (each `(id, scrub)`, as [`complete`] would), and claims up to `limit` due
/// jobs of `kinds` for `owner`, holding each for `lease`. `now` is the clock
/// due times are compared with.
pub async fn complete_and_claim(
    pool: &PgPool,
    owner: &str,
    finished: &[(Uuid, bool)],
    kinds: &[String],
    limit: usize,
    lease: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Round, sqlx::Error> {
    let ids: Vec<Uuid> = finished.iter().map(|(id, _)| *id).collect();
    let scrubbed: Vec<Uuid> = finished
        .iter()
        .filter(|(_, scrub)| *scrub)
        .map(|(id, _)| *id)
        .collect();
    // One statement: the function sets the system path and keeps the
    // claim's plan on the due index (see its migration).
    tracing::debug!(target: "frontdesk::system_path", reason = "job queue", "complete and claim");
    let rows = sqlx::query!(
        r#"SELECT done AS "done!", id AS "id!", tenant_id, kind, payload, attempts, max_attempts
           FROM job_queue_complete_and_claim($1, $2, $3, $4, $5, $6, $7)"#,
        &ids,
        &scrubbed,
        owner,
        kinds,
        i32::try_from(limit).unwrap_or(i32::MAX),
        lease.as_secs_f64(),
        // chrono's time for the timestamptz (sqlx would expect `time`'s).
        now as _,
    )
    .fetch_all(pool)
    .await?;
    let mut round = Round::default();
    for row in rows {
        if row.done {
            round.done.push(row.id);
            continue;
        }
        let (Some(kind), Some(payload), Some(attempts), Some(max_attempts)) =
            (row.kind, row.payload, row.attempts, row.max_attempts)
        else {
            return Err(sqlx::Error::Protocol(format!(
                "the claimed job {} came back without its row",
                row.id
            )));
        };
        round.claimed.push(ClaimedJob {
            id: row.id,
            tenant_id: row.tenant_id,
            kind,
            payload,
            attempts,
            max_attempts,
        });
    }
    Ok(round)
}

/// Makes jobs whose lease ran out (their worker died or hung) pending again,
/// or dead when that was their last attempt. Returns the jobs that died.
pub async fn reclaim_expired(pool: &PgPool) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let mut tx = system(pool).await?;
    let rows = sqlx::query!(
        "WITH expired AS ( \
             SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now() \
             FOR UPDATE SKIP LOCKED) \
         UPDATE jobs j SET \
             status = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'pending' END, \
             finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END, \
             last_error = 'the worker stopped answering (its lease expired)', \
             errors = j.errors || jsonb_build_object('attempt', j.attempts, 'at', now(), \
                 'error', 'the worker stopped answering (its lease expired)', 'worker', j.lease_owner), \
             lease_owner = NULL, lease_expires_at = NULL, run_at = now(), updated_at = now() \
         FROM expired WHERE j.id = expired.id \
         RETURNING j.id, j.kind, j.status"
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|row| row.status == "dead")
        .map(|row| (row.id, row.kind))
        .collect())
}

/// Extends the lease; false when `owner` no longer holds the job.
pub async fn renew(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    lease: std::time::Duration,
) -> Result<bool, sqlx::Error> {
    let mut tx = system(pool).await?;
    let done = sqlx::query!(
        "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3) \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner,
        lease.as_secs_f64()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the job done; false when `owner` no longer holds it (then the caller
/// must roll back whatever it did in the same transaction). `scrub` empties
/// the payload (messages carrying sign-in links).
pub async fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    owner: &str,
    scrub: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE jobs SET status = 'done', finished_at = now(), updated_at = now(), \
             lease_owner = NULL, lease_expires_at = NULL, \
             payload = CASE WHEN $3::bool THEN '{}'::jsonb ELSE payload END \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner,
        scrub
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    Retry {
        at: DateTime<Utc>,
    },
    Dead,
    /// Another worker holds the job now.
    LeaseLost,
}

/// Records a failed attempt: retried at `retry_at`, or dead when it was the
/// last attempt or `permanent`. A dead job keeps its payload, so that it can
/// be retried from the jobs page.
pub async fn fail(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    error: &str,
    permanent: bool,
    retry_at: DateTime<Utc>,
) -> Result<AfterFailure, sqlx::Error> {
    let mut tx = system(pool).await?;
    let failed = sqlx::query!(
        "UPDATE jobs SET \
             status = CASE WHEN $4::bool OR attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
             finished_at = CASE WHEN $4::bool OR attempts >= max_attempts THEN now() END, \
             run_at = $5, last_error = $3, \
             errors = errors || jsonb_build_object('attempt', attempts, 'at', now(), 'error', $3::text), \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = now() \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running' \
         RETURNING status, tenant_id",
        id,
        owner,
        error,
        permanent,
        retry_at as _
    )
    .fetch_optional(&mut *tx)
    .await?;
    // The business's jobs page shows failures as they happen.
    if let Some(failed) = &failed {
        if let Some(tenant) = failed.tenant_id {
            let change = Change {
                topic: Topic::Jobs,
                id: Some(id),
                action: format!(
                    "job.{}",
                    if failed.status == "dead" {
                        "dead"
                    } else {
                        "failed"
                    }
                ),
            };
            crate::live::outbox::write(&mut tx, &[(tenant, change)]).await?;
        }
    }
    tx.commit().await?;
    Ok(match failed.map(|f| f.status).as_deref() {
        Some("dead") => AfterFailure::Dead,
        Some(_) => AfterFailure::Retry { at: retry_at },
        None => AfterFailure::LeaseLost,
    })
}

/// Gives jobs back untouched (shutdown): pending again, the attempt not counted.
pub async fn release(pool: &PgPool, ids: &[Uuid], owner: &str) -> Result<u64, sqlx::Error> {
    let mut tx = system(pool).await?;
    let done = sqlx::query!(
        "UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), \
             lease_owner = NULL, lease_expires_at = NULL, run_at = now(), updated_at = now() \
         WHERE id = ANY($1) AND lease_owner = $2 AND status = 'running'",
        ids,
        owner
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Jobs waiting, running and dead per kind, and how long the oldest due
/// job has waited (queue lag) at `now`: what the metrics report.
pub async fn stats(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<crate::telemetry::metrics::QueueReading, sqlx::Error> {
    let mut tx = system(pool).await?;
    let jobs = sqlx::query!(
        r#"SELECT kind, status, count(*) AS "count!" FROM jobs
           WHERE status IN ('pending', 'running', 'dead') GROUP BY kind, status"#
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|row| (row.kind, row.status, row.count))
    .collect();
    let oldest_ready_seconds = sqlx::query_scalar!(
        r#"SELECT coalesce(extract(epoch FROM $1 - min(run_at)), 0)::float8 AS "age!"
           FROM jobs WHERE status = 'pending' AND run_at <= $1"#,
        now as _
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(crate::telemetry::metrics::QueueReading {
        jobs,
        oldest_ready_seconds: oldest_ready_seconds.max(0.0),
    })
}

/// Workers read and write jobs of every business: the system path.
async fn system(pool: &PgPool) -> Result<crate::db::SystemTx, sqlx::Error> {
    crate::db::begin_system(pool, "job queue").await
}

/// The wait before attempt `attempt + 1`: `base · 2^(attempt-1)`, at most
/// `max`, times a random factor in [0.5, 1.5) so that jobs that failed
/// together do not retry together.
pub fn backoff(
    attempt: i32,
    base: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    use rand::Rng;
    let exp = base
        .saturating_mul(1u32 << (attempt.clamp(1, 20) - 1) as u32)
        .min(max);
    exp.mul_f64(rand::rng().random_range(0.5..1.5)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(3600);
        for _ in 0..200 {
            let first = backoff(1, base, max);
            assert!(
                first >= Duration::from_secs(5) && first < Duration::from_secs(15),
                "{first:?}"
            );
            let fourth = backoff(4, base, max);
            assert!(
                fourth >= Duration::from_secs(40) && fourth < Duration::from_secs(120),
                "{fourth:?}"
            );
            assert!(backoff(30, base, max) <= max);
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff(3, base, max)).collect();
        assert!(spread.len() > 40, "jitter spreads retries");
    }
}
