//! Booking through the service: working hours (across a daylight-saving
//! change), buffers, resources, overrides, and double bookings refused with
//! a 409 that names the appointment in the way, also under concurrency.

use crate::support;

use chrono::{DateTime, Utc};
use frontdesk::{
    audit::Origin,
    auth::Staff,
    domain::{records::AppointmentStatus, scheduling::WorkingSpan},
    error::AppError,
    services::{
        appointments::{self, Booking},
        audit_log,
        catalog::{self, ProviderInput, ServiceInput},
        clients::{self, ClientInput},
    },
};
use futures::future::join_all;
use support::{add_member, hours_on, sign_up, staff_of, TestApp, WEEKDAYS};
use uuid::Uuid;

struct Desk {
    owner: Staff,
    client: Uuid,
    service: Uuid,
    providers: [Uuid; 2],
    room: Uuid,
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn weekdays(starts: u32, ends: u32) -> Vec<WorkingSpan> {
    hours_on(&WEEKDAYS, starts, ends)
}

async fn desk(app: &TestApp) -> Desk {
    let owner = staff_of(&sign_up(app, "North Clinic", "owner@north.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let mut providers = Vec::new();
    for name in ["Dana", "Eli"] {
        let provider = catalog::create_provider(
            deps,
            &owner,
            &ProviderInput {
                name: name.into(),
                time_zone: "Europe/Berlin".into(),
                hours: weekdays(9, 17),
                ..Default::default()
            },
            &origin,
        )
        .await
        .unwrap();
        providers.push(provider.id);
    }
    let service = catalog::create_service(
        deps,
        &owner,
        &ServiceInput {
            name: "Massage".into(),
            duration_minutes: 50,
            price_minor: 6000,
            currency: "EUR".into(),
            buffer_after_minutes: 10,
            resource_kinds: vec!["room".into()],
            ..Default::default()
        },
        &origin,
    )
    .await
    .unwrap();
    let room = catalog::create_resource(deps, &owner, "Room 1", "room", &origin)
        .await
        .unwrap();
    let client = clients::create(
        deps,
        &owner,
        &ClientInput {
            name: "Ann".into(),
            ..Default::default()
        },
        &origin,
    )
    .await
    .unwrap();
    Desk {
        owner,
        client: client.client.id,
        service: service.id,
        providers: [providers[0], providers[1]],
        room: room.id,
    }
}

fn booking(desk: &Desk, provider: usize, starts: &str) -> Booking {
    Booking {
        client_id: desk.client,
        service_id: desk.service,
        provider_id: desk.providers[provider],
        resource_ids: vec![desk.room],
        starts_at: Some(at(starts)),
        ..Default::default()
    }
}

fn field_of(err: &AppError) -> Option<String> {
    match err {
        AppError::Invalid(fields) => fields.iter().next().map(|(f, _)| f.to_string()),
        _ => None,
    }
}

#[tokio::test]
async fn bookings_respect_hours_buffers_and_resources_and_name_their_conflicts() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);

    // Monday 7 December, 10:00 in Berlin.
    let first = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(first.ends_at, at("2026-12-07T09:50:00Z"));
    assert_eq!(first.status, AppointmentStatus::Booked);

    // The same provider at 10:55 overlaps the 10 minutes kept after the first.
    let err = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:55:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    let AppError::Conflict(message) = &err else {
        panic!("{err:?}")
    };
    // Named as staff know it, in the business's time (Berlin), never by id.
    assert_eq!(message, "Dana is with Ann 10:00\u{2013}10:50.");
    // Another provider, same room: the room is taken.
    let err = appointments::book(
        deps,
        owner,
        &booking(&desk, 1, "2026-12-07T09:30:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m == "Room 1 is in use for Ann with Dana 10:00\u{2013}10:50."),
        "{err:?}"
    );
    // 11:00 is free again.
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T10:00:00Z"),
        &origin,
    )
    .await
    .unwrap();

    // Outside working hours (18:00 local) only with a reason.
    let late = booking(&desk, 1, "2026-12-07T17:00:00Z");
    let err = appointments::book(deps, owner, &late, &origin)
        .await
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("starts_at"), "{err:?}");
    let overridden = appointments::book(
        deps,
        owner,
        &Booking {
            override_reason: Some("client works late".into()),
            ..late
        },
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(
        overridden.override_reason.as_deref(),
        Some("client works late")
    );

    // The service needs a room.
    let err = appointments::book(
        deps,
        owner,
        &Booking {
            resource_ids: vec![],
            ..booking(&desk, 1, "2026-12-08T09:00:00Z")
        },
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("resource_ids"), "{err:?}");

    // Rescheduling into the way is refused; cancelling frees the time.
    let second = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-08T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    let err = appointments::reschedule(
        deps,
        owner,
        second.id,
        at("2026-12-07T09:20:00Z"),
        None,
        &origin,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m == "Dana is with Ann 10:00\u{2013}10:50."),
        "{err:?}"
    );
    appointments::cancel(deps, owner, first.id, "client is ill", &origin)
        .await
        .unwrap();
    let moved = appointments::reschedule(
        deps,
        owner,
        second.id,
        at("2026-12-07T09:00:00Z"),
        None,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(moved.starts_at, at("2026-12-07T09:00:00Z"));
    let err = appointments::cancel(deps, owner, first.id, "again", &origin)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)));
}

