//! The background task's settings (`JOB*`, `SCHEDULE_*`, `CRON_SECRET`).

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{env::http_url, ConfigError, Env};

/// The background task: job workers and schedules.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Whether `frontdesk serve` also works the queue and runs the schedules.
    pub in_serve: bool,
    /// Jobs one instance runs at a time.
    pub concurrency: usize,
    /// How often workers look for due jobs when no notification arrives.
    pub poll_interval: Duration,
    /// How long a claimed job is held without being renewed.
    pub lease: Duration,
    /// First retry wait; each further attempt doubles it (with jitter).
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: i32,
    /// How long shutdown lets running jobs finish before releasing them.
    pub shutdown_grace: Duration,
    /// Receives a JSON POST when a job is dead.
    pub alert_webhook: Option<SecretString>,
    /// `POST /api/cron/{schedule}` needs `Authorization: Bearer` this; unset disables it.
    pub cron_secret: Option<SecretString>,
    /// Cron expressions by schedule name; a schedule set to `off` is absent.
    pub schedules: Vec<(String, String)>,
    /// Reminders are armed this far beyond their due time, so a scan that
    /// runs late still sends each one on time.
    pub reminder_lookahead: Duration,
}

/// The schedules and their default cron expressions (minute hour day month weekday, seconds optional first).
pub const SCHEDULES: [(&str, &str, &str); 4] = [
    ("reminders", "SCHEDULE_REMINDERS", "*/15 * * * *"),
    ("cleanup", "SCHEDULE_CLEANUP", "0 3 * * *"),
    // Objects of deleted files and abandoned uploads; failed deletes retry here.
    ("storage", "SCHEDULE_STORAGE_SWEEP", "*/5 * * * *"),
    // One sync job per connected mailbox.
    ("mailboxes", "SCHEDULE_MAILBOX_SYNC", "*/5 * * * *"),
];

impl JobsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let cron_secret = match env.get("CRON_SECRET") {
            Some(s) if s.len() < 16 => {
                return Err(ConfigError {
                    variable: "CRON_SECRET",
                    problem: "is shorter than 16 characters".into(),
                    expected: "a random secret of at least 16 characters, or nothing to turn the cron triggers off",
                })
            }
            other => other.map(SecretString::from),
        };
        let mut schedules = Vec::new();
        for (name, variable, default) in SCHEDULES {
            let expression = env.string(variable, default);
            if expression.eq_ignore_ascii_case("off") {
                continue;
            }
            if super::schedules::parse_cron(&expression).is_err() {
                return Err(ConfigError {
                    variable,
                    problem: "is not a cron expression".into(),
                    expected: "five fields (minute hour day month weekday) or six with seconds first, such as */15 * * * *, or off",
                });
            }
            schedules.push((name.to_string(), expression));
        }
        Ok(JobsConfig {
            in_serve: env.flag("JOBS_IN_SERVE", true)?,
            concurrency: env.parse_positive("JOB_CONCURRENCY", 4, "a whole number above 0")?,
            poll_interval: env.millis("JOB_POLL_MS", 2000)?,
            lease: env.seconds("JOB_LEASE_SECS", 60)?,
            retry_base: env.millis("JOB_RETRY_BASE_MS", 10_000)?,
            retry_max: env.seconds("JOB_RETRY_MAX_SECS", 3600)?,
            max_attempts: env.parse_positive("JOB_MAX_ATTEMPTS", 8, "a whole number above 0")?,
            shutdown_grace: env.seconds("JOB_SHUTDOWN_GRACE_SECS", 20)?,
            alert_webhook: env.parse_with(
                "JOB_ALERT_WEBHOOK_URL",
                None,
                "an http:// or https:// URL",
                |v| http_url(v).is_some().then(|| Some(SecretString::from(v))),
            )?,
            cron_secret,
            schedules,
            reminder_lookahead: env.minutes("REMINDER_LOOKAHEAD_MINUTES", 30)?,
        })
    }
}
