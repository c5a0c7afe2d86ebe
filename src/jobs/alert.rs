//! A dead job is an alert: an error in the log (and so in the error
//! tracker once one is configured) and, when `JOB_ALERT_WEBHOOK_URL` is set,
//! a JSON POST to it.

use uuid::Uuid;

use crate::services::Deps;

pub fn job_dead(deps: &Deps, id: Uuid, kind: &str, error: &str) {
    tracing::error!(job = %id, kind, error, "job is dead after its last attempt; retry or discard it under Settings > Background jobs");
    let Some(url) = deps.config.jobs.alert_webhook.clone() else {
        return;
    };
    let body = serde_json::json!({
        "event": "job.dead",
        "job_id": id,
        "kind": kind,
        "error": error,
        "at": deps.clock.now(),
    });
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build();
        let sent = match client {
            Ok(client) => client
                .post(&url)
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
