//! Pure scheduling arithmetic, shared by the server and the booking dialog:
//! working hours in a time zone, free slots, and weekly recurrence. Wall-clock
//! times are local to a zone; instants are UTC. Daylight-saving changes are
//! handled where local times are turned into instants.

use super::zone::Zone as Tz;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

use super::time_format::Clock;

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (start < end).then_some(Span { start, end })
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// One span of a provider's working week, in the provider's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WorkingSpan {
    /// `Mon` to `Sun`.
    #[cfg_attr(feature = "server", schema(value_type = String, example = "Mon"))]
    pub weekday: Weekday,
    #[cfg_attr(feature = "server", schema(value_type = String, example = "09:00:00"))]
    pub starts: NaiveTime,
    #[cfg_attr(feature = "server", schema(value_type = String, example = "17:00:00"))]
    pub ends: NaiveTime,
}

/// The ISO weekday numbered 1 (Monday) to 7 (Sunday).
pub fn weekday_from_number(day: i16) -> Option<Weekday> {
    const DAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    DAYS.get(usize::try_from(day).ok()?.checked_sub(1)?)
        .copied()
}

/// The instant a wall-clock time names in `tz`. A time skipped by a
/// daylight-saving change (02:30 on the spring-forward night) means the
/// first instant after the gap; a repeated one (autumn) the earlier.
pub fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours: walk forward by minutes to the first valid time.
            (1..=240)
                .map(|m| local + Duration::minutes(m))
                .find_map(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&local))
        }
    }
}

/// The working spans of every day from `from` to `to` (inclusive), as instants.
pub fn working_spans(week: &[WorkingSpan], tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<Span> {
    let mut spans: Vec<Span> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .flat_map(|day| {
            week.iter()
                .filter(move |w| w.weekday == day.weekday())
                .filter_map(move |w| {
                    Span::new(
                        instant(tz, day.and_time(w.starts)),
                        instant(tz, day.and_time(w.ends)),
                    )
                })
        })
        .collect();
    spans.sort();
    spans
}

/// What a booking needs: its length and the buffers kept free around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotNeed {
    pub duration: Duration,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    /// Offer starts every `step` from the beginning of each working span.
    pub step: Duration,
}

impl SlotNeed {
    /// The time a booking at `start` keeps free, buffers included.
    pub fn blocked(&self, start: DateTime<Utc>) -> Span {
        Span {
            start: start - self.buffer_before,
            end: start + self.duration + self.buffer_after,
        }
    }
}

/// Starts at which a booking fits: inside a working span, and with its
/// buffers clear of every busy span (existing bookings' blocked time, time off).
pub fn free_slots(working: &[Span], busy: &[Span], need: SlotNeed) -> Vec<DateTime<Utc>> {
    if need.duration <= Duration::zero() || need.step <= Duration::zero() {
        return Vec::new();
    }
    let mut slots = Vec::new();
    for span in working {
        let mut start = span.start;
        while start + need.duration <= span.end {
            let blocked = need.blocked(start);
            if !busy.iter().any(|b| b.overlaps(&blocked)) {
                slots.push(start);
            }
            start += need.step;
        }
    }
    slots.sort();
    slots.dedup();
    slots
}

/// A weekly series: every `every_weeks` weeks, until a date or for a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Recurrence {
    pub every_weeks: u32,
    pub until: Option<NaiveDate>,
    pub count: Option<u32>,
}

/// The longest series one booking creates.
pub const MAX_OCCURRENCES: u32 = 260;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("repeat every 1 to 52 weeks")]
    Interval,
    #[error("say when the series ends: an end date or a number of appointments")]
    NoEnd,
    #[error("a series has at most {MAX_OCCURRENCES} appointments")]
    TooMany,
    #[error("the end date is before the first appointment")]
    EndsBeforeStart,
}

/// The starts of a series whose first appointment is at wall-clock `first`
/// in `tz`. Each keeps the same local time, across daylight-saving changes.
pub fn occurrences(
    first: NaiveDateTime,
    tz: Tz,
    rule: Recurrence,
) -> Result<Vec<DateTime<Utc>>, RecurrenceError> {
    if !(1..=52).contains(&rule.every_weeks) {
        return Err(RecurrenceError::Interval);
    }
    if rule.until.is_none() && rule.count.is_none() {
        return Err(RecurrenceError::NoEnd);
    }
    if rule.count.is_some_and(|c| c == 0 || c > MAX_OCCURRENCES) {
        return Err(RecurrenceError::TooMany);
    }
    if rule.until.is_some_and(|u| u < first.date()) {
        return Err(RecurrenceError::EndsBeforeStart);
    }
    let mut starts = Vec::new();
    for n in 0.. {
        let local = first + Duration::weeks(i64::from(rule.every_weeks) * n);
        if rule.until.is_some_and(|u| local.date() > u)
            || rule.count.is_some_and(|c| starts.len() as u32 >= c)
        {
            break;
        }
        if starts.len() as u32 >= MAX_OCCURRENCES {
            return Err(RecurrenceError::TooMany);
        }
        starts.push(instant(tz, local));
    }
    Ok(starts)
}

