//! Workers: claim due jobs, run each under its kind's timeout while renewing
//! its lease, then complete it, retry it later, or declare it dead.
//!
//! Woken by LISTEN/NOTIFY as soon as a job is enqueued, and by polling when
//! notifications are lost (a dropped listener connection).

use std::{
    collections::HashSet,
    sync::{atomic::AtomicBool, Arc, Mutex},
    time::Duration,
};

use sentry::SentryFutureExt;
use tokio::{
    sync::{mpsc, watch},
    task::JoinSet,
};
use uuid::Uuid;

use super::{
    job::{Handler, JobContext, JobError, Registry},
    queue::{self, AfterFailure, ClaimedJob},
    QueueEnv,
};

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
    pub fn from_config(config: &super::JobsConfig) -> Self {
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

/// A hub of the job's own, so that what it reports names its kind and business.
fn job_hub(env: &QueueEnv, job: &ClaimedJob) -> Arc<sentry::Hub> {
    let hub = Arc::new(sentry::Hub::new_from_top(&env.errors));
    hub.configure_scope(|scope| {
        scope.set_transaction(Some(&job.kind));
        scope.set_tag("job_kind", &job.kind);
        scope.set_tag("job_id", job.id);
        if let Some(tenant) = job.tenant_id {
            scope.set_tag("business", tenant);
        }
    });
    hub
}

/// Starts a worker pool for the kinds in `registry`, whose handlers get `ctx`.
pub fn spawn<C: Clone + Send + Sync + 'static>(
    env: QueueEnv,
    ctx: C,
    registry: Registry<C>,
    options: WorkerOptions,
) -> WorkerHandle {
    let owner = worker_name();
    let (stop, stopped) = watch::channel(false);
    let hub = Arc::new(sentry::Hub::new_from_top(&env.errors));
    let task = tokio::spawn(
        run(
            env,
            ctx,
            Arc::new(registry),
            options,
            owner.clone(),
            stopped,
        )
        .bind_hub(hub),
    );
    WorkerHandle { owner, stop, task }
}

/// How long a finished job waits for others to share its completion
/// statement when no claim is due.
const LINGER: Duration = Duration::from_millis(5);

/// A job that ran to success and awaits its completion statement.
struct Finished {
    id: Uuid,
    kind: String,
    scrub: bool,
    at: tokio::time::Instant,
}

async fn run<C: Clone + Send + Sync + 'static>(
    env: QueueEnv,
    ctx: C,
    registry: Arc<Registry<C>>,
    options: WorkerOptions,
    owner: String,
    mut stopped: watch::Receiver<bool>,
) {
    let owner: Arc<str> = owner.into();
    let (finisher, mut finishing) = mpsc::unbounded_channel::<Finished>();
    let kinds = registry.kinds();
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = tokio::spawn(listen(env.pool.clone(), wake.clone()));
    // Claimed and not yet settled: running, or finished and awaiting completion.
    let held: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let mut finished: Vec<Finished> = Vec::new();
    let mut running = JoinSet::new();
    let mut last_reclaim = tokio::time::Instant::now() - options.poll_interval;
    let mut failures = 0u32;
    let mut last_claim = tokio::time::Instant::now();
    // The last claim got all it asked for: more may be waiting.
    let mut full = false;
    tracing::info!(worker = %owner, concurrency = options.concurrency, kinds = ?kinds, "job worker started");

    while !*stopped.borrow() {
        if last_reclaim.elapsed() >= options.poll_interval {
            last_reclaim = tokio::time::Instant::now();
            reclaim_expired(&env).await;
        }
        while running.try_join_next().is_some() {}
        while let Ok(job) = finishing.try_recv() {
            finished.push(job);
        }
        let busy = held.lock().unwrap().len().saturating_sub(finished.len());
        let free = options.concurrency.saturating_sub(busy);
        // Claim in batches (at least half the slots, or whatever is free when
        // idle) so that a busy pool does not pay a statement per job. A
        // single free slot is filled once a poll interval has passed, so
        // long-running jobs do not keep it idle; a finished job waits at
        // most LINGER for others to share its statement.
        let batch = (options.concurrency / 2).max(1);
        let due = free >= batch
            || (free > 0 && (busy == 0 || last_claim.elapsed() >= options.poll_interval))
            || finished
                .first()
                .is_some_and(|job| job.at.elapsed() >= LINGER);
        if due {
            last_claim = tokio::time::Instant::now();
            let round = complete_and_claim(
                &env,
                &owner,
                &kinds,
                &mut finished,
                &held,
                free,
                options.lease,
            )
            .await;
            match round {
                Ok(claimed) => {
                    failures = 0;
                    full = free > 0 && claimed.len() == free;
                    for job in claimed {
                        let Some(handler) = registry.handlers.get(job.kind.as_str()).cloned()
                        else {
                            continue;
                        };
                        held.lock().unwrap().insert(job.id);
                        let hub = job_hub(&env, &job);
                        running.spawn(
                            run_one(
                                env.clone(),
                                ctx.clone(),
                                handler,
                                job,
                                PoolShare {
                                    owner: owner.clone(),
                                    options: options.clone(),
                                    held: held.clone(),
                                    finisher: finisher.clone(),
                                },
                            )
                            .bind_hub(hub),
                        );
                    }
                }
                Err(err) => {
                    // The finished jobs stay held and go into the next try.
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!(error = %err, "could not complete and claim jobs; retrying");
                    }
                }
            }
        }
        let pause = if failures > 0 {
            options
                .poll_interval
                .min(Duration::from_millis(200) * failures.min(25))
        } else {
            finished.first().map_or(options.poll_interval, |first| {
                options
                    .poll_interval
                    .min(LINGER.saturating_sub(first.at.elapsed()))
            })
        };
        tokio::select! {
            Some(job) = finishing.recv() => finished.push(job),
            Some(_) = running.join_next(), if !running.is_empty() => {}
            // While the last claim was full, a notification says nothing new.
            () = wake.notified(), if !full => {}
            () = tokio::time::sleep(pause) => {}
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
        }
    }
    // The last completions are written before the pool reports it stopped.
    while let Ok(job) = finishing.try_recv() {
        finished.push(job);
    }
    if !finished.is_empty() {
        let written =
            complete_and_claim(&env, &owner, &kinds, &mut finished, &held, 0, options.lease).await;
        if let Err(err) = written {
            tracing::warn!(error = %err, "could not mark finished jobs done; they run again");
        }
    }
    let ids: Vec<Uuid> = held.lock().unwrap().drain().collect();
    if !ids.is_empty() {
        match queue::release(&env.pool, &ids, &owner).await {
            Ok(n) => {
                tracing::warn!(worker = %owner, released = n, "jobs still running at the end of the grace period were released")
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not release leases; they expire on their own")
            }
        }
    }
    tracing::info!(worker = %owner, "job worker stopped");
}

