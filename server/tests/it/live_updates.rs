//! Live updates over Server-Sent Events: a change committed through one
//! instance reaches the pages open on another, only those that may see it;
//! a page that reconnects gets what it missed or "resync"; the listener
//! survives its connection being killed; a page that never reads is dropped
//! (what that costs in memory is `frontdesk bench-live`'s to measure);
//! streams end with the session and with the instance.

use std::{
    pin::Pin,
    time::{Duration, Instant},
};

use crate::support::{
    self, add_client, add_member, add_provider, add_service, api_key, hours_on, rest, sign_up,
    staff_of, Browser, TestApp, EVERY_DAY,
};
use axum::{extract::State, routing::get, Router};
use frontdesk::cache::Namespace;
use futures::{Stream, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::AppState;
use uuid::Uuid;

/// One event as the browser's `EventSource` sees it.
#[derive(Debug)]
struct Message {
    event: String,
    id: Option<i64>,
    data: String,
}

impl Message {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// An open stream, read the way `EventSource` reads it.
struct Sse {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

enum Next {
    Message(Message),
    /// Nothing within the time given.
    Quiet,
    /// The server ended the stream.
    Ended,
}

impl Sse {
    async fn open(client: &reqwest::Client, url: &str, last: Option<i64>) -> Sse {
        let response = Self::request(client, url, last).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Sse {
            body: Box::pin(response.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buffer: String::new(),
        }
    }

    async fn request(client: &reqwest::Client, url: &str, last: Option<i64>) -> reqwest::Response {
        let mut request = client.get(url).header("accept", "text/event-stream");
        if let Some(last) = last {
            request = request.header("last-event-id", last.to_string());
        }
        request.send().await.unwrap()
    }

    /// The next event (keep-alive comments skipped).
    async fn next(&mut self, within: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = Message {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value);
                        match field {
                            "event" => message.event = value.into(),
                            "id" => message.id = value.parse().ok(),
                            "data" => message.data.push_str(value),
                            _ => continue,
                        }
                        any = true;
                    }
                }
                if any {
                    return Next::Message(message);
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return Next::Quiet,
                Ok(None) | Ok(Some(Err(_))) => return Next::Ended,
                Ok(Some(Ok(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }

    async fn expect(&mut self, within: Duration) -> Message {
        match self.next(within).await {
            Next::Message(message) => message,
            Next::Quiet => panic!("no event within {within:?}"),
            Next::Ended => panic!("the stream ended"),
        }
    }

    async fn expect_change(&mut self, within: Duration) -> Message {
        let message = self.expect(within).await;
        assert_eq!(message.event, "change", "{message:?}");
        message
    }

    async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Next::Ended => return true,
                Next::Quiet => return false,
                Next::Message(_) => continue,
            }
        }
    }
}

const SOON: Duration = Duration::from_secs(5);

/// A business with a provider, a service and a client to book.
struct Desk {
    browser: Browser,
    provider: Uuid,
    service: Uuid,
    client: Uuid,
    key: String,
}

async fn desk(app: &TestApp, name: &str, email: &str) -> Desk {
    let browser = sign_up(app, name, email).await;
    let owner = staff_of(&browser).await;
    let provider = add_provider(
        app,
        &owner,
        "Dana",
        "Europe/Berlin",
        hours_on(&EVERY_DAY, 8, 20),
    )
    .await;
    let service = add_service(app, &owner, "Massage", 30, "EUR").await;
    let client = add_client(app, &owner, "Ann").await;
    let key = api_key(&browser, &["appointments:write", "clients:write"]).await;
    Desk {
        browser,
        provider,
        service,
        client,
        key,
    }
}

/// Books `day` days from the app's today at 10:00 UTC plus `slot` half hours.
async fn book(app: &TestApp, desk: &Desk, day: i64, slot: i64) -> String {
    let today = app.deps.clock.now().date_naive();
    let starts = (today + chrono::Duration::days(day))
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc()
        + chrono::Duration::minutes(30 * slot);
    let (status, booked) = rest(
        app,
        &desk.key,
        Method::POST,
        "/api/v1/appointments",
        Some(json!({"client_id": desk.client, "service_id": desk.service,
                    "provider_id": desk.provider, "starts_at": starts.to_rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    booked["id"].as_str().unwrap().to_string()
}

async fn new_client(app: &TestApp, desk: &Desk, name: &str) -> String {
    let (status, made) = rest(
        app,
        &desk.key,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["client"]["id"].as_str().unwrap().to_string()
}

/// Commits outbox rows written by hand, with a notification that carries
/// none of them (the listeners read them from the table).
async fn commit_notifying(mut tx: sqlx::Transaction<'_, sqlx::Postgres>) {
    sqlx::query("SELECT pg_notify('frontdesk_changes', '')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_booking_through_one_instance_reaches_pages_on_another_and_only_those_allowed() {
    let first = TestApp::spawn().await;
    let north = desk(&first, "North Clinic", "owner@north.example").await;
    let south = desk(&first, "South Studio", "owner@south.example").await;
    // Before the second instance starts, so this one's worker sends the invitation.
    let reader = add_member(&first, &north.browser, "reader@north.example", "reader").await;
    let second = TestApp::spawn_beside(&first, |_| {}).await;

    // Every page is open on the second instance; sessions are shared.
    let live = second.url("/api/live");
    let mut north_page = Sse::open(&north.browser.client, &live, None).await;
    let mut south_page = Sse::open(&south.browser.client, &live, None).await;
    let mut reader_page = Sse::open(&reader.client, &live, None).await;

    // A team change (readers may not see the team), then a booking.
    north
        .browser
        .call_ok(
            "invite",
            &[("email", "new@north.example"), ("role", "staff")],
        )
        .await;
    let invited = north_page.expect_change(SOON).await;
    assert_eq!(invited.json()["topic"], "team", "{invited:?}");

    let booked_at = Instant::now();
    let appointment = book(&first, &north, 1, 0).await;
    let seen = north_page.expect_change(SOON).await;
    let latency = booked_at.elapsed();
    assert_eq!(
        seen.json(),
        json!({"topic": "appointments", "id": appointment, "action": "appointment.booked"})
    );
    assert!(latency < Duration::from_secs(1), "took {latency:?}");
    assert!(seen.id.unwrap() > invited.id.unwrap());

    // The reader's first event is the booking: the team change never came.
    let read = reader_page.expect_change(SOON).await;
    assert_eq!(read.json()["topic"], "appointments", "{read:?}");
    assert_eq!(read.id, seen.id);

    // The other business's page got nothing of North's: its first event is
    // its own change.
    let own = new_client(&first, &south, "Bea").await;
    let first_seen = south_page.expect_change(SOON).await;
    assert_eq!(first_seen.json()["id"], own, "{first_seen:?}");
    assert_eq!(first_seen.json()["topic"], "clients");
}

#[tokio::test]
async fn a_page_that_hears_of_a_change_is_not_served_what_was_cached_before_it() {
    let app = TestApp::spawn().await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let key = api_key(&north.browser, &["clients:read"]).await;
    let names = || async {
        let (status, listed) = rest(&app, &key, Method::GET, "/api/v1/clients", None).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        listed["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names().await, ["Ann"]);
    let hits = app.deps.cache.counts(Namespace::Clients).hits;
    assert_eq!(names().await, ["Ann"]);
    assert_eq!(
        app.deps.cache.counts(Namespace::Clients).hits,
        hits + 1,
        "cached"
    );

    // A change committed by a writer that has not dropped its cached values
    // yet (or never will: it died just after its commit).
    let mut page = Sse::open(&north.browser.client, &app.url("/api/live"), None).await;
    let mut tx = app.deps.pool.begin().await.unwrap();
    let renamed = sqlx::query("UPDATE clients SET name = 'Anna Berg' WHERE id = $1")
        .bind(north.client)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(renamed.rows_affected(), 1);
    sqlx::query(
        "INSERT INTO change_events (tenant_id, topic, record_id, action)
         SELECT tenant_id, 'clients', id, 'client.updated' FROM clients WHERE id = $1",
    )
    .bind(north.client)
    .execute(&mut *tx)
    .await
    .unwrap();
    commit_notifying(tx).await;

    let heard = page.expect_change(SOON).await;
    assert_eq!(heard.json()["id"], north.client.to_string(), "{heard:?}");
    // The page reloads at once, and gets the change.
    assert_eq!(names().await, ["Anna Berg"]);
}

#[tokio::test]
async fn a_page_that_reconnects_gets_exactly_what_it_missed_or_resync() {
    let app = TestApp::spawn_with(|c| c.live.replay = 5, Router::new()).await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let live = app.url("/api/live");
    let mut page = Sse::open(&north.browser.client, &live, None).await;
    book(&app, &north, 1, 0).await;
    let last = page.expect_change(SOON).await.id.unwrap();
    drop(page);

    // Three changes while the page was away, in this order.
    let missed = [
        new_client(&app, &north, "Bea").await,
        book(&app, &north, 1, 1).await,
        new_client(&app, &north, "Cem").await,
    ];
    let mut page = Sse::open(&north.browser.client, &live, Some(last)).await;
    let mut ids = vec![last];
    for id in &missed {
        let change = page.expect_change(SOON).await;
        assert_eq!(change.json()["id"], *id);
        ids.push(change.id.unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Then live again, nothing twice.
    let next = book(&app, &north, 1, 2).await;
    let change = page.expect_change(SOON).await;
    assert_eq!(change.json()["id"], next, "{change:?}");
    drop(page);

    // Away for more than can be replayed.
    let last = change.id.unwrap();
    for name in ["D", "E", "F", "G", "H", "I"] {
        new_client(&app, &north, name).await;
    }
    let mut page = Sse::open(&north.browser.client, &live, Some(last)).await;
    assert_eq!(page.expect(SOON).await.event, "resync");

    // Away while the changes after it were cleaned away.
    sqlx::query("DELETE FROM change_events")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    new_client(&app, &north, "J").await;
    let mut page = Sse::open(&north.browser.client, &live, Some(last)).await;
    assert_eq!(page.expect(SOON).await.event, "resync");

    // An id that is not one.
    let bad = north
        .browser
        .client
        .get(&live)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("Last-Event-ID"));
}

#[tokio::test]
async fn the_listener_comes_back_after_its_connection_is_killed() {
    let app = TestApp::spawn().await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let mut page = Sse::open(&north.browser.client, &app.url("/api/live"), None).await;
    book(&app, &north, 1, 0).await;
    page.expect_change(SOON).await;

    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE '%frontdesk_changes%' AND pid <> pg_backend_pid()",
    )
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(killed, 1);
    // The page is told to reload what it shows: changes may have been missed.
    assert_eq!(page.expect(SOON).await.event, "resync");
    let next = book(&app, &north, 1, 1).await;
    let change = page.expect_change(SOON).await;
    assert_eq!(change.json()["id"], next);
}

/// The number of streams open on the instance, for the test.
async fn streams(State(state): State<AppState>) -> String {
    state.live.streams().to_string()
}

#[tokio::test]
async fn a_page_that_never_reads_is_dropped() {
    let app = TestApp::spawn_with(
        |_| {},
        Router::new().route("/api/test/streams", get(streams)),
    )
    .await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let tenant = staff_of(&north.browser).await.tenant_id;
    let count = || async { app.get("/api/test/streams").await.text().await.unwrap() };
    // A page that sends its request and never reads, with a small window.
    let session_cookie = session_cookie(&app, &north.browser);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let mut stuck = socket.connect(app.addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stuck
        .write_all(
            format!(
                "GET /api/live HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCookie: {session_cookie}\r\n\r\n",
                app.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + SOON;
    while count().await != "1" {
        assert!(
            Instant::now() < deadline,
            "the stuck page's stream never opened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Far more changes than the page, the server's socket buffers (at most
    // 4 MiB by default) and the page's queue hold: 100,000, about 10 MiB of
    // events, committed 5,000 at a time.
    for _ in 0..20 {
        let mut tx = frontdesk::services::work::testing::begin_system(&app.deps.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO change_events (tenant_id, topic, record_id, action)
             SELECT $1, 'clients', gen_random_uuid(), 'client.update' FROM generate_series(1, 5000)",
        )
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .unwrap();
        commit_notifying(tx).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while count().await != "0" {
        assert!(
            Instant::now() < deadline,
            "the page that never reads was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(stuck);

    // Pages that read are served as before, once the flood has passed.
    let mut page = Sse::open(&north.browser.client, &app.url("/api/live"), None).await;
    loop {
        match page.next(Duration::from_millis(500)).await {
            Next::Quiet => break,
            Next::Message(_) => continue,
            Next::Ended => {
                page = Sse::open(&north.browser.client, &app.url("/api/live"), None).await
            }
        }
    }
    let made = new_client(&app, &north, "Bea").await;
    assert_eq!(page.expect_change(SOON).await.json()["id"], made);
}

/// The session cookie the browser holds for the app.
fn session_cookie(app: &TestApp, browser: &Browser) -> String {
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = app.url("/").parse().unwrap();
    browser
        .jar
        .cookies(&url)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn streams_end_with_sign_out_removal_and_shutdown_and_are_limited() {
    let mut app = TestApp::spawn_with(
        |c| {
            c.live.session_check = Duration::from_secs(1);
            c.live.streams_per_session = 2;
        },
        Router::new(),
    )
    .await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let live = app.url("/api/live");

    // Signed out: no stream at all.
    let anonymous = app.client.get(&live).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Two per session; the third is refused with the reason.
    let staff = add_member(&app, &north.browser, "staff@north.example", "staff").await;
    let mut one = Sse::open(&staff.client, &live, None).await;
    let _two = Sse::open(&staff.client, &live, None).await;
    let third = staff.client.get(&live).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.text().await.unwrap().contains("live streams"));

    // Removed from the business: the stream ends at once.
    let member = staff_of(&staff).await.user_id.to_string();
    north
        .browser
        .call_ok("remove-member", &[("user", &member)])
        .await;
    assert!(
        one.ends_within(SOON).await,
        "the removed member's stream stayed open"
    );

    // Signed out: ends within a session check.
    let mut own = Sse::open(&north.browser.client, &live, None).await;
    let other = Browser::new(&app);
    other
        .sign_in("owner@north.example", support::PASSWORD)
        .await;
    let mut others = Sse::open(&other.client, &live, None).await;
    north.browser.call_ok("sign-out", &[]).await;
    assert!(
        own.ends_within(SOON).await,
        "the signed-out session's stream stayed open"
    );

    // Shutdown ends the rest.
    let started = Instant::now();
    app.shut_down();
    assert!(
        others.ends_within(SOON).await,
        "shutdown left a stream open"
    );
    assert!(started.elapsed() < SOON);
}

#[tokio::test]
async fn the_daily_cleanup_removes_changes_older_than_a_day() {
    let app = TestApp::spawn().await;
    let north = desk(&app, "North Clinic", "owner@north.example").await;
    let old = new_client(&app, &north, "Bea").await;
    let recent = new_client(&app, &north, "Cem").await;
    sqlx::query("UPDATE change_events SET created_at = now() - interval '25 hours' WHERE record_id = $1::uuid")
        .bind(&old)
        .execute(&app.deps.pool)
        .await
        .unwrap();
    frontdesk::services::maintenance::clean_up(&app.deps)
        .await
        .unwrap();
    let left: Vec<Option<Uuid>> = sqlx::query_scalar(
        "SELECT record_id FROM change_events WHERE topic = 'clients' ORDER BY id",
    )
    .fetch_all(&app.deps.pool)
    .await
    .unwrap();
    assert!(!left.contains(&Some(old.parse().unwrap())), "{left:?}");
    assert!(left.contains(&Some(recent.parse().unwrap())), "{left:?}");
}
