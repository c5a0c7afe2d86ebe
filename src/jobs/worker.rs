//! Workers: claim due jobs, run each under its kind's timeout while renewing
//! its lease, then complete it, retry it later, or declare it dead.
//!
//! Woken by LISTEN/NOTIFY as soon as a job is enqueued, and by polling when
//! notifications are lost (a dropped listener connection).

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use serde::de::DeserializeOwned;
use sqlx::PgConnection;
use tokio::{sync::watch, task::JoinSet};
use uuid::Uuid;

use super::queue::{self, AfterFailure, ClaimedJob};
use crate::services::Deps;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a server down, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Another attempt would fail the same way (a malformed payload, a
    /// refused address): the job is dead at once.
    #[error("{0}")]
    Permanent(String),
    /// The worker no longer holds the job; whatever it did was rolled back.
    #[error("the job's lease was lost to another worker")]
    LeaseLost,
}

impl From<sqlx::Error> for JobError {
    fn from(err: sqlx::Error) -> Self {
        JobError::Retry(format!("database: {err}"))
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type HandlerFn = Arc<dyn Fn(JobContext) -> BoxFuture + Send + Sync>;

#[derive(Clone)]
struct Handler {
    timeout: Duration,
    /// The payload is emptied once the job is done (it carries a sign-in
    /// link or a client's address).
    scrub: bool,
    run: HandlerFn,
}

/// The job kinds a worker runs, with their handlers.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn register<F, Fut>(
        &mut self,
        kind: &str,
        timeout: Duration,
        scrub: bool,
        run: F,
    ) -> &mut Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers.insert(
            kind.to_string(),
            Handler {
                timeout,
                scrub,
                run: Arc::new(move |ctx| Box::pin(run(ctx))),
            },
        );
        self
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }
}

/// What a handler gets: the job, the services' dependencies, and the means
/// to complete the job inside its own transaction.
#[derive(Clone)]
pub struct JobContext {
    pub job: ClaimedJob,
    pub deps: Deps,
    owner: Arc<str>,
    scrub: bool,
    completed: Arc<AtomicBool>,
}

impl JobContext {
    /// The payload as `T`; a payload of another shape is a permanent failure.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|err| JobError::Permanent(format!("the payload is malformed: {err}")))
    }

    /// Marks the job done within the caller's transaction, so that its
    /// effect and its completion commit together. Fails with `LeaseLost`
    /// (roll back!) when another worker took the job over.
    pub async fn complete_in(&self, conn: &mut PgConnection) -> Result<(), JobError> {
        if queue::complete(conn, self.job.id, &self.owner, self.scrub).await? {
            self.completed.store(true, Ordering::SeqCst);
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub shutdown_grace: Duration,
}

impl WorkerOptions {
    pub fn from_config(config: &crate::config::JobsConfig) -> Self {
        WorkerOptions {
            concurrency: config.concurrency,
            poll_interval: config.poll_interval,
            lease: config.lease,
            retry_base: config.retry_base,
            retry_max: config.retry_max,
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// A running worker pool; [`WorkerHandle::shutdown`] stops it gracefully.
pub struct WorkerHandle {
    pub owner: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops claiming, lets running jobs finish within the grace period and
    /// releases the leases of the rest.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A name for this worker pool that says where it runs.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &Uuid::now_v7().simple().to_string()[24..]
    )
}

pub fn spawn(deps: Deps, registry: Registry, options: WorkerOptions) -> WorkerHandle {
    let owner = worker_name();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(
        deps,
        Arc::new(registry),
        options,
        owner.clone(),
        stopped,
    ));
    WorkerHandle { owner, stop, task }
}

async fn run(
    deps: Deps,
    registry: Arc<Registry>,
    options: WorkerOptions,
    owner: String,
    mut stopped: watch::Receiver<bool>,
) {
    let owner: Arc<str> = owner.into();
    let kinds = registry.kinds();
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = tokio::spawn(listen(deps.pool.clone(), wake.clone()));
    let held: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let mut running = JoinSet::new();
    let mut last_reclaim = tokio::time::Instant::now() - options.poll_interval;
    let mut failures = 0u32;
    let mut last_claim = tokio::time::Instant::now();
    tracing::info!(worker = %owner, concurrency = options.concurrency, kinds = ?kinds, "job worker started");

    while !*stopped.borrow() {
        if last_reclaim.elapsed() >= options.poll_interval {
            last_reclaim = tokio::time::Instant::now();
            match queue::reclaim_expired(&deps.pool).await {
                Ok(dead) => {
                    for (id, kind) in dead {
                        super::alert::job_dead(
                            &deps,
                            id,
                            &kind,
                            "the worker stopped answering (its lease expired)",
                        );
                    }
                }
                Err(err) => tracing::warn!(error = %err, "could not reclaim expired leases"),
            }
        }
        // Finished tasks leave room; claim in batches (at least half the
        // slots, or whatever is free when idle) so that a busy worker does
        // not pay a claim per job.
        while running.try_join_next().is_some() {}
        let free = options.concurrency.saturating_sub(running.len());
        let batch = (options.concurrency / 2).max(1);
        let mut full = false;
        // A single free slot is filled too once a poll interval has passed,
        // so long-running jobs do not keep it idle.
        let claim_now = free >= batch
            || (free > 0 && (running.is_empty() || last_claim.elapsed() >= options.poll_interval));
        if claim_now {
            last_claim = tokio::time::Instant::now();
            let now = deps.clock.now();
            let claimed =
                queue::claim(&deps.pool, &owner, &kinds, free as i64, options.lease, now).await;
            match claimed {
                Ok(jobs) => {
                    failures = 0;
                    full = jobs.len() == free;
                    for job in jobs {
                        let Some(handler) = registry.handlers.get(&job.kind).cloned() else {
                            continue;
                        };
                        held.lock().unwrap().insert(job.id);
                        running.spawn(run_one(
                            deps.clone(),
                            handler,
                            job,
                            owner.clone(),
                            options.clone(),
                            held.clone(),
                        ));
                    }
                }
                Err(err) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!(error = %err, "could not claim jobs; retrying");
                    }
                }
            }
        }
        if full || !claim_now {
            // More may be waiting: claim again once enough slots are free.
            tokio::select! {
                _ = running.join_next() => {}
                () = tokio::time::sleep(options.poll_interval) => {}
                _ = stopped.changed() => {}
            }
            continue;
        }
        let pause = if failures > 0 {
            options
                .poll_interval
                .min(Duration::from_millis(200) * failures.min(25))
        } else {
            options.poll_interval
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = stopped.changed() => {}
        }
    }

    listener.abort();
    if !running.is_empty() {
        tracing::info!(worker = %owner, running = running.len(), grace = ?options.shutdown_grace, "stopping: letting running jobs finish");
        let drained = tokio::time::timeout(options.shutdown_grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            running.abort_all();
            while running.join_next().await.is_some() {}
            let ids: Vec<Uuid> = held.lock().unwrap().drain().collect();
            match queue::release(&deps.pool, &ids, &owner).await {
                Ok(n) => {
                    tracing::warn!(worker = %owner, released = n, "jobs still running at the end of the grace period were released")
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not release leases; they expire on their own")
                }
            }
        }
    }
    tracing::info!(worker = %owner, "job worker stopped");
}

