//! `Authorization: Bearer <token>`, read the same way for API keys and cron triggers.

use axum::http::{header, HeaderMap};

/// The token, trimmed; `None` without a bearer authorization.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}
