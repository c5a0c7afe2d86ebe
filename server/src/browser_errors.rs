//! `POST /api/browser-errors`: the tunnel the page reports its errors
//! through (see `frontdesk::telemetry::browser_errors`). Mounted only when
//! `SENTRY_BROWSER_DSN` is set; limited per address.

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use frontdesk::{
    audit::Origin,
    error::AppError,
    ratelimit::{Exempt, PolicyKind},
    telemetry::browser_errors::{accept, MAX_ENVELOPE_BYTES},
};
use serde_json::json;

use crate::{middleware::rate_limit::add_headers, AppState};

pub const PATH: &str = "/api/browser-errors";

/// Forwards the envelope's events, or says why not; nothing refused leaves.
pub async fn tunnel(State(state): State<AppState>, request: Request) -> Response {
    let (Some(client), Some(dsn)) = (
        state.browser_errors.clone(),
        state.config.errors.browser_dsn.as_ref(),
    ) else {
        return AppError::NotFound("error reporting is off".into()).into_response();
    };
    let address = request
        .extensions()
        .get::<Origin>()
        .and_then(|o| o.ip_hash.clone())
        .unwrap_or_else(|| "unknown".into());
    let exempt = request.extensions().get::<Exempt>().is_some();
    let decision = state
        .deps
        .limiter
        .spend(PolicyKind::ErrorReports, &address, exempt)
        .await;
    let mut response = match &decision {
        Some(d) if !d.allowed => d.error().into_response(),
        _ => forward(&client, dsn, request.into_body())
            .await
            .unwrap_or_else(IntoResponse::into_response),
    };
    if let Some(decision) = &decision {
        add_headers(&mut response, decision);
    }
    response
}

async fn forward(
    client: &Arc<sentry::Client>,
    dsn: &sentry::types::Dsn,
    body: Body,
) -> Result<Response, AppError> {
    let body = to_bytes(body, MAX_ENVELOPE_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge {
            limit_bytes: MAX_ENVELOPE_BYTES,
        })?;
    let events = accept(&body, dsn).map_err(|refused| AppError::BadRequest(refused.to_string()))?;
    // The client scrubs each event (`before_send`) and sends it in the background.
    let ids: Vec<_> = events
        .into_iter()
        .map(|event| client.capture_event(event, None).simple().to_string())
        .collect();
    Ok((StatusCode::OK, Json(json!({ "id": ids.first() }))).into_response())
}