async fn reclaim_expired(env: &QueueEnv) {
    match queue::reclaim_expired(&env.pool).await {
        Ok(dead) => {
            for (id, kind) in dead {
                super::alert::job_dead(
                    env,
                    id,
                    &kind,
                    "the worker stopped answering (its lease expired)",
                );
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not reclaim expired leases"),
    }
}

/// Marks the `finished` jobs done and claims up to `limit` more, in one
/// statement; once it ran, lets go of the finished jobs (warning of those
/// whose lease was lost). On an error they stay, for the next try.
async fn complete_and_claim(
    env: &QueueEnv,
    owner: &str,
    kinds: &[String],
    finished: &mut Vec<Finished>,
    held: &Mutex<HashSet<Uuid>>,
    limit: usize,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    let done: Vec<(Uuid, bool)> = finished.iter().map(|job| (job.id, job.scrub)).collect();
    let now = env.clock.now();
    let round =
        queue::complete_and_claim(&env.pool, owner, &done, kinds, limit, lease, now).await?;
    let mut held = held.lock().unwrap();
    for job in finished.drain(..) {
        held.remove(&job.id);
        if !round.done.contains(&job.id) {
            tracing::warn!(job = %job.id, kind = job.kind, "finished after its lease was lost; another worker may run it again");
        }
    }
    Ok(round.claimed)
}

/// What a job's task shares with its pool.
struct PoolShare {
    owner: Arc<str>,
    options: WorkerOptions,
    held: Arc<Mutex<HashSet<Uuid>>>,
    finisher: mpsc::UnboundedSender<Finished>,
}

async fn run_one<C: Clone + Send + Sync + 'static>(
    env: QueueEnv,
    deps: C,
    handler: Handler<C>,
    job: ClaimedJob,
    share: PoolShare,
) {
    let PoolShare {
        owner,
        options,
        held,
        finisher,
    } = share;
    let id = job.id;
    let kind = job.kind.clone();
    let completed = Arc::new(AtomicBool::new(false));
    let ctx = JobContext {
        job: job.clone(),
        deps,
        owner: owner.clone(),
        scrub: handler.scrub,
        completed: completed.clone(),
    };
    let started = std::time::Instant::now();
    let work = tokio::time::timeout(handler.timeout, (handler.run)(ctx));
    let renewals = renew_until_lost(&env, id, &owner, options.lease);
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
            tracing::debug!(job = %id, kind, elapsed_ms, "job done");
            if !completed.load(std::sync::atomic::Ordering::SeqCst) {
                // The pool writes the completion, and lets go of the job then.
                let finished = Finished {
                    id,
                    kind,
                    scrub: handler.scrub,
                    at: tokio::time::Instant::now(),
                };
                if finisher.send(finished).is_ok() {
                    return;
                }
            }
        }
        Err(JobError::LeaseLost) => {
            tracing::warn!(job = %id, kind, "lost the job's lease; another worker runs it");
        }
        Err(err) => {
            let permanent = matches!(err, JobError::Permanent(_));
            let message = err.to_string();
            let retry_at = env.clock.now()
                + queue::backoff(job.attempts, options.retry_base, options.retry_max);
            let after = queue::fail(&env.pool, id, &owner, &message, permanent, retry_at).await;
            match after {
                Ok(AfterFailure::Retry { at }) => tracing::warn!(
                    job = %id, kind, attempt = job.attempts, max_attempts = job.max_attempts,
                    error = %message, retry_at = %at, "job failed; will retry"
                ),
                Ok(AfterFailure::Dead) => super::alert::job_dead(&env, id, &kind, &message),
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
async fn renew_until_lost(env: &QueueEnv, id: Uuid, owner: &str, lease: Duration) {
    let mut every = tokio::time::interval(lease / 3);
    every.tick().await;
    let mut misses = 0;
    loop {
        every.tick().await;
        match queue::renew(&env.pool, id, owner, lease).await {
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
