//! Reminders end to end against a real SMTP server (aiosmtpd): a thousand
//! appointments in four zones over a daylight-saving change, simulated
//! through two days in the reminder schedule's 15-minute steps; cancelled
//! and non-consenting ones get none, a rescheduled one gets a new one. And
//! an SMTP outage: retries, then delivery, and no duplicates.

use crate::support;

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use axum::Router;
use chrono::{DateTime, Utc};
use frontdesk::{audit::Origin, auth::Staff, services};
use support::{
    count, seed_business,
    smtp::{header, SmtpServer},
    TestApp,
};
use uuid::Uuid;

struct Appointment {
    id: Uuid,
    starts_at: DateTime<Utc>,
    email: Option<String>,
    /// Booked (not cancelled) for a client with an address who agreed.
    eligible: bool,
}

/// The window the appointments start in: 27 March 12:00 UTC to 29 March
/// 12:00 UTC 2027, across Europe's change to summer time (28 March 01:00 UTC).
fn window_start() -> DateTime<Utc> {
    "2027-03-27T12:00:00Z".parse().unwrap()
}

/// 250 appointments of one business: five providers, one every 57 minutes
/// each, staggered by 3 minutes; every tenth (k % 10 == 3) cancelled; 25
/// clients, every seventh without consent, the last without an address.
async fn seed(app: &TestApp, zone: &str) -> (Staff, Vec<Appointment>) {
    let staff = seed_business(app, zone).await;
    let tenant = staff.tenant_id;
    let pool = &app.deps.pool;
    let service = Uuid::now_v7();
    sqlx::query("INSERT INTO services (id, tenant_id, name, duration_minutes, price_minor, currency) VALUES ($1, $2, 'Check-up', 30, 5000, 'EUR')")
        .bind(service)
        .bind(tenant)
        .execute(pool)
        .await
        .unwrap();
    let mut providers = Vec::new();
    for p in 0..5 {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO providers (id, tenant_id, name, time_zone) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(tenant)
        .bind(format!("Provider {p}"))
        .bind(zone)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO service_providers (tenant_id, service_id, provider_id) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(service)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        providers.push(id);
    }
    let mut clients = Vec::new();
    for c in 0..25 {
        let id = Uuid::now_v7();
        let email = (c != 24).then(|| format!("client{c}-{}@example.com", tenant.simple()));
        let consent = c % 7 != 0;
        sqlx::query("INSERT INTO clients (id, tenant_id, name, email, email_reminders) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(tenant)
            .bind(format!("Client {c}"))
            .bind(&email)
            .bind(consent)
            .execute(pool)
            .await
            .unwrap();
        clients.push((id, email, consent));
    }
    let mut out = Vec::new();
    for k in 0..250usize {
        let (p, j) = (k % 5, k / 5);
        let starts_at = window_start() + chrono::Duration::minutes((j * 57 + p * 3) as i64);
        let ends_at = starts_at + chrono::Duration::minutes(30);
        let (client, email, consent) = clients[k % 25].clone();
        let cancelled = k % 10 == 3;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO appointments (id, tenant_id, client_id, service_id, provider_id, starts_at, ends_at, blocked, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, tstzrange($6, $7), $8)",
        )
        .bind(id)
        .bind(tenant)
        .bind(client)
        .bind(service)
        .bind(providers[p])
        .bind(starts_at)
        .bind(ends_at)
        .bind(if cancelled { "cancelled" } else { "booked" })
        .execute(pool)
        .await
        .unwrap();
        out.push(Appointment {
            id,
            starts_at,
            eligible: !cancelled && consent && email.is_some(),
            email,
        });
    }
    (staff, out)
}

/// Jobs that failed, with their errors (shown when an assertion fails).
async fn failures(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT kind, status, last_error FROM jobs WHERE last_error IS NOT NULL LIMIT 5")
        .fetch_all(&app.deps.pool)
        .await
        .unwrap()
}

