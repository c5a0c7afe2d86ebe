//! The job queue against the real PostgreSQL: racing worker pools, a worker
//! process killed mid-job, retries and dead jobs, dedupe, transactions, and
//! graceful shutdown.

use crate::support;

use std::{
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{routing::post, Json, Router};
use frontdesk::{
    config::Config,
    jobs::{self, worker, Job, JobContext, JobError, NewJob, Registry, WorkerOptions},
    services::{jobs::Probe, Work},
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use support::{count, TestApp};
use uuid::Uuid;

/// A server without its own background task: the tests run the workers.
async fn app(configure: impl FnOnce(&mut Config)) -> TestApp {
    let app = TestApp::spawn_with(
        |c| {
            c.jobs.in_serve = false;
            c.jobs.poll_interval = Duration::from_millis(50);
            configure(c);
        },
        Router::new(),
    )
    .await;
    sqlx::query("CREATE TABLE job_runs (job_id uuid NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    app
}

fn options(concurrency: usize) -> WorkerOptions {
    WorkerOptions {
        concurrency,
        poll_interval: Duration::from_millis(50),
        lease: Duration::from_secs(30),
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(5),
    }
}

/// What the test jobs work with: the database and the worker pool's name.
#[derive(Clone)]
struct Ctx {
    pool: PgPool,
    worker: &'static str,
}

/// Starts a worker pool named `worker` for the kinds in `registry`.
fn spawn(
    app: &TestApp,
    worker: &'static str,
    registry: Registry<Ctx>,
    options: WorkerOptions,
) -> jobs::WorkerHandle {
    let ctx = Ctx {
        pool: app.deps.pool.clone(),
        worker,
    };
    worker::spawn(app.deps.queue_env(), ctx, registry, options)
}

/// Records each run of a job in `job_runs`, as the context's worker.
async fn record(ctx: &JobContext<Ctx>) -> Result<(), JobError> {
    sqlx::query("INSERT INTO job_runs (job_id, worker) VALUES ($1, $2)")
        .bind(ctx.job.id)
        .bind(ctx.deps.worker)
        .execute(&ctx.deps.pool)
        .await?;
    Ok(())
}

/// Counts its runs.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Count {
    i: u32,
}

impl Job for Count {
    const KIND: &'static str = "test.count";
    const TIMEOUT: Duration = Duration::from_secs(10);
    type Context = Ctx;
    async fn run(self, ctx: JobContext<Ctx>) -> Result<(), JobError> {
        record(&ctx).await
    }
}

fn counting(worker_name: &'static str, app: &TestApp) -> jobs::WorkerHandle {
    let mut registry = Registry::default();
    registry.add::<Count>();
    spawn(app, worker_name, registry, options(2))
}

/// Fails every attempt, four at most.
#[derive(Serialize, Deserialize)]
struct Flaky;

impl Job for Flaky {
    const KIND: &'static str = "test.flaky";
    const TIMEOUT: Duration = Duration::from_secs(10);
    const ATTEMPTS: Option<i32> = Some(4);
    type Context = Ctx;
    async fn run(self, ctx: JobContext<Ctx>) -> Result<(), JobError> {
        record(&ctx).await?;
        Err(JobError::Retry(format!(
            "attempt {} failed",
            ctx.job.attempts
        )))
    }
}

/// Fails for good.
#[derive(Serialize, Deserialize)]
struct Refused;

impl Job for Refused {
    const KIND: &'static str = "test.refused";
    type Context = Ctx;
    async fn run(self, _ctx: JobContext<Ctx>) -> Result<(), JobError> {
        Err(JobError::Permanent("the address was refused".into()))
    }
}

/// Outlasts its timeout, on its only attempt.
#[derive(Serialize, Deserialize)]
struct Slow;

impl Job for Slow {
    const KIND: &'static str = "test.slow";
    const TIMEOUT: Duration = Duration::from_millis(300);
    const ATTEMPTS: Option<i32> = Some(1);
    type Context = Ctx;
    async fn run(self, _ctx: JobContext<Ctx>) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }
}

/// The queue probe's kind, recording its run after holding for `hold_ms`.
#[derive(Serialize, Deserialize)]
struct Hold {
    hold_ms: u64,
}

impl Job for Hold {
    const KIND: &'static str = Probe::KIND;
    const TIMEOUT: Duration = Duration::from_secs(60);
    type Context = Ctx;
    async fn run(self, ctx: JobContext<Ctx>) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_millis(self.hold_ms)).await;
        record(&ctx).await
    }
}

