//! `POST /api/cron/{schedule}`: fires a schedule now, for external
//! schedulers (a platform's cron, a Kubernetes CronJob). Accepted only with
//! `Authorization: Bearer <CRON_SECRET>`; off while CRON_SECRET is unset.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use frontdesk::error::AppError;
use frontdesk::secrecy::ExposeSecret;

use crate::{
    middleware::bearer::{challenge, presents},
    AppState,
};

pub async fn trigger(
    State(state): State<AppState>,
    Path(schedule): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(secret) = state
        .config
        .jobs
        .cron_secret
        .as_ref()
        .map(|s| s.expose_secret())
    else {
        return Err(AppError::NotFound(
            "cron triggers are off on this server (CRON_SECRET is not set)".into(),
        ));
    };
    if !presents(&headers, secret) {
        return Ok(challenge(
            "a cron trigger needs the header Authorization: Bearer <CRON_SECRET>",
        ));
    }
    let fired = frontdesk::services::jobs::fire_now(&state.deps, &schedule).await?;
    let job = fired.job;
    let body = serde_json::json!({
        "schedule": fired.schedule,
        "slot": fired.slot,
        "job_id": job,
        "queued": job.is_some(),
        "message": if job.is_some() {
            "queued"
        } else {
            "not queued: this schedule's previous run is still waiting"
        },
    });
    let status = if job.is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}