/// Sets the clock, runs the reminder scan and waits until every send due by
/// then has run.
async fn step(app: &TestApp, at: DateTime<Utc>) {
    app.deps.clock.travel_to(at);
    services::reminders::scan(&app.deps).await.unwrap();
    let started = Instant::now();
    loop {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE (status = 'pending' AND run_at <= $1) OR status = 'running'",
        )
        .bind(app.deps.clock.now())
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "jobs due at {at} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn reminders_in(messages: &[String]) -> Vec<&String> {
    messages
        .iter()
        .filter(|m| header(m, "Message-ID").is_some_and(|id| id.starts_with("<reminder-")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_appointments_across_zones_and_a_dst_change_get_one_reminder_each_on_time() {
    let smtp = SmtpServer::start().await;
    let smtp_url = smtp.url();
    let app = TestApp::spawn_with(
        |c| {
            c.mail.smtp_url = support::secret(&smtp_url);
            c.jobs.poll_interval = Duration::from_millis(50);
            c.jobs.concurrency = 8;
            support::schedules(c, &[]);
        },
        Router::new(),
    )
    .await;
    let mut all = Vec::new();
    let mut berlin = None;
    for zone in [
        "Europe/Berlin",
        "Europe/London",
        "America/New_York",
        "Asia/Kolkata",
    ] {
        let (staff, appointments) = seed(&app, zone).await;
        berlin.get_or_insert(staff);
        all.extend(appointments);
    }
    let berlin = berlin.unwrap();
    assert_eq!(all.len(), 1000);
    let origin = Origin::default();

    let first = window_start() - chrono::Duration::hours(24) - chrono::Duration::minutes(15);
    let last = window_start() + chrono::Duration::hours(48);
    let moved = all[2].id; // k = 2 in Berlin: reminded on the first day, then moved
    let moved_to = window_start() + chrono::Duration::hours(49);
    let cancelled = all[134].id; // k = 134 in Berlin: armed, not yet sent, then cancelled
    let mut at = first;
    while at <= last {
        step(&app, at).await;
        if at == window_start() {
            let sent: String = sqlx::query_scalar(
                "SELECT status FROM appointment_reminders WHERE appointment_id = $1",
            )
            .bind(moved)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
            assert_eq!(sent, "sent", "{:?}", failures(&app).await);
            services::appointments::reschedule(
                &app.deps,
                &berlin,
                moved,
                moved_to,
                Some("Moved by phone"),
                &origin,
            )
            .await
            .unwrap();
        }
        if at == window_start() + chrono::Duration::minutes(45) {
            let armed: String = sqlx::query_scalar(
                "SELECT status FROM appointment_reminders WHERE appointment_id = $1",
            )
            .bind(cancelled)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
            assert_eq!(armed, "scheduled", "armed ahead of its due time");
            services::appointments::cancel(&app.deps, &berlin, cancelled, "Client is ill", &origin)
                .await
                .unwrap();
        }
        at += chrono::Duration::minutes(15);
    }

    let eligible: Vec<&Appointment> = all
        .iter()
        .filter(|a| a.eligible && a.id != cancelled)
        .collect();
    let expected = eligible.len() + 1; // the moved one twice
    smtp.wait_for(expected, Duration::from_secs(30)).await;
    // Give stragglers a moment: there must be no more than expected.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = smtp.messages();
    let reminders = reminders_in(&messages);
    assert_eq!(
        reminders.len(),
        expected,
        "one reminder each, two for the moved appointment"
    );
    let ids: HashSet<String> = reminders
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), expected, "no message twice");

    // Who got one: exactly the eligible clients, as often as their appointments.
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for m in &reminders {
        *per_address
            .entry(header(m, "To").unwrap().to_lowercase())
            .or_default() += 1;
    }
    let mut wanted: HashMap<String, usize> = HashMap::new();
    for a in &eligible {
        *wanted
            .entry(a.email.clone().unwrap().to_lowercase())
            .or_default() += 1;
    }
    *wanted
        .entry(all[2].email.clone().unwrap().to_lowercase())
        .or_default() += 1;
    assert_eq!(per_address, wanted);

    // Each sent at its due time: no earlier, and within the 15-minute step.
    // Appointment, start, due, sent, status.
    type Row = (
        Uuid,
        DateTime<Utc>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT appointment_id, starts_at, due_at, sent_at, status FROM appointment_reminders",
    )
    .fetch_all(&app.deps.pool)
    .await
    .unwrap();
    let by_id: HashMap<Uuid, &Appointment> = all.iter().map(|a| (a.id, a)).collect();
    let mut sent = 0;
    for (appointment, starts_at, due_at, sent_at, status) in &rows {
        assert!(
            by_id[appointment].eligible,
            "no reminder row for an ineligible appointment"
        );
        assert_eq!(
            *due_at,
            *starts_at - chrono::Duration::hours(24),
            "24 hours before, across DST"
        );
        if status == "sent" {
            sent += 1;
            let late = (sent_at.unwrap() - *due_at).num_seconds();
            assert!(
                (0..15 * 60 + 60).contains(&late),
                "sent {late} s after it was due"
            );
        }
    }
    assert_eq!(sent, expected);
    let superseded: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT appointment_id, status FROM appointment_reminders WHERE status NOT IN ('sent')",
    )
    .fetch_all(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(superseded, vec![(cancelled, "superseded".to_string())]);
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'reminders.send' AND status = 'discarded'"
        )
        .await,
        1,
        "the cancelled appointment's send job was discarded"
    );

    // Local times in the business's zone, on both sides of the change.
    let mut texts = HashMap::new();
    for k in [68usize, 106] {
        let reminder: Uuid =
            sqlx::query_scalar("SELECT id FROM appointment_reminders WHERE appointment_id = $1")
                .bind(all[k].id)
                .fetch_one(&app.deps.pool)
                .await
                .unwrap();
        let wanted = format!("<reminder-{reminder}@");
        let text = reminders
            .iter()
            .find(|m| header(m, "Message-ID").is_some_and(|id| id.starts_with(&wanted)))
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .unwrap_or_default();
        texts.insert(k, text);
    }
    let berlin_text = |k: usize| texts[&k].clone();
    assert_eq!(
        all[68].starts_at,
        "2027-03-28T00:30:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(
        berlin_text(68).contains("Sunday, 28 March 2027 at 01:30 CET"),
        "{}",
        berlin_text(68)
    );
    assert_eq!(
        all[106].starts_at,
        "2027-03-28T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(
        berlin_text(106).contains("Sunday, 28 March 2027 at 10:00 CEST"),
        "{}",
        berlin_text(106)
    );
    assert!(
        berlin_text(106).contains("BEGIN:VCALENDAR") || berlin_text(106).contains("text/calendar")
    );

    // The reschedule and the cancellation told the client too.
    let subjects: Vec<String> = messages
        .iter()
        .filter_map(|m| header(m, "Subject"))
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("has moved")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("is cancelled")),
        "{subjects:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_smtp_outage_is_retried_until_delivery_without_duplicates() {
    let port = support::smtp::free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(
        |c| {
            c.mail.smtp_url = support::secret(&smtp_url);
            c.mail.smtp_timeout = Duration::from_secs(2);
            c.jobs.poll_interval = Duration::from_millis(50);
            c.jobs.retry_base = Duration::from_millis(300);
            c.jobs.retry_max = Duration::from_secs(1);
            c.jobs.max_attempts = 30;
            support::schedules(c, &[]);
        },
        Router::new(),
    )
    .await;
    let (_, appointments) = seed(&app, "Europe/Berlin").await;
    // 27 March 12:00 UTC: the appointments of the first hours are due.
    app.deps
        .clock
        .travel_to(window_start() - chrono::Duration::hours(23));
    let armed = services::reminders::scan(&app.deps).await.unwrap();
    let due = appointments
        .iter()
        .filter(|a| a.eligible && a.starts_at <= window_start() + chrono::Duration::minutes(90))
        .count();
    assert!(armed == due && due >= 5, "armed {armed}, due {due}");
    // An hour later every armed reminder is due.
    app.deps
        .clock
        .travel_to(window_start() - chrono::Duration::hours(22));

    // No server: attempts fail and are retried; staff see "retrying".
    let pool = app.deps.pool.clone();
    let started = Instant::now();
    loop {
        let retried = count(&pool, "SELECT count(*) FROM appointment_reminders WHERE status = 'retrying' AND attempts >= 2").await;
        if retried as usize >= due {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "reminders were not retried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error: String = sqlx::query_scalar(
        "SELECT last_error FROM appointment_reminders WHERE status = 'retrying' LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(error.contains("mail server"), "{error}");

    // The server comes up where the app expects it: every reminder arrives once.
    let smtp = SmtpServer::start_on(port).await;
    smtp.wait_for(due, Duration::from_secs(30)).await;
    let started = Instant::now();
    while count(
        &pool,
        "SELECT count(*) FROM appointment_reminders WHERE status <> 'sent'",
    )
    .await
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not all marked sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let messages = smtp.messages();
    let reminders = reminders_in(&messages);
    let ids: HashSet<String> = reminders
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    assert_eq!(reminders.len(), armed, "one message per reminder");
    assert_eq!(ids.len(), armed, "no duplicates");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE kind = 'reminders.send' AND status = 'done' AND attempts >= 2").await as usize,
        armed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_reminder_goes_out_two_hours_before_and_a_late_booking_gets_only_that_one() {
    let app = TestApp::spawn_with(
        |c| {
            c.jobs.poll_interval = Duration::from_millis(50);
            support::schedules(c, &[]);
        },
        Router::new(),
    )
    .await;
    let owner = seed_business(&app, "Europe/Berlin").await;
    let origin = Origin::default();
    // The windows are checked, naming the field.
    for (first, second, field) in [
        ("0", "", "reminder_hours"),
        ("a day", "", "reminder_hours"),
        ("24", "30", "second_reminder_hours"),
        ("24", "soon", "second_reminder_hours"),
    ] {
        let err = services::reminders::set_windows(&app.deps, &owner, first, second, &origin)
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains(field),
            "{first}/{second}: {err:?}"
        );
    }
    let windows = services::reminders::set_windows(&app.deps, &owner, "24", "2", &origin)
        .await
        .unwrap();
    assert_eq!((windows.hours, windows.second_hours), (24, Some(2)));

    let provider = support::add_provider(
        &app,
        &owner,
        "Dana",
        "Europe/Berlin",
        support::hours_on(&support::EVERY_DAY, 0, 23),
    )
    .await;
    let service = support::add_service(&app, &owner, "Cut", 30, "EUR").await;
    let client = services::clients::create(
        &app.deps,
        &owner,
        &services::clients::ClientInput {
            name: "Ann".into(),
            email: "ann@example.com".into(),
            email_reminders: true,
            ..Default::default()
        },
        &origin,
    )
    .await
    .unwrap()
    .client
    .id;
    let book = async |at: &str| {
        services::appointments::book(
            &app.deps,
            &owner,
            &services::appointments::Booking {
                client_id: client,
                service_id: service,
                provider_id: provider,
                starts_at: Some(at.parse().unwrap()),
                override_reason: Some("test".into()),
                ..Default::default()
            },
            &origin,
        )
        .await
        .unwrap()
        .id
    };
    let early = book("2027-06-01T10:00:00Z").await;
    step(&app, "2027-05-31T10:00:00Z".parse().unwrap()).await;
    step(&app, "2027-06-01T08:00:00Z".parse().unwrap()).await;
    // Booked at 12:30 for 14:00: inside the two-hour window already.
    app.deps
        .clock
        .travel_to("2027-06-01T12:30:00Z".parse().unwrap());
    let late = book("2027-06-01T14:00:00Z").await;
    step(&app, "2027-06-01T12:30:00Z".parse().unwrap()).await;

    let rows: Vec<(Uuid, i32, String)> = sqlx::query_as(
        "SELECT appointment_id, lead_minutes, status FROM appointment_reminders ORDER BY appointment_id, lead_minutes DESC",
    )
    .fetch_all(&app.deps.pool)
    .await
    .unwrap();
    let mut want = vec![
        (early, 1440, "sent".to_string()),
        (early, 120, "sent".to_string()),
        (late, 120, "sent".to_string()),
    ];
    want.sort_by_key(|(id, lead, _)| (*id, -lead));
    assert_eq!(rows, want);
    let reminders = support::outbox_messages(&app.outbox)
        .into_iter()
        .filter(|m| m.contains("Message-ID: <reminder-"))
        .count();
    assert_eq!(reminders, 3);
}
