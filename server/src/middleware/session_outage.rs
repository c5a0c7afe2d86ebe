//! Sessions live in PostgreSQL. When the database is down, the session layer
//! fails to load or save a session and answers a bare 500; this turns that
//! into what it is, an outage: 503 with `Retry-After`.
//!
//! [`OutageAwareStore`] wraps the store and notes, for the request being
//! served, that the store failed; [`session_outage`] (outside the session
//! layer) reads the note and rewrites the 500.

use std::cell::Cell;

use async_trait::async_trait;
use axum::{
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::error::AppError;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

tokio::task_local! {
    static STORE_FAILED: Cell<bool>;
}

fn note_failure<T>(result: session_store::Result<T>) -> session_store::Result<T> {
    if result.is_err() {
        let _ = STORE_FAILED.try_with(|failed| failed.set(true));
    }
    result
}

/// A session store that records its failures for [`session_outage`].
#[derive(Debug, Clone)]
pub struct OutageAwareStore<S>(pub S);

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for OutageAwareStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        note_failure(self.0.create(record).await)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        note_failure(self.0.save(record).await)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        note_failure(self.0.load(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        note_failure(self.0.delete(id).await)
    }
}

pub async fn session_outage(request: Request, next: Next) -> Response {
    STORE_FAILED
        .scope(Cell::new(false), async move {
            let response = next.run(request).await;
            let failed = STORE_FAILED.with(Cell::get);
            if failed && response.status() == StatusCode::INTERNAL_SERVER_ERROR {
                AppError::Unavailable("the database is unavailable; try again shortly".into())
                    .into_response()
            } else {
                response
            }
        })
        .await
}
