//! Booking: appointments that fit the provider's hours (or say why not),
//! keep buffers, and never double-book a provider or a resource. The
//! database's exclusion constraints decide races; the loser gets a 409
//! naming the appointment in the way.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{appointment_mail, reminders, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        records::{AppointmentStatus, Scope},
        roles::{Action, Permission, RecordKind},
        scheduling::{
            instant, occurrences, weekday_from_number, working_spans, Recurrence, Span, WorkingSpan,
        },
        views::AppointmentView,
    },
    error::AppError,
    mail::templates::AppointmentMail,
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
    conn: &mut PgConnection,
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
    .fetch_optional(&mut *conn)
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

/// The time zone of an active provider; `None` when there is no such provider.
pub(super) async fn provider_zone(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
) -> Result<Option<Tz>, AppError> {
    let zone: Option<String> = sqlx::query_scalar(
        "SELECT time_zone FROM providers WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL",
    )
    .bind(provider)
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await?;
    zone.map(|z| {
        z.parse()
            .map_err(|_| AppError::internal("a provider's stored time zone does not parse"))
    })
    .transpose()
}

/// A provider's time zone and working week.
pub(super) async fn provider_week(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
) -> Result<(Tz, Vec<WorkingSpan>), AppError> {
    let zone = provider_zone(conn, tenant, provider)
        .await?
        .ok_or_else(|| AppError::field("provider_id", "there is no such provider"))?;
    let rows: Vec<(i16, NaiveTime, NaiveTime)> = sqlx::query_as(
        "SELECT weekday, starts, ends FROM working_hours WHERE provider_id = $1 AND tenant_id = $2",
    )
    .bind(provider)
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    let week = rows
        .into_iter()
        .filter_map(|(day, starts, ends)| {
            Some(WorkingSpan {
                weekday: weekday_from_number(day)?,
                starts,
                ends,
            })
        })
        .collect();
    Ok((zone, week))
}

/// Whether `span` lies inside the provider's working hours (`week`, read
/// once by the caller) and outside their time off.
async fn within_hours(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
    (zone, week): &(Tz, Vec<WorkingSpan>),
    span: Span,
) -> Result<bool, AppError> {
    let first = span.start.with_timezone(zone).date_naive();
    let last = span.end.with_timezone(zone).date_naive();
    let working = working_spans(week, *zone, first, last);
    let off: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM time_off WHERE provider_id = $1 AND tenant_id = $2 AND during && tstzrange($3, $4))",
    )
    .bind(provider)
    .bind(tenant)
    .bind(span.start)
    .bind(span.end)
    .fetch_one(&mut *conn)
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
    let mut tx = deps.in_business(tenant, "explain a conflict").await?;
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
    .fetch_optional(tx.conn())
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
    conn: &mut PgConnection,
    provider: Uuid,
    resources: &[Uuid],
) -> Result<(), AppError> {
    let mut keys: Vec<Uuid> = resources.to_vec();
    keys.push(provider);
    keys.sort();
    keys.dedup();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(k::text, 0)) FROM unnest($1::uuid[]) AS k ORDER BY k")
        .bind(&keys)
        .execute(&mut *conn)
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
    let starts_at = input
        .starts_at
        .ok_or_else(|| AppError::field("starts_at", "choose a start time"))?;
    single(insert_bookings(deps, who, input, &[starts_at], None, origin).await?)
}

/// Books a weekly series: every occurrence keeps the first one's local time
/// in the provider's zone. All or nothing: one conflict or one occurrence
/// outside working hours refuses the whole series, naming it.
pub async fn book_series(
    deps: &Deps,
    who: &impl Principal,
    input: &Booking,
    rule: Recurrence,
    origin: &Origin,
) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Create))?;
    let starts_at = input
        .starts_at
        .ok_or_else(|| AppError::field("starts_at", "choose a start time"))?;
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Create),
        )
        .await?;
    let (zone, _) = provider_week(tx.conn(), who.tenant_id(), input.provider_id).await?;
    tx.commit().await?;
    let first = starts_at.with_timezone(&zone).naive_local();
    let starts =
        occurrences(first, zone, rule).map_err(|e| AppError::field("recurrence", e.to_string()))?;
    insert_bookings(deps, who, input, &starts, Some(Uuid::now_v7()), origin).await
}

