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

/// Whether the request carries `Bearer <secret>` (compared in constant time).
pub fn presents(headers: &HeaderMap, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    let presented = bearer(headers).unwrap_or("");
    bool::from(presented.as_bytes().ct_eq(secret.as_bytes()))
}

/// 401 with `WWW-Authenticate: Bearer` and `message` saying what to send.
pub fn challenge(message: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response =
        frontdesk::error::AppError::InvalidCredentials(message.to_owned()).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}
