//! The public REST API, authenticated by API key (`Authorization: Bearer fdk_...`).

pub mod appointments;
pub mod availability;
pub mod catalog;
pub mod clients;
pub mod files;
pub mod messages;
pub mod openapi;
mod routes;

pub use routes::{v1, V1};

use axum::{
    extract::{FromRequestParts, State},
    http::request::Parts,
    Json,
};
use frontdesk::{auth::ApiClient, error::AppError, services::api_keys};
use serde::Serialize;
use uuid::Uuid;

use crate::{middleware::bearer::bearer, AppState};

/// The API key a request presents, checked against the stored hashes.
pub struct ApiKey(pub ApiClient);

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        // The rate-limit layer has checked the key already.
        if let Some(client) = parts.extensions.get::<ApiClient>() {
            return Ok(ApiKey(client.clone()));
        }
        let presented = bearer(&parts.headers).ok_or_else(|| {
            AppError::InvalidCredentials("Send an API key as 'Authorization: Bearer <key>'.".into())
        })?;
        api_keys::authenticate(&state.deps, presented)
            .await
            .map(ApiKey)
    }
}

#[derive(Serialize)]
pub struct KeyInfo {
    tenant_id: Uuid,
    key_id: Uuid,
    scopes: Vec<String>,
}

/// `GET /api/v1/key`: which tenant and scopes the presented key has.
pub async fn key_info(State(_): State<AppState>, ApiKey(client): ApiKey) -> Json<KeyInfo> {
    Json(KeyInfo {
        tenant_id: client.tenant_id,
        key_id: client.key_id,
        scopes: client.scopes.iter().map(ToString::to_string).collect(),
    })
}

/// A JSON body whose problems are answered with a 422 that names the field
/// (`missing field \`name\``, `invalid type: ...`), never a bare 400 or 500.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(AppError::Unprocessable(format!(
                "the request body is not valid: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// An id from the path; one that is not a UUID names nothing.
pub fn parse_id(text: &str, what: &str) -> Result<Uuid, AppError> {
    text.parse()
        .map_err(|_| AppError::NotFound(format!("no such {what}")))
}
