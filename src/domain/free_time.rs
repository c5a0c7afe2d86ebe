//! Free and unavailable time as the calendar shows it: the first free start
//! for a booking, the hours outside a provider's working spans, and where a
//! click on the grid lands.

use chrono::{DateTime, Utc};

use super::scheduling::{free_slots, SlotNeed, Span};

/// The first start at or after `after` at which a booking fits.
pub fn next_free(
    working: &[Span],
    busy: &[Span],
    need: SlotNeed,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let ahead: Vec<Span> = working
        .iter()
        .filter(|w| w.end > after)
        .map(|w| Span {
            start: after_on_step(w.start, after, need),
            end: w.end,
        })
        .collect();
    free_slots(&ahead, busy, need).into_iter().next()
}

/// The first start on `span_start`'s step grid that is not before `after`,
/// so the offers stay on the same marks (09:00, 09:15, …) as the calendar.
fn after_on_step(span_start: DateTime<Utc>, after: DateTime<Utc>, need: SlotNeed) -> DateTime<Utc> {
    if after <= span_start {
        return span_start;
    }
    let step = need.step.num_seconds().max(1);
    let behind = (after - span_start).num_seconds();
    let steps = (behind + step - 1) / step;
    span_start + chrono::Duration::seconds(steps * step)
}

/// The parts of `within` that no working span covers: before the first,
/// between two (a break) and after the last.
pub fn gaps(working: &[Span], within: Span) -> Vec<Span> {
    let mut spans: Vec<Span> = working
        .iter()
        .filter(|w| w.overlaps(&within))
        .copied()
        .collect();
    spans.sort();
    let mut out = Vec::new();
    let mut cursor = within.start;
    for w in spans {
        if w.start > cursor {
            out.extend(Span::new(cursor, w.start.min(within.end)));
        }
        cursor = cursor.max(w.end);
        if cursor >= within.end {
            break;
        }
    }
    out.extend(Span::new(cursor, within.end));
    out
}

/// The booking steps a business can choose, in minutes.
pub const BOOKING_STEPS: [u32; 6] = [5, 10, 15, 20, 30, 60];

/// A booking step as typed or chosen: one of [`BOOKING_STEPS`].
pub fn parse_step(text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|m| BOOKING_STEPS.contains(m))
        .ok_or_else(|| "choose a step of 5, 10, 15, 20, 30 or 60 minutes".to_string())
}

/// A position on the grid, in minutes from midnight, moved back to the
/// booking step it falls in (a click at 10:07 with 15-minute steps is 10:00).
pub fn snap(minute: u32, step: u32) -> u32 {
    let step = step.max(1);
    minute - minute % step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scheduling::{working_spans, WorkingSpan};
    use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
    use chrono_tz::Europe::Berlin;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn span(a: &str, b: &str) -> Span {
        Span::new(utc(a), utc(b)).unwrap()
    }

    fn every_day(starts: &str, ends: &str) -> Vec<WorkingSpan> {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .map(|weekday| WorkingSpan {
            weekday,
            starts: t(starts),
            ends: t(ends),
        })
        .to_vec()
    }

    fn half_hour(step: i64) -> SlotNeed {
        SlotNeed {
            duration: Duration::minutes(30),
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            step: Duration::minutes(step),
        }
    }

    #[test]
    fn the_next_free_slot_keeps_local_opening_time_across_the_spring_change() {
        // Berlin moves from UTC+1 to UTC+2 in the night to Sunday 29 March 2026.
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let working = working_spans(&every_day("09:00", "17:00"), Berlin, day(28), day(31));
        // Saturday 16:45 local: 30 minutes no longer fit before 17:00.
        let after = utc("2026-03-28T15:45:00Z");
        assert_eq!(
            next_free(&working, &[], half_hour(15), after),
            Some(utc("2026-03-29T07:00:00Z")),
            "Sunday opens at 09:00 summer time, 07:00 UTC, not 08:00"
        );
        // Sunday is fully booked: Monday 09:00 summer time.
        let sunday = span("2026-03-29T07:00:00Z", "2026-03-29T15:00:00Z");
        assert_eq!(
            next_free(&working, &[sunday], half_hour(15), after),
            Some(utc("2026-03-30T07:00:00Z"))
        );
    }

    #[test]
    fn the_next_free_slot_across_the_autumn_change_and_between_bookings() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        let working = working_spans(&every_day("09:00", "17:00"), Berlin, day(24), day(26));
        // Saturday 24th is summer time (UTC+2); from Sunday 25th it is UTC+1.
        let saturday_evening = utc("2026-10-24T14:50:00Z"); // 16:50 local
        assert_eq!(
            next_free(&working, &[], half_hour(15), saturday_evening),
            Some(utc("2026-10-25T08:00:00Z")),
            "Sunday 09:00 winter time"
        );
        // Sunday 09:00–09:40 booked: 09:40 is not on the 15-minute marks, 09:45 is.
        let booked = span("2026-10-25T08:00:00Z", "2026-10-25T08:40:00Z");
        assert_eq!(
            next_free(&working, &[booked], half_hour(15), saturday_evening),
            Some(utc("2026-10-25T08:45:00Z"))
        );
        // Asked from 10:05 local on Sunday: the next mark, 10:15.
        assert_eq!(
            next_free(&working, &[], half_hour(15), utc("2026-10-25T09:05:00Z")),
            Some(utc("2026-10-25T09:15:00Z"))
        );
        // Nothing fits anywhere: none.
        let all = span("2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z");
        assert_eq!(
            next_free(&working, &[all], half_hour(15), saturday_evening),
            None
        );
    }

    #[test]
    fn gaps_are_the_hours_before_between_and_after_working_spans() {
        let day = span("2026-12-07T07:00:00Z", "2026-12-07T18:00:00Z");
        let working = [
            span("2026-12-07T12:30:00Z", "2026-12-07T17:00:00Z"),
            span("2026-12-07T08:00:00Z", "2026-12-07T11:30:00Z"),
        ];
        assert_eq!(
            gaps(&working, day),
            [
                span("2026-12-07T07:00:00Z", "2026-12-07T08:00:00Z"),
                span("2026-12-07T11:30:00Z", "2026-12-07T12:30:00Z"),
                span("2026-12-07T17:00:00Z", "2026-12-07T18:00:00Z"),
            ]
        );
        assert_eq!(gaps(&[], day), [day], "a day off is all gap");
        let all_day = [span("2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z")];
        assert!(gaps(&all_day, day).is_empty());
    }

    #[test]
    fn clicks_snap_back_to_the_step_they_fall_in() {
        assert_eq!(snap(10 * 60 + 7, 15), 10 * 60);
        assert_eq!(snap(10 * 60 + 7, 5), 10 * 60 + 5);
        assert_eq!(snap(10 * 60 + 59, 10), 10 * 60 + 50);
        assert_eq!(snap(600, 0), 600, "a zero step does not divide by zero");
    }

    #[test]
    fn steps_are_the_offered_lengths_only() {
        assert_eq!(parse_step(" 15 "), Ok(15));
        assert!(parse_step("7").unwrap_err().contains("5, 10, 15"));
        assert!(parse_step("quarter").is_err());
    }
}
