//! Arming reminders: the `reminders` schedule's scan, and disarming them
//! when an appointment moves or is cancelled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::send::*;
use crate::services::{work::Work, Deps};
use crate::{
    audit::Origin,
    error::AppError,
    jobs::{Job, JobContext, JobError, NewJob, Tick},
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

/// How many reminders one scan transaction arms at most (it loops for more).
pub(super) const SCAN_BATCH: i64 = 1000;

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
pub(super) async fn arm(
    work: &mut Work<'_>,
    now: DateTime<Utc>,
    config: &crate::jobs::JobsConfig,
) -> Result<usize, AppError> {
    // The longer window is skipped when the shorter one has begun already:
    // an appointment booked 90 minutes ahead gets the 2-hour reminder only.
    let due = sqlx::query!(
        r#"SELECT a.id, a.tenant_id, a.starts_at AS "starts_at: DateTime<Utc>", l.lead * 60 AS "lead_minutes!"
           FROM appointments a
           JOIN tenants t ON t.id = a.tenant_id
           JOIN clients c ON c.id = a.client_id
           CROSS JOIN LATERAL (VALUES (t.reminder_hours, t.second_reminder_hours),
                                      (t.second_reminder_hours, NULL::int)) l(lead, shorter)
           WHERE a.status IN ('booked', 'confirmed')
             AND l.lead IS NOT NULL
             AND a.starts_at > $1
             AND a.starts_at <= $1 + make_interval(hours => l.lead) + make_interval(secs => $2)
             AND (l.shorter IS NULL OR l.shorter >= l.lead
                  OR a.starts_at - make_interval(hours => l.shorter) > $1)
             AND c.email IS NOT NULL AND c.email_reminders AND c.archived_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM appointment_reminders r WHERE r.appointment_id = a.id
                             AND r.lead_minutes = l.lead * 60 AND r.starts_at = a.starts_at)
           ORDER BY a.starts_at LIMIT $3"#,
        now as _,
        config.reminder_lookahead.as_secs_f64(),
        SCAN_BATCH,
    )
    .fetch_all(work.conn())
    .await?;
    let mut armed = 0;
    for reminder in due {
        let (appointment, tenant, starts_at, lead_minutes) = (
            reminder.id,
            reminder.tenant_id,
            reminder.starts_at,
            reminder.lead_minutes,
        );
        let due_at = starts_at - chrono::Duration::minutes(lead_minutes.into());
        let id = Uuid::now_v7();
        let inserted = sqlx::query!("INSERT INTO appointment_reminders (id, tenant_id, appointment_id, lead_minutes, starts_at, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", id, tenant, appointment, lead_minutes, starts_at as _, due_at as _)
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
pub(super) async fn enqueue_send(
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
    sqlx::query!(
        "UPDATE appointment_reminders SET job_id = $2 WHERE id = $1",
        reminder,
        job
    )
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
    sqlx::query!("WITH superseded AS ( \
             UPDATE appointment_reminders SET status = 'superseded', updated_at = now() \
             WHERE tenant_id = $1 AND appointment_id = ANY($2) AND status IN ('scheduled', 'retrying') \
             RETURNING job_id) \
         UPDATE jobs SET status = 'discarded', finished_at = now(), updated_at = now() \
         WHERE tenant_id = $1 AND status = 'pending' AND id IN (SELECT job_id FROM superseded)", tenant, appointments)
    .execute(conn)
    .await?;
    Ok(())
}
