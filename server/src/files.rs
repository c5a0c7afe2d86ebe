//! Client files over HTTP for the staff UI: the upload endpoint (the page
//! sends the file as the request body, so the browser can report progress),
//! and the handler that serves links signed by the app.

use axum::{
    body::Body,
    extract::{Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use frontdesk::{
    audit::Origin,
    auth::{Principal, Staff},
    domain::{
        roles::{Action, Permission, RecordKind},
        views::ClientFileView,
    },
    error::AppError,
    ratelimit::{Exempt, PolicyKind},
    services::files,
    storage::{self, Disposition, Grant},
};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use crate::{api::parse_id, middleware::rate_limit::add_headers, AppState};

/// The policy for file responses: nothing in them may run or load anything,
/// whatever they contain.
pub const FILE_CSP: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The file's name, with its extension.
    pub name: Option<String>,
}

/// Links signed by the app are paths on it; API callers get them whole.
pub fn absolute_links(state: &AppState, mut file: ClientFileView) -> ClientFileView {
    let base = &state.config.http.public_url;
    for url in [&mut file.download_url, &mut file.preview_url]
        .into_iter()
        .flatten()
    {
        if url.starts_with('/') {
            *url = format!("{base}{url}");
        }
    }
    file
}

/// Receives one file as the request body for `client`, after spending the
/// tenant's upload budget; the answer carries the budget's headers.
pub async fn receive(
    state: &AppState,
    who: &impl Principal,
    client: Uuid,
    name: Option<String>,
    origin: Origin,
    request: Request,
    absolute: bool,
) -> Response {
    // Refusals that cost nothing do not spend the business's budget.
    if let Err(err) = who.require(Permission::Record(RecordKind::File, Action::Create)) {
        return err.into_response();
    }
    let exempt = request.extensions().get::<Exempt>().is_some();
    let decision = state
        .deps
        .limiter
        .spend(PolicyKind::Upload, &who.tenant_id().to_string(), exempt)
        .await;
    let mut response = match &decision {
        Some(d) if !d.allowed => d.error().into_response(),
        _ => upload(state, who, client, name, origin, request)
            .await
            .map(|file| {
                if absolute {
                    absolute_links(state, file)
                } else {
                    file
                }
            })
            .map(|file| (StatusCode::CREATED, Json(file)).into_response())
            .unwrap_or_else(IntoResponse::into_response),
    };
    if let Some(decision) = &decision {
        add_headers(&mut response, decision);
    }
    response
}

async fn upload(
    state: &AppState,
    who: &impl Principal,
    client: Uuid,
    name: Option<String>,
    origin: Origin,
    request: Request,
) -> Result<ClientFileView, AppError> {
    let name = name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
        AppError::field("name", "give the file's name as ?name=, with its extension")
    })?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = request.into_body().into_data_stream();
    files::upload(&state.deps, who, client, &name, declared, body, &origin).await
}

/// `POST /files/clients/{id}?name=...`: a signed-in team member uploads.
pub async fn staff_upload(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    origin: Option<Extension<Origin>>,
    Path(client): Path<String>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return AppError::Unauthorized.into_response();
    };
    let client = match parse_id(&client, "client") {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let origin = origin.map(|Extension(o)| o).unwrap_or_default();
    receive(&state, &staff, client, query.name, origin, request, false).await
}

/// `GET /files/signed/{key}?tenant&expires&disposition&type&name&signature`:
/// the file, when the signature is right and the link has not expired.
/// Every refusal is the same 403, so a link reveals nothing about what exists.
pub async fn signed(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(grant) = grant_from(&key, &query) else {
        return AppError::LinkInvalid.into_response();
    };
    let signature = query.get("signature").map(String::as_str).unwrap_or("");
    let valid = state.deps.storage.signer().verify(&grant, signature)
        && grant.expires > chrono::Utc::now().timestamp()
        && grant.key.starts_with(&storage::tenant_prefix(grant.tenant));
    if !valid {
        return AppError::LinkInvalid.into_response();
    }
    let (size, stream) = match state.deps.storage.stream(&grant.key).await {
        Ok(found) => found,
        Err(storage::StorageError::NotFound) => return AppError::LinkInvalid.into_response(),
        Err(err) => return AppError::from(err).into_response(),
    };
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            h.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, &grant.content_type);
    set(header::CONTENT_LENGTH, &size.to_string());
    set(
        header::CONTENT_DISPOSITION,
        &grant.disposition.header_value(&grant.name),
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::CONTENT_SECURITY_POLICY, FILE_CSP);
    // The link is private to whoever holds it, and stops working at `expires`.
    let max_age = (grant.expires - chrono::Utc::now().timestamp()).max(0);
    set(
        header::CACHE_CONTROL,
        &format!("private, max-age={max_age}"),
    );
    response
}

fn grant_from(key: &str, query: &HashMap<String, String>) -> Option<Grant> {
    Some(Grant {
        tenant: query.get("tenant")?.parse().ok()?,
        key: key.to_string(),
        expires: query.get("expires")?.parse().ok()?,
        disposition: Disposition::parse(query.get("disposition")?)?,
        content_type: query.get("type")?.clone(),
        name: query.get("name")?.clone(),
    })
}
