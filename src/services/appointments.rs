//! Booking: appointments that fit the provider's hours (or say why not),
//! keep buffers, and never double-book a provider or a resource. The
//! database's exclusion constraints decide races; the loser gets a 409
//! naming the appointment in the way.

use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{self, Changes, Entry, Origin},
    auth::Principal,
    db,
    domain::{
        records::AppointmentStatus,
        roles::{Action, Permission, RecordKind},
        scheduling::{working_spans, Span, WorkingSpan},
        views::AppointmentView,
    },
    error::AppError,
};

#[derive(Debug, Clone, Default)]
pub struct Booking {
    pub client_id: Uuid,
    pub service_id: Uuid,
    pub provider_id: Uuid,
    pub resource_ids: Vec<Uuid>,
    pub starts_at: Option<DateTime<Utc>>,
    pub notes: String,
    /// Books outside the provider's working hours; the reason is kept.
    pub override_reason: Option<String>,
}

struct ServiceRule {
    duration: Duration,
    before: Duration,
    after: Duration,
    kinds: Vec<String>,
    performs: bool,
}

async fn service_rule(
    tx: &mut db::TenantTx,
    tenant: Uuid,
    service: Uuid,
    provider: Uuid,
) -> Result<ServiceRule, AppError> {
    let row: Option<(i32, i32, i32, Vec<String>, bool)> = sqlx::query_as(
        "SELECT s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes, s.resource_kinds, \
                NOT EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = s.id) \
                OR EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = s.id AND x.provider_id = $3) \
         FROM services s WHERE s.id = $1 AND s.tenant_id = $2 AND s.archived_at IS NULL",
    )
    .bind(service)
    .bind(tenant)
    .bind(provider)
    .fetch_optional(&mut **tx)
    .await?;
    let (duration, before, after, kinds, performs) =
        row.ok_or_else(|| AppError::field("service_id", "there is no such service"))?;
    Ok(ServiceRule {
        duration: Duration::minutes(duration.into()),
        before: Duration::minutes(before.into()),
        after: Duration::minutes(after.into()),
        kinds,
        performs,
    })
}

/// A provider's time zone and working week.
pub(super) async fn provider_week(
    tx: &mut db::TenantTx,
    tenant: Uuid,
    provider: Uuid,
) -> Result<(Tz, Vec<WorkingSpan>), AppError> {
    let zone: Option<String> = sqlx::query_scalar(
        "SELECT time_zone FROM providers WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL",
    )
    .bind(provider)
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    let zone: Tz = zone
        .ok_or_else(|| AppError::field("provider_id", "there is no such provider"))?
        .parse()
        .map_err(|_| AppError::internal("a provider's stored time zone does not parse"))?;
    let rows: Vec<(i16, NaiveTime, NaiveTime)> = sqlx::query_as(
        "SELECT weekday, starts, ends FROM working_hours WHERE provider_id = $1 AND tenant_id = $2",
    )
    .bind(provider)
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await?;
    const DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    let week = rows
        .into_iter()
        .filter_map(|(day, starts, ends)| {
            let weekday = *DAYS.get(usize::try_from(day).ok()?.checked_sub(1)?)?;
            Some(WorkingSpan {
                weekday,
                starts,
                ends,
            })
        })
        .collect();
    Ok((zone, week))
}

/// Whether `span` lies inside the provider's working hours and outside their time off.
async fn within_hours(
    tx: &mut db::TenantTx,
    tenant: Uuid,
    provider: Uuid,
    span: Span,
) -> Result<bool, AppError> {
    let (zone, week) = provider_week(tx, tenant, provider).await?;
    let first = span.start.with_timezone(&zone).date_naive();
    let last = span.end.with_timezone(&zone).date_naive();
    let working = working_spans(&week, zone, first, last);
    let off: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM time_off WHERE provider_id = $1 AND tenant_id = $2 AND during && tstzrange($3, $4))",
    )
    .bind(provider)
    .bind(tenant)
    .bind(span.start)
    .bind(span.end)
    .fetch_one(&mut **tx)
    .await?;
    Ok(!off && working.iter().any(|w| w.contains(&span)))
}

