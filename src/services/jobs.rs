//! The job kinds Frontdesk runs, registered once, and the platform's own
//! (email, housekeeping, storage sweep, the queue probe). Handlers are thin
//! adapters around services, like server functions and REST handlers.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{files, reminders, Deps};
use crate::{
    error::AppError,
    jobs::{
        schedules::{self, Trigger},
        Background, Job, JobContext, JobError, QueueEnv, Registry, Tick,
    },
    mail::OutgoingEmail,
};

/// Every job kind, each once: what workers run and schedules enqueue.
pub fn registry() -> Registry<Deps> {
    let mut registry = Registry::default();
    registry
        .add::<SendEmail>()
        .add::<reminders::ScanReminders>()
        .add::<reminders::SendReminder>()
        .add::<Cleanup>()
        .add::<SweepStorage>()
        .add::<super::inbox::ScanMailboxes>()
        .add::<super::inbox::SyncMailbox>()
        .add::<super::inbox::SendMailboxMessage>()
        .add::<super::inbox::PushSeen>()
        .add::<Probe>();
    registry
}

impl Deps {
    /// What the queue's machinery needs from these dependencies.
    pub fn queue_env(&self) -> QueueEnv {
        QueueEnv {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            config: Arc::new(self.config.jobs.clone()),
            errors: self.errors.clone(),
        }
    }
}

/// Starts workers for every kind and the configured schedules.
pub fn start_background(deps: &Deps) -> Background {
    Background::start(deps.queue_env(), deps.clone(), registry())
}

/// A schedule fired on request (`POST /api/cron/{schedule}`).
#[derive(Debug, Clone)]
pub struct Fired {
    pub schedule: String,
    pub slot: DateTime<Utc>,
    /// `None` while the schedule's previous run still waits.
    pub job: Option<Uuid>,
}

/// Fires the configured schedule `name` now.
pub async fn fire_now(deps: &Deps, name: &str) -> Result<Fired, AppError> {
    let registry = registry();
    let all = schedules::from_config(&deps.config.jobs, registry.scheduled());
    let Some(found) = all.iter().find(|s| s.name == name) else {
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        return Err(AppError::NotFound(format!(
            "there is no schedule named '{name}'; the schedules are: {}",
            names.join(", ")
        )));
    };
    let slot = deps.clock.now();
    let job = schedules::fire(&deps.queue_env(), found, slot, Trigger::Http, "http").await?;
    Ok(Fired {
        schedule: found.name.clone(),
        slot,
        job,
    })
}

/// Sends one email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SendEmail(pub OutgoingEmail);

impl Job for SendEmail {
    const KIND: &'static str = "email.send";
    const SCRUB: bool = true;
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        ctx.deps
            .mailer
            .send(&self.0, ctx.job.tenant_id)
            .await
            .map_err(|err| {
                if err.is_transient() {
                    JobError::Retry(err.to_string())
                } else {
                    JobError::Permanent(err.to_string())
                }
            })
    }
}

/// Daily housekeeping (the `cleanup` schedule): expired sessions, finished
/// jobs after 14 days, schedule runs after 30.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cleanup(pub Tick);

impl Job for Cleanup {
    const KIND: &'static str = "cleanup";
    const TIMEOUT: Duration = Duration::from_secs(600);
    const SCHEDULE: Option<&'static str> = Some("cleanup");
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        super::maintenance::clean_up(&ctx.deps)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))
    }
}

/// Removes objects of deleted files and abandoned uploads, retrying the
/// removals that failed (the `storage` schedule).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SweepStorage(pub Tick);

impl Job for SweepStorage {
    const KIND: &'static str = "storage.sweep";
    const TIMEOUT: Duration = Duration::from_secs(600);
    const SCHEDULE: Option<&'static str> = Some("storage");
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        const BATCH: i64 = 500;
        loop {
            let sweep = files::sweep(&ctx.deps, BATCH)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            if ((sweep.removed + sweep.failed) as i64) < BATCH {
                return Ok(());
            }
        }
    }
}

/// Does nothing (for `hold_ms`, at most ten minutes): checks and measures the queue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Probe {
    #[serde(default)]
    pub hold_ms: u64,
}

impl Job for Probe {
    const KIND: &'static str = "queue.probe";
    const TIMEOUT: Duration = Duration::from_secs(660);
    type Context = Deps;

    async fn run(self, _ctx: JobContext<Deps>) -> Result<(), JobError> {
        let hold = Duration::from_millis(self.hold_ms).min(Duration::from_secs(600));
        if !hold.is_zero() {
            tokio::time::sleep(hold).await;
        }
        Ok(())
    }
}
