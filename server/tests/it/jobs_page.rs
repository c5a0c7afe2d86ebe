//! The jobs page and reminder controls through their server functions: a
//! business sees, retries and discards only its own dead jobs; staff send a
//! reminder (again) and see its state; the development outbox lists it.

use crate::support;

use frontdesk::services::work::testing;

use std::time::{Duration, Instant};

use axum::Router;
use frontdesk::{
    jobs::Job,
    services::{appointments::Booking, clients::ClientInput, jobs::SendEmail},
};
use support::{
    add_member, add_provider, add_service, count, sign_up, staff_of, Browser, TestApp, EVERY_DAY,
};
use uuid::Uuid;

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what}: not within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn status_of(app: &TestApp, job: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_see_retry_and_discard_only_their_own_dead_jobs() {
    let app = TestApp::spawn_with(
        |c| c.jobs.poll_interval = Duration::from_millis(50),
        Router::new(),
    )
    .await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let south = sign_up(&app, "South Salon", "owner@south.example").await;
    let staff = add_member(&app, &north, "staff@north.example", "staff").await;
    let tenant = staff_of(&north).await.tenant_id;

    // An email job whose payload no longer decodes (written by an older
    // version, say): it is dead after one attempt.
    let mut tx = testing::begin_tenant(&app.deps.pool, tenant).await.unwrap();
    let job = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO jobs (id, tenant_id, kind, payload) VALUES ($1, $2, $3, '{\"to\": \"x@example.com\"}')",
    )
    .bind(job)
    .bind(tenant)
    .bind(SendEmail::KIND)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("SELECT pg_notify('frontdesk_jobs', '')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    wait_for("the job is dead", async || {
        status_of(&app, job).await == "dead"
    })
    .await;

    let page = north.call_ok("jobs", &[]).await;
    let dead = page["dead"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "{page}");
    assert_eq!(dead[0]["id"], job.to_string());
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("payload is malformed: this email.send job no longer decodes"),
        "{page}"
    );
    assert!(page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "email.send" && c["status"] == "dead" && c["count"] == 1));
    // The invitation email went out, as a job of this business.
    assert!(page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "email.send" && c["status"] == "done"));
    let schedules = page["schedules"].as_array().unwrap();
    let names: Vec<&str> = schedules
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["reminders", "cleanup", "storage", "mailboxes"]);
    assert!(
        schedules
            .iter()
            .all(|s| !s["last_run"].is_null() && s["overdue"] == false),
        "{page}"
    );

    // Another business sees none of it and cannot touch it.
    let other = south.call_ok("jobs", &[]).await;
    assert!(other["dead"].as_array().unwrap().is_empty(), "{other}");
    assert!(!other.to_string().contains(&job.to_string()));
    for action in ["retry-job", "discard-job"] {
        let response = south.call(action, &[("id", &job.to_string())]).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    // Staff members do not manage settings.
    assert_eq!(staff.call("jobs", &[]).await.status(), 403);
    assert_eq!(
        staff
            .call("retry-job", &[("id", &job.to_string())])
            .await
            .status(),
        403
    );

    // Retry: it runs again (and dies again, its payload still malformed).
    north
        .call_ok("retry-job", &[("id", &job.to_string())])
        .await;
    wait_for("the retried job ran", async || {
        let (status, attempts): (String, i32) =
            sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
                .bind(job)
                .fetch_one(&app.deps.pool)
                .await
                .unwrap();
        status == "dead" && attempts == 1
    })
    .await;
    let errors: serde_json::Value = sqlx::query_scalar("SELECT errors FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_eq!(
        errors.as_array().unwrap().len(),
        2,
        "both failures are in the history"
    );
    north
        .call_ok("discard-job", &[("id", &job.to_string())])
        .await;
    assert_eq!(status_of(&app, job).await, "discarded");
    assert_eq!(
        north
            .call("discard-job", &[("id", &job.to_string())])
            .await
            .status(),
        404
    );
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM audit_log WHERE action IN ('job.retried', 'job.discarded')"
        )
        .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_send_a_reminder_again_and_see_its_state() {
    let app = TestApp::spawn_with(
        |c| c.jobs.poll_interval = Duration::from_millis(50),
        Router::new(),
    )
    .await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let south = sign_up(&app, "South Salon", "owner@south.example").await;
    let reader = add_member(&app, &north, "reader@north.example", "reader").await;
    let owner = staff_of(&north).await;
    let provider = add_provider(
        &app,
        &owner,
        "Dana",
        "Europe/Berlin",
        support::hours_on(&EVERY_DAY, 0, 23),
    )
    .await;
    let service = add_service(&app, &owner, "Cut", 30, "EUR").await;
    let mut clients = Vec::new();
    for (name, email, consent) in [
        ("Ann", "ann@example.com", true),
        ("Bo", "bo@example.com", false),
    ] {
        let input = ClientInput {
            name: name.into(),
            email: email.into(),
            email_reminders: consent,
            ..Default::default()
        };
        let saved =
            frontdesk::services::clients::create(&app.deps, &owner, &input, &Default::default())
                .await
                .unwrap();
        clients.push(saved.client.id);
    }
    let starts = (chrono::Utc::now() + chrono::Duration::days(3))
        .with_time(chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap())
        .unwrap();
    let mut booked = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let appointment = frontdesk::services::appointments::book(
            &app.deps,
            &owner,
            &Booking {
                client_id: *client,
                service_id: service,
                provider_id: provider,
                starts_at: Some(starts + chrono::Duration::hours(i as i64)),
                override_reason: Some("test".into()),
                ..Default::default()
            },
            &Default::default(),
        )
        .await
        .unwrap();
        booked.push(appointment.id);
    }
    let (ann, bo) = (booked[0].to_string(), booked[1].to_string());

    // Three days ahead: no reminder armed yet.
    let none = north
        .call_ok("appointment-reminders", &[("ids", &ann)])
        .await;
    assert_eq!(none, serde_json::json!([]));

    let sent = north
        .call_ok("resend-reminder", &[("appointment_id", &ann)])
        .await;
    assert_eq!(sent["status"], "scheduled");
    let state = async |browser: &Browser| {
        browser
            .call_ok("appointment-reminders", &[("ids", &format!("{ann},{bo}"))])
            .await
    };
    wait_for("the reminder is sent", async || {
        state(&north).await[0]["status"] == "sent"
    })
    .await;
    let view = state(&north).await;
    assert_eq!(view.as_array().unwrap().len(), 1, "Bo has none: {view}");
    assert!(!view[0]["sent_at"].is_null());

    // Sent again on request: a second message with its own Message-ID.
    north
        .call_ok("resend-reminder", &[("appointment_id", &ann)])
        .await;
    wait_for("sent again", async || {
        support::outbox_messages(&app.outbox)
            .iter()
            .filter(|m| m.contains("Subject: Reminder:"))
            .count()
            == 2
    })
    .await;
    let ids: std::collections::HashSet<String> = support::outbox_messages(&app.outbox)
        .iter()
        .filter(|m| m.contains("Subject: Reminder:"))
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");

    // No consent: refused, naming why. Readers cannot; other businesses see nothing.
    let refused = north
        .call("resend-reminder", &[("appointment_id", &bo)])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("not agreed to email reminders"));
    assert_eq!(
        reader
            .call("resend-reminder", &[("appointment_id", &ann)])
            .await
            .status(),
        403
    );
    assert_eq!(
        south
            .call("resend-reminder", &[("appointment_id", &ann)])
            .await
            .status(),
        404
    );
    assert_eq!(
        south
            .call_ok("appointment-reminders", &[("ids", &ann)])
            .await,
        serde_json::json!([])
    );
    let bad = north
        .call("appointment-reminders", &[("ids", "nonsense")])
        .await;
    assert_eq!(bad.status(), 400);

    // The development outbox page lists the reminder and the booking confirmation.
    let outbox = north.call_ok("dev-outbox", &[]).await;
    let subjects: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Reminder: your appointment at North Clinic")),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"Your appointment at North Clinic is booked"),
        "{subjects:?}"
    );
    let reminder = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Reminder"))
        .unwrap();
    assert_eq!(reminder["to"], "ann@example.com");
    assert!(
        reminder["text"].as_str().unwrap().contains("Cut with Dana"),
        "{reminder}"
    );
    assert_eq!(
        reminder["attachments"],
        serde_json::json!(["appointment.ics"])
    );
    // Bo agreed to nothing: no confirmation either.
    assert!(!outbox.to_string().contains("bo@example.com"));
}
