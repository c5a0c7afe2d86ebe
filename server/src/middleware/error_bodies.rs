//! Gives errors produced below the handlers (by axum, by tower-http layers:
//! 405, 408, 413, ...) the same JSON body as handler errors.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use frontdesk::error::AppError;

/// Leptos marks server-function errors with this header; their body is for the client code.
const SERVER_FN_ERROR: HeaderName = HeaderName::from_static("serverfnerror");

/// The configured request body limit, quoted in 413 errors.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

pub async fn json_error_bodies(
    State(body_limit): State<BodyLimit>,
    req: Request,
    next: Next,
) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.headers().contains_key(SERVER_FN_ERROR)
    {
        return res;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let error = AppError::from_status(status, body_limit.0);
    if let Some(wait) = error.retry_after() {
        if !parts.headers.contains_key(header::RETRY_AFTER) {
            parts
                .headers
                .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        }
    }
    let body = Json(error.body()).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    let (body_parts, body) = body.into_parts();
    parts.headers.extend(body_parts.headers);
    Response::from_parts(parts, body)
}
