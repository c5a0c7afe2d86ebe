//! The sample businesses' bulk parts (`frontdesk seed`): what the services
//! would take hours to write one by one. Each change is audited as the
//! system's.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::{
    audit::{Changes, Entry},
    auth::Staff,
    db::Pool,
    domain::roles::Role,
    error::AppError,
    jobs::Job,
    services::{jobs::SendEmail, Deps},
};

pub async fn slug_taken(pool: &Pool, slug: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1) AS "taken!""#,
        slug
    )
    .fetch_one(pool)
    .await?)
}

/// The owner `email` of the business `slug`, when both exist.
pub async fn owner_of(pool: &Pool, slug: &str, email: &str) -> Result<Option<Staff>, AppError> {
    let row = sqlx::query!(
        "SELECT u.id AS user_id, t.id AS tenant_id FROM tenants t \
         JOIN memberships m ON m.tenant_id = t.id JOIN users u ON u.id = m.user_id \
         WHERE t.slug = $1 AND u.email = $2",
        slug,
        email
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Staff {
        user_id: r.user_id,
        tenant_id: r.tenant_id,
        role: Role::Owner,
    }))
}

fn entry(action: &'static str, rows: u64) -> Entry<'static> {
    Entry {
        action,
        entity_type: "appointment",
        entity_id: None,
        changes: Changes::new().field("rows", None, Some(rows)),
    }
}

/// Past appointments get the outcomes a real desk records: most completed,
/// some cancelled or missed; a few upcoming ones are confirmed or cancelled.
pub async fn settle_appointments(deps: &Deps, tenant: Uuid) -> Result<(), AppError> {
    let mut work = deps.in_business(tenant, "seed").await?;
    let rows = sqlx::query!(
        "UPDATE appointments a SET status = o.status, \
           cancel_reason = CASE WHEN o.status = 'cancelled' THEN 'changed plans' END \
         FROM (SELECT id, CASE \
            WHEN starts_at < now() THEN CASE WHEN abs(hashtext(id::text)) % 100 < 80 THEN 'completed' \
                 WHEN abs(hashtext(id::text)) % 100 < 90 THEN 'cancelled' ELSE 'no_show' END \
            ELSE CASE WHEN abs(hashtext(id::text)) % 100 < 30 THEN 'confirmed' \
                 WHEN abs(hashtext(id::text)) % 100 < 36 THEN 'cancelled' ELSE 'booked' END END AS status \
               FROM appointments WHERE tenant_id = $1) o \
         WHERE a.id = o.id AND a.tenant_id = $1",
        tenant
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    work.audit(entry("seed.settle", rows)).await?;
    work.changed_everything();
    work.commit().await
}

/// Sample clients are not real people: their booking confirmations are not sent.
pub async fn drop_confirmations(deps: &Deps, tenant: Uuid) -> Result<(), AppError> {
    let mut work = deps.in_business(tenant, "seed").await?;
    sqlx::query!(
        "UPDATE jobs SET status = 'discarded', payload = '{}', finished_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND kind = $2 AND status = 'pending'",
        tenant,
        SendEmail::KIND
    )
    .execute(work.conn())
    .await?;
    work.commit().await
}

pub async fn has_appointments(deps: &Deps, tenant: Uuid) -> Result<bool, AppError> {
    let mut work = deps.in_business(tenant, "seed").await?;
    let filled = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM appointments) AS "filled!""#)
        .fetch_one(work.conn())
        .await?;
    work.commit().await?;
    Ok(filled)
}

/// The large data set's rows, written in bulk.
pub struct Bulk<'a> {
    pub clients: i64,
    /// Clients are named from these lists.
    pub first_names: &'a [&'a str],
    pub last_names: &'a [&'a str],
    pub providers: &'a [Uuid],
    pub service: Uuid,
    /// Eight one-hour appointments a day per provider, from `first_day` on.
    pub first_day: NaiveDate,
    pub days: i64,
    pub zone: &'a str,
}

/// Clients spread over the last two years, then the appointments, in one unit.
pub async fn fill(deps: &Deps, tenant: Uuid, bulk: Bulk<'_>) -> Result<(), AppError> {
    let first: Vec<String> = bulk.first_names.iter().map(|s| s.to_string()).collect();
    let last: Vec<String> = bulk.last_names.iter().map(|s| s.to_string()).collect();
    let mut work = deps.in_business(tenant, "seed").await?;
    let clients = sqlx::query!(
        "INSERT INTO clients (id, tenant_id, name, email, phone, created_at) \
         SELECT gen_random_uuid(), $1, \
                ($3::text[])[1 + n % cardinality($3::text[])] || ' ' || \
                ($4::text[])[1 + (n / cardinality($3::text[])) % cardinality($4::text[])] || ' ' || n, \
                'client' || n || '@example.com', '+49 30 ' || (1000000 + n), \
                now() - (n % 730) * interval '1 day' \
         FROM generate_series(0, $2::bigint - 1) AS n",
        tenant,
        bulk.clients,
        &first,
        &last
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    let appointments = sqlx::query!(
        "WITH c AS (SELECT array_agg(id) AS ids FROM clients WHERE tenant_id = $1), \
              slots AS ( \
                SELECT p.id AS provider_id, p.ord, d, s, \
                       (($3::date + d::int) + make_time(9 + s::int, 0, 0)) AT TIME ZONE $4 AS starts_at \
                FROM unnest($2::uuid[]) WITH ORDINALITY AS p(id, ord), \
                     generate_series(0, $5::bigint - 1) AS d, generate_series(0, 7) AS s) \
         INSERT INTO appointments (id, tenant_id, client_id, service_id, provider_id, starts_at, ends_at, blocked, status) \
         SELECT gen_random_uuid(), $1, c.ids[1 + ((d * 8 + s) * 31 + ord * 7919) % array_length(c.ids, 1)], $6, provider_id, \
                starts_at, starts_at + interval '1 hour', tstzrange(starts_at, starts_at + interval '1 hour'), \
                CASE WHEN starts_at >= now() THEN 'booked' \
                     WHEN (d + s + ord) % 20 = 0 THEN 'cancelled' WHEN (d + s + ord) % 25 = 1 THEN 'no_show' \
                     ELSE 'completed' END \
         FROM slots, c",
        tenant,
        bulk.providers,
        // A chrono date for the `date` parameter (sqlx would expect `time`).
        bulk.first_day as _,
        bulk.zone,
        bulk.days,
        bulk.service
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    work.audit(Entry {
        action: "seed.bulk",
        entity_type: "client",
        entity_id: None,
        changes: Changes::new().field("rows", None, Some(clients)),
    })
    .await?;
    work.audit(entry("seed.bulk", appointments)).await?;
    work.changed_everything();
    work.commit().await
}

/// Fresh planner statistics after a bulk load.
pub async fn analyze(pool: &Pool) -> Result<(), AppError> {
    sqlx::query!("ANALYZE appointments").execute(pool).await?;
    sqlx::query!("ANALYZE clients").execute(pool).await?;
    Ok(())
}