/// Inserts one appointment per start, in one transaction.
async fn insert_bookings(
    deps: &Deps,
    who: &impl Principal,
    input: &Booking,
    starts: &[DateTime<Utc>],
    series_id: Option<Uuid>,
    origin: &Origin,
) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Create))?;
    let tenant = who.tenant_id();
    let reason = input
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut resources = input.resource_ids.clone();
    resources.sort();
    resources.dedup();

    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Create),
            origin,
        )
        .await?;
    let rule = service_rule(tx.conn(), tenant, input.service_id, input.provider_id).await?;
    let client_ok: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL)")
        .bind(input.client_id)
        .bind(tenant)
        .fetch_one(tx.conn())
        .await?;
    if !client_ok {
        return Err(AppError::field("client_id", "there is no such client"));
    }
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM resources WHERE id = ANY($1) AND tenant_id = $2 AND archived_at IS NULL",
    )
    .bind(&resources)
    .bind(tenant)
    .fetch_all(tx.conn())
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
    if reason.is_none() {
        let week = provider_week(tx.conn(), tenant, input.provider_id).await?;
        for &start in starts {
            let appointment = Span {
                start,
                end: start + rule.duration,
            };
            if !within_hours(tx.conn(), tenant, input.provider_id, &week, appointment).await? {
                return Err(outside_hours(starts.len(), start));
            }
        }
    }

    lock_calendars(tx.conn(), input.provider_id, &resources).await?;
    let mut ids = Vec::with_capacity(starts.len());
    for &starts_at in starts {
        let ends_at = starts_at + rule.duration;
        let blocked = Span {
            start: starts_at - rule.before,
            end: ends_at + rule.after,
        };
        let id = Uuid::now_v7();
        if let Err(err) = insert_one(
            tx.conn(),
            tenant,
            id,
            input,
            &resources,
            starts_at,
            ends_at,
            blocked,
            reason,
            series_id,
        )
        .await
        {
            tx.rollback().await?;
            return Err(if is_double_booking(&err) {
                conflict(deps, tenant, input.provider_id, &resources, blocked, None).await?
            } else {
                err.into()
            });
        }
        tx.audit(Entry {
            action: "appointment.booked",
            entity_type: "appointment",
            entity_id: Some(id),
            changes: Changes::new()
                .field("starts_at", None, Some(starts_at))
                .field("provider_id", None, Some(input.provider_id))
                .field("series_id", None, series_id)
                .field("override_reason", None, reason),
        })
        .await?;
        ids.push(id);
    }
    let views = load_many(tx.conn(), tenant, &ids).await?;
    // One confirmation for a booking, a series included (its first appointment).
    appointment_mail::enqueue(&mut tx, deps, ids[0], AppointmentMail::Confirmation).await?;
    tx.changed(Entity::Appointments);
    tx.commit().await?;
    Ok(views)
}

fn outside_hours(count: usize, start: DateTime<Utc>) -> AppError {
    let which = if count > 1 {
        format!("the appointment of {} UTC", start.format("%Y-%m-%d %H:%M"))
    } else {
        "this".to_string()
    };
    AppError::field(
        "starts_at",
        format!("{which} is outside the provider's working hours; give a reason to book anyway"),
    )
}

