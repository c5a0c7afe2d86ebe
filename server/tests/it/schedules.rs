//! Schedules across instances, catch-up after downtime, and the cron
//! trigger endpoint.

use crate::support;

use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use frontdesk::{
    config::Config,
    jobs::{Background, Job, JobContext, JobError, Registry, Tick},
    services::{reminders::ScanReminders, Deps},
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use support::{count, TestApp};

/// The reminder scan's kind and schedule, doing nothing instead of scanning.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct NotedScan(Tick);

impl Job for NotedScan {
    const KIND: &'static str = ScanReminders::KIND;
    const SCHEDULE: Option<&'static str> = ScanReminders::SCHEDULE;
    type Context = ();
    async fn run(self, _ctx: JobContext<()>) -> Result<(), JobError> {
        Ok(())
    }
}

/// An instance's scheduler and workers, noting scans, with a fast `tick`.
fn start(deps: &Deps, tick: Duration) -> Background {
    let mut registry = Registry::default();
    registry.add::<NotedScan>();
    Background::start_with(deps.queue_env(), (), registry, tick)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_fire_each_slot_once() {
    let configure = |c: &mut Config| {
        c.jobs.in_serve = false;
        c.jobs.poll_interval = Duration::from_millis(50);
        support::schedules(c, &[("reminders", "* * * * * *")]);
    };
    let a = TestApp::spawn_with(configure, Router::new()).await;
    let b = TestApp::spawn_beside(&a, configure).await;
    // Fast ticks, so both instances see every slot as it starts.
    let tick = Duration::from_millis(50);
    let one = start(&a.deps, tick);
    let two = start(&b.deps, tick);
    tokio::time::sleep(Duration::from_millis(4500)).await;
    one.shutdown().await;
    two.shutdown().await;

    let pool = &a.deps.pool;
    let slots = count(
        pool,
        "SELECT count(*) FROM schedule_runs WHERE schedule = 'reminders'",
    )
    .await;
    assert!(
        (4..=6).contains(&slots),
        "{slots} slots in 4.5 s of a once-a-second schedule"
    );
    let jobs = count(
        pool,
        "SELECT count(*) FROM jobs WHERE kind = 'reminders.scan'",
    )
    .await;
    let with_job = count(
        pool,
        "SELECT count(*) FROM schedule_runs WHERE job_id IS NOT NULL",
    )
    .await;
    assert_eq!(jobs, with_job, "one job per fired slot");
    // A slot whose predecessor's job still waited enqueues none (at most one
    // here: the workers run each scan at once).
    assert!(jobs >= slots - 1, "{jobs} jobs for {slots} slots");
    assert_eq!(
        count(
            pool,
            "SELECT count(DISTINCT payload->>'slot') FROM jobs WHERE kind = 'reminders.scan'"
        )
        .await,
        slots,
        "no slot twice"
    );
    let gaps: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM slot - lag(slot) OVER (ORDER BY slot))::float8 FROM schedule_runs \
         WHERE schedule = 'reminders' ORDER BY slot OFFSET 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        gaps.iter().all(|g| *g == 1.0),
        "consecutive seconds: {gaps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn missed_slots_after_downtime_are_caught_up_once() {
    let configure = |c: &mut Config| {
        c.jobs.in_serve = false;
        support::schedules(c, &[("reminders", "*/15 * * * *")]);
    };
    let a = TestApp::spawn_with(configure, Router::new()).await;
    let b = TestApp::spawn_beside(&a, configure).await;
    let pool = a.deps.pool.clone();
    // Both instances up for a moment at `at`; the slots fired so far.
    let up_at = async |at: &str| -> Vec<DateTime<Utc>> {
        let at: DateTime<Utc> = at.parse().unwrap();
        a.deps.clock.travel_to(at);
        b.deps.clock.travel_to(at);
        let tick = Duration::from_millis(50);
        let one = start(&a.deps, tick);
        let two = start(&b.deps, tick);
        tokio::time::sleep(Duration::from_millis(600)).await;
        one.shutdown().await;
        two.shutdown().await;
        sqlx::query_scalar("SELECT slot FROM schedule_runs ORDER BY slot")
            .fetch_all(&pool)
            .await
            .unwrap()
    };

    // Up at 10:07: the 10:00 slot fires (once, though two instances run).
    let slots = up_at("2027-01-10T10:07:00Z").await;
    assert_eq!(
        slots,
        vec!["2027-01-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap()]
    );

    // Down until 13:20: twelve slots missed; on start the 13:15 slot fires, once.
    let slots = up_at("2027-01-10T13:20:00Z").await;
    assert_eq!(
        slots,
        vec![
            "2027-01-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "2027-01-10T13:15:00Z".parse().unwrap()
        ]
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM jobs WHERE kind = 'reminders.scan'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_cron_endpoint_wants_the_secret() {
    // Without a secret the endpoint is off.
    let off = TestApp::spawn_with(|c| c.jobs.in_serve = false, Router::new()).await;
    let response = off
        .client
        .post(off.url("/api/cron/reminders"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("CRON_SECRET"));

    let secret = "a-cron-secret-of-some-length";
    let app = TestApp::spawn_with(
        |c| {
            c.jobs.in_serve = false;
            c.jobs.cron_secret = support::secret(secret);
        },
        Router::new(),
    )
    .await;
    let post = |auth: Option<String>, schedule: &str| {
        let mut request = app.client.post(app.url(&format!("/api/cron/{schedule}")));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send()
    };
    let missing = post(None, "reminders").await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = missing.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{body}"
    );
    let wrong = post(
        Some("Bearer a-cron-secret-of-some-lengtX".into()),
        "reminders",
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let scheme = post(Some(format!("Basic {secret}")), "reminders")
        .await
        .unwrap();
    assert_eq!(scheme.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM jobs").await,
        0,
        "nothing was queued"
    );

    let right = post(Some(format!("Bearer {secret}")), "reminders")
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::ACCEPTED);
    let body: serde_json::Value = right.json().await.unwrap();
    assert_eq!(body["schedule"], "reminders");
    assert_eq!(body["queued"], true);
    let job: uuid::Uuid = body["job_id"].as_str().unwrap().parse().unwrap();
    let (kind, trigger): (String, String) = sqlx::query_as(
        "SELECT j.kind, r.trigger FROM jobs j JOIN schedule_runs r ON r.job_id = j.id WHERE j.id = $1",
    )
    .bind(job)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), trigger.as_str()),
        ("reminders.scan", "http")
    );

    // The first run still waits (no workers here): a second trigger queues nothing.
    let again = post(Some(format!("Bearer {secret}")), "reminders")
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["queued"],
        false
    );

    let unknown = post(Some(format!("Bearer {secret}")), "backups")
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("reminders, cleanup, storage"));
}