/// The active appointment that holds the provider or one of the resources during `blocked`.
async fn conflict(
    deps: &Deps,
    tenant: Uuid,
    provider: Uuid,
    resources: &[Uuid],
    blocked: Span,
    except: Option<Uuid>,
) -> Result<AppError, AppError> {
    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let row: Option<(Uuid, DateTime<Utc>, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT a.id, a.starts_at, a.ends_at, p.name FROM appointments a JOIN providers p ON p.id = a.provider_id \
         WHERE a.tenant_id = $1 AND a.status <> 'cancelled' AND a.blocked && tstzrange($3, $4) \
           AND ($5::uuid IS NULL OR a.id <> $5) \
           AND (a.provider_id = $2 OR EXISTS (SELECT 1 FROM appointment_resources r \
                WHERE r.appointment_id = a.id AND r.resource_id = ANY($6))) \
         ORDER BY a.starts_at LIMIT 1",
    )
    .bind(tenant)
    .bind(provider)
    .bind(blocked.start)
    .bind(blocked.end)
    .bind(except)
    .bind(resources)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(match row {
        Some((id, starts, ends, provider_name)) => AppError::Conflict(format!(
            "The time is taken by appointment {id} ({provider_name}, {} to {} UTC).",
            starts.format("%Y-%m-%d %H:%M"),
            ends.format("%H:%M")
        )),
        None => AppError::Conflict(
            "The time was just taken by another booking; choose another time.".into(),
        ),
    })
}

/// Takes the provider's and the resources' booking locks, always in the same
/// order. Two bookings that share a provider or a resource then queue rather
/// than deadlock on each other's constraint checks; the exclusion
/// constraints still decide who wins.
async fn lock_calendars(
    tx: &mut db::TenantTx,
    provider: Uuid,
    resources: &[Uuid],
) -> Result<(), AppError> {
    let mut keys: Vec<Uuid> = resources.to_vec();
    keys.push(provider);
    keys.sort();
    keys.dedup();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(k::text, 0)) FROM unnest($1::uuid[]) AS k ORDER BY k")
        .bind(&keys)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn is_double_booking(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01"))
}