#[tokio::test]
async fn working_hours_follow_the_local_clock_across_the_spring_change() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    // Friday before the change: 09:00 Berlin is 08:00 UTC; Monday after: 07:00 UTC.
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-03-27T08:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-03-30T07:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    let early = appointments::book(
        deps,
        owner,
        &booking(&desk, 1, "2026-03-30T06:30:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(
        field_of(&early).as_deref(),
        Some("starts_at"),
        "08:30 local is before hours"
    );
    // Weekend: no hours at all.
    let sunday = appointments::book(
        deps,
        owner,
        &booking(&desk, 1, "2026-03-29T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&sunday).as_deref(), Some("starts_at"));
}

#[tokio::test]
async fn of_simultaneous_bookings_through_the_service_one_wins_and_the_rest_are_told_which() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let attempts = (0..12).map(|i| {
        let request = booking(&desk, i % 2, "2026-12-09T13:00:00Z");
        let (deps, owner) = (&app.deps, &desk.owner);
        async move { appointments::book(deps, owner, &request, &Origin::default()).await }
    });
    let results = join_all(attempts).await;
    let winners: Vec<&str> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|a| a.provider_name.as_str()))
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    // Each loser is told who holds the time (the provider, or the room for
    // the other provider), in the business's time.
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(err, AppError::Conflict(m)
                if m.contains(winners[0]) && m.contains("Ann") && m.contains("14:00\u{2013}14:50")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn readers_cannot_book_and_other_tenants_ids_are_unknown() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let north = support::Browser::new(&app);
    assert!(north
        .sign_in("owner@north.example", support::PASSWORD)
        .await
        .status()
        .is_success());
    let reader = staff_of(&add_member(&app, &north, "reader@north.example", "reader").await).await;
    let err = appointments::book(
        deps,
        &reader,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Forbidden), "{err:?}");

    let south = staff_of(&sign_up(&app, "South Salon", "owner@south.example").await).await;
    let err = appointments::book(
        deps,
        &south,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("service_id"), "{err:?}");
    let mine = appointments::book(
        deps,
        &desk.owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    assert!(matches!(
        appointments::cancel(deps, &south, mine.id, "x", &origin).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        appointments::reschedule(
            deps,
            &south,
            mine.id,
            at("2026-12-07T10:00:00Z"),
            None,
            &origin
        )
        .await,
        Err(AppError::NotFound(_))
    ));
}

