//! `x-request-id`: taken from the caller when well-formed, otherwise a new
//! UUIDv7; echoed on the response, attached to every log line of the request
//! (through the trace span) and to every error body (through the request context).

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tower_http::request_id::{MakeRequestId, RequestId};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const MAX_LEN: usize = 128;

#[derive(Clone, Copy, Default)]
pub struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Drops a caller's id that could garble logs (too long, or odd characters),
/// so that a fresh one is generated instead.
pub async fn drop_malformed_request_id(mut req: Request, next: Next) -> Response {
    if let Some(value) = req.headers().get(&X_REQUEST_ID) {
        if !is_well_formed(value) {
            req.headers_mut().remove(&X_REQUEST_ID);
        }
    }
    next.run(req).await
}

/// Makes the request id reachable from anywhere while the request is served.
pub async fn scope_request_id(req: Request, next: Next) -> Response {
    let id = request_id_of(&req).unwrap_or_default();
    frontdesk::request_context::scope(id, next.run(req)).await
}

pub fn request_id_of<B>(req: &http::Request<B>) -> Option<String> {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn is_well_formed(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids_and_rejects_garbage() {
        assert!(is_well_formed(&HeaderValue::from_static(
            "0192f1a4-7b3c-7d1e-8f00-123456789abc"
        )));
        assert!(is_well_formed(&HeaderValue::from_static("lb:abc_123.4")));
        assert!(!is_well_formed(&HeaderValue::from_static("a b")));
        assert!(!is_well_formed(&HeaderValue::from_static(
            "x\" injected=\"1"
        )));
        assert!(!is_well_formed(
            &HeaderValue::from_str(&"a".repeat(129)).unwrap()
        ));
    }
}
