//! Booking one appointment or a weekly series, all or nothing.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{read::*, rules::*, Booking};
use crate::services::{appointment_mail, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::Entity,
    domain::{
        roles::{Action, Permission, RecordKind},
        scheduling::{occurrences, Recurrence, Span},
        views::AppointmentView,
    },
    error::AppError,
    mail::templates::AppointmentMail,
};

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
pub(super) async fn insert_bookings(
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
    let client_ok: bool = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL) AS "exists!""#, input.client_id, tenant)
        .fetch_one(tx.conn())
        .await?;
    if !client_ok {
        return Err(AppError::field("client_id", "there is no such client"));
    }
    check_resources(tx.conn(), tenant, &resources, &rule).await?;
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
                return Err(outside_hours(tx.conn(), tenant, starts.len(), start, week.0).await);
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

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_one(
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
    sqlx::query!("INSERT INTO appointments (id, tenant_id, client_id, service_id, provider_id, starts_at, ends_at, blocked, notes, override_reason, series_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, tstzrange($8, $9), $10, $11, $12)", id, tenant, input.client_id, input.service_id, input.provider_id, starts_at as _, ends_at as _, blocked.start as _, blocked.end as _, input.notes.trim(), reason, series_id)
    .execute(&mut *conn)
    .await?;
    for resource in resources {
        sqlx::query!("INSERT INTO appointment_resources (tenant_id, appointment_id, resource_id, blocked) VALUES ($1, $2, $3, tstzrange($4, $5))", tenant, id, resource, blocked.start as _, blocked.end as _)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
