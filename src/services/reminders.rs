//! Appointment reminders: the `reminders` schedule arms one reminder per
//! appointment, window and start time (24 hours ahead by default, optionally
//! a second one closer to the start); each is sent by its own job at its due
//! time. A reschedule supersedes the armed reminder and the next scan arms
//! one for the new time; a cancellation supersedes it for good.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{appointment_mail, work::Work, Deps};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        background::{ReminderStatus, ReminderView},
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    jobs::{Job, JobContext, JobError, NewJob, Tick},
    mail::templates::{self, AppointmentMail},
};

/// Arms the reminders due soon (the `reminders` schedule).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanReminders(pub Tick);

impl Job for ScanReminders {
    const KIND: &'static str = "reminders.scan";
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
    const SCHEDULE: Option<&'static str> = Some("reminders");
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        scan(&ctx.deps)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }
}

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

/// How many reminders one scan transaction arms at most (it loops for more).
const SCAN_BATCH: i64 = 1000;

/// Arms every reminder due before now plus the lookahead: one
/// `appointment_reminders` row and one send job each, in one transaction
/// per batch. Returns how many were armed.
pub async fn scan(deps: &Deps) -> Result<usize, AppError> {
    let now = deps.clock.now();
    let mut armed = 0;
    loop {
        let mut work = deps.system("reminder scan", &Origin::default()).await?;
        let n = arm(&mut work, now, &deps.config.jobs).await?;
        work.commit().await?;
        armed += n;
        if (n as i64) < SCAN_BATCH {
            break;
        }
    }
    tracing::info!(armed, "reminder scan done");
    Ok(armed)
}

/// Inserts reminder rows and their send jobs for appointments whose reminder is due by `now + lookahead` and not
/// armed yet for their current start.
async fn arm(
    work: &mut Work<'_>,
    now: DateTime<Utc>,
    config: &crate::config::JobsConfig,
) -> Result<usize, AppError> {
    // The longer window is skipped when the shorter one has begun already:
    // an appointment booked 90 minutes ahead gets the 2-hour reminder only.
    let due: Vec<(Uuid, Uuid, DateTime<Utc>, i32)> = sqlx::query_as(
        "SELECT a.id, a.tenant_id, a.starts_at, l.lead * 60 \
         FROM appointments a \
         JOIN tenants t ON t.id = a.tenant_id \
         JOIN clients c ON c.id = a.client_id \
         CROSS JOIN LATERAL (VALUES (t.reminder_hours, t.second_reminder_hours), \
                                    (t.second_reminder_hours, NULL::int)) l(lead, shorter) \
         WHERE a.status IN ('booked', 'confirmed') \
           AND l.lead IS NOT NULL \
           AND a.starts_at > $1 \
           AND a.starts_at <= $1 + make_interval(hours => l.lead) + make_interval(secs => $2) \
           AND (l.shorter IS NULL OR l.shorter >= l.lead \
                OR a.starts_at - make_interval(hours => l.shorter) > $1) \
           AND c.email IS NOT NULL AND c.email_reminders AND c.archived_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM appointment_reminders r WHERE r.appointment_id = a.id \
                           AND r.lead_minutes = l.lead * 60 AND r.starts_at = a.starts_at) \
         ORDER BY a.starts_at LIMIT $3",
    )
    .bind(now)
    .bind(config.reminder_lookahead.as_secs_f64())
    .bind(SCAN_BATCH)
    .fetch_all(work.conn())
    .await?;
    let mut armed = 0;
    for (appointment, tenant, starts_at, lead_minutes) in due {
        let due_at = starts_at - chrono::Duration::minutes(lead_minutes.into());
        let id = Uuid::now_v7();
        let inserted = sqlx::query(
            "INSERT INTO appointment_reminders (id, tenant_id, appointment_id, lead_minutes, starts_at, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(tenant)
        .bind(appointment)
        .bind(lead_minutes)
        .bind(starts_at)
        .bind(due_at)
        .execute(work.conn())
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        let dedupe = format!(
            "reminder:{appointment}:{lead_minutes}:{}",
            starts_at.timestamp()
        );
        enqueue_send(work, tenant, id, due_at, Some(dedupe)).await?;
        armed += 1;
    }
    Ok(armed)
}

/// Enqueues the send job of `reminder` (a resend when it has no dedupe key)
/// and records the job on the reminder.
async fn enqueue_send(
    work: &mut Work<'_>,
    tenant: Uuid,
    reminder: Uuid,
    run_at: DateTime<Utc>,
    dedupe: Option<String>,
) -> Result<(), AppError> {
    let mut job = NewJob::new(SendReminder {
        reminder_id: reminder,
        resend: dedupe.is_none(),
    })
    .for_business(tenant)
    .run_at(run_at);
    if let Some(key) = dedupe {
        job = job.dedupe(key);
    }
    let job = work.enqueue(job).await?;
    sqlx::query("UPDATE appointment_reminders SET job_id = $2 WHERE id = $1")
        .bind(reminder)
        .bind(job)
        .execute(work.conn())
        .await?;
    Ok(())
}

/// Supersedes the armed, unsent reminders of `appointments` and discards
/// their jobs: within the transaction that moves or cancels them.
pub(crate) async fn disarm(
    conn: &mut PgConnection,
    tenant: Uuid,
    appointments: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH superseded AS ( \
             UPDATE appointment_reminders SET status = 'superseded', updated_at = now() \
             WHERE tenant_id = $1 AND appointment_id = ANY($2) AND status IN ('scheduled', 'retrying') \
             RETURNING job_id) \
         UPDATE jobs SET status = 'discarded', finished_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND status = 'pending' AND id IN (SELECT job_id FROM superseded)",
    )
    .bind(tenant)
    .bind(appointments)
    .execute(conn)
    .await?;
    Ok(())
}

