//! Weekly series: the same local time across daylight-saving changes, all
//! or nothing when one occurrence is taken, and "this and following" edits.

use crate::support;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::{America::New_York, Tz};
use frontdesk::{
    audit::Origin,
    auth::Staff,
    domain::{
        records::{AppointmentStatus, Scope},
        scheduling::Recurrence,
    },
    error::AppError,
    services::{
        appointments::{self, Booking, Listing},
        catalog,
    },
};
use support::{
    add_client, add_provider, add_service, hours_on, sign_up, staff_of, TestApp, EVERY_DAY,
};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn local_hour(t: DateTime<Utc>, zone: Tz) -> (u32, u32) {
    let local = t.with_timezone(&zone);
    (local.hour(), local.minute())
}

struct Desk {
    owner: Staff,
    booking: Booking,
}

/// A New York provider working every day 08:00-18:00.
async fn desk(app: &TestApp) -> Desk {
    let owner = staff_of(&sign_up(app, "Hudson Studio", "owner@hudson.example").await).await;
    let provider = add_provider(
        app,
        &owner,
        "Jo",
        "America/New_York",
        hours_on(&EVERY_DAY, 8, 18),
    )
    .await;
    let service = add_service(app, &owner, "Lesson", 60, "USD").await;
    let client = add_client(app, &owner, "Pat").await;
    Desk {
        owner,
        booking: Booking {
            client_id: client,
            service_id: service,
            provider_id: provider,
            // Sunday 25 October 2026, 10:00 in New York (EDT, UTC-4).
            starts_at: Some(at("2026-10-25T14:00:00Z")),
            ..Default::default()
        },
    }
}

fn weekly(count: u32) -> Recurrence {
    Recurrence {
        every_weeks: 1,
        until: None,
        count: Some(count),
    }
}

