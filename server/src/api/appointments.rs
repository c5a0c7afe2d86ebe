//! `/api/v1/appointments`: list a range, read, book, move or change status, cancel.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    Extension, Json,
};
use chrono::{DateTime, Utc};
use frontdesk::domain::{api_error::ApiErrorBody, records::Scope, scheduling::Recurrence};
use frontdesk::{
    audit::Origin,
    domain::{records::AppointmentStatus, views::AppointmentView},
    error::AppError,
    services::appointments::{self, Booking, Listing},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{parse_id, ApiJson, ApiKey};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Start of the range (RFC 3339), inclusive; required.
    from: Option<DateTime<Utc>>,
    /// End of the range, exclusive; at most 62 days after `from`; required.
    to: Option<DateTime<Utc>>,
    provider_id: Option<Uuid>,
    client_id: Option<Uuid>,
    /// The `next` of the previous page.
    after: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    appointments: Vec<AppointmentView>,
    next: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    client_id: Uuid,
    service_id: Uuid,
    provider_id: Uuid,
    #[serde(default)]
    resource_ids: Vec<Uuid>,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    notes: String,
    /// Books outside the provider's working hours; the reason is kept.
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    override_reason: Option<String>,
}

/// A booking and its weekly rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesBody {
    client_id: Uuid,
    service_id: Uuid,
    provider_id: Uuid,
    #[serde(default)]
    resource_ids: Vec<Uuid>,
    /// The first appointment; the others keep its local time.
    starts_at: DateTime<Utc>,
    #[serde(default)]
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    notes: String,
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    override_reason: Option<String>,
    recurrence: Recurrence,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    appointments: Vec<AppointmentView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// A new start; the length stays the service's.
    starts_at: Option<DateTime<Utc>>,
    /// booked, confirmed, completed or no_show (cancel has its own endpoint).
    status: Option<AppointmentStatus>,
    override_reason: Option<String>,
    /// For a series: `following` moves this and the later ones too.
    #[serde(default)]
    scope: Scope,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    reason: String,
    /// For a series: `following` cancels this and the later ones too.
    #[serde(default)]
    scope: Scope,
}

fn origin(from: Option<Extension<Origin>>) -> Origin {
    from.map(|Extension(o)| o).unwrap_or_default()
}

#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", params(ListQuery),
    responses((status = 200, body = Page), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
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

#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "appointments", params(("id" = Uuid, Path)),
    responses((status = 200, body = AppointmentView), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<AppointmentView>, AppError> {
    appointments::get(&state.deps, &client, parse_id(&id, "appointment")?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = BookBody,
    responses((status = 201, body = AppointmentView), (status = 409, description = "The time is taken; the message names the appointment in the way", body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<(StatusCode, Json<AppointmentView>), AppError> {
    let booking = booking_of(body);
    let view = appointments::book(&state.deps, &client, &booking, &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/api/v1/appointment-series", tag = "appointments", request_body = SeriesBody,
    responses((status = 201, body = Series), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_series(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<SeriesBody>,
) -> Result<(StatusCode, Json<Series>), AppError> {
    let rule = body.recurrence;
    let booking = Booking {
        client_id: body.client_id,
        service_id: body.service_id,
        provider_id: body.provider_id,
        resource_ids: body.resource_ids,
        starts_at: Some(body.starts_at),
        notes: body.notes,
        override_reason: body.override_reason,
    };
    let appointments =
        appointments::book_series(&state.deps, &client, &booking, rule, &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(Series { appointments })))
}

#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "appointments", params(("id" = Uuid, Path)), request_body = ChangeBody,
    responses((status = 200, body = AppointmentView), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
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
        let moved = appointments::reschedule_scoped(
            &state.deps,
            &client,
            id,
            starts_at,
            body.override_reason.as_deref(),
            body.scope,
            &origin,
        )
        .await?;
        view = moved.into_iter().find(|v| v.id == id);
    }
    if let Some(status) = body.status {
        view = Some(appointments::set_status(&state.deps, &client, id, status, &origin).await?);
    }
    view.map(Json)
        .ok_or_else(|| AppError::internal("no change was made"))
}

#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "appointments", params(("id" = Uuid, Path)), request_body = CancelBody,
    responses((status = 200, body = AppointmentView), (status = 404, body = ApiErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<AppointmentView>, AppError> {
    let id = parse_id(&id, "appointment")?;
    appointments::cancel_scoped(
        &state.deps,
        &client,
        id,
        &body.reason,
        body.scope,
        &origin(from),
    )
    .await?
    .into_iter()
    .find(|v| v.id == id)
    .map(Json)
    .ok_or_else(|| AppError::NotFound("no such active appointment".into()))
}

fn booking_of(body: BookBody) -> Booking {
    Booking {
        client_id: body.client_id,
        service_id: body.service_id,
        provider_id: body.provider_id,
        resource_ids: body.resource_ids,
        starts_at: Some(body.starts_at),
        notes: body.notes,
        override_reason: body.override_reason,
    }
}