#[allow(clippy::too_many_arguments)]
async fn insert_one(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    input: &Booking,
    resources: &[Uuid],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    blocked: Span,
    reason: Option<&str>,
    series_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO appointments (id, tenant_id, client_id, service_id, provider_id, starts_at, ends_at, blocked, notes, override_reason, series_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, tstzrange($8, $9), $10, $11, $12)",
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
    .bind(series_id)
    .execute(&mut *conn)
    .await?;
    for resource in resources {
        sqlx::query("INSERT INTO appointment_resources (tenant_id, appointment_id, resource_id, blocked) VALUES ($1, $2, $3, tstzrange($4, $5))")
            .bind(tenant)
            .bind(id)
            .bind(resource)
            .bind(blocked.start)
            .bind(blocked.end)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Cancels; the time becomes free for others.
pub async fn cancel(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    reason: &str,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    single(cancel_scoped(deps, who, id, reason, Scope::This, origin).await?)
}

/// Cancels this appointment, or this and the later ones of its series.
pub async fn cancel_scoped(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    reason: &str,
    scope: Scope,
    origin: &Origin,
) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let targets: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT a.id, a.status FROM appointments a, \
           (SELECT series_id, starts_at FROM appointments WHERE id = $1 AND tenant_id = $2) t \
         WHERE a.tenant_id = $2 AND a.status <> 'cancelled' \
           AND (a.id = $1 OR ($3 AND a.series_id = t.series_id AND a.starts_at >= t.starts_at)) \
         ORDER BY a.starts_at FOR UPDATE OF a",
    )
    .bind(id)
    .bind(tenant)
    .bind(scope == Scope::Following)
    .fetch_all(tx.conn())
    .await?;
    if targets.is_empty() {
        return Err(AppError::NotFound("no such active appointment".into()));
    }
    let ids: Vec<Uuid> = targets.iter().map(|(id, _)| *id).collect();
    sqlx::query(
        "UPDATE appointments SET status = 'cancelled', cancel_reason = $3, updated_at = now() \
         WHERE id = ANY($1) AND tenant_id = $2",
    )
    .bind(&ids)
    .bind(tenant)
    .bind(reason.trim())
    .execute(tx.conn())
    .await?;
    for (target, old) in &targets {
        tx.audit(Entry {
            action: "appointment.cancelled",
            entity_type: "appointment",
            entity_id: Some(*target),
            changes: Changes::new()
                .field("status", Some(old.as_str()), Some("cancelled"))
                .field("cancel_reason", None, Some(reason.trim())),
        })
        .await?;
    }
    let views = load_many(tx.conn(), tenant, &ids).await?;
    reminders::disarm(tx.conn(), tenant, &ids).await?;
    appointment_mail::enqueue(
        &mut tx,
        deps,
        ids[0],
        AppointmentMail::Cancellation {
            reason: Some(reason.trim().to_string()),
        },
    )
    .await?;
    tx.changed(Entity::Appointments);
    tx.commit().await?;
    Ok(views)
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
    single(
        reschedule_scoped(
            deps,
            who,
            id,
            starts_at,
            override_reason,
            Scope::This,
            origin,
        )
        .await?,
    )
}

/// Moves this appointment, or this and the later ones of its series by the
/// same change of local date and time (so a 10:00 series stays at 10:00
/// across a daylight-saving change).
pub async fn reschedule_scoped(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    starts_at: DateTime<Utc>,
    override_reason: Option<&str>,
    scope: Scope,
    origin: &Origin,
) -> Result<Vec<AppointmentView>, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
    let tenant = who.tenant_id();
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let current = load(tx.conn(), tenant, id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Err(AppError::Conflict(
            "A cancelled appointment cannot be moved; book a new one.".into(),
        ));
    }
    // A series shares its service, provider and resources: read the rules once.
    let provider = current.provider_id;
    let rule = service_rule(tx.conn(), tenant, current.service_id, provider).await?;
    let week = provider_week(tx.conn(), tenant, provider).await?;
    let mut moves = vec![(current.clone(), starts_at)];
    if let (Scope::Following, Some(series)) = (scope, current.series_id) {
        let later: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM appointments WHERE tenant_id = $1 AND series_id = $2 AND starts_at > $3 \
               AND status <> 'cancelled' ORDER BY starts_at",
        )
        .bind(tenant)
        .bind(series)
        .bind(current.starts_at)
        .fetch_all(tx.conn())
        .await?;
        let zone = week.0;
        let shift = starts_at.with_timezone(&zone).naive_local()
            - current.starts_at.with_timezone(&zone).naive_local();
        for view in load_many(tx.conn(), tenant, &later).await? {
            let local = view.starts_at.with_timezone(&zone).naive_local() + shift;
            moves.push((view, instant(zone, local)));
        }
    }
    // Moving later, the last goes first (and the other way round), so a
    // series never collides with its own not-yet-moved appointments.
    if starts_at > current.starts_at {
        moves.reverse();
    }
    let count = moves.len();
    lock_calendars(tx.conn(), provider, &current.resource_ids).await?;
    for (view, to) in &moves {
        let appointment = Span {
            start: *to,
            end: *to + rule.duration,
        };
        if reason.is_none()
            && !within_hours(tx.conn(), tenant, provider, &week, appointment).await?
        {
            return Err(outside_hours(count, *to));
        }
        let blocked = Span {
            start: *to - rule.before,
            end: appointment.end + rule.after,
        };
        let moved = sqlx::query(
            "UPDATE appointments SET starts_at = $3, ends_at = $4, blocked = tstzrange($5, $6), \
             override_reason = coalesce($7, override_reason), updated_at = now() WHERE id = $1 AND tenant_id = $2",
        )
        .bind(view.id)
        .bind(tenant)
        .bind(to)
        .bind(appointment.end)
        .bind(blocked.start)
        .bind(blocked.end)
        .bind(reason)
        .execute(tx.conn())
        .await;
        if let Err(err) = moved {
            tx.rollback().await?;
            return Err(if is_double_booking(&err) {
                conflict(
                    deps,
                    tenant,
                    view.provider_id,
                    &view.resource_ids,
                    blocked,
                    Some(view.id),
                )
                .await?
            } else {
                err.into()
            });
        }
        tx.audit(Entry {
            action: "appointment.rescheduled",
            entity_type: "appointment",
            entity_id: Some(view.id),
            changes: Changes::new().field("starts_at", Some(view.starts_at), Some(*to)),
        })
        .await?;
    }
    let ids: Vec<Uuid> = moves.iter().map(|(v, _)| v.id).collect();
    let views = load_many(tx.conn(), tenant, &ids).await?;
    // The next reminder scan arms reminders for the new times.
    reminders::disarm(tx.conn(), tenant, &ids).await?;
    appointment_mail::enqueue(
        &mut tx,
        deps,
        current.id,
        AppointmentMail::Reschedule {
            previous_start: current.starts_at,
        },
    )
    .await?;
    tx.changed(Entity::Appointments);
    tx.commit().await?;
    Ok(views)
}