fn local_times(slots: &[DateTime<Utc>]) -> Vec<String> {
    slots
        .iter()
        .map(|s| {
            s.with_timezone(&chrono_tz::Europe::Berlin)
                .format("%a %H:%M")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn one_edit_changes_provider_service_rooms_time_and_notes_or_nothing() {
    use appointments::Edit;
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    let room2 = catalog::create_resource(deps, owner, "Room 2", "room", &origin)
        .await
        .unwrap()
        .id;
    // Ann with Dana on Monday at 10:00 Berlin in Room 1; Eli has her at 13:00 in Room 2.
    let first = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    let mut later = booking(&desk, 1, "2026-12-07T12:00:00Z");
    later.resource_ids = vec![room2];
    appointments::book(deps, owner, &later, &origin)
        .await
        .unwrap();

    let to_eli = |starts: &str| Edit {
        provider_id: desk.providers[1],
        service_id: desk.service,
        resource_ids: vec![room2],
        starts_at: Some(at(starts)),
        notes: " Prefers the window ".into(),
        override_reason: None,
    };
    let edited = appointments::edit(
        deps,
        owner,
        first.id,
        &to_eli("2026-12-07T10:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            edited.provider_name.as_str(),
            edited.resource_ids.as_slice(),
            edited.starts_at,
            edited.notes.as_str()
        ),
        (
            "Eli",
            [room2].as_slice(),
            at("2026-12-07T10:00:00Z"),
            "Prefers the window"
        )
    );
    // Room 1 and Dana are free again at 10:00.
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();

    // Onto Eli's 13:00: refused, naming the appointment in the way; nothing changed.
    let err = appointments::edit(
        deps,
        owner,
        first.id,
        &to_eli("2026-12-07T12:00:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    match &err {
        AppError::Conflict(message) => assert_eq!(message, "Eli is with Ann 13:00\u{2013}13:50."),
        other => panic!("{other:?}"),
    }
    let still = appointments::get(deps, owner, first.id).await.unwrap();
    assert_eq!(
        (still.provider_id, still.starts_at),
        (desk.providers[1], at("2026-12-07T10:00:00Z"))
    );

    // Outside working hours without a reason: named in the business's terms, no UTC.
    let err = appointments::edit(
        deps,
        owner,
        first.id,
        &to_eli("2026-12-07T18:00:00Z"),
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("starts_at"), "{err:?}");
    assert!(!format!("{err:?}").contains("UTC"), "{err:?}");
    // A room of the wrong kind, or none, is refused.
    let mut roomless = to_eli("2026-12-07T10:00:00Z");
    roomless.resource_ids.clear();
    let err = appointments::edit(deps, owner, first.id, &roomless, &origin)
        .await
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("resource_ids"), "{err:?}");

    // One audit entry for the change, with what changed.
    let changes: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE entity_id = $1 AND action = 'appointment.changed'",
    )
    .bind(first.id)
    .fetch_all(&deps.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 1);
    for field in ["provider_id", "resource_ids", "starts_at", "notes"] {
        assert!(changes[0].get(field).is_some(), "{field} in {}", changes[0]);
    }
    assert!(
        changes[0].get("service_id").is_none(),
        "unchanged fields are left out"
    );
    // The audit log tells it with names and the business's time, no ids.
    let filter = audit_log::AuditFilter {
        entity_type: Some("appointment".into()),
        ..Default::default()
    };
    let log = audit_log::list(deps, owner, &filter).await.unwrap();
    let told = &log
        .entries
        .iter()
        .find(|e| e.action == "appointment.changed")
        .unwrap()
        .sentence;
    assert!(told.contains("changed Ann's appointment: from "), "{told}");
    assert!(
        told.contains("to 11:00 on Mon 7 Dec") && told.contains("→ Eli"),
        "{told}"
    );
    assert!(!told.contains(&desk.providers[1].to_string()), "{told}");
}

#[tokio::test]
async fn a_cancellation_is_undone_while_its_email_waits_unless_the_time_was_taken() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    clients::update(
        deps,
        owner,
        desk.client,
        &ClientInput {
            name: "Ann".into(),
            email: "ann@example.com".into(),
            email_reminders: true,
            ..Default::default()
        },
        &origin,
    )
    .await
    .unwrap();
    app.deps.clock.travel_to(at("2026-12-01T08:00:00Z"));
    let booked = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    appointments::cancel(deps, owner, booked.id, "by mistake", &origin)
        .await
        .unwrap();
    let mail_jobs = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT status FROM jobs WHERE dedupe_key = $1 ORDER BY created_at",
        )
        .bind(format!("mail:cancellation:{}", booked.id.simple()))
        .fetch_all(&deps.pool)
        .await
        .unwrap()
    };
    assert_eq!(mail_jobs().await, ["pending"], "the email waits");

    let back =
        appointments::undo_cancel(deps, owner, booked.id, AppointmentStatus::Booked, &origin)
            .await
            .unwrap();
    assert_eq!(
        (back.status, back.cancel_reason),
        (AppointmentStatus::Booked, None)
    );
    assert_eq!(mail_jobs().await, ["discarded"], "nothing goes out");

    // Cancelled again, and the time given to someone else: undo is refused, naming them.
    appointments::cancel(deps, owner, booked.id, "for real", &origin)
        .await
        .unwrap();
    let other = clients::create(
        deps,
        owner,
        &ClientInput {
            name: "Ben".into(),
            ..Default::default()
        },
        &origin,
    )
    .await
    .unwrap();
    let mut theirs = booking(&desk, 0, "2026-12-07T09:00:00Z");
    theirs.client_id = other.client.id;
    appointments::book(deps, owner, &theirs, &origin)
        .await
        .unwrap();
    let err = appointments::undo_cancel(deps, owner, booked.id, AppointmentStatus::Booked, &origin)
        .await
        .unwrap_err();
    match &err {
        AppError::Conflict(message) => {
            assert!(message.contains("Dana is with Ben 10:00"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let still = appointments::get(deps, owner, booked.id).await.unwrap();
    assert_eq!(still.status, AppointmentStatus::Cancelled);
    let err = appointments::undo_cancel(
        deps,
        owner,
        booked.id,
        AppointmentStatus::Cancelled,
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("status"));
}

#[tokio::test]
async fn the_next_free_time_with_one_provider_or_any_on_the_business_step() {
    use frontdesk::services::{availability, tenants};
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    catalog::create_resource(deps, owner, "Room 2", "room", &origin)
        .await
        .unwrap();
    // Dana: Monday 7 December 09:00-09:50 Berlin, 10 minutes kept after.
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T08:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    let find = |provider: Option<usize>, after: &str| {
        availability::next_free(
            deps,
            owner,
            desk.service,
            provider.map(|i| desk.providers[i]),
            at(after),
        )
    };
    let dana = find(Some(0), "2026-12-07T08:00:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (dana.provider_name.as_str(), dana.starts_at),
        ("Dana", at("2026-12-07T09:00:00Z"))
    );
    // Any provider: Eli is free at 09:00 with the second room.
    let any = find(None, "2026-12-07T08:00:00Z").await.unwrap().unwrap();
    assert_eq!(
        (any.provider_id, any.starts_at),
        (desk.providers[1], at("2026-12-07T08:00:00Z"))
    );
    // Friday 16:45 Berlin: the weekend has no hours, so Monday 09:00.
    let monday = find(Some(0), "2026-12-11T15:45:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(monday.starts_at, at("2026-12-14T08:00:00Z"));

    // Offers follow the business's step: 20 minutes from 09:00 puts 10:05 on 10:20.
    let err = tenants::set_booking_step(deps, owner, "7", &origin)
        .await
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("booking_step"), "{err:?}");
    assert_eq!(
        tenants::set_booking_step(deps, owner, "20", &origin)
            .await
            .unwrap(),
        20
    );
    assert_eq!(tenants::booking_step(deps, owner).await.unwrap(), 20);
    let stepped = find(Some(0), "2026-12-07T09:05:00Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stepped.starts_at, at("2026-12-07T09:20:00Z"));

    // Another business sees neither the service nor the providers.
    let south = staff_of(&sign_up(&app, "South Salon", "owner@south.example").await).await;
    let err = availability::next_free(deps, &south, desk.service, None, at("2026-12-07T08:00:00Z"))
        .await
        .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("service_id"), "{err:?}");
}

#[tokio::test]
async fn availability_leaves_out_booked_time_buffers_busy_rooms_and_follows_the_clock_change() {
    use frontdesk::services::availability;
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();

    // Dana is booked 10:00-10:50 (+10 minutes after) on Monday 7 December.
    appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    let dana = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        day(7),
        day(7),
        60,
    )
    .await
    .unwrap();
    assert_eq!(
        local_times(&dana),
        [
            "Mon 09:00",
            "Mon 11:00",
            "Mon 12:00",
            "Mon 13:00",
            "Mon 14:00",
            "Mon 15:00",
            "Mon 16:00"
        ]
    );
    // Eli is free, but the only room is taken at 10:00.
    let eli = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[1],
        day(7),
        day(7),
        60,
    )
    .await
    .unwrap();
    assert!(
        !local_times(&eli).contains(&"Mon 10:00".to_string()),
        "{eli:?}"
    );
    assert_eq!(eli.len(), 7);
    // A weekend has no hours.
    assert!(availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        day(5),
        day(6),
        60
    )
    .await
    .unwrap()
    .is_empty());

    // The Monday after the spring change: 09:00 Berlin is 07:00 UTC.
    let spring = chrono::NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
    let after = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        spring,
        spring,
        60,
    )
    .await
    .unwrap();
    assert_eq!(after[0], at("2026-03-30T07:00:00Z"));
    let before = chrono::NaiveDate::from_ymd_opt(2026, 3, 27).unwrap();
    let friday = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        before,
        before,
        60,
    )
    .await
    .unwrap();
    assert_eq!(friday[0], at("2026-03-27T08:00:00Z"));

    // Bad ranges are named.
    let err = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        day(8),
        day(7),
        60,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"));
    let err = availability::slots(
        deps,
        owner,
        desk.service,
        desk.providers[0],
        day(1),
        day(1) + chrono::Duration::days(90),
        60,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("to"));
}

