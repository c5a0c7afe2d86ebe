//! The development outbox (`/dev/outbox` and its server function) shows the
//! mail the app wrote instead of sending it. It exists only in development
//! without SMTP, and answers only callers on this machine unless
//! `DEV_OUTBOX_REMOTE=true`; to anyone else it does not exist (404).

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::{config::AppEnv, error::AppError};

use crate::{middleware::client::ClientIp, AppState};

const PAGE: &str = "/dev/outbox";
const SERVER_FN: &str = "/api/dev-outbox";

pub async fn guard_dev_outbox(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().trim_end_matches('/');
    if path != PAGE && path != SERVER_FN {
        return next.run(request).await;
    }
    let available =
        state.config.app_env == AppEnv::Development && state.deps.mailer.outbox_dir().is_some();
    let caller_allowed = state.config.mail.outbox_remote
        || request
            .extensions()
            .get::<ClientIp>()
            .is_some_and(|ip| ip.0.is_loopback() || ip.0.to_canonical().is_loopback());
    if available && caller_allowed {
        next.run(request).await
    } else {
        AppError::NotFound("there is nothing at this address".into()).into_response()
    }
}
