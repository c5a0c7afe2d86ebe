//! The id of the request being served, reachable from anywhere inside it.
//!
//! Set once by the request-id middleware; read by the error mapping so that
//! every error body carries the id that also tags the request's log lines.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `fut` with `request_id` as the current request's id.
pub async fn scope<F: Future>(request_id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(request_id, fut).await
}

/// The current request's id, when called inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