#[tokio::test]
async fn statuses_move_forward_and_a_cancelled_appointment_stays_cancelled() {
    let app = TestApp::spawn().await;
    let desk = desk(&app).await;
    let (deps, origin, owner) = (&app.deps, Origin::default(), &desk.owner);
    let booked = appointments::book(
        deps,
        owner,
        &booking(&desk, 0, "2026-12-07T09:00:00Z"),
        &origin,
    )
    .await
    .unwrap();
    // Checked in at the desk: stored as "arrived" and audited.
    let here =
        appointments::set_status(deps, owner, booked.id, AppointmentStatus::Arrived, &origin)
            .await
            .unwrap();
    assert_eq!(here.status, AppointmentStatus::Arrived);
    let arrived: serde_json::Value = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE entity_id = $1 AND action = 'appointment.status_changed'",
    )
    .bind(booked.id)
    .fetch_one(&deps.pool)
    .await
    .unwrap();
    assert_eq!(
        arrived["status"],
        serde_json::json!({ "old": "booked", "new": "arrived" })
    );
    let done = appointments::set_status(
        deps,
        owner,
        booked.id,
        AppointmentStatus::Completed,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(done.status, AppointmentStatus::Completed);
    let err = appointments::set_status(
        deps,
        owner,
        booked.id,
        AppointmentStatus::Cancelled,
        &origin,
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&err).as_deref(), Some("status"));
    appointments::cancel(deps, owner, booked.id, "entered by mistake", &origin)
        .await
        .unwrap();
    let err = appointments::set_status(deps, owner, booked.id, AppointmentStatus::NoShow, &origin)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(booked.id)
            .fetch_all(&deps.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "appointment.booked",
            "appointment.status_changed",
            "appointment.status_changed",
            "appointment.cancelled"
        ]
    );
}

