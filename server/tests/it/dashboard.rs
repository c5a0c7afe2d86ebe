//! The dashboard's counts and the calendar's range, through the services
//! and through the server functions the pages call.

use crate::support;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use frontdesk::{
    audit::Origin,
    domain::{records::AppointmentStatus, scheduling::WorkingSpan},
    services::{
        appointments::{self, Booking},
        calendar::{self, Range},
        dashboard,
    },
};
use support::{
    add_client, add_provider, add_service, hours_on, sign_up, staff_of, TestApp, EVERY_DAY,
};

fn every_day() -> Vec<WorkingSpan> {
    hours_on(&EVERY_DAY, 8, 20)
}

#[tokio::test]
async fn the_dashboard_counts_a_fortnight_by_local_day_and_follows_every_change() {
    let app = TestApp::spawn().await;
    let browser = sign_up(&app, "North Clinic", "owner@north.example").await;
    let owner = staff_of(&browser).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let mut providers = Vec::new();
    for name in ["Dana", "Eli"] {
        providers.push(add_provider(&app, &owner, name, "Europe/Berlin", every_day()).await);
    }
    let service = add_service(&app, &owner, "Cut", 30, "EUR").await;
    let client = add_client(&app, &owner, "Ann").await;
    // Ann became a client long before this fortnight, whatever today's date.
    sqlx::query("UPDATE clients SET created_at = '2026-11-01T00:00:00Z' WHERE id = $1")
        .bind(client)
        .execute(&app.deps.pool)
        .await
        .unwrap();
    // "Today" is Wednesday 9 December 2026 in Berlin.
    let today = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
    let book = |provider: usize, day: u32, hour: u32| {
        let starts = Berlin
            .with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        Booking {
            client_id: client,
            service_id: service,
            provider_id: providers[provider],
            starts_at: Some(starts),
            ..Default::default()
        }
    };
    let mut past = Vec::new();
    for (p, day, hour) in [(0, 3, 9), (0, 3, 10), (1, 4, 9), (0, 8, 9), (0, 8, 23 - 4)] {
        past.push(
            appointments::book(deps, &owner, &book(p, day, hour), &origin)
                .await
                .unwrap(),
        );
    }
    // 00:30 local on the 9th is the 8th in UTC: counted on the 9th, the local day.
    let early = Booking {
        override_reason: Some("night owl".into()),
        ..book(1, 9, 0)
    };
    let mut early = early;
    early.starts_at = Some(
        Berlin
            .with_ymd_and_hms(2026, 12, 9, 0, 30, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    appointments::book(deps, &owner, &early, &origin)
        .await
        .unwrap();
    appointments::book(deps, &owner, &book(0, 9, 14), &origin)
        .await
        .unwrap();
    appointments::book(deps, &owner, &book(0, 12, 9), &origin)
        .await
        .unwrap();
    // Outside the fortnight: not counted.
    appointments::book(deps, &owner, &book(0, 1, 9), &origin)
        .await
        .unwrap();

    let before = dashboard::overview(deps, &owner, Some(today))
        .await
        .unwrap();
    assert_eq!(before.days.len(), 15);
    let count = |d: &frontdesk::domain::views::DashboardView, day: u32| {
        d.days
            .iter()
            .find(|x| x.date == NaiveDate::from_ymd_opt(2026, 12, day).unwrap())
            .unwrap()
            .active
    };
    assert_eq!(
        (
            count(&before, 3),
            count(&before, 4),
            count(&before, 8),
            count(&before, 9),
            count(&before, 12)
        ),
        (2, 1, 2, 2, 1)
    );
    assert_eq!(before.past_total, 5);
    assert_eq!(before.agenda.len(), 2, "today's agenda");
    assert_eq!(before.busiest[0], ("Dana".to_string(), 6));
    assert_eq!(
        before.new_clients, 0,
        "the client was made after this fortnight"
    );

    // Outcomes move the counts and the rates.
    appointments::set_status(
        deps,
        &owner,
        past[0].id,
        AppointmentStatus::Completed,
        &origin,
    )
    .await
    .unwrap();
    appointments::set_status(deps, &owner, past[1].id, AppointmentStatus::NoShow, &origin)
        .await
        .unwrap();
    appointments::cancel(deps, &owner, past[2].id, "ill", &origin)
        .await
        .unwrap();
    let after = dashboard::overview(deps, &owner, Some(today))
        .await
        .unwrap();
    assert_eq!(
        (
            after.past_completed,
            after.past_no_show,
            after.past_cancelled
        ),
        (1, 1, 1)
    );
    assert_eq!(
        after.past_total, 5,
        "cancelled ones still count in the total"
    );
    assert_eq!(
        (
            after.rate(after.past_completed),
            after.rate(after.past_cancelled)
        ),
        (20, 20)
    );
    assert_eq!(count(&after, 4), 0, "a cancelled appointment is not active");

    // New clients: Bea, created now, is counted on a dashboard whose today is today.
    add_client(&app, &owner, "Bea").await;
    let now = dashboard::overview(deps, &owner, None).await.unwrap();
    assert_eq!(now.new_clients, 1);

    // The calendar's week, filtered by provider, and its limits.
    let week = calendar::range(
        deps,
        &owner,
        Range {
            from: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            days: 7,
            provider_id: Some(providers[0]),
            resource_id: None,
            one_provider: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(week.appointments.len(), 4);
    assert!(week
        .appointments
        .iter()
        .all(|a| a.provider_id == providers[0]));
    assert_eq!(week.time_zone, "Europe/Berlin");
    assert_eq!(week.shown_provider, None, "several providers are shown");
    // A one-provider week loads that provider's appointments only: the
    // one named, else (the owner is no provider) the first.
    let one = |provider_id| Range {
        from: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        days: 7,
        provider_id,
        resource_id: None,
        one_provider: true,
    };
    let eli = calendar::range(deps, &owner, one(Some(providers[1])))
        .await
        .unwrap();
    assert_eq!(eli.shown_provider, Some(providers[1]));
    assert_eq!(eli.appointments.len(), 1);
    assert_eq!(eli.appointments[0].provider_id, providers[1]);
    assert_eq!(eli.providers.len(), 2, "every provider can still be chosen");
    let first = calendar::range(deps, &owner, one(None)).await.unwrap();
    assert_eq!(first.shown_provider, Some(providers[0]));
    assert_eq!(first.appointments.len(), 4);
    let err = calendar::range(
        deps,
        &owner,
        Range {
            from: today,
            days: 400,
            provider_id: None,
            resource_id: None,
            one_provider: false,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, frontdesk::error::AppError::Invalid(_)),
        "{err:?}"
    );

    // The page's server functions answer the same, and name bad fields.
    let dash = browser.call_ok("dashboard", &[]).await;
    assert_eq!(dash["days"].as_array().unwrap().len(), 15);
    let response = browser
        .call(
            "save-provider",
            &[
                ("name", "Fay"),
                ("time_zone", "Europe/Berlin"),
                ("colour", "#336699"),
                ("hours[0]", "9-5"),
                ("hours[1]", ""),
                ("hours[2]", ""),
                ("hours[3]", ""),
                ("hours[4]", ""),
                ("hours[5]", ""),
                ("hours[6]", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["fields"]["hours_1"].as_str().unwrap().contains("9-5"),
        "{body}"
    );
    let response = browser
        .call(
            "save-service",
            &[
                ("name", "Dye"),
                ("duration_minutes", "90"),
                ("price", "ten"),
                ("currency", "EUR"),
                ("buffer_before_minutes", ""),
                ("buffer_after_minutes", "5"),
                ("colour", ""),
                ("resource_kinds", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["fields"]["price"].is_string(), "{body}");
}
