//! The background task: a job queue in PostgreSQL ([`queue`]), workers that
//! run it ([`worker`]), schedules that feed it ([`schedules`]), and the job
//! kinds Frontdesk has ([`kinds`]).
//!
//! `frontdesk serve` runs workers and the scheduler beside the web server
//! (unless `JOBS_IN_SERVE=false`); `frontdesk worker` runs only them.

pub mod alert;
pub mod kinds;
pub mod queue;
pub mod schedules;
pub mod worker;

pub use queue::{enqueue, NewJob};
pub use worker::{JobContext, JobError, Registry, WorkerHandle, WorkerOptions};

use crate::services::Deps;

/// A job of `kind` with the configured number of attempts (`JOB_MAX_ATTEMPTS`).
pub fn job(deps: &Deps, kind: &'static str, payload: serde_json::Value) -> NewJob {
    NewJob::new(kind, payload).max_attempts(deps.config.jobs.max_attempts)
}

/// Workers and the scheduler of one process.
pub struct Background {
    workers: WorkerHandle,
    scheduler_stop: tokio::sync::watch::Sender<bool>,
    scheduler: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Starts workers for every job kind and the configured schedules.
    pub fn start(deps: Deps) -> Self {
        Self::start_with(deps, kinds::registry(), SCHEDULER_TICK)
    }

    pub fn start_with(deps: Deps, registry: Registry, tick: std::time::Duration) -> Self {
        let options = WorkerOptions::from_config(&deps.config.jobs);
        let workers = worker::spawn(deps.clone(), registry, options);
        let (scheduler_stop, stopped) = tokio::sync::watch::channel(false);
        let schedules = schedules::from_config(&deps.config.jobs);
        let scheduler = tokio::spawn(schedules::run(
            deps,
            schedules,
            tick,
            workers.owner.clone(),
            stopped,
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
