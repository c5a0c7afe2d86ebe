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
    sync::{mpsc, oneshot, watch},
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

async fn run<C: Clone + Send + Sync + 'static>(
    env: QueueEnv,
    ctx: C,
    registry: Arc<Registry<C>>,
    options: WorkerOptions,
    owner: String,
    mut stopped: watch::Receiver<bool>,
) {
    let owner: Arc<str> = owner.into();
    let (completer, completions) = Completer::new();
    let completing = tokio::spawn(complete_in_batches(
        env.pool.clone(),
        owner.clone(),
        completions,
    ));
    let kinds = registry.kinds();
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = tokio::spawn(listen(env.pool.clone(), wake.clone()));
    let held: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let mut running = JoinSet::new();
    let mut last_reclaim = tokio::time::Instant::now() - options.poll_interval;
    let mut failures = 0u32;
    let mut last_claim = tokio::time::Instant::now();
    tracing::info!(worker = %owner, concurrency = options.concurrency, kinds = ?kinds, "job worker started");

    while !*stopped.borrow() {
        if last_reclaim.elapsed() >= options.poll_interval {
            last_reclaim = tokio::time::Instant::now();
            match queue::reclaim_expired(&env.pool).await {
                Ok(dead) => {
                    for (id, kind) in dead {
                        super::alert::job_dead(
                            &env,
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
            let now = env.clock.now();
            let claimed =
                queue::claim(&env.pool, &owner, &kinds, free as i64, options.lease, now).await;
            match claimed {
                Ok(jobs) => {
                    failures = 0;
                    full = jobs.len() == free;
                    for job in jobs {
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
                                    completer: completer.clone(),
                                },
                            )
                            .bind_hub(hub),
                        );
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
            match queue::release(&env.pool, &ids, &owner).await {
                Ok(n) => {
                    tracing::warn!(worker = %owner, released = n, "jobs still running at the end of the grace period were released")
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not release leases; they expire on their own")
                }
            }
        }
    }
    // The last completions are written before the pool reports it stopped.
    drop(completer);
    let _ = completing.await;
    tracing::info!(worker = %owner, "job worker stopped");
}

/// What a job's task shares with its pool.
struct PoolShare {
    owner: Arc<str>,
    options: WorkerOptions,
    held: Arc<Mutex<HashSet<Uuid>>>,
    completer: Completer,
}

/// Hands finished jobs to [`complete_in_batches`] and waits for the answer:
/// whether this pool still held the job.
#[derive(Clone)]
struct Completer(mpsc::UnboundedSender<Completion>);

type Completion = (Uuid, bool, oneshot::Sender<Result<bool, String>>);

impl Completer {
    fn new() -> (Self, mpsc::UnboundedReceiver<Completion>) {
        let (send, receive) = mpsc::unbounded_channel();
        (Completer(send), receive)
    }

    async fn complete(&self, id: Uuid, scrub: bool) -> Result<bool, String> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send((id, scrub, reply))
            .map_err(|_| "the pool is stopping".to_string())?;
        answer
            .await
            .map_err(|_| "the pool is stopping".to_string())?
    }
}

/// Most jobs completed in one statement.
const COMPLETION_BATCH: usize = 256;

/// Marks finished jobs done: every job that finished while the previous
/// statement ran goes into the next one, so a busy pool pays one round of
/// statements per batch rather than per job, and an idle one waits for none.
/// Ends when every [`Completer`] is gone.
async fn complete_in_batches(
    pool: sqlx::PgPool,
    owner: Arc<str>,
    mut completions: mpsc::UnboundedReceiver<Completion>,
) {
    let mut batch = Vec::with_capacity(COMPLETION_BATCH);
    while completions.recv_many(&mut batch, COMPLETION_BATCH).await > 0 {
        let jobs: Vec<(Uuid, bool)> = batch.iter().map(|(id, scrub, _)| (*id, *scrub)).collect();
        match queue::complete_batch(&pool, &jobs, &owner).await {
            Ok(done) => {
                for (id, _, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(done.contains(&id)));
                }
            }
            Err(err) => {
                let err = err.to_string();
                for (_, _, reply) in batch.drain(..) {
                    let _ = reply.send(Err(err.clone()));
                }
            }
        }
    }
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
        completer,
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
            if !completed.load(std::sync::atomic::Ordering::SeqCst) {
                match completer.complete(id, handler.scrub).await {
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
