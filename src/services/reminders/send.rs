//! Sending one reminder, marked sent in the transaction that completes its job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::services::{appointment_mail, Deps};
use crate::{
    domain::{background::ReminderStatus, records::AppointmentStatus},
    jobs::{Job, JobContext, JobError},
    mail::templates::{self, AppointmentMail},
};

/// Sends one appointment reminder, then marks it sent in the transaction
/// that completes the job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendReminder {
    pub reminder_id: Uuid,
    /// Staff asked for it again: send even when it was sent before.
    #[serde(default)]
    pub resend: bool,
}

impl Job for SendReminder {
    const KIND: &'static str = "reminders.send";
    const PRIORITY: i16 = 10;
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        send(self, ctx).await
    }
}

pub(super) async fn send(payload: SendReminder, ctx: JobContext<Deps>) -> Result<(), JobError> {
    let tenant = ctx
        .job
        .tenant_id
        .ok_or_else(|| JobError::Permanent("a reminder job names no business".into()))?;
    let deps = &ctx.deps;
    let mut tx = deps.in_business(tenant, "reminder send").await?;
    let reminder = sqlx::query!(
        r#"SELECT r.status AS "status: ReminderStatus", r.starts_at AS "starts_at: DateTime<Utc>",
                  r.appointment_id, a.status AS "appointment_status: AppointmentStatus",
                  a.starts_at AS "current_start: DateTime<Utc>"
           FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id
           WHERE r.id = $1 AND r.tenant_id = $2 FOR UPDATE OF r"#,
        payload.reminder_id,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(reminder) = reminder else {
        // Its appointment was deleted with the business or the client.
        ctx.complete_in(tx.conn()).await?;
        tx.commit().await?;
        return Ok(());
    };
    if reminder.status == ReminderStatus::Sent && !payload.resend
        || reminder.status == ReminderStatus::Superseded
    {
        ctx.complete_in(tx.conn()).await?;
        tx.commit().await?;
        return Ok(());
    }
    let recipient = appointment_mail::details(tx.conn(), tenant, reminder.appointment_id).await?;
    let active = matches!(
        reminder.appointment_status,
        AppointmentStatus::Booked | AppointmentStatus::Confirmed
    );
    let Some(recipient) =
        recipient.filter(|r| r.consents && active && reminder.current_start == reminder.starts_at)
    else {
        sqlx::query!("UPDATE appointment_reminders SET status = 'superseded', updated_at = now() WHERE id = $1", payload.reminder_id)
            .execute(tx.conn())
            .await?;
        ctx.complete_in(tx.conn()).await?;
        tx.commit().await?;
        return Ok(());
    };
    // One Message-ID per reminder (per resend): a retried send repeats it.
    let message_id = if payload.resend {
        format!("reminder-{}-{}", payload.reminder_id, ctx.job.id.simple())
    } else {
        format!("reminder-{}", payload.reminder_id)
    };
    let email = templates::appointment(
        &AppointmentMail::Reminder,
        &recipient.details,
        deps.mailer.domain(),
        message_id,
        deps.clock.now(),
    );
    match deps.mailer.send(&email, Some(tenant)).await {
        Ok(()) => {
            sqlx::query!(
                "UPDATE appointment_reminders SET status = 'sent', sent_at = $2, message_id = $3, \
                 attempts = $4, last_error = NULL, updated_at = now() WHERE id = $1",
                payload.reminder_id,
                deps.clock.now() as _,
                deps.mailer.message_id(&email),
                ctx.job.attempts
            )
            .execute(tx.conn())
            .await?;
            ctx.complete_in(tx.conn()).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(err) => {
            drop(tx);
            let last = ctx.job.is_last_attempt() || !err.is_transient();
            let mut tx = deps.in_business(tenant, "reminder send failed").await?;
            sqlx::query!("UPDATE appointment_reminders SET status = $2, last_error = $3, attempts = $4, updated_at = now() \
                 WHERE id = $1 AND status <> 'superseded'", payload.reminder_id, if last { "failed" } else { "retrying" }, err.to_string(), ctx.job.attempts)
            .execute(tx.conn())
            .await?;
            tx.commit().await?;
            Err(if err.is_transient() {
                JobError::Retry(err.to_string())
            } else {
                JobError::Permanent(err.to_string())
            })
        }
    }
}