/// Books one appointment.
pub async fn book(
    deps: &Deps,
    who: &impl Principal,
    input: &Booking,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Create))?;
    let tenant = who.tenant_id();
    let starts_at = input
        .starts_at
        .ok_or_else(|| AppError::field("starts_at", "choose a start time"))?;
    let reason = input
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut resources = input.resource_ids.clone();
    resources.sort();
    resources.dedup();

    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let rule = service_rule(&mut tx, tenant, input.service_id, input.provider_id).await?;
    let client_ok: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL)")
        .bind(input.client_id)
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?;
    if !client_ok {
        return Err(AppError::field("client_id", "there is no such client"));
    }
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM resources WHERE id = ANY($1) AND tenant_id = $2 AND archived_at IS NULL",
    )
    .bind(&resources)
    .bind(tenant)
    .fetch_all(&mut *tx)
    .await?;
    if kinds.len() != resources.len() {
        return Err(AppError::field(
            "resource_ids",
            "one of the resources does not exist",
        ));
    }
    if let Some(missing) = rule.kinds.iter().find(|k| !kinds.contains(k)) {
        return Err(AppError::field(
            "resource_ids",
            format!("this service needs a {missing}"),
        ));
    }
    if !rule.performs {
        return Err(AppError::field(
            "provider_id",
            "this provider does not perform this service",
        ));
    }
    let ends_at = starts_at + rule.duration;
    let appointment = Span {
        start: starts_at,
        end: ends_at,
    };
    if reason.is_none() && !within_hours(&mut tx, tenant, input.provider_id, appointment).await? {
        return Err(AppError::field(
            "starts_at",
            "this is outside the provider's working hours; give a reason to book anyway",
        ));
    }
    let blocked = Span {
        start: starts_at - rule.before,
        end: ends_at + rule.after,
    };

    lock_calendars(&mut tx, input.provider_id, &resources).await?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO appointments (id, tenant_id, client_id, service_id, provider_id, starts_at, ends_at, blocked, notes, override_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, tstzrange($8, $9), $10, $11)",
    )
    .bind(id)
    .bind(tenant)
    .bind(input.client_id)
    .bind(input.service_id)
    .bind(input.provider_id)
    .bind(starts_at)
    .bind(ends_at)
    .bind(blocked.start)
    .bind(blocked.end)
    .bind(input.notes.trim())
    .bind(reason)
    .execute(&mut *tx)
    .await;
    let mut outcome = inserted.map(drop);
    for resource in &resources {
        if outcome.is_err() {
            break;
        }
        outcome = sqlx::query("INSERT INTO appointment_resources (tenant_id, appointment_id, resource_id, blocked) VALUES ($1, $2, $3, tstzrange($4, $5))")
            .bind(tenant)
            .bind(id)
            .bind(resource)
            .bind(blocked.start)
            .bind(blocked.end)
            .execute(&mut *tx)
            .await
            .map(drop);
    }
    if let Err(err) = outcome {
        tx.rollback().await?;
        return Err(if is_double_booking(&err) {
            conflict(deps, tenant, input.provider_id, &resources, blocked, None).await?
        } else {
            err.into()
        });
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "appointment.booked",
            entity_type: "appointment",
            entity_id: Some(id),
            changes: Changes::new()
                .field("starts_at", None, Some(starts_at))
                .field("provider_id", None, Some(input.provider_id))
                .field("override_reason", None, reason),
        },
    )
    .await?;
    let view = load(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Cancels; the time becomes free for others.
pub async fn cancel(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    reason: &str,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    let old: Option<String> = sqlx::query_scalar(
        "UPDATE appointments a SET status = 'cancelled', cancel_reason = $3, updated_at = now() \
         FROM (SELECT status FROM appointments WHERE id = $1 AND tenant_id = $2 FOR UPDATE) old \
         WHERE a.id = $1 AND a.tenant_id = $2 AND old.status <> 'cancelled' RETURNING old.status",
    )
    .bind(id)
    .bind(who.tenant_id())
    .bind(reason.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let old = old.ok_or_else(|| AppError::NotFound("no such active appointment".into()))?;
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "appointment.cancelled",
            entity_type: "appointment",
            entity_id: Some(id),
            changes: Changes::new()
                .field("status", Some(old.as_str()), Some("cancelled"))
                .field("cancel_reason", None, Some(reason.trim())),
        },
    )
    .await?;
    let view = load(&mut tx, who.tenant_id(), id).await?;
    tx.commit().await?;
    Ok(view)
}

