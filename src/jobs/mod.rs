//! The background task: a job queue in PostgreSQL ([`queue`]), workers that
//! run it ([`worker`]), schedules that feed it ([`schedules`]) and typed
//! job kinds ([`Job`]), registered where the application is assembled.
//!
//! `frontdesk serve` runs workers and the scheduler beside the web server
//! (unless `JOBS_IN_SERVE=false`); `frontdesk worker` runs only them.

pub mod alert;
mod config;
mod job;
pub mod queue;
pub mod schedules;
pub mod worker;

use std::sync::Arc;

pub use config::{JobsConfig, SCHEDULES};
pub use job::{Job, JobContext, JobError, NewJob, Registry, Tick};
pub use worker::{WorkerHandle, WorkerOptions};

use crate::clock::Clock;

/// What the queue's own machinery (workers, scheduler, alerts) needs; the
/// handlers get the application's context besides.
#[derive(Clone, Debug)]
pub struct QueueEnv {
    pub pool: sqlx::PgPool,
    pub clock: Clock,
    pub config: Arc<JobsConfig>,
    /// Where failures are reported: workers and the scheduler run under it.
    pub errors: Arc<sentry::Hub>,
}

/// Workers and the scheduler of one process.
pub struct Background {
    workers: WorkerHandle,
    scheduler_stop: tokio::sync::watch::Sender<bool>,
    scheduler: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Starts workers for every kind in `registry` and the configured
    /// schedules of those kinds.
    pub fn start<C: Clone + Send + Sync + 'static>(
        env: QueueEnv,
        ctx: C,
        registry: Registry<C>,
    ) -> Self {
        Self::start_with(env, ctx, registry, SCHEDULER_TICK)
    }

    pub fn start_with<C: Clone + Send + Sync + 'static>(
        env: QueueEnv,
        ctx: C,
        registry: Registry<C>,
        tick: std::time::Duration,
    ) -> Self {
        let options = WorkerOptions::from_config(&env.config);
        let schedules = schedules::from_config(&env.config, registry.scheduled());
        let workers = worker::spawn(env.clone(), ctx, registry, options);
        let (scheduler_stop, stopped) = tokio::sync::watch::channel(false);
        let hub = Arc::new(sentry::Hub::new_from_top(&env.errors));
        let scheduler = tokio::spawn(sentry::SentryFutureExt::bind_hub(
            schedules::run(env, schedules, tick, workers.owner.clone(), stopped),
            hub,
        ));
        Background {
            workers,
            scheduler_stop,
            scheduler,
        }
    }

    /// Stops the scheduler, then the workers (see [`WorkerHandle::shutdown`]).
    pub async fn shutdown(self) {
        let _ = self.scheduler_stop.send(true);
        let _ = self.scheduler.await;
        self.workers.shutdown().await;
    }
}

/// How often the scheduler looks at the clock.
pub const SCHEDULER_TICK: std::time::Duration = std::time::Duration::from_secs(1);
