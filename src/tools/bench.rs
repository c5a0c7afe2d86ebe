//! The benchmarks' reads and resets.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    db::Pool,
    error::AppError,
    services::{dashboard, Deps, Work},
};

/// Some business, for measuring a tenant transaction.
pub async fn any_business(pool: &Pool) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!("SELECT id FROM tenants LIMIT 1")
        .fetch_one(pool)
        .await?)
}

/// One statement in a plain transaction: the baseline a unit of work is compared with.
pub async fn plain_transaction(pool: &Pool) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT 1 AS one").fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// One statement in a unit of work confined to `tenant`.
pub async fn tenant_transaction(pool: &Pool, tenant: Uuid) -> Result<(), AppError> {
    let mut work = Work::business(pool, tenant, "bench").await?;
    sqlx::query!("SELECT 1 AS one")
        .fetch_one(work.conn())
        .await?;
    work.commit().await
}

/// An empty queue, between runs of the queue benchmark.
pub async fn empty_queue(pool: &Pool) -> Result<(), AppError> {
    sqlx::query!("TRUNCATE jobs").execute(pool).await?;
    Ok(())
}

/// `n` jobs of `kind` with an empty payload, in one statement.
pub async fn fill_queue(pool: &Pool, kind: &str, n: i64) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO jobs (id, kind, payload) \
         SELECT gen_random_uuid(), $1, '{}' FROM generate_series(1, $2::bigint)",
        kind,
        n
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// `n` change events of `tenant` in one commit, with the notification the
/// listeners wait for (a flood for the live-updates benchmark).
pub async fn fill_changes(pool: &Pool, tenant: Uuid, n: i64) -> Result<(), AppError> {
    let mut tx = crate::db::begin_system(pool, "bench").await?;
    sqlx::query!(
        "INSERT INTO change_events (tenant_id, topic, record_id, action)
         SELECT $1, 'clients', gen_random_uuid(), 'client.update' FROM generate_series(1, $2::bigint)",
        tenant,
        n
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("SELECT pg_notify($1, '')", crate::live::outbox::CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn done_jobs(pool: &Pool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM jobs WHERE status = 'done'"#)
            .fetch_one(pool)
            .await?,
    )
}

/// From the first job's start to the last one's end, in seconds.
pub async fn drain_seconds(pool: &Pool) -> Result<f64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 AS "s!" FROM jobs"#
    )
    .fetch_one(pool)
    .await?)
}

/// Enqueue-to-start delay of the jobs in the queue, in milliseconds.
pub struct StartDelay {
    pub p50: f64,
    pub p99: f64,
}

pub async fn start_delay(pool: &Pool) -> Result<StartDelay, AppError> {
    let row = sqlx::query!(
        r#"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS "p50!",
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS "p99!"
           FROM (SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 AS d FROM jobs) s"#
    )
    .fetch_one(pool)
    .await?;
    Ok(StartDelay {
        p50: row.p50,
        p99: row.p99,
    })
}

/// Appointments and clients in `tenant`.
pub async fn sizes(pool: &Pool, tenant: Uuid) -> Result<(i64, i64), AppError> {
    let mut work = Work::business(pool, tenant, "bench").await?;
    let row = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM appointments) AS "appointments!",
                  (SELECT count(*) FROM clients) AS "clients!""#
    )
    .fetch_one(work.conn())
    .await?;
    work.commit().await?;
    Ok((row.appointments, row.clients))
}

/// Gives the account `email` a known password (hashed already), so a run can sign in.
pub async fn set_password(pool: &Pool, email: &str, hash: &str) -> Result<(), AppError> {
    let mut work = Work::system(pool, "bench: known owner password").await?;
    sqlx::query!(
        "UPDATE users SET password_hash = $1 WHERE email = $2",
        hash,
        email
    )
    .execute(work.conn())
    .await?;
    work.commit().await
}