/// A pool named "w" running [`Hold`] jobs.
fn holding(app: &TestApp, options: WorkerOptions) -> jobs::WorkerHandle {
    let mut registry = Registry::default();
    registry.add::<Hold>();
    spawn(app, "w", registry, options)
}

/// The queue probe's kind, recording its run at once.
#[derive(Serialize, Deserialize)]
struct Survivor {}

impl Job for Survivor {
    const KIND: &'static str = Probe::KIND;
    const TIMEOUT: Duration = Duration::from_secs(10);
    type Context = Ctx;
    async fn run(self, ctx: JobContext<Ctx>) -> Result<(), JobError> {
        record(&ctx).await
    }
}

/// Enqueued in a transaction that is rolled back.
#[derive(Serialize, Deserialize)]
struct RolledBack;

impl Job for RolledBack {
    const KIND: &'static str = "test.rolled-back";
    type Context = Ctx;
    async fn run(self, _ctx: JobContext<Ctx>) -> Result<(), JobError> {
        Ok(())
    }
}

/// Enqueued in a business's transaction that commits.
#[derive(Serialize, Deserialize)]
struct Committed;

impl Job for Committed {
    const KIND: &'static str = "test.committed";
    type Context = Ctx;
    async fn run(self, _ctx: JobContext<Ctx>) -> Result<(), JobError> {
        Ok(())
    }
}

async fn enqueue<J: Job>(app: &TestApp, job: NewJob<J>) -> Option<Uuid> {
    let mut work = Work::system(&app.deps.pool, "test").await.unwrap();
    let id = work.enqueue(job).await.unwrap();
    work.commit().await.unwrap();
    id
}

