//! Instruction counts of the deterministic CPU hot spots, under Valgrind
//! (Gungraun): a month of free slots, scrubbing log lines, rendering an
//! appointment email, and parsing a reply for its threading headers.
//! Counts do not depend on a noisy machine, so `scripts/instructions.sh`
//! compares them with the committed baseline and fails on a regression.

use std::hint::black_box;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use frontdesk::{
    domain::{
        inbox::subject_key,
        scheduling::{free_slots, working_spans, SlotNeed, Span, WorkingSpan},
        time_format::{Clock, TimeFormat},
    },
    mail::{
        parse,
        templates::{appointment, AppointmentDetails, AppointmentMail},
    },
    telemetry::scrub::scrub,
};
use gungraun::{library_benchmark, library_benchmark_group, main};

/// A provider's week: Monday to Saturday 09:00–17:00 with a lunch break.
fn week() -> Vec<WorkingSpan> {
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
    std::iter::successors(Some(Weekday::Mon), |day| Some(day.succ()))
        .take(6)
        .flat_map(|weekday| {
            [(at(9, 0), at(12, 30)), (at(13, 30), at(17, 0))].map(|(starts, ends)| WorkingSpan {
                weekday,
                starts,
                ends,
            })
        })
        .collect()
}

/// A month of bookings: eight 30-minute appointments a working day.
fn busy(working: &[Span]) -> Vec<Span> {
    working
        .iter()
        .flat_map(|span| {
            (0..4).map(move |i| Span {
                start: span.start + Duration::minutes(45 * i),
                end: span.start + Duration::minutes(45 * i + 30),
            })
        })
        .collect()
}

#[library_benchmark]
fn free_slots_for_a_month() -> Vec<DateTime<Utc>> {
    let from = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2027, 3, 31).expect("date");
    let working = working_spans(&week(), chrono_tz::Europe::Berlin, from, to);
    let busy = busy(&working);
    let need = SlotNeed {
        duration: Duration::minutes(45),
        buffer_before: Duration::minutes(5),
        buffer_after: Duration::minutes(10),
        step: Duration::minutes(15),
    };
    black_box(free_slots(black_box(&working), black_box(&busy), need))
}

const LOG_LINES: &[&str] = &[
    r#"{"level":"INFO","message":"request finished","path":"/api/clients","status":200,"latency_ms":4}"#,
    r#"{"level":"WARN","message":"sign-in refused for ann@example.com from 203.0.113.9","attempts":3}"#,
    r#"{"level":"ERROR","message":"SMTP relay said 550 for bo.weber@example.org","password":"hunter2","token":"eyJhbGciOiJIUzI1NiJ9.e30.abc"}"#,
    r#"{"level":"INFO","message":"job done","kind":"send_reminder","phone":"+49 30 1234567","duration_ms":12}"#,
];

#[library_benchmark]
fn scrubbing_log_lines() -> usize {
    (0..25)
        .flat_map(|_| LOG_LINES)
        .map(|line| scrub(black_box(line)).len())
        .sum()
}

#[library_benchmark]
fn rendering_an_appointment_email() -> usize {
    let details = AppointmentDetails {
        appointment_id: uuid::Uuid::from_u128(7),
        business: "Studio <Nord>".into(),
        clock: Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H24),
        client_name: "Ann & Bo".into(),
        client_email: "ann@example.com".into(),
        service: "Cut".into(),
        provider: "Dana".into(),
        location: "Room 2".into(),
        starts_at: Utc.with_ymd_and_hms(2027, 3, 28, 8, 30, 0).unwrap(),
        ends_at: Utc.with_ymd_and_hms(2027, 3, 28, 9, 0, 0).unwrap(),
        sequence: 3,
    };
    let email = appointment(
        &AppointmentMail::Reminder,
        black_box(&details),
        "example.com",
        "reminder-7".into(),
        Utc.with_ymd_and_hms(2027, 3, 27, 8, 30, 0).unwrap(),
    );
    black_box(email.text.len() + email.html.map_or(0, |h| h.len()))
}

const REPLY: &[u8] = b"From: Ann Archer <ann@example.com>\r\n\
To: desk@example.com\r\n\
Subject: Re: Re: Your appointment at Studio Nord is booked\r\n\
Message-ID: <reply-3@mail.example.com>\r\n\
In-Reply-To: <confirmation-2@frontdesk.example.com>\r\n\
References: <first-1@frontdesk.example.com> <confirmation-2@frontdesk.example.com>\r\n\
Date: Sat, 27 Mar 2027 10:00:00 +0100\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Thank you, see you on Sunday!\r\n\
\r\n\
> Your appointment is booked for Sunday, 28 March 2027 at 10:30.\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Thank you, see you on <b>Sunday</b>!</p><blockquote>Your appointment is booked.</blockquote>\r\n\
--b--\r\n";

#[library_benchmark]
fn parsing_a_reply_for_threading() -> usize {
    let message = parse::parse(black_box(REPLY)).expect("the reply parses");
    black_box(message.thread_refs.len() + subject_key(&message.subject).len())
}

library_benchmark_group!(
    name = hot_spots;
    benchmarks =
        free_slots_for_a_month,
        scrubbing_log_lines,
        rendering_an_appointment_email,
        parsing_a_reply_for_threading
);

main!(library_benchmark_groups = hot_spots);
