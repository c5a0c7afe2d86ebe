//! The emails Frontdesk sends, each as plain text and HTML: appointment
//! confirmation, reschedule, cancellation and reminder (with an `.ics`),
//! staff invitations and password resets.

use chrono::{DateTime, Utc};

use crate::domain::time_format::Clock;
use html_escape::encode_text;

use super::{ics, OutgoingEmail};

/// What an appointment email says.
#[derive(Debug, Clone)]
pub struct AppointmentDetails {
    pub appointment_id: uuid::Uuid,
    pub business: String,
    /// The business's clock: times are written as it shows them.
    pub clock: Clock,
    pub client_name: String,
    pub client_email: String,
    pub service: String,
    pub provider: String,
    /// Rooms or equipment, comma-separated; may be empty.
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Grows with every change of the appointment (the `.ics` SEQUENCE).
    pub sequence: u32,
}

#[derive(Debug, Clone)]
pub enum AppointmentMail {
    Confirmation,
    Reschedule { previous_start: DateTime<Utc> },
    Cancellation { reason: Option<String> },
    Reminder,
}

impl AppointmentMail {
    pub fn name(&self) -> &'static str {
        match self {
            AppointmentMail::Confirmation => "confirmation",
            AppointmentMail::Reschedule { .. } => "reschedule",
            AppointmentMail::Cancellation { .. } => "cancellation",
            AppointmentMail::Reminder => "reminder",
        }
    }
}

/// "Sunday, 28 March 2027 at 10:30 CEST" on the business's clock.
pub fn local_time(at: DateTime<Utc>, clock: Clock) -> String {
    let local = clock.local(at);
    format!(
        "{} at {} {}",
        local.format("%A, %-d %B %Y"),
        clock.format.time(local),
        local.format("%Z")
    )
}

pub fn appointment(
    mail: &AppointmentMail,
    details: &AppointmentDetails,
    domain: &str,
    message_id: String,
    now: DateTime<Utc>,
) -> OutgoingEmail {
    let when = local_time(details.starts_at, details.clock);
    let what = format!("{} with {}", details.service, details.provider);
    let (subject, lead, closing) = match mail {
        AppointmentMail::Confirmation => (
            format!("Your appointment at {} is booked", details.business),
            format!("your appointment is booked for {when}."),
            "If you cannot make it, please let us know.".to_string(),
        ),
        AppointmentMail::Reschedule { previous_start } => (
            format!("Your appointment at {} has moved", details.business),
            format!(
                "your appointment has moved from {} to {when}.",
                local_time(*previous_start, details.clock)
            ),
            "The attached calendar entry replaces the earlier one.".to_string(),
        ),
        AppointmentMail::Cancellation { reason } => (
            format!("Your appointment at {} is cancelled", details.business),
            format!("your appointment on {when} is cancelled."),
            match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(reason) => format!("Reason: {reason}"),
                None => "Get in touch to book a new time.".to_string(),
            },
        ),
        AppointmentMail::Reminder => (
            format!(
                "Reminder: your appointment at {} on {}",
                details.business,
                short_time(details)
            ),
            format!("this is a reminder of your appointment on {when}."),
            "If you cannot make it, please let us know as soon as you can.".to_string(),
        ),
    };
    let location_line = if details.location.is_empty() {
        String::new()
    } else {
        format!("Where: {}\n", details.location)
    };
    let text = format!(
        "Hello {client},\n\n{lead_upper}\n\nWhat: {what}\n{location_line}When: {when}\n\n{closing}\n\n{business}\n",
        client = details.client_name,
        lead_upper = upper_first(&lead),
        business = details.business,
    );
    let mut rows = vec![("What", what.clone()), ("When", when.clone())];
    if !details.location.is_empty() {
        rows.insert(1, ("Where", details.location.clone()));
    }
    let html = layout(
        &details.business,
        &format!(
            "<p>Hello {client},</p><p>{lead}</p><table style=\"border-collapse:collapse;margin:16px 0\">{rows}</table><p>{closing}</p>",
            client = encode_text(&details.client_name),
            lead = encode_text(&upper_first(&lead)),
            rows = rows
                .iter()
                .map(|(k, v)| format!(
                    "<tr><th style=\"text-align:left;padding:4px 12px 4px 0;color:#555\">{k}</th><td style=\"padding:4px 0\">{}</td></tr>",
                    encode_text(v)
                ))
                .collect::<String>(),
            closing = encode_text(&closing),
        ),
    );
    let cancelled = matches!(mail, AppointmentMail::Cancellation { .. });
    let calendar = ics::attachment(&ics::CalendarEntry {
        appointment_id: details.appointment_id,
        domain,
        starts_at: details.starts_at,
        ends_at: details.ends_at,
        summary: &format!("{what} ({})", details.business),
        description: &format!("{what} at {}", details.business),
        location: &details.location,
        sequence: details.sequence,
        cancelled,
        stamp: now,
    });
    OutgoingEmail {
        to: details.client_email.clone(),
        subject,
        text,
        html: Some(html),
        attachments: vec![calendar],
        message_id: Some(message_id),
        account: false,
    }
}