#[tokio::test]
async fn a_series_keeps_its_local_time_across_the_autumn_change_and_edits_apply_to_the_rest() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);

    let series = appointments::book_series(deps, owner, &desk.booking, weekly(4), &origin)
        .await
        .unwrap();
    assert_eq!(series.len(), 4);
    // New York leaves summer time on 1 November: 10:00 stays 10:00, so UTC moves.
    for view in &series {
        assert_eq!(local_hour(view.starts_at, New_York), (10, 0));
    }
    assert_eq!(series[0].starts_at, at("2026-10-25T14:00:00Z"));
    assert_eq!(series[1].starts_at, at("2026-11-01T15:00:00Z"));
    let id = series[0].series_id.expect("a series id");
    assert!(series.iter().all(|v| v.series_id == Some(id)));

    // Move the second and the later ones to 11:30 local, one day later.
    let moved = appointments::reschedule_scoped(
        deps,
        owner,
        series[1].id,
        at("2026-11-02T16:30:00Z"),
        None,
        Scope::Following,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(moved.len(), 3);
    for view in &moved {
        assert_eq!(local_hour(view.starts_at, New_York), (11, 30));
        assert_eq!(
            view.starts_at.with_timezone(&New_York).weekday(),
            Weekday::Mon
        );
    }
    let first = appointments::get(deps, owner, series[0].id).await.unwrap();
    assert_eq!(
        first.starts_at, series[0].starts_at,
        "the earlier one stays"
    );

    // Moving a whole week later: the series passes over its own appointments.
    let later = appointments::reschedule_scoped(
        deps,
        owner,
        series[2].id,
        moved[1].starts_at + chrono::Duration::weeks(1),
        None,
        Scope::Following,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(later.len(), 2);

    // Cancel the third and following: the first two stay booked.
    let cancelled = appointments::cancel_scoped(
        deps,
        owner,
        series[2].id,
        "moving away",
        Scope::Following,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(cancelled.len(), 2);
    assert!(cancelled
        .iter()
        .all(|v| v.status == AppointmentStatus::Cancelled
            && v.cancel_reason.as_deref() == Some("moving away")));
    let (listed, _) = appointments::list(
        deps,
        owner,
        &Listing {
            from: Some(at("2026-10-20T00:00:00Z")),
            to: Some(at("2026-12-20T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let active = listed
        .iter()
        .filter(|v| v.status != AppointmentStatus::Cancelled)
        .count();
    assert_eq!(active, 2);

    // "This" cancels one only.
    let one = appointments::cancel_scoped(deps, owner, series[0].id, "ill", Scope::This, &origin)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let second = appointments::get(deps, owner, series[1].id).await.unwrap();
    assert_eq!(second.status, AppointmentStatus::Booked);
}

#[tokio::test]
async fn one_taken_occurrence_refuses_the_whole_series_and_names_what_is_in_the_way() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);

    // The third Sunday is already booked.
    let taken = appointments::book(
        deps,
        owner,
        &Booking {
            starts_at: Some(at("2026-11-08T15:30:00Z")),
            ..desk.booking.clone()
        },
        &origin,
    )
    .await
    .unwrap();
    let err = appointments::book_series(deps, owner, &desk.booking, weekly(5), &origin)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains(&format!("{} is with Pat", taken.provider_name)) && m.contains("16:30\u{2013}17:30")),
        "{err:?}"
    );
    let (listed, _) = appointments::list(
        deps,
        owner,
        &Listing {
            from: Some(at("2026-10-20T00:00:00Z")),
            to: Some(at("2026-12-20T00:00:00Z")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1, "nothing of the series was kept");

    // A series without an end, or ending before it starts, is refused by field.
    for rule in [
        Recurrence {
            every_weeks: 1,
            until: None,
            count: None,
        },
        Recurrence {
            every_weeks: 1,
            until: NaiveDate::from_ymd_opt(2026, 10, 1),
            count: None,
        },
        Recurrence {
            every_weeks: 0,
            until: None,
            count: Some(3),
        },
    ] {
        let err = appointments::book_series(deps, owner, &desk.booking, rule, &origin)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f.iter().any(|(k, _)| k == "recurrence")),
            "{err:?}"
        );
    }

    // An occurrence outside working hours is named by its date.
    let err = appointments::book_series(
        deps,
        owner,
        &Booking {
            // 17:30 local: the hour runs past 18:00.
            starts_at: Some(at("2026-10-25T21:30:00Z")),
            ..desk.booking.clone()
        },
        weekly(2),
        &origin,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Invalid(f) if f.iter().any(|(k, m)| k == "starts_at" && m.contains("Sun 25 Oct 2026, 17:30"))),
        "{err:?}"
    );
}

#[tokio::test]
async fn days_off_are_whole_local_days_that_refuse_bookings_until_removed() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    let provider = desk.booking.provider_id;
    // The provider's view lists time off that has not ended by the app's clock.
    app.deps.clock.travel_to(at("2026-11-20T12:00:00Z"));
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let off = catalog::add_days_off(deps, owner, provider, day, day, "conference", &origin)
        .await
        .unwrap();
    let view = catalog::get_provider(deps, owner, provider).await.unwrap();
    assert_eq!(view.time_off.len(), 1);
    // Midnight to midnight in New York (EST, UTC-5).
    assert_eq!(view.time_off[0].starts_at, at("2026-12-01T05:00:00Z"));
    assert_eq!(view.time_off[0].ends_at, at("2026-12-02T05:00:00Z"));
    // Once the day is over it is no longer listed.
    app.deps.clock.travel_to(at("2026-12-02T05:00:01Z"));
    let later = catalog::get_provider(deps, owner, provider).await.unwrap();
    assert!(later.time_off.is_empty(), "{:?}", later.time_off);
    app.deps.clock.travel_to(at("2026-11-20T12:00:00Z"));
    let on_the_day = Booking {
        starts_at: Some(at("2026-12-01T15:00:00Z")),
        ..desk.booking.clone()
    };
    let err = appointments::book(deps, owner, &on_the_day, &origin)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Invalid(f) if f.iter().any(|(k, _)| k == "starts_at")),
        "{err:?}"
    );
    let next_day = Booking {
        starts_at: Some(at("2026-12-02T15:00:00Z")),
        ..desk.booking.clone()
    };
    appointments::book(deps, owner, &next_day, &origin)
        .await
        .unwrap();
    let err = catalog::add_days_off(
        deps,
        owner,
        provider,
        day,
        day.pred_opt().unwrap(),
        "",
        &origin,
    )
    .await
    .unwrap_err();
    assert!(matches!(&err, AppError::Invalid(_)), "{err:?}");

    catalog::remove_time_off(deps, owner, off, &origin)
        .await
        .unwrap();
    appointments::book(deps, owner, &on_the_day, &origin)
        .await
        .unwrap();
    assert!(catalog::remove_time_off(deps, owner, off, &origin)
        .await
        .is_err());
}
