//! Errors and panics reach a real Sentry-compatible server (Bugsink): named
//! by the route that matched, with the release, environment, request id,
//! business and a hashed user, and without the personal data, password or
//! cookie the request carried.

use crate::support::{self, bugsink::Bugsink, sign_up, TestApp};

use std::time::Duration;

use axum::{routing::post, Router};
use frontdesk::{error::AppError, ratelimit::PolicyKind, telemetry};
use reqwest::StatusCode;

async fn broken_handler() -> &'static str {
    panic!("the handler broke while saving ann@example.com")
}

async fn failing_handler() -> Result<(), AppError> {
    Err(AppError::internal(
        "the statement failed for ann@example.com, +49 30 3106454",
    ))
}

/// Error logs become events through the process's subscriber, as in `serve`.
fn install_logging() {
    let config = frontdesk::config::Config::from_map(&Default::default()).unwrap();
    if let Ok(subscriber) = telemetry::subscriber(&config.log, std::io::sink) {
        let _ = tracing::subscriber::set_global_default(subscriber);
    }
}

#[tokio::test]
async fn errors_and_panics_reach_sentry_by_route_without_personal_data() {
    install_logging();
    let bugsink = Bugsink::start().await;
    let (project, dsn) = bugsink.project("frontdesk").await;
    let extra = Router::new()
        .route("/broken/{id}", post(broken_handler))
        .route("/failing/{id}", post(failing_handler));
    let app = TestApp::spawn_with(
        |config| {
            config.errors.dsn = support::secret(&dsn);
            config.errors.environment = "ci".into();
        },
        extra,
    )
    .await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let tenant = owner.whoami().await["tenant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The record's id is not hex nor a number: a UUID or timestamp in the
    // event cannot contain it by chance.
    for path in ["/broken/rec-kx4711q", "/failing/rec-kx4711q"] {
        let response = owner
            .client
            .post(app.url(path))
            .header("origin", app.url(""))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", "ann@example.com"), ("password", "hunter2-secret")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
    }
    let client = app.deps.errors.client().expect("a DSN makes a client");
    assert!(client.flush(Some(Duration::from_secs(10))));

    let events = bugsink.wait_for(project, 2).await;
    // One event per failure: the panic, and the internal error.
    let summary: Vec<String> = events
        .iter()
        .map(|e| format!("{} {} {}", e["transaction"], e["message"], e["exception"]))
        .collect();
    assert_eq!(events.len(), 2, "{summary:#?}");
    let mut routes: Vec<&str> = events
        .iter()
        .map(|e| e["transaction"].as_str().unwrap_or_default())
        .collect();
    routes.sort();
    assert_eq!(routes, ["/broken/{id}", "/failing/{id}"]);
    for event in &events {
        assert_eq!(event["release"], telemetry::error_tracking::RELEASE);
        assert_eq!(event["environment"], "ci");
        let tags = &event["tags"];
        assert_eq!(tags["business"], tenant.as_str(), "{tags}");
        assert!(
            tags["user"].as_str().is_some_and(|u| u.starts_with("u_")),
            "{tags}"
        );
        assert!(
            tags["request_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{tags}"
        );
        assert_eq!(event["request"], serde_json::json!({"method": "POST"}));
        // Stack frames name the app's own functions and addresses only.
        let mut text_of = event.clone();
        for exception in text_of["exception"]["values"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            exception["stacktrace"].take();
        }
        let sent = text_of.to_string();
        for private in [
            "ann@example.com",
            "3106454",
            "hunter2",
            "owner@north.example",
            "kx4711q",
        ] {
            assert!(!sent.contains(private), "{private} reached Sentry: {sent}");
        }
        assert!(!sent.to_lowercase().contains("cookie"), "{sent}");
    }
    let panic = events
        .iter()
        .find(|e| e["transaction"] == "/broken/{id}")
        .unwrap();
    assert!(
        panic
            .to_string()
            .contains("the handler broke while saving [email]"),
        "{panic}"
    );
}

#[tokio::test]
async fn a_dead_job_and_a_schedule_that_cannot_fire_reach_sentry_once_each() {
    install_logging();
    let bugsink = Bugsink::start().await;
    let (project, dsn) = bugsink.project("frontdesk-jobs").await;
    let app = TestApp::spawn_with(
        |config| {
            config.errors.dsn = support::secret(&dsn);
            config.errors.environment = "ci".into();
            // Fires every second; a locked table makes it fail fast.
            support::schedules(config, &[("storage", "* * * * * *")]);
            config.database.statement_timeout = Duration::from_millis(300);
        },
        Router::new(),
    )
    .await;
    let pool = sqlx::PgPool::connect(&app.database_url()).await.unwrap();

    // The schedule cannot write its runs for three seconds: three ticks fail,
    // one report.
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE schedule_runs IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    lock.commit().await.unwrap();

    // A job whose payload its kind cannot read dies at its only attempt.
    support::make_dead_job(&pool).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while support::count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await == 0 {
        assert!(std::time::Instant::now() < deadline, "the job did not die");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The schedule fires again once the table is free.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let client = app.deps.errors.client().expect("a DSN makes a client");
    assert!(client.flush(Some(Duration::from_secs(10))));

    bugsink.wait_for(project, 2).await;
    // Time for a second report of the same episode, were there one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let events = bugsink.events(project).await;
    let summary: Vec<String> = events
        .iter()
        .map(|e| format!("{} {}", e["tags"], e["logentry"]))
        .collect();
    let schedule: Vec<_> = events
        .iter()
        .filter(|e| e["tags"]["schedule"] == "storage")
        .collect();
    assert_eq!(schedule.len(), 1, "one report per episode: {summary:#?}");
    let dead: Vec<_> = events
        .iter()
        .filter(|e| e["tags"]["job_kind"] == "queue.probe")
        .collect();
    assert_eq!(dead.len(), 1, "{summary:#?}");
    for event in schedule.iter().chain(&dead) {
        assert_eq!(event["release"], telemetry::error_tracking::RELEASE);
        assert_eq!(event["environment"], "ci");
    }
    assert!(dead[0].to_string().contains("job is dead"), "{}", dead[0]);
    assert_eq!(events.len(), 2, "{summary:#?}");
}

/// A report as the page sends it (see frontend's `error_reporting`).
fn envelope(dsn: &str, value: &str) -> String {
    let header = serde_json::json!({ "dsn": dsn });
    let event = serde_json::json!({
        "platform": "javascript",
        "level": "fatal",
        "release": "page-release-1",
        "environment": "ci",
        "transaction": "/clients/{id}",
        "tags": { "route": "/clients/{id}", "source": "panic", "typed": "ann@example.com" },
        "request": { "url": "http://x/clients?q=Ann", "cookies": "frontdesk_session=s3cret" },
        "exception": { "values": [{ "type": "panic", "value": value }] },
    });
    format!("{header}\n{{\"type\":\"event\"}}\n{event}\n")
}

#[tokio::test]
async fn the_browser_tunnel_forwards_only_its_own_dsn_scrubbed_and_limited() {
    let bugsink = Bugsink::start().await;
    let (project, dsn) = bugsink.project("frontdesk-browser").await;
    let (other_project, other_dsn) = bugsink.project("someone-else").await;
    let browser_dsn = dsn.clone();
    let app = TestApp::spawn_with(
        move |config| {
            config.errors.browser_dsn = Some(browser_dsn.parse().unwrap());
            config.errors.environment = "ci".into();
            config.rate_limit.enabled = true;
            support::limit(config, PolicyKind::ErrorReports, "4/min");
        },
        Router::new(),
    )
    .await;

    // The page names the DSN, the release and the environment.
    let page = app.get("/signin").await.text().await.unwrap();
    let named = dsn.parse::<sentry::types::Dsn>().unwrap().to_string();
    assert!(
        page.contains(&format!(
            r#"<meta name="error-reporting" content="{named}" data-release="{}" data-environment="ci""#,
            telemetry::error_tracking::RELEASE
        )),
        "{page}"
    );

    let post = |body: String| {
        app.client
            .post(app.url("/api/browser-errors"))
            .header("origin", app.url(""))
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body)
            .send()
    };
    // Refused, each with its reason, and never forwarded: no open relay.
    let refusals = [
        (
            envelope(&other_dsn, "not ours"),
            StatusCode::BAD_REQUEST,
            "not addressed",
        ),
        (
            "hello".to_string(),
            StatusCode::BAD_REQUEST,
            "not a Sentry envelope",
        ),
        (
            envelope(&dsn, &"x".repeat(70 * 1024)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "65536 bytes",
        ),
    ];
    for (body, status, reason) in refusals {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), status);
        let text = response.text().await.unwrap();
        assert!(text.contains(reason), "{text}");
    }
    let accepted = post(envelope(
        &dsn,
        "panicked at src/pages/clients.rs:10:5: no client ann@example.com, +49 30 3106454",
    ))
    .await
    .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    // The address's budget: 4 a minute, the refusals above included.
    let limited = post(envelope(&dsn, "once more")).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);

    let events = bugsink.wait_for(project, 1).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["release"], "page-release-1");
    assert_eq!(event["environment"], "ci");
    assert_eq!(event["transaction"], "/clients/{id}");
    assert_eq!(event["tags"]["route"], "/clients/{id}");
    let sent = event.to_string();
    assert!(sent.contains("no client [email], [phone]"), "{sent}");
    for private in ["ann@example.com", "3106454", "s3cret", "q=Ann"] {
        assert!(!sent.contains(private), "{private} reached Sentry: {sent}");
    }
    assert!(
        bugsink.events(other_project).await.is_empty(),
        "an envelope for another DSN was forwarded"
    );
}

#[tokio::test]
async fn without_a_browser_dsn_pages_report_nothing() {
    let app = TestApp::spawn().await;
    let page = app.get("/signin").await.text().await.unwrap();
    assert!(!page.contains("error-reporting"), "{page}");
    let response = app
        .client
        .post(app.url("/api/browser-errors"))
        .header("origin", app.url(""))
        .body(envelope("http://key@127.0.0.1:9/1", "boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