pub fn invitation(
    to: &str,
    inviter: &str,
    business: &str,
    role: &str,
    link: &str,
) -> OutgoingEmail {
    let text = format!(
        "{inviter} invited you to join {business} on Frontdesk as {role}.\n\n\
         To accept, open this link within 7 days:\n{link}\n\n\
         The link works once. If you did not expect this, ignore this email.\n"
    );
    let html = layout(
        business,
        &format!(
            "<p>{inviter} invited you to join {business} on Frontdesk as {role}.</p>\
             <p><a href=\"{href}\" style=\"{BUTTON}\">Accept the invitation</a></p>\
             <p>The link works for 7 days, once. If you did not expect this, ignore this email.</p>",
            inviter = encode_text(inviter),
            business = encode_text(business),
            role = encode_text(role),
            href = html_escape::encode_double_quoted_attribute(link),
        ),
    );
    OutgoingEmail {
        html: Some(html),
        message_id: Some(format!("invitation-{}", uuid::Uuid::now_v7().simple())),
        account: true,
        ..OutgoingEmail::plain(
            to,
            format!("{inviter} invited you to {business} on Frontdesk"),
            text,
        )
    }
}

pub fn password_reset(to: &str, link: &str) -> OutgoingEmail {
    let text = format!(
        "Someone asked to reset the password of your Frontdesk account.\n\n\
         To choose a new password, open this link within an hour:\n{link}\n\n\
         If it was not you, ignore this email; your password stays as it is.\n"
    );
    let html = layout(
        "Frontdesk",
        &format!(
            "<p>Someone asked to reset the password of your Frontdesk account.</p>\
             <p><a href=\"{href}\" style=\"{BUTTON}\">Choose a new password</a></p>\
             <p>The link works for an hour. If it was not you, ignore this email; your password stays as it is.</p>",
            href = html_escape::encode_double_quoted_attribute(link),
        ),
    );
    OutgoingEmail {
        html: Some(html),
        message_id: Some(format!("password-reset-{}", uuid::Uuid::now_v7().simple())),
        account: true,
        ..OutgoingEmail::plain(to, "Reset your Frontdesk password", text)
    }
}

/// The link that verifies an address; account mail, like a reset.
pub fn verify_email(to: &str, link: &str) -> OutgoingEmail {
    let text = format!(
        "Please confirm that this is your email address for Frontdesk.\n\n\
         Open this link within 24 hours:\n{link}\n\n\
         If you did not create a Frontdesk account, ignore this email.\n"
    );
    let html = layout(
        "Frontdesk",
        &format!(
            "<p>Please confirm that this is your email address for Frontdesk.</p>\
             <p><a href=\"{href}\" style=\"{BUTTON}\">Verify my email</a></p>\
             <p>The link works for 24 hours, once. If you did not create a Frontdesk account, ignore this email.</p>",
            href = html_escape::encode_double_quoted_attribute(link),
        ),
    );
    OutgoingEmail {
        html: Some(html),
        message_id: Some(format!("verify-email-{}", uuid::Uuid::now_v7().simple())),
        account: true,
        ..OutgoingEmail::plain(to, "Verify your email for Frontdesk", text)
    }
}

/// To the old address when someone asks to move the account to `new`.
pub fn email_change_requested(to: &str, new: &str) -> OutgoingEmail {
    let text = format!(
        "Someone asked to change the email address of your Frontdesk account to {new}.\n\n\
         The change happens when the link sent to {new} is opened. If it was not you,\n\
         change your password now and tell your business's owner.\n"
    );
    let html = layout(
        "Frontdesk",
        &format!(
            "<p>Someone asked to change the email address of your Frontdesk account to <strong>{new}</strong>.</p>\
             <p>The change happens when the link sent to that address is opened. If it was not you, \
             change your password now and tell your business's owner.</p>",
            new = encode_text(new),
        ),
    );
    OutgoingEmail {
        html: Some(html),
        message_id: Some(format!("email-change-{}", uuid::Uuid::now_v7().simple())),
        account: true,
        ..OutgoingEmail::plain(to, "Your Frontdesk email address is being changed", text)
    }
}

