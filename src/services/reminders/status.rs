//! A reminder's state for the calendar and the client's page, and sending
//! it again on request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::arm::*;
use crate::services::{appointment_mail, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        background::{ReminderStatus, ReminderView},
        records::AppointmentStatus,
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
};

/// The reminder state of each of `appointments` for its current start time
/// (the latest reminder; none when none is armed yet). A reminder whose job
/// died for another reason than the mail server shows as failed with the
/// job's error.
pub async fn for_appointments(
    deps: &Deps,
    who: &impl Principal,
    appointments: &[Uuid],
) -> Result<Vec<ReminderView>, AppError> {
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let reminders = sqlx::query_as!(
        ReminderView,
        r#"SELECT DISTINCT ON (r.appointment_id) r.appointment_id,
                  CASE WHEN j.status = 'dead' AND r.status IN ('scheduled', 'retrying') THEN 'failed'
                       ELSE r.status END AS "status!: ReminderStatus",
                  r.lead_minutes / 60 AS "lead_hours!", r.due_at AS "due_at: DateTime<Utc>",
                  r.sent_at AS "sent_at: DateTime<Utc>",
                  coalesce(r.last_error, j.last_error) AS last_error,
                  greatest(r.attempts, coalesce(j.attempts, 0)) AS "attempts!"
           FROM appointment_reminders r
           JOIN appointments a ON a.id = r.appointment_id AND a.starts_at = r.starts_at
           LEFT JOIN jobs j ON j.id = r.job_id
           WHERE r.tenant_id = $1 AND r.appointment_id = ANY($2)
           ORDER BY r.appointment_id, r.updated_at DESC, r.id DESC"#,
        who.tenant_id(),
        appointments,
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(reminders)
}

/// Sends the appointment's reminder now (again, when it was sent or failed).
pub async fn resend(
    deps: &Deps,
    who: &impl Principal,
    appointment: Uuid,
    origin: &Origin,
) -> Result<ReminderView, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Appointment, Action::Update),
            origin,
        )
        .await?;
    let found = sqlx::query!(
        r#"SELECT a.status AS "status: AppointmentStatus", a.starts_at AS "starts_at: DateTime<Utc>",
                  t.reminder_hours
           FROM appointments a JOIN tenants t ON t.id = a.tenant_id
           WHERE a.id = $1 AND a.tenant_id = $2 FOR UPDATE OF a"#,
        appointment,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(found) = found else {
        return Err(AppError::NotFound("no such appointment".into()));
    };
    let (status, starts_at, hours) = (found.status, found.starts_at, found.reminder_hours);
    if !matches!(
        status,
        AppointmentStatus::Booked | AppointmentStatus::Confirmed
    ) {
        return Err(AppError::Conflict(format!(
            "This appointment is {}; only a booked or confirmed appointment gets a reminder.",
            status.as_str().replace('_', "-")
        )));
    }
    if starts_at <= deps.clock.now() {
        return Err(AppError::Conflict(
            "This appointment has already started.".into(),
        ));
    }
    let recipient = appointment_mail::details(tx.conn(), tenant, appointment)
        .await?
        .ok_or_else(|| AppError::NotFound("no such appointment".into()))?;
    if recipient.details.client_email.is_empty() {
        return Err(AppError::Unprocessable(
            "The client has no email address; add one on the client's page.".into(),
        ));
    }
    if !recipient.consents {
        return Err(AppError::Unprocessable(
            "The client has not agreed to email reminders; tick it on the client's page first."
                .into(),
        ));
    }
    let current = sqlx::query!(
        r#"SELECT id, status AS "status: ReminderStatus" FROM appointment_reminders
           WHERE appointment_id = $1 AND starts_at = $2 AND tenant_id = $3
           ORDER BY updated_at DESC, id DESC LIMIT 1 FOR UPDATE"#,
        appointment,
        starts_at as _,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    let now = deps.clock.now();
    let reminder = match current {
        Some(r)
            if matches!(
                r.status,
                ReminderStatus::Scheduled | ReminderStatus::Retrying
            ) =>
        {
            return Err(AppError::Conflict(
                "A reminder for this appointment is already on its way.".into(),
            ))
        }
        Some(r) => {
            let id = r.id;
            sqlx::query!("UPDATE appointment_reminders SET status = 'scheduled', due_at = $2, last_error = NULL, \
                 attempts = 0, updated_at = now() WHERE id = $1", id, now as _)
            .execute(tx.conn())
            .await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query!("INSERT INTO appointment_reminders (id, tenant_id, appointment_id, lead_minutes, starts_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)", id, tenant, appointment, hours * 60, starts_at as _, now as _)
            .execute(tx.conn())
            .await?;
            id
        }
    };
    // No dedupe key: a resend is sent even when the reminder was before.
    enqueue_send(&mut tx, tenant, reminder, now, None).await?;
    tx.audit(Entry {
        action: "appointment.reminder_sent_again",
        entity_type: "appointment",
        entity_id: Some(appointment),
        changes: Changes::new(),
    })
    .await?;
    let view = sqlx::query_as!(
        ReminderView,
        r#"SELECT appointment_id, status AS "status: ReminderStatus", lead_minutes / 60 AS "lead_hours!",
                  due_at AS "due_at: DateTime<Utc>", sent_at AS "sent_at: DateTime<Utc>", last_error, attempts
           FROM appointment_reminders WHERE id = $1"#,
        reminder,
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(view)
}
