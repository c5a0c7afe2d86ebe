//! `/api/v1/clients`: list and search, read, create, change, archive.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Json,
};
use frontdesk::domain::{api_error::ApiErrorBody, records::ClientSort};
use frontdesk::{
    audit::Origin,
    domain::views::{ClientPage, ClientView, SavedClient},
    error::AppError,
    services::clients::{self, ClientInput},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{parse_id, ApiJson, ApiKey};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    name: String,
    /// An address someone can receive mail at; empty or null for none.
    #[serde(default)]
    #[schema(max_length = 254)]
    email: Option<String>,
    /// Digits with an optional leading +, spaces, dots, hyphens and brackets.
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    notes: Option<String>,
    /// At most 20, of at most 40 characters each (compared lower-cased).
    #[serde(default)]
    #[schema(max_items = 20)]
    tags: Vec<String>,
    #[serde(default)]
    email_reminders: bool,
}

impl From<ClientBody> for ClientInput {
    fn from(body: ClientBody) -> Self {
        ClientInput {
            name: body.name,
            email: body.email.unwrap_or_default(),
            phone: body.phone.unwrap_or_default(),
            notes: body.notes.unwrap_or_default(),
            tags: body.tags,
            email_reminders: body.email_reminders,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Matches anywhere in name, email or phone.
    #[serde(default)]
    #[param(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    q: String,
    /// The `next` of the previous page.
    after: Option<String>,
    /// Archived clients instead of active ones.
    #[serde(default)]
    archived: bool,
    /// `name` (default) or `newest`.
    #[serde(default)]
    #[param(inline)]
    sort: ClientSort,
}

fn origin(parts: Option<axum::Extension<Origin>>) -> Origin {
    parts.map(|axum::Extension(o)| o).unwrap_or_default()
}

#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = ClientPage), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ClientPage>, AppError> {
    let Query(query) = query.map_err(|e| {
        AppError::Unprocessable(format!("the query is not valid: {}", e.body_text()))
    })?;
    clients::list_sorted(
        &state.deps,
        &client,
        &query.q,
        query.after.as_deref(),
        query.archived,
        query.sort,
    )
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, body = ClientView), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, AppError> {
    clients::get(&state.deps, &client, parse_id(&id, "client")?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientBody,
    responses((status = 201, body = SavedClient), (status = 422, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<axum::Extension<Origin>>,
    ApiJson(body): ApiJson<ClientBody>,
) -> Result<(StatusCode, Json<SavedClient>), AppError> {
    let saved = clients::create(&state.deps, &client, &body.into(), &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)), request_body = ClientBody,
    responses((status = 200, body = SavedClient), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<axum::Extension<Origin>>,
    ApiJson(body): ApiJson<ClientBody>,
) -> Result<Json<SavedClient>, AppError> {
    let id = parse_id(&id, "client")?;
    clients::update(&state.deps, &client, id, &body.into(), &origin(from))
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Archived"), (status = 404, body = ApiErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<axum::Extension<Origin>>,
) -> Result<StatusCode, AppError> {
    clients::archive(
        &state.deps,
        &client,
        parse_id(&id, "client")?,
        &origin(from),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