#[tokio::test]
async fn the_booking_dialog_books_a_service_that_needs_no_resources() {
    let app = TestApp::spawn().await;
    let browser = sign_up(&app, "North Clinic", "owner@north.example").await;
    let owner = staff_of(&browser).await;
    let provider = support::add_provider(
        &app,
        &owner,
        "Dana",
        "Europe/Berlin",
        hours_on(&support::EVERY_DAY, 0, 23),
    )
    .await;
    let service = support::add_service(&app, &owner, "Cut", 30, "EUR").await;
    let client = support::add_client(&app, &owner, "Ann").await;
    // The dialog's form encoding leaves an empty resource list out entirely.
    let (client, service, provider) = (
        client.to_string(),
        service.to_string(),
        provider.to_string(),
    );
    let booked = browser
        .call_ok(
            "book",
            &[
                ("form[client_id]", client.as_str()),
                ("form[service_id]", service.as_str()),
                ("form[provider_id]", provider.as_str()),
                ("form[starts_at]", "2027-02-03T09:00:00Z"),
                ("form[notes]", ""),
            ],
        )
        .await;
    assert_eq!(booked[0]["starts_at"], "2027-02-03T09:00:00Z", "{booked}");
    assert_eq!(booked[0]["resource_ids"], serde_json::json!([]));
}
