//! Reading appointments: one, a range for the calendar, a client's.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::services::Deps;
use crate::{
    auth::Principal,
    cache::Namespace,
    domain::{
        records::AppointmentStatus,
        roles::{Action, Permission, RecordKind},
        views::AppointmentView,
    },
    error::AppError,
};

pub(super) fn single(mut views: Vec<AppointmentView>) -> Result<AppointmentView, AppError> {
    views
        .pop()
        .ok_or_else(|| AppError::NotFound("no such appointment".into()))
}

pub(super) async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> Result<AppointmentView, AppError> {
    load_many(conn, tenant, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("no such appointment".into()))
}

/// The appointments `ids` that exist in the tenant, in start order, in one query.
pub(crate) async fn load_many(
    conn: &mut PgConnection,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<AppointmentView>, AppError> {
    Ok(sqlx::query_as!(
        AppointmentView,
        r#"SELECT a.id, a.client_id, c.name AS client_name, a.service_id, s.name AS service_name,
                  a.provider_id, p.name AS provider_name,
                  coalesce((SELECT array_agg(r.resource_id ORDER BY r.resource_id) FROM appointment_resources r
                            WHERE r.appointment_id = a.id), '{}') AS "resource_ids!",
                  a.starts_at AS "starts_at: DateTime<Utc>", a.ends_at AS "ends_at: DateTime<Utc>",
                  a.status AS "status: AppointmentStatus", a.notes, a.override_reason, a.series_id,
                  a.cancel_reason, s.colour
           FROM appointments a JOIN clients c ON c.id = a.client_id JOIN services s ON s.id = a.service_id
           JOIN providers p ON p.id = a.provider_id WHERE a.id = ANY($1) AND a.tenant_id = $2
           ORDER BY a.starts_at, a.id"#,
        ids,
        tenant,
    )
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<AppointmentView, AppError> {
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let view = load(tx.conn(), who.tenant_id(), id).await?;
    tx.commit().await?;
    Ok(view)
}

/// The longest range one listing covers.
pub const MAX_RANGE_DAYS: i64 = 62;

pub const PAGE: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub provider_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// Continue after this appointment (the `next` of the previous page).
    pub after: Option<Uuid>,
}

/// Appointments starting in `[from, to)`, in start order, a page at a time.
pub async fn list(
    deps: &Deps,
    who: &impl Principal,
    query: &Listing,
) -> Result<(Vec<AppointmentView>, Option<Uuid>), AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(AppError::field(
            "from",
            "give a range with from and to (RFC 3339 times)",
        ));
    };
    if to <= from {
        return Err(AppError::field("to", "the range ends before it starts"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::field(
            "to",
            format!("ask for at most {MAX_RANGE_DAYS} days at a time"),
        ));
    }
    let tenant = who.tenant_id();
    let id = |v: Option<Uuid>| v.map(|id| id.simple().to_string()).unwrap_or_default();
    let params = format!(
        "list:{}:{}:{}:{}:{}",
        from.timestamp_micros(),
        to.timestamp_micros(),
        id(query.provider_id),
        id(query.client_id),
        id(query.after)
    );
    let read = Permission::Record(RecordKind::Appointment, Action::Read);
    deps.read_cached(who, read, Namespace::Appointments, &params, |mut tx| async move {
            let ids: Vec<Uuid> = sqlx::query_scalar!("SELECT a.id FROM appointments a WHERE a.tenant_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 \
                   AND ($4::uuid IS NULL OR a.provider_id = $4) AND ($5::uuid IS NULL OR a.client_id = $5) \
                   AND ($6::uuid IS NULL OR (a.starts_at, a.id) > (SELECT starts_at, id FROM appointments WHERE id = $6 AND tenant_id = $1)) \
                 ORDER BY a.starts_at, a.id LIMIT $7", tenant, from as _, to as _, query.provider_id, query.client_id, query.after, PAGE as i64 + 1)
            .fetch_all(tx.conn())
            .await?;
            let more = ids.len() > PAGE;
            let views = load_many(tx.conn(), tenant, &ids[..ids.len().min(PAGE)]).await?;
            let next = more
                .then(|| views.last().map(|v: &AppointmentView| v.id))
                .flatten();
            Ok((views, next))
        })
        .await
}

/// A client's appointments, newest first (their timeline).
pub async fn for_client(
    deps: &Deps,
    who: &impl Principal,
    client: Uuid,
) -> Result<Vec<AppointmentView>, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let ids: Vec<Uuid> = sqlx::query_scalar!("SELECT id FROM appointments WHERE tenant_id = $1 AND client_id = $2 ORDER BY starts_at DESC LIMIT 500", tenant, client)
    .fetch_all(tx.conn())
    .await?;
    let mut views = load_many(tx.conn(), tenant, &ids).await?;
    tx.commit().await?;
    views.reverse();
    Ok(views)
}

/// The next appointments of these clients that have not ended, soonest
/// first: what the search offers beside the clients it found.
pub async fn upcoming_for_clients(
    deps: &Deps,
    who: &impl Principal,
    clients: &[Uuid],
    limit: usize,
) -> Result<Vec<AppointmentView>, AppError> {
    let tenant = who.tenant_id();
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND client_id = ANY($2) \
         AND ends_at > $3 AND status <> 'cancelled' ORDER BY starts_at, id LIMIT $4",
        tenant,
        clients,
        deps.clock.now() as _,
        limit as i64,
    )
    .fetch_all(tx.conn())
    .await?;
    let views = load_many(tx.conn(), tenant, &ids).await?;
    tx.commit().await?;
    Ok(views)
}
