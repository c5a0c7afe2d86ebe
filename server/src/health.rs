//! `GET /api/health` (each dependency and its latency),
//! `GET /api/health/ready` (readiness: that, and 503 from the moment
//! shutdown begins) and `GET /api/health/live` (liveness: the process answers).

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde::Serialize;

use crate::AppState;

/// How long a dependency may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the oldest due job may wait before the queue counts as lagging.
const QUEUE_LAG_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub checks: Checks,
}

#[derive(Debug, Serialize)]
pub struct Checks {
    pub database: Check,
    /// Present when `REDIS_URL` is set. Not required: without Redis the
    /// instance serves on its in-process cache and limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Check>,
    /// Client files. Not required: everything but files works without it.
    pub storage: Check,
    /// Present when mail goes to an SMTP server. Not required: mail waits
    /// in the job queue until it is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Check>,
    /// How long the oldest due job has waited. Not required.
    pub queue: Check,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub status: &'static str,
    /// A required dependency being down makes the whole service unavailable.
    pub required: bool,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<i64>,
    /// What is wrong, in words that reveal no address or credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// Which implementation answered (`fs`, `s3`, `memory` for storage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// The queue's lag: how long the oldest due job has waited, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
}

impl Check {
    /// An optional dependency that answered in `latency`.
    fn up(latency: Duration, backend: Option<&'static str>) -> Self {
        Check {
            status: "ok",
            required: false,
            latency_ms: millis(latency),
            schema_version: None,
            error: None,
            backend,
            lag_seconds: None,
        }
    }

    /// An optional dependency that did not answer within the check's timeout.
    fn down(error: &'static str, backend: Option<&'static str>) -> Self {
        Check {
            status: "down",
            required: false,
            latency_ms: millis(CHECK_TIMEOUT),
            schema_version: None,
            error: Some(error),
            backend,
            lag_seconds: None,
        }
    }
}

/// Milliseconds with two decimals.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let started = std::time::Instant::now();
    let result = frontdesk::db::check(&state.pool, CHECK_TIMEOUT).await;
    let latency_ms = millis(started.elapsed());
    let database = match result {
        Ok(schema_version) => Check {
            status: "ok",
            required: true,
            latency_ms,
            schema_version,
            error: None,
            backend: None,
            lag_seconds: None,
        },
        Err(err) => {
            tracing::warn!(error = %err, "health: database check failed");
            Check {
                status: "down",
                required: true,
                latency_ms,
                schema_version: None,
                error: Some("database unreachable or not migrated"),
                backend: None,
                lag_seconds: None,
            }
        }
    };
    let redis = match &state.deps.redis {
        Some(redis) => Some(match redis.ping(CHECK_TIMEOUT).await {
            Ok(latency) => Check::up(latency, None),
            Err(problem) => Check::down(problem, None),
        }),
        None => None,
    };
    let backend = Some(state.deps.storage.backend().as_str());
    let storage = match state.deps.storage.check(CHECK_TIMEOUT).await {
        Ok(latency) => Check::up(latency, backend),
        Err(problem) => {
            tracing::warn!(%problem, "health: file storage check failed");
            Check::down("file storage unreachable", backend)
        }
    };
    let smtp = if state.deps.mailer.is_smtp() {
        Some(match state.deps.mailer.check(CHECK_TIMEOUT).await {
            Ok(latency) => Check::up(latency, None),
            Err(problem) => Check::down(problem, None),
        })
    } else {
        None
    };
    let queue = queue_check(&state).await;
    let healthy = !(database.required && database.status != "ok");
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        checks: Checks {
            database,
            redis,
            storage,
            smtp,
            queue,
        },
    };
    let mut response = (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response();
    if !healthy {
        let wait = frontdesk::error::UNAVAILABLE_RETRY_AFTER.as_secs();
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.into());
    }
    response
}

/// The queue's lag, read from the database (the same for every instance).
async fn queue_check(state: &AppState) -> Check {
    let started = std::time::Instant::now();
    let now = state.deps.clock.now();
    let stats = tokio::time::timeout(
        CHECK_TIMEOUT,
        frontdesk::jobs::queue::stats(&state.pool, now),
    )
    .await;
    match stats {
        Ok(Ok(stats)) => {
            let lagging = stats.oldest_ready_seconds > QUEUE_LAG_LIMIT.as_secs_f64();
            Check {
                status: if lagging { "lagging" } else { "ok" },
                error: lagging.then_some("jobs wait longer than a minute to start"),
                lag_seconds: Some(stats.oldest_ready_seconds),
                ..Check::up(started.elapsed(), None)
            }
        }
        _ => Check::down("the job queue could not be read", None),
    }
}

/// Readiness, cheap enough for a load balancer's every probe: 503 from the
/// moment shutdown begins (so no new requests come to an instance about
/// to go) or while the database, the one required part, does not answer.
pub async fn ready(State(state): State<AppState>) -> axum::response::Response {
    let status = if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        "shutting down"
    } else if frontdesk::db::check(&state.pool, CHECK_TIMEOUT)
        .await
        .is_err()
    {
        "database unavailable"
    } else {
        "ready"
    };
    let code = if status == "ready" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "status": status })),
    )
        .into_response()
}

pub async fn live() -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "status": "ok" })),
    )
}
