//! Changing a booked appointment in one place: provider, service,
//! resources, time and notes, checked as a new booking would be.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{read::*, rules::*};
use crate::services::{appointment_mail, reminders, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::Entity,
    domain::{
        roles::{Action, Permission, RecordKind},
        scheduling::Span,
        views::AppointmentView,
    },
    error::AppError,
    mail::templates::AppointmentMail,
};

/// What an appointment becomes; every field is the whole new value.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub provider_id: Uuid,
    pub service_id: Uuid,
    pub resource_ids: Vec<Uuid>,
    pub starts_at: Option<DateTime<Utc>>,
    pub notes: String,
    /// Keeps it outside the provider's working hours; the reason is kept.
    pub override_reason: Option<String>,
}

/// Applies `edit` to one appointment. A time that is taken is refused
/// naming the appointment in the way; nothing changes then.
pub async fn edit(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    edit: &Edit,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    let starts_at = edit
        .starts_at
        .ok_or_else(|| AppError::field("starts_at", "choose a start time"))?;
    let tenant = who.tenant_id();
    let reason = edit
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut resources = edit.resource_ids.clone();
    resources.sort();
    resources.dedup();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let current = load_active(
        tx.conn(),
        tenant,
        id,
        "A cancelled appointment cannot be changed; book a new one.",
    )
    .await?;
    let rule = service_rule(tx.conn(), tenant, edit.service_id, edit.provider_id).await?;
    check_resources(tx.conn(), tenant, &resources, &rule).await?;
    if !rule.performs {
        return Err(AppError::field(
            "provider_id",
            "this provider does not perform this service",
        ));
    }
    let appointment = Span {
        start: starts_at,
        end: starts_at + rule.duration,
    };
    let week = provider_week(tx.conn(), tenant, edit.provider_id).await?;
    let kept_reason = reason.or(current.override_reason.as_deref());
    if kept_reason.is_none()
        && !within_hours(tx.conn(), tenant, edit.provider_id, &week, appointment).await?
    {
        return Err(outside_hours(tx.conn(), tenant, 1, starts_at, week.0).await);
    }
    let blocked = Span {
        start: starts_at - rule.before,
        end: appointment.end + rule.after,
    };
    lock_calendars(tx.conn(), edit.provider_id, &resources).await?;
    let written = write(
        tx.conn(),
        tenant,
        id,
        edit,
        &resources,
        appointment,
        blocked,
        reason,
    )
    .await;
    if let Err(err) = written {
        tx.rollback().await?;
        return Err(if is_double_booking(&err) {
            conflict(
                deps,
                tenant,
                edit.provider_id,
                &resources,
                blocked,
                Some(id),
            )
            .await?
        } else {
            err.into()
        });
    }
    let mut before = current.resource_ids.clone();
    before.sort();
    let changes = Changes::new()
        .field(
            "provider_id",
            Some(current.provider_id),
            Some(edit.provider_id),
        )
        .field(
            "service_id",
            Some(current.service_id),
            Some(edit.service_id),
        )
        .field("resource_ids", Some(&before), Some(&resources))
        .field("starts_at", Some(current.starts_at), Some(starts_at))
        .field(
            "notes",
            Some(current.notes.as_str()),
            Some(edit.notes.trim()),
        )
        .field(
            "override_reason",
            current.override_reason.as_deref(),
            kept_reason,
        );
    if changes.is_empty() {
        return Ok(current);
    }
    tx.audit(Entry {
        action: "appointment.changed",
        entity_type: "appointment",
        entity_id: Some(id),
        changes,
    })
    .await?;
    let view = load(tx.conn(), tenant, id).await?;
    if starts_at != current.starts_at {
        // The next reminder scan arms reminders for the new time.
        reminders::disarm(tx.conn(), tenant, &[id]).await?;
        appointment_mail::enqueue(
            &mut tx,
            deps,
            id,
            AppointmentMail::Reschedule {
                previous_start: current.starts_at,
            },
        )
        .await?;
    }
    tx.changed(Entity::Appointments);
    tx.commit().await?;
    Ok(view)
}

#[allow(clippy::too_many_arguments)]
async fn write(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    id: Uuid,
    edit: &Edit,
    resources: &[Uuid],
    appointment: Span,
    blocked: Span,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE appointments SET provider_id = $3, service_id = $4, starts_at = $5, ends_at = $6, \
         blocked = tstzrange($7, $8), notes = $9, override_reason = coalesce($10, override_reason), \
         updated_at = now() WHERE id = $1 AND tenant_id = $2",
        id,
        tenant,
        edit.provider_id,
        edit.service_id,
        appointment.start as _,
        appointment.end as _,
        blocked.start as _,
        blocked.end as _,
        edit.notes.trim(),
        reason,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM appointment_resources WHERE appointment_id = $1 AND tenant_id = $2 AND NOT (resource_id = ANY($3))",
        id,
        tenant,
        resources,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO appointment_resources (tenant_id, appointment_id, resource_id, blocked) \
         SELECT $1, $2, r, tstzrange($4, $5) FROM unnest($3::uuid[]) AS r \
         ON CONFLICT (appointment_id, resource_id) DO NOTHING",
        tenant,
        id,
        resources,
        blocked.start as _,
        blocked.end as _,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
