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
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
};

pub(super) type ReminderRow = (
    Uuid,
    String,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    i32,
);

pub(super) fn view(
    (appointment_id, status, lead, due_at, sent_at, last_error, attempts): ReminderRow,
) -> ReminderView {
    ReminderView {
        appointment_id,
        status: ReminderStatus::parse(&status).unwrap_or(ReminderStatus::Scheduled),
        lead_hours: lead / 60,
        due_at,
        sent_at,
        last_error,
        attempts,
    }
}

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
    let rows: Vec<ReminderRow> = sqlx::query_as(
        "SELECT DISTINCT ON (r.appointment_id) r.appointment_id, \
                CASE WHEN j.status = 'dead' AND r.status IN ('scheduled', 'retrying') THEN 'failed' ELSE r.status END, \
                r.lead_minutes, r.due_at, r.sent_at, coalesce(r.last_error, j.last_error), \
                greatest(r.attempts, coalesce(j.attempts, 0)) \
         FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id AND a.starts_at = r.starts_at \
         LEFT JOIN jobs j ON j.id = r.job_id \
         WHERE r.tenant_id = $1 AND r.appointment_id = ANY($2) \
         ORDER BY r.appointment_id, r.updated_at DESC, r.id DESC",
    )
    .bind(who.tenant_id())
    .bind(appointments)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
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
    let found: Option<(String, DateTime<Utc>, i32)> = sqlx::query_as(
        "SELECT a.status, a.starts_at, t.reminder_hours FROM appointments a JOIN tenants t ON t.id = a.tenant_id \
         WHERE a.id = $1 AND a.tenant_id = $2 FOR UPDATE OF a",
    )
    .bind(appointment)
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await?;
    let Some((status, starts_at, hours)) = found else {
        return Err(AppError::NotFound("no such appointment".into()));
    };
    if !matches!(status.as_str(), "booked" | "confirmed") {
        return Err(AppError::Conflict(format!(
            "This appointment is {}; only a booked or confirmed appointment gets a reminder.",
            status.replace('_', "-")
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
    let current: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, status FROM appointment_reminders WHERE appointment_id = $1 AND starts_at = $2 \
         AND tenant_id = $3 ORDER BY updated_at DESC, id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(appointment)
    .bind(starts_at)
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await?;
    let now = deps.clock.now();
    let reminder = match current {
        Some((_, status)) if status == "scheduled" || status == "retrying" => {
            return Err(AppError::Conflict(
                "A reminder for this appointment is already on its way.".into(),
            ))
        }
        Some((id, _)) => {
            sqlx::query(
                "UPDATE appointment_reminders SET status = 'scheduled', due_at = $2, last_error = NULL, \
                 attempts = 0, updated_at = now() WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(tx.conn())
            .await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO appointment_reminders (id, tenant_id, appointment_id, lead_minutes, starts_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(tenant)
            .bind(appointment)
            .bind(hours * 60)
            .bind(starts_at)
            .bind(now)
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
    let row: ReminderRow = sqlx::query_as(
        "SELECT appointment_id, status, lead_minutes, due_at, sent_at, last_error, attempts \
         FROM appointment_reminders WHERE id = $1",
    )
    .bind(reminder)
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(view(row))
}
