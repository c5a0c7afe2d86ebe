//! Calendar attachments (RFC 5545) for appointment emails, so the client's
//! calendar adds, moves or removes the appointment. One UID per appointment;
//! a higher SEQUENCE replaces what an earlier email added.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::Attachment;

/// What the attachment says about one appointment.
#[derive(Debug, Clone)]
pub struct CalendarEntry<'a> {
    pub appointment_id: uuid::Uuid,
    /// The domain the UID is qualified with (the sender's).
    pub domain: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    /// Seconds since the appointment was created: grows with every change.
    pub sequence: u32,
    pub cancelled: bool,
    pub stamp: DateTime<Utc>,
}

pub fn attachment(entry: &CalendarEntry<'_>) -> Attachment {
    let method = if entry.cancelled { "CANCEL" } else { "REQUEST" };
    let mut event = Event::new();
    event
        .uid(&format!(
            "appointment-{}@{}",
            entry.appointment_id, entry.domain
        ))
        .sequence(entry.sequence)
        .timestamp(entry.stamp)
        .starts(entry.starts_at)
        .ends(entry.ends_at)
        .summary(entry.summary)
        .description(entry.description)
        .status(if entry.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if !entry.location.is_empty() {
        event.location(entry.location);
    }
    let mut calendar = Calendar::new();
    calendar
        .append_property(Property::new("METHOD", method))
        .push(event.done());
    Attachment {
        filename: if entry.cancelled {
            "cancellation.ics".into()
        } else {
            "appointment.ics".into()
        },
        content_type: format!("text/calendar; charset=utf-8; method={method}"),
        content: calendar.done().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_event_in_utc_with_uid_sequence_and_method() {
        let id = uuid::Uuid::now_v7();
        let starts = Utc.with_ymd_and_hms(2027, 3, 28, 8, 30, 0).unwrap();
        let entry = CalendarEntry {
            appointment_id: id,
            domain: "example.com",
            starts_at: starts,
            ends_at: starts + chrono::Duration::minutes(45),
            summary: "Haircut, with Dana",
            description: "Studio Nord; line one\nline two",
            location: "Room 2",
            sequence: 7,
            cancelled: false,
            stamp: starts,
        };
        let ics = attachment(&entry);
        assert_eq!(
            ics.content_type,
            "text/calendar; charset=utf-8; method=REQUEST"
        );
        let text = ics.content;
        assert!(text.contains("METHOD:REQUEST"), "{text}");
        assert!(
            text.contains(&format!("UID:appointment-{id}@example.com")),
            "{text}"
        );
        assert!(text.contains("DTSTART:20270328T083000Z"), "{text}");
        assert!(text.contains("DTEND:20270328T091500Z"), "{text}");
        assert!(text.contains("SEQUENCE:7"), "{text}");
        assert!(text.contains("SUMMARY:Haircut\\, with Dana"), "{text}");
        assert!(text.contains("LOCATION:Room 2"), "{text}");

        let cancelled = attachment(&CalendarEntry {
            cancelled: true,
            sequence: 8,
            ..entry
        });
        assert!(cancelled.content.contains("METHOD:CANCEL"));
        assert!(cancelled.content.contains("STATUS:CANCELLED"));
        assert_eq!(cancelled.filename, "cancellation.ics");
    }
}