async fn run_one(
    deps: Deps,
    handler: Handler,
    job: ClaimedJob,
    owner: Arc<str>,
    options: WorkerOptions,
    held: Arc<Mutex<HashSet<Uuid>>>,
) {
    let id = job.id;
    let kind = job.kind.clone();
    let completed = Arc::new(AtomicBool::new(false));
    let ctx = JobContext {
        job: job.clone(),
        deps: deps.clone(),
        owner: owner.clone(),
        scrub: handler.scrub,
        completed: completed.clone(),
    };
    let started = std::time::Instant::now();
    let work = tokio::time::timeout(handler.timeout, (handler.run)(ctx));
    let renewals = renew_until_lost(&deps, id, &owner, options.lease);
    let outcome = tokio::select! {
        result = work => match result {
            Ok(result) => result,
            Err(_) => Err(JobError::Retry(format!("timed out after {} s", handler.timeout.as_secs_f64()))),
        },
        () = renewals => Err(JobError::LeaseLost),
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => {
            if !completed.load(Ordering::SeqCst) {
                match queue::complete_now(&deps.pool, id, &owner, handler.scrub).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = %id, kind, "finished after its lease was lost; another worker may run it again")
                    }
                    Err(err) => {
                        tracing::warn!(job = %id, kind, error = %err, "could not mark the job done; it runs again when its lease expires")
                    }
                }
            }
            tracing::debug!(job = %id, kind, elapsed_ms, "job done");
        }
        Err(JobError::LeaseLost) => {
            tracing::warn!(job = %id, kind, "lost the job's lease; another worker runs it");
        }
        Err(err) => {
            let permanent = matches!(err, JobError::Permanent(_));
            let message = err.to_string();
            let retry_at = deps.clock.now()
                + queue::backoff(job.attempts, options.retry_base, options.retry_max);
            let after = queue::fail(&deps.pool, id, &owner, &message, permanent, retry_at).await;
            match after {
                Ok(AfterFailure::Retry { at }) => tracing::warn!(
                    job = %id, kind, attempt = job.attempts, max_attempts = job.max_attempts,
                    error = %message, retry_at = %at, "job failed; will retry"
                ),
                Ok(AfterFailure::Dead) => super::alert::job_dead(&deps, id, &kind, &message),
                Ok(AfterFailure::LeaseLost) => {
                    tracing::warn!(job = %id, kind, "failed after its lease was lost")
                }
                Err(db) => {
                    tracing::warn!(job = %id, kind, error = %db, "could not record the failure; the job runs again when its lease expires")
                }
            }
        }
    }
    held.lock().unwrap().remove(&id);
}

/// Renews the lease every third of its length; returns once it is lost.
async fn renew_until_lost(deps: &Deps, id: Uuid, owner: &str, lease: Duration) {
    let mut every = tokio::time::interval(lease / 3);
    every.tick().await;
    let mut misses = 0;
    loop {
        every.tick().await;
        match queue::renew(&deps.pool, id, owner, lease).await {
            Ok(true) => misses = 0,
            Ok(false) => return,
            // A database hiccup: the lease has two more thirds to go.
            Err(err) => {
                misses += 1;
                tracing::warn!(job = %id, error = %err, "could not renew a job's lease");
                if misses >= 2 {
                    return;
                }
            }
        }
    }
}

/// Wakes the worker on every notification; reconnects with backoff. The
/// polling in [`run`] covers any gap.
async fn listen(pool: sqlx::PgPool, wake: Arc<tokio::sync::Notify>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(queue::CHANNEL).await {
                    tracing::debug!(error = %err, "could not LISTEN for jobs");
                } else {
                    delay = Duration::from_millis(200);
                    // Jobs may have arrived while no one listened.
                    wake.notify_one();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(_)) => wake.notify_one(),
                            Ok(None) => {
                                wake.notify_one();
                                continue;
                            }
                            Err(err) => {
                                tracing::debug!(error = %err, "job notifications interrupted");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::debug!(error = %err, "could not connect to listen for jobs"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
