//! `/api/v1/appointments`: list a range, read, book, move or change status, cancel.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Extension, Json,
};
use chrono::{DateTime, Utc};
use frontdesk::{
    audit::Origin,
    domain::{records::AppointmentStatus, views::AppointmentView},
    error::AppError,
    services::appointments::{self, Booking, Listing},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_id, ApiJson, ApiKey};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    provider_id: Option<Uuid>,
    client_id: Option<Uuid>,
    after: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Page {
    appointments: Vec<AppointmentView>,
    next: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    client_id: Uuid,
    service_id: Uuid,
    provider_id: Uuid,
    #[serde(default)]
    resource_ids: Vec<Uuid>,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    notes: String,
    override_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    starts_at: Option<DateTime<Utc>>,
    status: Option<AppointmentStatus>,
    override_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    reason: String,
}

fn origin(from: Option<Extension<Origin>>) -> Origin {
    from.map(|Extension(o)| o).unwrap_or_default()
}

pub async fn list(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page>, AppError> {
    let Query(query) = query.map_err(|e| {
        AppError::Unprocessable(format!("the query is not valid: {}", e.body_text()))
    })?;
    let listing = Listing {
        from: query.from,
        to: query.to,
        provider_id: query.provider_id,
        client_id: query.client_id,
        after: query.after,
    };
    let (appointments, next) = appointments::list(&state.deps, &client, &listing).await?;
    Ok(Json(Page { appointments, next }))
}

pub async fn get(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<AppointmentView>, AppError> {
    appointments::get(&state.deps, &client, parse_id(&id, "appointment")?)
        .await
        .map(Json)
}

pub async fn create(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<(StatusCode, Json<AppointmentView>), AppError> {
    let booking = Booking {
        client_id: body.client_id,
        service_id: body.service_id,
        provider_id: body.provider_id,
        resource_ids: body.resource_ids,
        starts_at: Some(body.starts_at),
        notes: body.notes,
        override_reason: body.override_reason,
    };
    let view = appointments::book(&state.deps, &client, &booking, &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub async fn update(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<AppointmentView>, AppError> {
    let id = parse_id(&id, "appointment")?;
    let origin = origin(from);
    if body.starts_at.is_none() && body.status.is_none() {
        return Err(AppError::field(
            "starts_at",
            "change starts_at, status, or both",
        ));
    }
    let mut view = None;
    if let Some(starts_at) = body.starts_at {
        view = Some(
            appointments::reschedule(
                &state.deps,
                &client,
                id,
                starts_at,
                body.override_reason.as_deref(),
                &origin,
            )
            .await?,
        );
    }
    if let Some(status) = body.status {
        view = Some(appointments::set_status(&state.deps, &client, id, status, &origin).await?);
    }
    view.map(Json)
        .ok_or_else(|| AppError::internal("no change was made"))
}

pub async fn cancel(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<AppointmentView>, AppError> {
    appointments::cancel(
        &state.deps,
        &client,
        parse_id(&id, "appointment")?,
        &body.reason,
        &origin(from),
    )
    .await
    .map(Json)
}
