//! Changing booked appointments: cancel, reschedule (one or the rest of a
//! series) and status changes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{read::*, rules::*};
use crate::services::{appointment_mail, reminders, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::Entity,
    domain::{
        records::{AppointmentStatus, Scope},
        roles::{Action, Permission, RecordKind},
        scheduling::{instant, Span},
        views::AppointmentView,
    },
    error::AppError,
    mail::templates::AppointmentMail,
};

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
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let targets: Vec<(Uuid, AppointmentStatus)> = sqlx::query!(
        r#"SELECT a.id, a.status AS "status: AppointmentStatus" FROM appointments a,
             (SELECT series_id, starts_at FROM appointments WHERE id = $1 AND tenant_id = $2) t
           WHERE a.tenant_id = $2 AND a.status <> 'cancelled'
             AND (a.id = $1 OR ($3 AND a.series_id = t.series_id AND a.starts_at >= t.starts_at))
           ORDER BY a.starts_at FOR UPDATE OF a"#,
        id,
        tenant,
        scope == Scope::Following,
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|t| (t.id, t.status))
    .collect();
    if targets.is_empty() {
        return Err(AppError::NotFound("no such active appointment".into()));
    }
    let ids: Vec<Uuid> = targets.iter().map(|(id, _)| *id).collect();
    sqlx::query!(
        "UPDATE appointments SET status = 'cancelled', cancel_reason = $3, updated_at = now() \
         WHERE id = ANY($1) AND tenant_id = $2",
        &ids,
        tenant,
        reason.trim()
    )
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

/// Takes back a cancellation: the appointment is `back_to` again (its status
/// before), if its time is still free. The cancellation email is withdrawn
/// while it waits; when it already went out, a confirmation follows it.
pub async fn undo_cancel(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    back_to: AppointmentStatus,
    origin: &Origin,
) -> Result<AppointmentView, AppError> {
    if back_to == AppointmentStatus::Cancelled {
        return Err(AppError::field("status", "choose the status to go back to"));
    }
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let current = load(tx.conn(), tenant, id).await?;
    if current.status != AppointmentStatus::Cancelled {
        return Ok(current);
    }
    lock_calendars(tx.conn(), current.provider_id, &current.resource_ids).await?;
    let restored = sqlx::query!(
        "UPDATE appointments SET status = $3, cancel_reason = NULL, updated_at = now() \
         WHERE id = $1 AND tenant_id = $2",
        id,
        tenant,
        back_to as AppointmentStatus
    )
    .execute(tx.conn())
    .await;
    if let Err(err) = restored {
        tx.rollback().await?;
        let blocked = Span {
            start: current.starts_at,
            end: current.ends_at,
        };
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
    tx.audit(Entry {
        action: "appointment.restored",
        entity_type: "appointment",
        entity_id: Some(id),
        changes: Changes::new()
            .field("status", Some("cancelled"), Some(back_to.as_str()))
            .field("cancel_reason", current.cancel_reason.as_deref(), None),
    })
    .await?;
    let withdrawn =
        crate::jobs::queue::withdraw(tx.conn(), tenant, &appointment_mail::cancellation_key(id))
            .await?;
    if !withdrawn {
        appointment_mail::enqueue(&mut tx, deps, id, AppointmentMail::Confirmation).await?;
    }
    let view = load(tx.conn(), tenant, id).await?;
    tx.changed(Entity::Appointments);
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
    let tenant = who.tenant_id();
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
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
        "A cancelled appointment cannot be moved; book a new one.",
    )
    .await?;
    // A series shares its service, provider and resources: read the rules once.
    let provider = current.provider_id;
    let rule = service_rule(tx.conn(), tenant, current.service_id, provider).await?;
    let week = provider_week(tx.conn(), tenant, provider).await?;
    let mut moves = vec![(current.clone(), starts_at)];
    if let (Scope::Following, Some(series)) = (scope, current.series_id) {
        let later: Vec<Uuid> = sqlx::query_scalar!("SELECT id FROM appointments WHERE tenant_id = $1 AND series_id = $2 AND starts_at > $3 \
               AND status <> 'cancelled' ORDER BY starts_at", tenant, series, current.starts_at as _)
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
            return Err(outside_hours(tx.conn(), tenant, count, *to, week.0).await);
        }
        let blocked = Span {
            start: *to - rule.before,
            end: appointment.end + rule.after,
        };
        let moved = sqlx::query!("UPDATE appointments SET starts_at = $3, ends_at = $4, blocked = tstzrange($5, $6), \
             override_reason = coalesce($7, override_reason), updated_at = now() WHERE id = $1 AND tenant_id = $2", view.id, tenant, to as _, appointment.end as _, blocked.start as _, blocked.end as _, reason)
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
    let current = load_active(
        tx.conn(),
        who.tenant_id(),
        id,
        "This appointment was cancelled; book a new one.",
    )
    .await?;
    if current.status == status {
        return Ok(current);
    }
    sqlx::query!(
        "UPDATE appointments SET status = $3, updated_at = now() WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id(),
        status as AppointmentStatus
    )
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