const BUTTON: &str = "display:inline-block;padding:10px 16px;background:#2456c7;color:#fff;border-radius:6px;text-decoration:none";

fn layout(heading: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"margin:0;padding:24px;background:#f5f6f8;font-family:system-ui,sans-serif;color:#1b1f24\">\
         <div style=\"max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:24px\">\
         <h1 style=\"font-size:18px;margin:0 0 16px\">{}</h1>{body}</div></body></html>",
        encode_text(heading)
    )
}

fn short_time(details: &AppointmentDetails) -> String {
    details.clock.day_time(details.starts_at, "%-d %b at")
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time_format::TimeFormat;
    use chrono::TimeZone;

    fn details() -> AppointmentDetails {
        AppointmentDetails {
            appointment_id: uuid::Uuid::now_v7(),
            business: "Studio <Nord>".into(),
            clock: Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H24),
            client_name: "Ann & Bo".into(),
            client_email: "ann@example.com".into(),
            service: "Cut".into(),
            provider: "Dana".into(),
            location: "Room 2".into(),
            // 08:30 UTC is 10:30 in Berlin once summer time began that morning.
            starts_at: Utc.with_ymd_and_hms(2027, 3, 28, 8, 30, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2027, 3, 28, 9, 0, 0).unwrap(),
            sequence: 3,
        }
    }

    #[test]
    fn reminder_in_local_time_with_escaped_html_and_ics() {
        let email = appointment(
            &AppointmentMail::Reminder,
            &details(),
            "example.com",
            "reminder-x".into(),
            Utc::now(),
        );
        assert_eq!(email.to, "ann@example.com");
        assert_eq!(
            email.subject,
            "Reminder: your appointment at Studio <Nord> on 28 Mar at 10:30"
        );
        assert!(
            email.text.contains("Sunday, 28 March 2027 at 10:30 CEST"),
            "{}",
            email.text
        );
        assert!(email.text.contains("Where: Room 2"));
        let html = email.html.unwrap();
        assert!(
            html.contains("Ann &amp; Bo") && html.contains("Studio &lt;Nord&gt;"),
            "{html}"
        );
        assert!(!html.contains("<Nord>"));
        assert_eq!(email.attachments.len(), 1);
        assert!(email.attachments[0]
            .content
            .contains("DTSTART:20270328T083000Z"));
        assert_eq!(email.message_id.as_deref(), Some("reminder-x"));
    }

    #[test]
    fn a_twelve_hour_business_writes_its_times_that_way() {
        let details = AppointmentDetails {
            clock: Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H12),
            ..details()
        };
        let email = appointment(
            &AppointmentMail::Reminder,
            &details,
            "example.com",
            "reminder-x".into(),
            Utc::now(),
        );
        assert_eq!(
            email.subject,
            "Reminder: your appointment at Studio <Nord> on 28 Mar at 10:30 AM"
        );
        assert!(
            email
                .text
                .contains("Sunday, 28 March 2027 at 10:30 AM CEST"),
            "{}",
            email.text
        );
    }

    #[test]
    fn reschedule_names_both_times_and_cancellation_its_reason() {
        let d = details();
        let moved = appointment(
            &AppointmentMail::Reschedule {
                previous_start: Utc.with_ymd_and_hms(2027, 3, 27, 9, 30, 0).unwrap(),
            },
            &d,
            "example.com",
            "m".into(),
            Utc::now(),
        );
        assert!(
            moved.text.contains(
                "from Saturday, 27 March 2027 at 10:30 CET to Sunday, 28 March 2027 at 10:30 CEST"
            ),
            "{}",
            moved.text
        );
        let cancelled = appointment(
            &AppointmentMail::Cancellation {
                reason: Some("Dana is ill".into()),
            },
            &d,
            "example.com",
            "c".into(),
            Utc::now(),
        );
        assert!(
            cancelled.text.contains("is cancelled")
                && cancelled.text.contains("Reason: Dana is ill")
        );
        assert!(cancelled.attachments[0].content.contains("METHOD:CANCEL"));
    }

    #[test]
    fn invitation_and_reset_carry_their_link_in_both_parts() {
        let link = "https://app.example.com/accept-invitation?token=ab12";
        let inv = invitation("bo@example.com", "Ann", "Clinic", "staff", link);
        assert!(inv.text.contains(link) && inv.html.as_ref().unwrap().contains(link));
        assert!(
            inv.message_id.as_ref().unwrap().starts_with("invitation-"),
            "a retried send keeps it"
        );
        let reset = password_reset("bo@example.com", "https://x/reset-password?token=cd&x=1");
        assert!(reset.html.unwrap().contains("token=cd&amp;x=1"));
    }
}
