//! Where each of today's appointments stands for the front desk: next up,
//! late, arrived, in progress, or finished one way or another.

use chrono::{DateTime, Duration, Utc};

use super::{records::AppointmentStatus, views::AppointmentView};

/// Minutes past the start before a client who has not arrived counts as late.
pub const LATE_AFTER_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Booked or confirmed, and not yet due.
    Upcoming,
    /// Due for more than a few minutes and not arrived.
    Late,
    /// Here, before the start.
    Arrived,
    /// Here, and the appointment has begun.
    InProgress,
    Completed,
    NoShow,
    Cancelled,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Upcoming => "Upcoming",
            Standing::Late => "Late",
            Standing::Arrived => "Arrived",
            Standing::InProgress => "In progress",
            Standing::Completed => "Completed",
            Standing::NoShow => "No-show",
            Standing::Cancelled => "Cancelled",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Standing::Upcoming => "upcoming",
            Standing::Late => "late",
            Standing::Arrived => "arrived",
            Standing::InProgress => "in-progress",
            Standing::Completed => "completed",
            Standing::NoShow => "no-show",
            Standing::Cancelled => "cancelled",
        }
    }
}

/// Where `a` stands at `now`.
pub fn standing(a: &AppointmentView, now: DateTime<Utc>) -> Standing {
    match a.status {
        AppointmentStatus::Cancelled => Standing::Cancelled,
        AppointmentStatus::Completed => Standing::Completed,
        AppointmentStatus::NoShow => Standing::NoShow,
        AppointmentStatus::Arrived if now >= a.starts_at => Standing::InProgress,
        AppointmentStatus::Arrived => Standing::Arrived,
        AppointmentStatus::Booked | AppointmentStatus::Confirmed => {
            if now > a.starts_at + Duration::minutes(LATE_AFTER_MINUTES) {
                Standing::Late
            } else {
                Standing::Upcoming
            }
        }
    }
}

/// The index of the next client to expect in `list` (sorted by start): the
/// first upcoming one.
pub fn next_up(list: &[AppointmentView], now: DateTime<Utc>) -> Option<usize> {
    list.iter()
        .position(|a| standing(a, now) == Standing::Upcoming)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
    }

    fn appt(h: u32, status: AppointmentStatus) -> AppointmentView {
        AppointmentView {
            id: Uuid::nil(),
            client_id: Uuid::nil(),
            client_name: "Ann".into(),
            service_id: Uuid::nil(),
            service_name: "Cut".into(),
            provider_id: Uuid::nil(),
            provider_name: "Dana".into(),
            resource_ids: Vec::new(),
            starts_at: at(h, 0),
            ends_at: at(h, 30),
            status,
            notes: String::new(),
            override_reason: None,
            series_id: None,
            cancel_reason: None,
            colour: String::new(),
        }
    }

    #[test]
    fn late_after_five_minutes_arrived_and_in_progress_by_the_start() {
        use AppointmentStatus::*;
        let now = at(10, 10);
        assert_eq!(standing(&appt(10, Booked), at(10, 5)), Standing::Upcoming);
        assert_eq!(standing(&appt(10, Booked), now), Standing::Late);
        assert_eq!(standing(&appt(10, Confirmed), now), Standing::Late);
        assert_eq!(standing(&appt(11, Arrived), now), Standing::Arrived);
        assert_eq!(standing(&appt(10, Arrived), now), Standing::InProgress);
        assert_eq!(standing(&appt(9, Completed), now), Standing::Completed);
        assert_eq!(standing(&appt(9, NoShow), now), Standing::NoShow);
        let day = [
            appt(9, Completed),
            appt(10, Booked),
            appt(11, Booked),
            appt(12, Booked),
        ];
        assert_eq!(next_up(&day, now), Some(2), "10:00 is late; 11:00 is next");
    }
}