/// The appointment in the way of a booking, as staff are told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    pub provider: String,
    pub client: String,
    /// The room or equipment both need, when the clash is over it rather
    /// than over the provider.
    pub resource: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Clash {
    /// "Kai is with Mia Novak 14:55–15:25", on the business's `clock`;
    /// the day is named when it is not the day of `wanted` (the start asked for).
    pub fn describe(&self, clock: Clock, wanted: DateTime<Utc>) -> String {
        let start = clock.local(self.starts_at);
        let day = if start.date_naive() == clock.local(wanted).date_naive() {
            String::new()
        } else {
            format!("on {} ", start.format("%a %-d %b %Y"))
        };
        let when = format!("{day}{}", clock.span(self.starts_at, self.ends_at));
        match &self.resource {
            None => format!("{} is with {} {when}.", self.provider, self.client),
            Some(resource) => format!(
                "{resource} is in use for {} with {} {when}.",
                self.client, self.provider
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use chrono_tz::{America::New_York, Europe::Berlin};
    use proptest::prelude::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn wall_clock_times_across_daylight_saving_changes() {
        // Berlin springs forward on 2026-03-29 at 02:00 and falls back on 2026-10-25 at 03:00.
        assert_eq!(
            instant(Berlin, local("2026-03-28 09:00")),
            utc("2026-03-28T08:00:00Z")
        );
        assert_eq!(
            instant(Berlin, local("2026-03-30 09:00")),
            utc("2026-03-30T07:00:00Z")
        );
        assert_eq!(
            instant(Berlin, local("2026-03-29 02:30")),
            utc("2026-03-29T01:00:00Z"),
            "skipped time: first instant after the gap"
        );
        assert_eq!(
            instant(Berlin, local("2026-10-25 02:30")),
            utc("2026-10-25T00:30:00Z"),
            "repeated time: the earlier"
        );
        // New York: 2026-03-08 and 2026-11-01.
        assert_eq!(
            instant(New_York, local("2026-03-07 09:00")),
            utc("2026-03-07T14:00:00Z")
        );
        assert_eq!(
            instant(New_York, local("2026-03-09 09:00")),
            utc("2026-03-09T13:00:00Z")
        );
    }

    #[test]
    fn a_weekly_series_keeps_its_local_time_across_the_change() {
        let rule = Recurrence {
            every_weeks: 1,
            until: None,
            count: Some(3),
        };
        let starts = occurrences(local("2026-03-22 10:00"), Berlin, rule).unwrap();
        let hours: Vec<u32> = starts
            .iter()
            .map(|s| s.with_timezone(&Berlin).hour())
            .collect();
        assert_eq!(hours, [10, 10, 10]);
        assert_eq!(
            starts[1] - starts[0],
            Duration::hours(167),
            "the week with the change is an hour shorter"
        );
        let autumn = occurrences(
            local("2026-10-26 18:30"),
            New_York,
            Recurrence {
                every_weeks: 1,
                until: None,
                count: Some(2),
            },
        )
        .unwrap();
        assert_eq!(autumn[1] - autumn[0], Duration::hours(169));
        let until = occurrences(
            local("2026-01-05 09:00"),
            Berlin,
            Recurrence {
                every_weeks: 2,
                until: Some(NaiveDate::from_ymd_opt(2026, 2, 16).unwrap()),
                count: None,
            },
        )
        .unwrap();
        assert_eq!(until.len(), 4, "5 Jan, 19 Jan, 2 Feb, 16 Feb");
    }

    #[test]
    fn a_series_must_be_bounded() {
        let first = local("2026-01-05 09:00");
        let rule = |every_weeks, until, count| Recurrence {
            every_weeks,
            until,
            count,
        };
        assert_eq!(
            occurrences(first, Berlin, rule(1, None, None)),
            Err(RecurrenceError::NoEnd)
        );
        assert_eq!(
            occurrences(first, Berlin, rule(0, None, Some(2))),
            Err(RecurrenceError::Interval)
        );
        assert_eq!(
            occurrences(first, Berlin, rule(1, None, Some(1000))),
            Err(RecurrenceError::TooMany)
        );
        let far = NaiveDate::from_ymd_opt(2036, 1, 1);
        assert_eq!(
            occurrences(first, Berlin, rule(1, far, None)),
            Err(RecurrenceError::TooMany)
        );
        let before = NaiveDate::from_ymd_opt(2025, 1, 1);
        assert_eq!(
            occurrences(first, Berlin, rule(1, before, None)),
            Err(RecurrenceError::EndsBeforeStart)
        );
    }

    #[test]
    fn working_hours_with_a_break_on_the_day_of_the_change() {
        let week = [
            WorkingSpan {
                weekday: Weekday::Sun,
                starts: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                ends: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            },
            WorkingSpan {
                weekday: Weekday::Sun,
                starts: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
                ends: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            },
        ];
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let spans = working_spans(&week, Berlin, day, day);
        assert_eq!(
            spans,
            vec![
                Span {
                    start: utc("2026-03-29T07:00:00Z"),
                    end: utc("2026-03-29T10:00:00Z")
                },
                Span {
                    start: utc("2026-03-29T11:00:00Z"),
                    end: utc("2026-03-29T15:00:00Z")
                },
            ]
        );
        let need = SlotNeed {
            duration: Duration::minutes(60),
            buffer_before: Duration::zero(),
            buffer_after: Duration::minutes(15),
            step: Duration::minutes(30),
        };
        let busy = [Span {
            start: utc("2026-03-29T08:00:00Z"),
            end: utc("2026-03-29T09:00:00Z"),
        }];
        let slots = free_slots(&spans, &busy, need);
        let local_times: Vec<String> = slots
            .iter()
            .map(|s| s.with_timezone(&Berlin).format("%H:%M").to_string())
            .collect();
        // 09:00 would end its buffer at 10:15, into the 10:00 booking; 11:00 is the first after it.
        assert_eq!(
            local_times,
            ["11:00", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]
        );
    }

    fn span_strategy() -> impl Strategy<Value = Span> {
        (0i64..2000, 5i64..300).prop_map(|(start, len)| {
            let base = utc("2026-03-29T00:00:00Z");
            Span {
                start: base + Duration::minutes(start),
                end: base + Duration::minutes(start + len),
            }
        })
    }

    proptest! {
        #[test]
        fn free_slots_fit_the_working_hours_and_never_touch_a_busy_span(
            working in proptest::collection::vec(span_strategy(), 0..4),
            busy in proptest::collection::vec(span_strategy(), 0..8),
            duration in 5i64..120,
            before in 0i64..30,
            after in 0i64..30,
            step in prop_oneof![Just(5i64), Just(15), Just(30)],
        ) {
            let need = SlotNeed {
                duration: Duration::minutes(duration),
                buffer_before: Duration::minutes(before),
                buffer_after: Duration::minutes(after),
                step: Duration::minutes(step),
            };
            let slots = free_slots(&working, &busy, need);
            prop_assert!(slots.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
            for start in &slots {
                let booking = Span { start: *start, end: *start + need.duration };
                prop_assert!(working.iter().any(|w| w.contains(&booking)
                    && (*start - w.start).num_minutes() % step == 0));
                prop_assert!(busy.iter().all(|b| !b.overlaps(&need.blocked(*start))));
            }
            // Nothing is missed: every step-aligned start that fits is offered.
            for w in &working {
                let mut start = w.start;
                while start + need.duration <= w.end {
                    if busy.iter().all(|b| !b.overlaps(&need.blocked(start))) {
                        prop_assert!(slots.contains(&start));
                    }
                    start += need.step;
                }
            }
        }

        #[test]
        fn every_occurrence_keeps_the_wall_clock_time(
            day in 0i64..730,
            minute in 0u32..(24 * 60),
            every in 1u32..5,
            count in 1u32..60,
            zone in prop_oneof![Just(Berlin), Just(New_York)],
        ) {
            let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                + Duration::days(day) + Duration::minutes(i64::from(minute));
            let starts = occurrences(first, zone, Recurrence { every_weeks: every, until: None, count: Some(count) }).unwrap();
            prop_assert_eq!(starts.len() as u32, count);
            for (n, start) in starts.iter().enumerate() {
                let expected = first + Duration::weeks(i64::from(every) * n as i64);
                let shown = start.with_timezone(&zone).naive_local();
                // Equal, unless the local time fell into a spring-forward gap (then up to 2 hours later).
                prop_assert!(shown == expected || (shown > expected && shown - expected <= Duration::hours(2)));
                prop_assert_eq!(shown.date().weekday(), expected.date().weekday());
            }
        }
    }

    #[test]
    fn a_clash_names_people_and_local_times() {
        use crate::domain::time_format::TimeFormat;
        let berlin = Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H24);
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let clash = Clash {
            provider: "Kai".into(),
            client: "Mia Novak".into(),
            resource: None,
            starts_at: at("2026-07-01T12:55:00Z"),
            ends_at: at("2026-07-01T13:25:00Z"),
        };
        // Summer time: UTC+2.
        assert_eq!(
            clash.describe(berlin, at("2026-07-01T13:00:00Z")),
            "Kai is with Mia Novak 14:55\u{2013}15:25."
        );
        // Another day of a series: the day is named.
        assert_eq!(
            clash.describe(berlin, at("2026-06-24T13:00:00Z")),
            "Kai is with Mia Novak on Wed 1 Jul 2026 14:55\u{2013}15:25."
        );
        let room = Clash {
            resource: Some("Room A".into()),
            starts_at: at("2026-12-01T13:55:00Z"),
            ends_at: at("2026-12-01T14:25:00Z"),
            ..clash
        };
        // Winter time: UTC+1.
        assert_eq!(
            room.describe(berlin, at("2026-12-01T14:00:00Z")),
            "Room A is in use for Mia Novak with Kai 14:55\u{2013}15:25."
        );
        let twelve = Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H12);
        assert_eq!(
            room.describe(twelve, at("2026-12-01T14:00:00Z")),
            "Room A is in use for Mia Novak with Kai 2:55\u{2013}3:25 PM."
        );
    }
}
