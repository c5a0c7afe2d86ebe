//! The application error type, mapped to HTTP once, here.
//!
//! Every variant becomes a status and a JSON body
//! `{ "error": { "code", "message", "request_id" } }`. Internal details are
//! logged (with the request id) and never put into a response.

use std::time::Duration;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::{
    domain::{api_error::ApiErrorBody, form::FieldErrors},
    request_context,
};

/// What a 503 asks clients to wait: outages seen so far (a database restart,
/// a failover) last seconds.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed (bad JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in to continue")]
    Unauthorized,
    /// The email and password (or key) did not match; the message never says which.
    #[error("{0}")]
    InvalidCredentials(String),
    /// A state-changing request from another site (CSRF).
    #[error("this request came from another site and was refused")]
    CrossSite,
    #[error("you do not have permission to do this")]
    Forbidden,
    /// Needs a verified email address, and this person's is not yet.
    #[error("verify your email address first: open the link we sent you, or send it again from your profile")]
    EmailUnverified,
    /// The business requires two-factor sign-in and this person has not set it up.
    #[error("your business requires two-factor sign-in: set it up on your profile page first")]
    TwoFactorRequired,
    /// A signed link to a file that is tampered with, expired, or names
    /// nothing; which of these is never said.
    #[error("this link is invalid or has expired")]
    LinkInvalid,
    /// The client's address is on the deny-list.
    #[error("requests from this address are blocked")]
    Blocked,
    #[error("{0}")]
    NotFound(String),
    #[error("this address does not accept that method")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("the file is larger than the upload limit of {} ({limit_bytes} bytes)", crate::domain::files::human_size(*limit_bytes))]
    FileTooLarge { limit_bytes: u64 },
    /// Well-formed but invalid input; the message names the field and the problem.
    #[error("{0}")]
    Unprocessable(String),
    /// Invalid form or API input, per field.
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Duration,
        /// The policy that denied (`write`, `sign_in`...), when a named limit did.
        limit: Option<String>,
    },
    /// A dependency is down; the message names it, not its address.
    #[error("{0}")]
    Unavailable(String),
    #[error("the request took too long")]
    Timeout,
    /// Anything unexpected. The source is logged; the response says only "internal error".
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidCredentials(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden
            | AppError::TwoFactorRequired
            | AppError::EmailUnverified
            | AppError::CrossSite
            | AppError::Blocked
            | AppError::LinkInvalid => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge { .. } | AppError::FileTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::Unprocessable(_) | AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials(_) => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::TwoFactorRequired => "two_factor_required",
            AppError::EmailUnverified => "email_unverified",
            AppError::Blocked => "blocked",
            AppError::LinkInvalid => "link_invalid",
            AppError::CrossSite => "cross_site_request",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge { .. } | AppError::FileTooLarge { .. } => "payload_too_large",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::Invalid(_) => "invalid",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Timeout => "timeout",
            AppError::Internal(_) => "internal",
        }
    }

    /// The error a bare status stands for, when a layer below the handlers
    /// (axum, tower-http) answered with a status and no body of ours.
    pub fn from_status(status: StatusCode, body_limit_bytes: usize) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => AppError::Unauthorized,
            StatusCode::FORBIDDEN => AppError::Forbidden,
            StatusCode::NOT_FOUND => AppError::NotFound("there is nothing at this address".into()),
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => AppError::Timeout,
            StatusCode::CONFLICT => {
                AppError::Conflict("the request conflicts with the current state".into())
            }
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
                limit_bytes: body_limit_bytes,
            },
            StatusCode::UNPROCESSABLE_ENTITY => {
                AppError::Unprocessable("the request body is not valid".into())
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                AppError::BadRequest("the request body has an unsupported content type".into())
            }
            StatusCode::TOO_MANY_REQUESTS => AppError::RateLimited {
                message: "too many requests".into(),
                retry_after: Duration::from_secs(1),
                limit: None,
            },
            StatusCode::SERVICE_UNAVAILABLE => {
                AppError::Unavailable("the service is temporarily unavailable".into())
            }
            s if s.is_client_error() => AppError::BadRequest("the request is malformed".into()),
            _ => AppError::Internal("unexpected server error".into()),
        }
    }

    /// The JSON body, carrying the current request's id.
    pub fn body(&self) -> ApiErrorBody {
        let mut body = ApiErrorBody::new(
            self.code(),
            self.to_string(),
            request_context::current_request_id(),
        );
        if let AppError::Invalid(fields) = self {
            body.error.fields = Some(fields.clone());
        }
        if let AppError::RateLimited {
            retry_after, limit, ..
        } = self
        {
            body.error.limit = limit.clone();
            body.error.retry_after = Some(retry_after.as_secs().max(1));
        }
        body
    }

    /// How long a client should wait before trying again, for the errors
    /// that pass: a spent rate limit, and an outage (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AppError::RateLimited { retry_after, .. } => Some(*retry_after),
            AppError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }

    /// One field's problem.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(FieldErrors::single(field, message))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Internal(source) => tracing::error!(error = %source, "internal error"),
            AppError::Unavailable(what) => tracing::warn!(%what, "dependency unavailable"),
            _ => tracing::debug!(code = self.code(), %status, "request rejected"),
        }
        let mut response = (status, Json(self.body())).into_response();
        if let Some(retry_after) = self.retry_after() {
            let secs = retry_after.as_secs().max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            err if is_outage(&err) => {
                tracing::warn!(error = %err, "database unavailable");
                AppError::Unavailable("the database is unavailable; try again shortly".into())
            }
            sqlx::Error::RowNotFound => AppError::NotFound("no such record".into()),
            other => AppError::internal(other),
        }
    }
}