async fn wait_until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < timeout,
            "{what}: not within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn status_of(app: &TestApp, id: Uuid) -> (String, i32) {
    sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_worker_pools_racing_on_one_queue_never_run_a_job_twice() {
    let app = app(|_| {}).await;
    let mut work = Work::system(&app.deps.pool, "test").await.unwrap();
    for i in 0..600 {
        work.enqueue(NewJob::new(Count { i })).await.unwrap();
    }
    work.commit().await.unwrap();
    let mut registry = Registry::default();
    registry.add::<Count>();
    let a = spawn(&app, "a", registry, options(4));
    let mut registry = Registry::default();
    registry.add::<Count>();
    let b = spawn(&app, "b", registry, options(4));
    let pool = app.deps.pool.clone();
    wait_until("600 jobs done", Duration::from_secs(60), async || {
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'done'").await == 600
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM job_runs").await,
        600,
        "each job ran once"
    );
    assert_eq!(
        count(&pool, "SELECT count(DISTINCT job_id) FROM job_runs").await,
        600
    );
    let by_a = count(&pool, "SELECT count(*) FROM job_runs WHERE worker = 'a'").await;
    assert!(
        by_a > 0 && by_a < 600,
        "both pools worked the queue (a ran {by_a})"
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE attempts <> 1").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_process_killed_mid_job_leads_to_exactly_one_completion_after_its_lease() {
    let app = app(|_| {}).await;
    let id = enqueue(&app, NewJob::new(Probe { hold_ms: 60_000 }))
        .await
        .unwrap();
    let outbox = support::temp_outbox();
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app.database_url())
        .env("MIGRATE_ON_START", "false")
        .env("JOB_LEASE_SECS", "2")
        .env("JOB_POLL_MS", "100")
        .env("SCHEDULE_REMINDERS", "off")
        .env("SCHEDULE_CLEANUP", "off")
        .env("SCHEDULE_STORAGE_SWEEP", "off")
        .env("MAIL_OUTBOX_DIR", &outbox)
        .env("LEPTOS_SITE_ROOT", support::public_dir())
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the frontdesk binary starts");
    let pid = child.id();
    let pool = app.deps.pool.clone();
    wait_until(
        "the worker process holds the job",
        Duration::from_secs(30),
        async || {
            let owner: Option<String> =
                sqlx::query_scalar("SELECT lease_owner FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            owner.is_some_and(|o| o.contains(&format!(":{pid}:")))
        },
    )
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        status_of(&app, id).await,
        ("running".into(), 1),
        "held by the dead worker"
    );

    // Another worker takes it over once the lease has expired, and only then.
    let mut registry = Registry::default();
    registry.add::<Survivor>();
    let started = Instant::now();
    let survivor = spawn(&app, "survivor", registry, options(2));
    wait_until("the job is done", Duration::from_secs(20), async || {
        status_of(&app, id).await.0 == "done"
    })
    .await;
    survivor.shutdown().await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM job_runs").await,
        1,
        "exactly one completion"
    );
    assert_eq!(status_of(&app, id).await, ("done".into(), 2));
    let errors: serde_json::Value = sqlx::query_scalar("SELECT errors FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(errors.as_array().unwrap().len(), 1, "{errors}");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("lease expired"),
        "{errors}"
    );
    assert!(
        errors[0]["worker"]
            .as_str()
            .unwrap()
            .contains(&format!(":{pid}:")),
        "{errors}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(outbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_retry_with_growing_waits_then_the_job_is_dead_and_alerted() {
    // A webhook that collects alerts.
    let alerts: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = alerts.clone();
    let hook = Router::new().route(
        "/alerts",
        post(move |Json(body): Json<serde_json::Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await });

    let app = app(|c| c.jobs.alert_webhook = support::secret(&hook_url)).await;
    let mut registry = Registry::default();
    registry.add::<Flaky>().add::<Refused>().add::<Slow>();
    let flaky = enqueue(&app, NewJob::new(Flaky)).await.unwrap();
    let refused = enqueue(&app, NewJob::new(Refused)).await.unwrap();
    let slow = enqueue(&app, NewJob::new(Slow)).await.unwrap();
    let pool = spawn(&app, "w", registry, options(4));
    wait_until("all three are dead", Duration::from_secs(30), async || {
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE status = 'dead'",
        )
        .await
            == 3
    })
    .await;
    pool.shutdown().await;

    // Waits of 200 ms · 2^(n-1), jittered by ×0.5..1.5, between the attempts.
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT at FROM job_runs WHERE job_id = $1 ORDER BY at")
            .bind(flaky)
            .fetch_all(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(times.len(), 4, "max_attempts 4");
    for (n, pair) in times.windows(2).enumerate() {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        let nominal = 200 * (1 << n);
        assert!(
            gap >= nominal / 2 && gap < nominal * 3 / 2 + 400,
            "wait {n}: {gap} ms for a nominal {nominal} ms"
        );
    }
    let (errors, last): (serde_json::Value, String) =
        sqlx::query_as("SELECT errors, last_error FROM jobs WHERE id = $1")
            .bind(flaky)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(
        errors.as_array().unwrap().len(),
        4,
        "the history of every attempt is kept"
    );
    assert_eq!(last, "attempt 4 failed");
    assert_eq!(
        status_of(&app, refused).await,
        ("dead".into(), 1),
        "a permanent failure is not retried"
    );
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, last_error FROM jobs WHERE id = $1")
            .bind(slow)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(status, "dead");
    assert!(error.contains("timed out after 0.3 s"), "{error}");

    wait_until("three alerts", Duration::from_secs(10), async || {
        alerts.lock().unwrap().len() == 3
    })
    .await;
    let alerts = alerts.lock().unwrap().clone();
    assert!(alerts.iter().all(|a| a["event"] == "job.dead"));
    let alerted: std::collections::HashSet<String> = alerts
        .iter()
        .map(|a| a["job_id"].as_str().unwrap().to_string())
        .collect();
    assert!(alerted.contains(&flaky.to_string()) && alerted.contains(&refused.to_string()));
}

#[tokio::test]
async fn a_dedupe_key_allows_one_pending_job_and_enqueueing_follows_the_transaction() {
    let app = app(|_| {}).await;
    let first = enqueue(&app, NewJob::new(Count::default()).dedupe("k1")).await;
    assert!(first.is_some());
    let second = enqueue(&app, NewJob::new(Count::default()).dedupe("k1")).await;
    assert_eq!(second, None, "a pending job has this key");
    let other = enqueue(&app, NewJob::new(Count::default()).dedupe("k2")).await;
    assert!(other.is_some());

    // Rolled back: no job. Committed: the job, and a notification.
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.deps.pool)
        .await
        .unwrap();
    listener.listen(jobs::queue::CHANNEL).await.unwrap();
    let mut work = Work::system(&app.deps.pool, "test").await.unwrap();
    work.enqueue(NewJob::new(RolledBack)).await.unwrap();
    work.rollback().await.unwrap();
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'test.rolled-back'"
        )
        .await,
        0
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
    assert!(nothing.is_err(), "no notification for a rolled-back job");

    // Within a business's transaction, as services enqueue.
    let tenant = support::seed_tenant(&app).await;
    let mut work = app.deps.in_business(tenant, "test").await.unwrap();
    work.enqueue(NewJob::new(Committed)).await.unwrap();
    work.commit().await.unwrap();
    let note = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.payload(), "test.committed");
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'test.committed'"
        )
        .await,
        1
    );

    // Once the first k1 job is done, the key is free again.
    let w = counting("w", &app);
    let first = first.unwrap();
    wait_until("k1 done", Duration::from_secs(10), async || {
        status_of(&app, first).await.0 == "done"
    })
    .await;
    w.shutdown().await;
    let again = enqueue(&app, NewJob::new(Count::default()).dedupe("k1")).await;
    assert!(again.is_some_and(|id| id != first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_lets_short_jobs_finish_and_releases_the_rest() {
    let app = app(|_| {}).await;
    let short = enqueue(&app, NewJob::new(Hold { hold_ms: 300 }))
        .await
        .unwrap();
    let long = enqueue(&app, NewJob::new(Hold { hold_ms: 30_000 }))
        .await
        .unwrap();
    let pool = holding(
        &app,
        WorkerOptions {
            shutdown_grace: Duration::from_secs(2),
            ..options(4)
        },
    );
    let db = app.deps.pool.clone();
    wait_until("both running", Duration::from_secs(10), async || {
        count(&db, "SELECT count(*) FROM jobs WHERE status = 'running'").await == 2
    })
    .await;
    let started = Instant::now();
    pool.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status_of(&app, short).await, ("done".into(), 1));
    assert_eq!(
        status_of(&app, long).await,
        ("pending".into(), 0),
        "released, the attempt not counted"
    );
    let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM jobs WHERE id = $1")
        .bind(long)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(owner, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_finished_job_is_marked_done_at_once_while_its_pool_stays_busy() {
    let app = app(|_| {}).await;
    let mut long = Vec::new();
    for _ in 0..6 {
        long.push(
            enqueue(&app, NewJob::new(Hold { hold_ms: 30_000 }))
                .await
                .unwrap(),
        );
    }
    let short = enqueue(&app, NewJob::new(Hold { hold_ms: 200 }))
        .await
        .unwrap();
    // Six of eight slots stay busy and polling is far off: no claim is due
    // when the short job finishes, yet its completion must not wait for one.
    let pool = holding(
        &app,
        WorkerOptions {
            poll_interval: Duration::from_secs(20),
            shutdown_grace: Duration::from_millis(500),
            ..options(8)
        },
    );
    let db = app.deps.pool.clone();
    wait_until("all seven claimed", Duration::from_secs(10), async || {
        count(&db, "SELECT count(*) FROM jobs WHERE attempts = 1").await == 7
    })
    .await;
    wait_until(
        "the short job done while the long ones run",
        Duration::from_secs(3),
        async || status_of(&app, short).await.0 == "done",
    )
    .await;
    for id in &long {
        assert_eq!(status_of(&app, *id).await, ("running".into(), 1));
    }
    pool.shutdown().await;
    for id in long {
        assert_eq!(status_of(&app, id).await, ("pending".into(), 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_whose_notification_was_lost_is_found_by_polling() {
    let app = app(|_| {}).await;
    let w = counting("w", &app);
    // Inserted without NOTIFY, as if the notification had been lost.
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO jobs (id, kind) VALUES ($1, 'test.count')")
        .bind(id)
        .execute(&app.deps.pool)
        .await
        .unwrap();
    wait_until("polled and run", Duration::from_secs(5), async || {
        status_of(&app, id).await.0 == "done"
    })
    .await;
    w.shutdown().await;
    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM job_runs").await,
        1
    );
}