/// Marks the account `email` verified, as opening its emailed link would
/// (API keys need a verified owner).
pub async fn mark_verified(pool: &Pool, email: &str) -> Result<(), AppError> {
    let mut work = Work::system(pool, "bench: verified owner").await?;
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE email = $1",
        email
    )
    .execute(work.conn())
    .await?;
    work.commit().await
}

/// The plan of the dashboard's per-day counts over `from..to`.
pub async fn dashboard_plan(
    deps: &Deps,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zone: &str,
) -> Result<Vec<String>, AppError> {
    let mut work = deps.in_business(tenant, "bench").await?;
    // EXPLAIN of the dashboard's own statement: built at run time on purpose.
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        dashboard::DAY_COUNTS_SQL
    ))
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(zone)
    .fetch_all(work.conn())
    .await?;
    work.commit().await?;
    Ok(plan)
}

/// `messages` stored messages of `mailbox` in conversations of
/// `per_conversation` (the client writes first and last), spread over the
/// last weeks, the last message of every tenth conversation unread:
/// the inbox's large data set, written in two statements.
pub async fn fill_mail(
    pool: &Pool,
    tenant: Uuid,
    mailbox: Uuid,
    messages: i64,
    per_conversation: i64,
) -> Result<(), AppError> {
    let conversations = (messages / per_conversation).max(1);
    let mut work = Work::business(pool, tenant, "bench").await?;
    sqlx::query!(
        "INSERT INTO mail_conversations (id, tenant_id, mailbox_id, correspondent, subject, subject_key,
                                         last_message_at)
         SELECT md5($1::uuid::text || ':' || n)::uuid, $2, $1::uuid, 'sender' || n || '@bench.example',
                s.subject, lower(s.subject), now() - make_interval(mins => n::int)
         FROM generate_series(1, $3::bigint) AS n,
              LATERAL (SELECT (CASE n % 3 WHEN 0 THEN 'Invoice ' WHEN 1 THEN 'Appointment ' ELSE 'Question ' END) || n
                       AS subject) AS s",
        mailbox,
        tenant,
        conversations,
    )
    .execute(work.conn())
    .await?;
    sqlx::query!(
        "INSERT INTO mail_messages (id, tenant_id, mailbox_id, conversation_id, message_id, subject,
                                    from_address, to_addresses, sent_at, direction, body_text, seen, size_bytes)
         SELECT gen_random_uuid(), $2, $1::uuid, md5($1::uuid::text || ':' || c)::uuid,
                'bench-' || c || '-' || k || '@bench.example', c2.subject,
                CASE WHEN k % 2 = 1 THEN 'sender' || c || '@bench.example' ELSE 'desk@bench.example' END,
                ARRAY['desk@bench.example'],
                now() - make_interval(mins => c::int) - make_interval(hours => ($4 - k)::int),
                CASE WHEN k % 2 = 1 THEN 'in' ELSE 'out' END,
                'Hello, this is message ' || k || ' about ' || c2.subject
                    || '. I would like to move my appointment to next week if that is possible, '
                    || 'and I have a question about the invoice I received. Kind regards, sender' || c,
                (c % 10 <> 0 OR k < $4), 2048
         FROM generate_series(1, $3::bigint) AS c,
              generate_series(1, $4::bigint) AS k,
              LATERAL (SELECT (CASE c % 3 WHEN 0 THEN 'Invoice ' WHEN 1 THEN 'Appointment ' ELSE 'Question ' END) || c
                       AS subject) AS c2(subject)",
        mailbox,
        tenant,
        conversations,
        per_conversation,
    )
    .execute(work.conn())
    .await?;
    work.commit().await?;
    // Statistics as autovacuum would have them a minute later.
    sqlx::query("ANALYZE mail_conversations, mail_messages")
        .execute(pool)
        .await?;
    Ok(())
}

/// How many messages `tenant` has stored.
pub async fn mail_count(pool: &Pool, tenant: Uuid) -> Result<i64, AppError> {
    let mut work = Work::business(pool, tenant, "bench").await?;
    let n = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM mail_messages"#)
        .fetch_one(work.conn())
        .await?;
    work.commit().await?;
    Ok(n)
}
