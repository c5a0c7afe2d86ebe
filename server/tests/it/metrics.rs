//! `/metrics`: behind its token (or on its own listener), requests labelled
//! by matched route so random addresses cannot grow the series, queue and
//! schedule figures read from the database, scraped by a real Prometheus
//! whose alert rules reach a webhook through a real Alertmanager.

use crate::support::{self, prometheus, TestApp};

use std::{collections::BTreeSet, time::Duration};

use axum::{extract::State, routing::post, Json, Router};
use frontdesk::secrecy::SecretString;
use reqwest::StatusCode;
use tokio::sync::mpsc;

const TOKEN: &str = "metrics-token-0123456789";

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    response.text().await.unwrap()
}

/// The `route` labels of the request series.
fn routes(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("frontdesk_http_request_duration_seconds_count{"))
        .filter_map(|l| l.split("route=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// A dead job in `app`'s database.
async fn make_dead_job(app: &TestApp) {
    let pool = sqlx::PgPool::connect(&app.database_url()).await.unwrap();
    support::make_dead_job(&pool).await;
    pool.close().await;
}

#[tokio::test]
async fn metrics_need_their_token_and_unknown_paths_share_one_route() {
    let app = TestApp::spawn_with(
        |config| config.metrics.token = Some(SecretString::from(TOKEN)),
        Router::new(),
    )
    .await;
    let refused = app.get("/metrics").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-9876543210")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(!wrong.text().await.unwrap().contains("frontdesk_"));

    for _ in 0..3 {
        assert!(app.get("/api/health/live").await.status().is_success());
    }
    let text = scrape(&app).await;
    for line in [
        r#"frontdesk_http_request_duration_seconds_count{method="GET",route="/api/health/live",status="2xx"} 3"#,
        r#"frontdesk_jobs{kind="email.send",status="dead"} 0"#,
        "frontdesk_db_up 1",
        "frontdesk_db_pool_max 10",
        r#"frontdesk_schedule_interval_seconds{schedule="reminders"} 900.0"#,
        r#"frontdesk_dependency_errors_total{part="storage"} 0"#,
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    // The scheduler fires each schedule's latest slot once it has started.
    let fired = r#"frontdesk_schedule_since_last_run_seconds{schedule="reminders"}"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut text = text;
    while !text.contains(fired) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = scrape(&app).await;
    }
    assert!(text.contains(fired), "{text}");
    assert!(text.contains("frontdesk_build_info{"));
    let before = routes(&text);
    for batch in 0..20 {
        let requests = (0..50).map(|i| {
            let path = format!(
                "/no/such/page-{batch}-{i}-{}",
                uuid::Uuid::now_v7().simple()
            );
            let app = &app;
            async move { app.get(&path).await.status() }
        });
        for status in futures::future::join_all(requests).await {
            // Not signed in: sent to sign in (303), or not found.
            assert!(!status.is_success(), "{status}");
        }
    }
    let after = routes(&scrape(&app).await);
    let added: Vec<&String> = after.difference(&before).collect();
    assert!(
        added.len() <= 1,
        "1,000 random paths added routes {added:?}"
    );
    assert!(after.contains("unmatched"), "{after:?}");

    // Without METRICS_TOKEN or METRICS_ADDR there is no /metrics at all.
    let closed = TestApp::spawn().await;
    let response = closed.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("frontdesk_http"));
}

#[tokio::test]
async fn a_real_prometheus_scrapes_requests_queue_and_schedules_from_the_metrics_listener() {
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{}", support::reusable_port())
        .parse()
        .unwrap();
    let app = TestApp::spawn_with(
        |config| config.metrics.addr = Some(metrics_addr),
        Router::new(),
    )
    .await;
    // Only on its own listener: the app's port has no /metrics.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    make_dead_job(&app).await;
    let server = prometheus::prometheus(&metrics_addr.to_string(), None, None, None).await;
    let limit = Duration::from_secs(30);
    let requests = server
        .wait_for(
            r#"frontdesk_http_request_duration_seconds_count{route="unmatched"}"#,
            limit,
        )
        .await;
    assert_eq!(requests[0]["metric"]["status"], "4xx", "{requests:?}");
    let dead = server
        .wait_for(
            r#"frontdesk_jobs{kind="queue.probe",status="dead"} == 1"#,
            limit,
        )
        .await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let schedules = server
        .wait_for("frontdesk_schedule_since_last_run_seconds", limit)
        .await;
    let names: BTreeSet<&str> = schedules
        .iter()
        .filter_map(|s| s["metric"]["schedule"].as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["cleanup", "mailboxes", "reminders", "storage"])
    );
    let up = server.wait_for(r#"up{job="frontdesk"} == 1"#, limit).await;
    assert_eq!(up.len(), 1);
}

async fn receive(
    State(alerts): State<mpsc::UnboundedSender<serde_json::Value>>,
    Json(body): Json<serde_json::Value>,
) {
    let _ = alerts.send(body);
}

#[tokio::test]
async fn a_dead_job_fires_an_alert_that_alertmanager_delivers_to_a_webhook() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let webhook = format!("http://{}/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let receiver = Router::new().route("/alerts", post(receive)).with_state(tx);
        axum::serve(listener, receiver).await
    });
    let app = TestApp::spawn_with(
        |config| config.metrics.token = Some(SecretString::from(TOKEN)),
        Router::new(),
    )
    .await;
    make_dead_job(&app).await;
    let alertmanager = prometheus::alertmanager(&webhook).await;
    let rules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/alerts.yml");
    let _prometheus = prometheus::prometheus(
        &app.addr.to_string(),
        Some(TOKEN),
        Some(&rules),
        Some(alertmanager.base.trim_start_matches("http://")),
    )
    .await;
    let delivered = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let body = rx.recv().await.expect("the receiver runs");
            let alerts = body["alerts"].as_array().cloned().unwrap_or_default();
            if let Some(alert) = alerts
                .into_iter()
                .find(|a| a["labels"]["alertname"] == "FrontdeskDeadJobs")
            {
                return alert;
            }
        }
    })
    .await
    .expect("the dead-job alert reached the webhook within 60 s");
    assert_eq!(delivered["status"], "firing");
    assert_eq!(delivered["labels"]["kind"], "queue.probe");
    assert_eq!(delivered["labels"]["severity"], "ticket");
    assert!(delivered["annotations"]["description"]
        .as_str()
        .unwrap()
        .contains("Settings > Background jobs"));
}

#[tokio::test]
async fn readiness_fails_as_soon_as_shutdown_begins_while_requests_are_still_served() {
    let mut app = TestApp::spawn_with(
        |config| config.http.shutdown_drain = Duration::from_secs(3),
        Router::new(),
    )
    .await;
    let ready = app.get("/api/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
    app.shut_down();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let draining = app.get("/api/health/ready").await;
    assert_eq!(draining.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        draining.json::<serde_json::Value>().await.unwrap()["status"],
        "shutting down"
    );
    // Traffic already on its way is still served while the balancer moves away.
    assert_eq!(app.get("/api/health/live").await.status(), StatusCode::OK);
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.server.take().unwrap()).await;
    assert!(stopped.is_ok(), "the server stops after the drain");
}
