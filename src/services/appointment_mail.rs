//! Emails to clients about their appointments (confirmation, reschedule,
//! cancellation, reminder): the details they are written from, and the
//! `email.send` jobs enqueued in the transaction of the change.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{jobs::SendEmail, work::Work, Deps};
use crate::{
    domain::time_format::{Clock, TimeFormat},
    error::AppError,
    jobs::NewJob,
    mail::templates::{self, AppointmentDetails, AppointmentMail},
};

/// An appointment's details, and whether its client takes emails.
pub(crate) struct Recipient {
    pub details: AppointmentDetails,
    pub consents: bool,
}

/// Reads what an appointment email says, within the caller's transaction.
pub(crate) async fn details(
    conn: &mut PgConnection,
    tenant: Uuid,
    appointment: Uuid,
) -> Result<Option<Recipient>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT t.name AS business, t.time_zone, t.time_format AS "time_format: TimeFormat", c.name AS client, c.email::text AS email,
                  c.email_reminders AND c.archived_at IS NULL AS "consents!",
                  s.name AS service, p.name AS provider,
                  coalesce((SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM appointment_resources ar
                            JOIN resources r ON r.id = ar.resource_id WHERE ar.appointment_id = a.id), '')
                    AS "location!",
                  a.starts_at AS "starts_at: DateTime<Utc>", a.ends_at AS "ends_at: DateTime<Utc>",
                  greatest(extract(epoch FROM a.updated_at - a.created_at), 0)::int AS "sequence!"
           FROM appointments a JOIN tenants t ON t.id = a.tenant_id JOIN clients c ON c.id = a.client_id
           JOIN services s ON s.id = a.service_id JOIN providers p ON p.id = a.provider_id
           WHERE a.id = $1 AND a.tenant_id = $2"#,
        appointment,
        tenant,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| Recipient {
        consents: r.consents && r.email.is_some(),
        details: AppointmentDetails {
            appointment_id: appointment,
            business: r.business,
            clock: Clock::new(r.time_zone.parse().unwrap_or(chrono_tz::UTC), r.time_format),
            client_name: r.client,
            client_email: r.email.unwrap_or_default(),
            service: r.service,
            provider: r.provider,
            location: r.location,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            sequence: r.sequence.max(0) as u32,
        },
    }))
}

/// Enqueues `mail` about `appointment` to its client, when the client has an
/// address and agreed to emails and the appointment is still ahead.
pub(crate) async fn enqueue(
    work: &mut Work<'_>,
    deps: &Deps,
    appointment: Uuid,
    mail: AppointmentMail,
) -> Result<bool, AppError> {
    let tenant = work.tenant();
    let Some(recipient) = details(work.conn(), tenant, appointment).await? else {
        return Ok(false);
    };
    let now = deps.clock.now();
    let upcoming = match &mail {
        AppointmentMail::Cancellation { .. } => recipient.details.starts_at > now,
        _ => recipient.details.ends_at > now,
    };
    if !recipient.consents || !upcoming {
        return Ok(false);
    }
    let message_id = format!("{}-{appointment}-{}", mail.name(), Uuid::now_v7().simple());
    let email = templates::appointment(
        &mail,
        &recipient.details,
        deps.mailer.domain(),
        message_id,
        now,
    );
    let job = NewJob::new(SendEmail(email)).priority(20);
    let job = match mail {
        // Held back while the cancellation can still be undone.
        AppointmentMail::Cancellation { .. } => job
            .run_at(now + UNDO_WINDOW)
            .dedupe(cancellation_key(appointment)),
        _ => job,
    };
    work.enqueue(job).await?;
    Ok(true)
}

/// How long a cancellation's email waits, so that undoing it sends nothing.
pub const UNDO_WINDOW: chrono::Duration = chrono::Duration::seconds(30);

/// The key of an appointment's pending cancellation email.
pub(crate) fn cancellation_key(appointment: Uuid) -> String {
    format!("mail:cancellation:{}", appointment.simple())
}