fn single(mut views: Vec<AppointmentView>) -> Result<AppointmentView, AppError> {
    views
        .pop()
        .ok_or_else(|| AppError::NotFound("no such appointment".into()))
}

async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> Result<AppointmentView, AppError> {
    load_many(conn, tenant, &[id])
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
    series_id: Option<Uuid>,
    cancel_reason: Option<String>,
    colour: String,
}

/// The appointments `ids` that exist in the tenant, in start order, in one query.
pub(super) async fn load_many(
    conn: &mut PgConnection,
    tenant: Uuid,
    ids: &[Uuid],
) -> Result<Vec<AppointmentView>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.client_id, c.name AS client_name, a.service_id, s.name AS service_name, \
                a.provider_id, p.name AS provider_name, \
                coalesce((SELECT array_agg(r.resource_id ORDER BY r.resource_id) FROM appointment_resources r \
                          WHERE r.appointment_id = a.id), '{}') AS resource_ids, \
                a.starts_at, a.ends_at, a.status, a.notes, a.override_reason, a.series_id, a.cancel_reason, s.colour \
         FROM appointments a JOIN clients c ON c.id = a.client_id JOIN services s ON s.id = a.service_id \
         JOIN providers p ON p.id = a.provider_id WHERE a.id = ANY($1) AND a.tenant_id = $2 \
         ORDER BY a.starts_at, a.id",
    )
    .bind(ids)
    .bind(tenant)
    .fetch_all(&mut *conn)
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
                series_id: row.series_id,
                cancel_reason: row.cancel_reason,
                colour: row.colour,
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
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let current = load(tx.conn(), who.tenant_id(), id).await?;
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
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "appointment.status_changed",
        entity_type: "appointment",
        entity_id: Some(id),
        changes: Changes::new().field(
            "status",
            Some(current.status.as_str()),
            Some(status.as_str()),
        ),
    })
    .await?;
    let view = load(tx.conn(), who.tenant_id(), id).await?;
    tx.changed(Entity::Appointments);
    tx.commit().await?;
    Ok(view)
}

pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<AppointmentView, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
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
    deps.cache
        .get_or_compute(Namespace::Appointments, tenant, &params, || async {
            let mut tx = deps.read(who, Permission::Record(RecordKind::Appointment, Action::Read)).await?;
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
            .fetch_all(tx.conn())
            .await?;
            let more = ids.len() > PAGE;
            let views = load_many(tx.conn(), tenant, &ids[..ids.len().min(PAGE)]).await?;
            tx.commit().await?;
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
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    let tenant = who.tenant_id();
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND client_id = $2 ORDER BY starts_at DESC LIMIT 500",
    )
    .bind(tenant)
    .bind(client)
    .fetch_all(tx.conn())
    .await?;
    let mut views = load_many(tx.conn(), tenant, &ids).await?;
    tx.commit().await?;
    views.reverse();
    Ok(views)
}
