//! Typed jobs: each kind is a type whose value is its payload.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::PgConnection;

use super::queue::{self, ClaimedJob};

/// A kind of job. The value is the payload, stored as JSON in the queue; the
/// handler gets it back decoded, with the application's context.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name stored in the queue; never reused for another payload shape.
    const KIND: &'static str;
    /// A run that takes longer is a failed attempt.
    const TIMEOUT: Duration = Duration::from_secs(60);
    /// Lower runs first.
    const PRIORITY: i16 = 100;
    /// Attempts before the job is dead; the configured default when `None`.
    const ATTEMPTS: Option<i32> = None;
    /// Whether the payload is emptied once done (it carries a sign-in link
    /// or a client's address).
    const SCRUB: bool = false;
    /// The named schedule (`SCHEDULE_<NAME>`) that enqueues this job, whose
    /// payload then is the [`Tick`].
    const SCHEDULE: Option<&'static str> = None;

    /// What the handler works with (the services' dependencies).
    type Context: Clone + Send + Sync + 'static;

    fn run(
        self,
        ctx: JobContext<Self::Context>,
    ) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// The payload of a scheduled job: which schedule and which slot fired it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tick {
    pub schedule: String,
    pub slot: DateTime<Utc>,
}

/// A job to enqueue, with when and how.
#[derive(Debug, Clone)]
pub struct NewJob<J> {
    pub(super) job: J,
    pub(super) run_at: Option<DateTime<Utc>>,
    pub(super) dedupe_key: Option<String>,
    pub(super) priority: Option<i16>,
    pub(super) tenant: Option<uuid::Uuid>,
}

impl<J: Job> NewJob<J> {
    pub fn new(job: J) -> Self {
        NewJob {
            job,
            run_at: None,
            dedupe_key: None,
            priority: None,
            tenant: None,
        }
    }

    /// The business the job belongs to, when enqueued on the system path
    /// (otherwise the unit of work's).
    pub fn for_business(mut self, tenant: uuid::Uuid) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Not before `at` (now when unset).
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// While a job with this key is pending or running, no second one is added.
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    /// Overrides the kind's priority for this one job.
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = Some(priority);
        self
    }
}

impl<J: Job> From<J> for NewJob<J> {
    fn from(job: J) -> Self {
        NewJob::new(job)
    }
}

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

impl From<crate::error::AppError> for JobError {
    fn from(err: crate::error::AppError) -> Self {
        JobError::Retry(err.to_string())
    }
}

/// What a handler gets: the job's row, the application's context, and the
/// means to complete the job inside its own transaction.
#[derive(Clone)]
pub struct JobContext<C> {
    pub job: ClaimedJob,
    pub deps: C,
    pub(super) owner: Arc<str>,
    pub(super) scrub: bool,
    pub(super) completed: Arc<AtomicBool>,
}

impl<C> JobContext<C> {
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

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type HandlerFn<C> = Arc<dyn Fn(JobContext<C>) -> BoxFuture + Send + Sync>;

pub(super) struct Handler<C> {
    pub timeout: Duration,
    pub scrub: bool,
    pub run: HandlerFn<C>,
}

impl<C> Clone for Handler<C> {
    fn clone(&self) -> Self {
        Handler {
            timeout: self.timeout,
            scrub: self.scrub,
            run: self.run.clone(),
        }
    }
}

/// The job kinds a worker runs, each registered once.
pub struct Registry<C> {
    pub(super) handlers: HashMap<&'static str, Handler<C>>,
    schedules: Vec<(&'static str, &'static str)>,
}

impl<C> Default for Registry<C> {
    fn default() -> Self {
        Registry {
            handlers: HashMap::new(),
            schedules: Vec::new(),
        }
    }
}

impl<C: Clone + Send + Sync + 'static> Registry<C> {
    /// Registers `J`: workers of this registry run jobs of its kind.
    ///
    /// # Panics
    /// When a kind or schedule is registered twice: a programming error.
    pub fn add<J: Job<Context = C>>(&mut self) -> &mut Self {
        let run: HandlerFn<C> = Arc::new(|ctx: JobContext<C>| {
            Box::pin(async move {
                let job: J = serde_json::from_value(ctx.job.payload.clone()).map_err(|err| {
                    JobError::Permanent(format!(
                        "the payload is malformed: this {} job no longer decodes ({err})",
                        J::KIND
                    ))
                })?;
                job.run(ctx).await
            })
        });
        let handler = Handler {
            timeout: J::TIMEOUT,
            scrub: J::SCRUB,
            run,
        };
        assert!(
            self.handlers.insert(J::KIND, handler).is_none(),
            "job kind {} registered twice",
            J::KIND
        );
        if let Some(schedule) = J::SCHEDULE {
            assert!(
                self.schedule_kind(schedule).is_none(),
                "schedule {schedule} registered twice"
            );
            self.schedules.push((schedule, J::KIND));
        }
        self
    }
}

impl<C> Registry<C> {
    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().map(|k| k.to_string()).collect();
        kinds.sort();
        kinds
    }

    /// The kind the named schedule enqueues.
    pub fn schedule_kind(&self, schedule: &str) -> Option<&'static str> {
        self.schedules
            .iter()
            .find(|(name, _)| *name == schedule)
            .map(|(_, kind)| *kind)
    }

    /// Each schedule name with the kind it enqueues.
    pub fn scheduled(&self) -> &[(&'static str, &'static str)] {
        &self.schedules
    }
}