/// Moves an appointment to a new start (same service, provider, resources).
pub async fn reschedule(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    starts_at: DateTime<Utc>,
    override_reason: Option<&str>,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
    let tenant = who.tenant_id();
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let current = load(&mut tx, tenant, id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Err(AppError::Conflict(
            "A cancelled appointment cannot be moved; book a new one.".into(),
        ));
    }
    let rule = service_rule(&mut tx, tenant, current.service_id, current.provider_id).await?;
    let appointment = Span {
        start: starts_at,
        end: starts_at + rule.duration,
    };
    if reason.is_none() && !within_hours(&mut tx, tenant, current.provider_id, appointment).await? {
        return Err(AppError::field(
            "starts_at",
            "this is outside the provider's working hours; give a reason to book anyway",
        ));
    }
    let blocked = Span {
        start: starts_at - rule.before,
        end: appointment.end + rule.after,
    };
    lock_calendars(&mut tx, current.provider_id, &current.resource_ids).await?;
    let moved = sqlx::query(
        "UPDATE appointments SET starts_at = $3, ends_at = $4, blocked = tstzrange($5, $6), \
         override_reason = coalesce($7, override_reason), updated_at = now() WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .bind(starts_at)
    .bind(appointment.end)
    .bind(blocked.start)
    .bind(blocked.end)
    .bind(reason)
    .execute(&mut *tx)
    .await;
    if let Err(err) = moved {
        tx.rollback().await?;
        return Err(if is_double_booking(&err) {
            conflict(
                deps,
                tenant,
                current.provider_id,
                &current.resource_ids,
                blocked,
                Some(id),
            )
            .await?
        } else {
            err.into()
        });
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "appointment.rescheduled",
            entity_type: "appointment",
            entity_id: Some(id),
            changes: Changes::new().field("starts_at", Some(current.starts_at), Some(starts_at)),
        },
    )
    .await?;
    let view = load(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load(tx: &mut db::TenantTx, tenant: Uuid, id: Uuid) -> Result<AppointmentView, AppError> {
    load_many(tx, tenant, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("no such appointment".into()))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    client_id: Uuid,
    client_name: String,
    service_id: Uuid,
    service_name: String,
    provider_id: Uuid,
    provider_name: String,
    resource_ids: Vec<Uuid>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: String,
    notes: String,
    override_reason: Option<String>,
}

/// The appointments `ids` that exist in the tenant, in start order, in one query.
async fn load_many(
    tx: &mut db::TenantTx,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<AppointmentView>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.client_id, c.name AS client_name, a.service_id, s.name AS service_name, \
                a.provider_id, p.name AS provider_name, \
                coalesce((SELECT array_agg(r.resource_id ORDER BY r.resource_id) FROM appointment_resources r \
                          WHERE r.appointment_id = a.id), '{}') AS resource_ids, \
                a.starts_at, a.ends_at, a.status, a.notes, a.override_reason \
         FROM appointments a JOIN clients c ON c.id = a.client_id JOIN services s ON s.id = a.service_id \
         JOIN providers p ON p.id = a.provider_id WHERE a.id = ANY($1) AND a.tenant_id = $2 \
         ORDER BY a.starts_at, a.id",
    )
    .bind(ids)
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(AppointmentView {
                status: AppointmentStatus::parse(&row.status)
                    .ok_or_else(|| AppError::internal("unknown appointment status"))?,
                id: row.id,
                client_id: row.client_id,
                client_name: row.client_name,
                service_id: row.service_id,
                service_name: row.service_name,
                provider_id: row.provider_id,
                provider_name: row.provider_name,
                resource_ids: row.resource_ids,
                starts_at: row.starts_at,
                ends_at: row.ends_at,
                notes: row.notes,
                override_reason: row.override_reason,
            })
        })
        .collect()
}

/// Confirms, completes or marks a no-show. Cancelling has its own path (it needs a reason).
pub async fn set_status(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    status: AppointmentStatus,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
    if status == AppointmentStatus::Cancelled {
        return Err(AppError::field("status", "cancel with a reason instead"));
    }
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    let current = load(&mut tx, who.tenant_id(), id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Err(AppError::Conflict(
            "This appointment was cancelled; book a new one.".into(),
        ));
    }
    if current.status == status {
        return Ok(current);
    }
    sqlx::query(
        "UPDATE appointments SET status = $3, updated_at = now() WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(who.tenant_id())
    .bind(status.as_str())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "appointment.status_changed",
            entity_type: "appointment",
            entity_id: Some(id),
            changes: Changes::new().field(
                "status",
                Some(current.status.as_str()),
                Some(status.as_str()),
            ),
        },
    )
    .await?;
    let view = load(&mut tx, who.tenant_id(), id).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    let view = load(&mut tx, who.tenant_id(), id).await?;
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
    let mut tx = db::begin_tenant(&deps.pool, tenant).await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT a.id FROM appointments a WHERE a.tenant_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 \
           AND ($4::uuid IS NULL OR a.provider_id = $4) AND ($5::uuid IS NULL OR a.client_id = $5) \
           AND ($6::uuid IS NULL OR (a.starts_at, a.id) > (SELECT starts_at, id FROM appointments WHERE id = $6 AND tenant_id = $1)) \
         ORDER BY a.starts_at, a.id LIMIT $7",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .bind(query.provider_id)
    .bind(query.client_id)
    .bind(query.after)
    .bind(PAGE as i64 + 1)
    .fetch_all(&mut *tx)
    .await?;
    let more = ids.len() > PAGE;
    let views = load_many(&mut tx, tenant, &ids[..ids.len().min(PAGE)]).await?;
    tx.commit().await?;
    let next = more
        .then(|| views.last().map(|v: &AppointmentView| v.id))
        .flatten();
    Ok((views, next))
}
