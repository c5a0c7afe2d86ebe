//! `GET /metrics`: the instance's metrics for Prometheus. Served on the
//! app's port only with `METRICS_TOKEN` (and then only for that bearer
//! token), or on a listener of its own at `METRICS_ADDR`; never public by
//! default.

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use frontdesk::secrecy::ExposeSecret;
use frontdesk::telemetry::metrics::CONTENT_TYPE;

use crate::{
    middleware::bearer::{challenge, presents},
    AppState,
};

pub const PATH: &str = "/metrics";

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics.token {
        if !presents(&headers, token.expose_secret()) {
            return challenge("metrics need the header Authorization: Bearer <METRICS_TOKEN>");
        }
    }
    let text = frontdesk::services::metrics::scrape(&state.deps).await;
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// The router of the `METRICS_ADDR` listener: metrics and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new().route(PATH, get(metrics)).with_state(state)
}