/// Whether `err` means the database cannot be reached or is restarting,
/// rather than that the query was wrong.
fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // Connection exceptions (08), shutdown and recovery (57P01-57P03),
        // too many connections (53300).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: AppError) -> (StatusCode, serde_json::Value, Option<HeaderValue>) {
        let response = request_context::scope("req-7".into(), async { err.into_response() }).await;
        let status = response.status();
        let retry = response.headers().get(header::RETRY_AFTER).cloned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), retry)
    }

    #[tokio::test]
    async fn each_kind_maps_to_its_status_and_code() {
        let cases = [
            (AppError::BadRequest("x".into()), 400, "bad_request"),
            (AppError::Unauthorized, 401, "unauthorized"),
            (AppError::Forbidden, 403, "forbidden"),
            (AppError::NotFound("x".into()), 404, "not_found"),
            (AppError::MethodNotAllowed, 405, "method_not_allowed"),
            (AppError::Timeout, 408, "timeout"),
            (AppError::Conflict("x".into()), 409, "conflict"),
            (
                AppError::PayloadTooLarge { limit_bytes: 10 },
                413,
                "payload_too_large",
            ),
            (AppError::Unprocessable("x".into()), 422, "unprocessable"),
            (AppError::Unavailable("x".into()), 503, "unavailable"),
            (AppError::internal("boom"), 500, "internal"),
        ];
        for (err, status, code) in cases {
            let (s, body, _) = body_of(err).await;
            assert_eq!(s.as_u16(), status);
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["error"]["request_id"], "req-7");
        }
    }

    #[test]
    fn bare_statuses_keep_their_status() {
        for code in [
            400u16, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503,
        ] {
            let status = StatusCode::from_u16(code).unwrap();
            let expected = if code == 415 {
                StatusCode::BAD_REQUEST
            } else {
                status
            };
            assert_eq!(
                AppError::from_status(status, 10).status(),
                expected,
                "{code}"
            );
        }
        assert!(AppError::from_status(StatusCode::PAYLOAD_TOO_LARGE, 1024)
            .to_string()
            .contains("1024"));
    }

    #[tokio::test]
    async fn internal_details_stay_out_of_the_body() {
        let (_, body, _) = body_of(AppError::internal(
            "password authentication failed for user app at 10.0.0.5",
        ))
        .await;
        assert_eq!(body["error"]["message"], "internal error");
        assert!(!body.to_string().contains("10.0.0.5"));
    }

    #[tokio::test]
    async fn outages_ask_clients_to_retry() {
        let (status, body, retry) = body_of(AppError::from(sqlx::Error::PoolTimedOut)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "unavailable");
        assert_eq!(retry.unwrap(), "5");
        let (status, _, retry) = body_of(AppError::from(sqlx::Error::PoolClosed)).await;
        assert_eq!((status.as_u16(), retry.is_some()), (503, true));
        let (status, _, retry) =
            body_of(AppError::from(sqlx::Error::ColumnNotFound("x".into()))).await;
        assert_eq!((status.as_u16(), retry), (500, None));
    }

    #[tokio::test]
    async fn rate_limited_sets_retry_after() {
        let err = AppError::RateLimited {
            message: "too many sign-in attempts".into(),
            retry_after: Duration::from_secs(42),
            limit: Some("sign_in".into()),
        };
        let (status, body, retry) = body_of(err).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error"]["message"], "too many sign-in attempts");
        assert_eq!(body["error"]["limit"], "sign_in");
        assert_eq!(body["error"]["retry_after"], 42);
        assert_eq!(retry.unwrap(), "42");
    }
}
