//! `/api/v1/clients/{id}/files` and `/api/v1/files/{id}`: a client's files,
//! upload, a fresh signed link, delete.

use axum::{
    extract::{Path, Query, Request, State},
    http::StatusCode,
    response::Response,
    Extension, Json,
};
use frontdesk::{
    audit::Origin,
    domain::{api_error::ApiErrorBody, views::ClientFileView},
    error::AppError,
    services::files,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{parse_id, ApiKey};
use crate::{
    files::{absolute_links, UploadQuery},
    AppState,
};

#[utoipa::path(get, path = "/api/v1/clients/{id}/files", tag = "files", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ClientFileView]), (status = 404, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<Vec<ClientFileView>>, AppError> {
    let files = files::list(&state.deps, &key, parse_id(&id, "client")?).await?;
    Ok(Json(
        files
            .into_iter()
            .map(|f| absolute_links(&state, f))
            .collect(),
    ))
}

/// The file is the request body, sent as it is (not as a form); `name` gives
/// its name. Its type must be accepted and its content must match the name.
#[utoipa::path(post, path = "/api/v1/clients/{id}/files", tag = "files",
    params(("id" = Uuid, Path), ("name" = String, Query, description = "The file's name, with its extension")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ClientFileView), (status = 404, body = ApiErrorBody),
        (status = 413, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    origin: Option<Extension<Origin>>,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Result<Response, AppError> {
    let client = parse_id(&id, "client")?;
    let origin = origin.map(|Extension(o)| o).unwrap_or_default();
    Ok(crate::files::receive(&state, &key, client, query.name, origin, request, true).await)
}

#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", params(("id" = Uuid, Path)),
    responses((status = 200, body = ClientFileView, description = "The file with fresh links (valid for an hour by default)"),
        (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ClientFileView>, AppError> {
    let file = files::get(&state.deps, &key, parse_id(&id, "file")?).await?;
    Ok(Json(absolute_links(&state, file)))
}

#[derive(Serialize, ToSchema)]
pub struct FileLink {
    pub url: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A link that downloads the file, for handing on.
#[utoipa::path(get, path = "/api/v1/files/{id}/link", tag = "files", params(("id" = Uuid, Path)),
    responses((status = 200, body = FileLink), (status = 404, body = ApiErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<FileLink>, AppError> {
    let file = files::get(&state.deps, &key, parse_id(&id, "file")?).await?;
    let file = absolute_links(&state, file);
    match (file.download_url, file.links_expire_at) {
        (Some(url), Some(expires_at)) => Ok(Json(FileLink { url, expires_at })),
        _ => Err(AppError::Conflict(
            "this file has not been moved into storage yet".into(),
        )),
    }
}

#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted, with its stored object"), (status = 404, body = ApiErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    origin: Option<Extension<Origin>>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let origin = origin.map(|Extension(o)| o).unwrap_or_default();
    files::delete(&state.deps, &key, parse_id(&id, "file")?, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
