//! A dead job is an alert: an error in the log (and so in the error
//! tracker once one is configured) and, when `JOB_ALERT_WEBHOOK_URL` is set,
//! a JSON POST to it.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;
use uuid::Uuid;

use super::QueueEnv;

/// The webhook's body.
#[derive(Serialize)]
struct DeadJob<'a> {
    event: &'static str,
    job_id: Uuid,
    kind: &'a str,
    error: &'a str,
    at: DateTime<Utc>,
}

pub fn job_dead(env: &QueueEnv, id: Uuid, kind: &str, error: &str) {
    sentry::with_scope(
        |scope| scope.set_tag("job_kind", kind),
        || tracing::error!(job = %id, kind, error, "job is dead after its last attempt; retry or discard it under Settings > Background jobs"),
    );
    let Some(url) = env.config.alert_webhook.clone() else {
        return;
    };
    let body = serde_json::to_value(DeadJob {
        event: "job.dead",
        job_id: id,
        kind,
        error,
        at: env.clock.now(),
    })
    .unwrap_or_default();
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build();
        let sent = match client {
            Ok(client) => client
                .post(url.expose_secret())
                .json(&body)
                .send()
                .await
                .and_then(|r| r.error_for_status()),
            Err(err) => Err(err),
        };
        if let Err(err) = sent {
            // The URL may hold a token: only the failure's kind is logged.
            tracing::warn!(status = ?err.status(), timeout = err.is_timeout(), "the job alert webhook did not accept the alert");
        }
    });
}