async fn send(payload: SendReminder, ctx: JobContext<Deps>) -> Result<(), JobError> {
    let tenant = ctx
        .job
        .tenant_id
        .ok_or_else(|| JobError::Permanent("a reminder job names no business".into()))?;
    let deps = &ctx.deps;
    let mut tx = deps.in_business(tenant, "reminder send").await?;
    // Reminder status and start; its appointment, that one's status and start.
    type Row = (String, DateTime<Utc>, Uuid, String, DateTime<Utc>);
    let reminder: Option<Row> = sqlx::query_as(
        "SELECT r.status, r.starts_at, r.appointment_id, a.status, a.starts_at \
         FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id \
         WHERE r.id = $1 AND r.tenant_id = $2 FOR UPDATE OF r",
    )
    .bind(payload.reminder_id)
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await?;
    let Some((status, starts_at, appointment, appointment_status, current_start)) = reminder else {
        // Its appointment was deleted with the business or the client.
        ctx.complete_in(tx.conn()).await?;
        tx.commit().await?;
        return Ok(());
    };
    if status == "sent" && !payload.resend || status == "superseded" {
        ctx.complete_in(tx.conn()).await?;
        tx.commit().await?;
        return Ok(());
    }
    let recipient = appointment_mail::details(tx.conn(), tenant, appointment).await?;
    let active = matches!(appointment_status.as_str(), "booked" | "confirmed");
    let Some(recipient) = recipient.filter(|r| r.consents && active && current_start == starts_at)
    else {
        sqlx::query("UPDATE appointment_reminders SET status = 'superseded', updated_at = now() WHERE id = $1")
            .bind(payload.reminder_id)
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
            sqlx::query(
                "UPDATE appointment_reminders SET status = 'sent', sent_at = $2, message_id = $3, \
                 attempts = $4, last_error = NULL, updated_at = now() WHERE id = $1",
            )
            .bind(payload.reminder_id)
            .bind(deps.clock.now())
            .bind(deps.mailer.message_id(&email))
            .bind(ctx.job.attempts)
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
            sqlx::query(
                "UPDATE appointment_reminders SET status = $2, last_error = $3, attempts = $4, updated_at = now() \
                 WHERE id = $1 AND status <> 'superseded'",
            )
            .bind(payload.reminder_id)
            .bind(if last { "failed" } else { "retrying" })
            .bind(err.to_string())
            .bind(ctx.job.attempts)
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

type ReminderRow = (
    Uuid,
    String,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    i32,
);

fn view(
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
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
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
    who.require(Permission::Record(RecordKind::Appointment, Action::Update))?;
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

/// When a business's reminders go out: hours before the start, and an
/// optional second, shorter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Windows {
    pub hours: i32,
    pub second_hours: Option<i32>,
}

pub async fn windows(deps: &Deps, who: &impl Principal) -> Result<Windows, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let (hours, second_hours): (i32, Option<i32>) =
        sqlx::query_as("SELECT reminder_hours, second_reminder_hours FROM tenants WHERE id = $1")
            .bind(who.tenant_id())
            .fetch_one(tx.conn())
            .await?;
    tx.commit().await?;
    Ok(Windows {
        hours,
        second_hours,
    })
}

/// Sets the reminder windows from form text: `hours` 1–168, `second` empty
/// or 1–72 and shorter than the first. Applies to reminders armed from now.
pub async fn set_windows(
    deps: &Deps,
    who: &impl Principal,
    hours: &str,
    second: &str,
    origin: &Origin,
) -> Result<Windows, AppError> {
    who.require(Permission::ManageSettings)?;
    let mut errors = crate::domain::form::FieldErrors::new();
    let first = match hours.trim().parse::<i32>() {
        Ok(h) if (1..=168).contains(&h) => Some(h),
        _ => {
            errors.add(
                "reminder_hours",
                "enter a whole number of hours from 1 to 168 (a week)",
            );
            None
        }
    };
    let second = match second.trim() {
        "" => Some(None),
        text => match text.parse::<i32>() {
            Ok(h) if (1..=72).contains(&h) && first.is_none_or(|f| h < f) => Some(Some(h)),
            Ok(h) if (1..=72).contains(&h) => {
                errors.add(
                    "second_reminder_hours",
                    "the second reminder must come closer to the appointment than the first",
                );
                None
            }
            _ => {
                errors.add(
                    "second_reminder_hours",
                    "enter a whole number of hours from 1 to 72, or leave it empty for no second reminder",
                );
                None
            }
        },
    };
    let (Some(hours), Some(second_hours)) = (first, second) else {
        return Err(AppError::Invalid(errors));
    };
    let tenant = who.tenant_id();
    let mut tx = deps.work(who, Permission::ManageSettings, origin).await?;
    let (old_hours, old_second): (i32, Option<i32>) = sqlx::query_as(
        "SELECT reminder_hours, second_reminder_hours FROM tenants WHERE id = $1 FOR UPDATE",
    )
    .bind(tenant)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query("UPDATE tenants SET reminder_hours = $2, second_reminder_hours = $3 WHERE id = $1")
        .bind(tenant)
        .bind(hours)
        .bind(second_hours)
        .execute(tx.conn())
        .await?;
    tx.audit(Entry {
        action: "tenant.reminders_changed",
        entity_type: "tenant",
        entity_id: Some(tenant),
        changes: Changes::new()
            .field("reminder_hours", Some(old_hours), Some(hours))
            .field("second_reminder_hours", old_second, second_hours),
    })
    .await?;
    tx.commit().await?;
    Ok(Windows {
        hours,
        second_hours,
    })
}
