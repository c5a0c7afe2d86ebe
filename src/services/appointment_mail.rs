//! Emails to clients about their appointments (confirmation, reschedule,
//! cancellation, reminder): the details they are written from, and the
//! `email.send` jobs enqueued in the transaction of the change.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{jobs::SendEmail, work::Work, Deps};
use crate::{
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
    type Row = (
        String,
        String,
        String,
        Option<String>,
        bool,
        String,
        String,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        i32,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.name, t.time_zone, c.name, c.email::text, c.email_reminders AND c.archived_at IS NULL, \
                s.name, p.name, \
                coalesce((SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM appointment_resources ar \
                          JOIN resources r ON r.id = ar.resource_id WHERE ar.appointment_id = a.id), ''), \
                a.starts_at, a.ends_at, \
                greatest(extract(epoch FROM a.updated_at - a.created_at), 0)::int \
         FROM appointments a JOIN tenants t ON t.id = a.tenant_id JOIN clients c ON c.id = a.client_id \
         JOIN services s ON s.id = a.service_id JOIN providers p ON p.id = a.provider_id \
         WHERE a.id = $1 AND a.tenant_id = $2",
    )
    .bind(appointment)
    .bind(tenant)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(
        |(
            business,
            zone,
            client,
            email,
            consents,
            service,
            provider,
            location,
            starts_at,
            ends_at,
            seq,
        )| {
            Recipient {
                consents: consents && email.is_some(),
                details: AppointmentDetails {
                    appointment_id: appointment,
                    business,
                    time_zone: zone.parse().unwrap_or(chrono_tz::UTC),
                    client_name: client,
                    client_email: email.unwrap_or_default(),
                    service,
                    provider,
                    location,
                    starts_at,
                    ends_at,
                    sequence: seq.max(0) as u32,
                },
            }
        },
    ))
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
    work.enqueue(NewJob::new(SendEmail(email)).priority(20))
        .await?;
    Ok(true)
}
