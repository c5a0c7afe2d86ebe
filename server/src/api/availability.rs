//! `GET /api/v1/availability`: free start times for a service with a provider.

use axum::{
    extract::{Query, State},
    Json,
};
use chrono::{DateTime, NaiveDate, Utc};
use frontdesk::{domain::api_error::ApiErrorBody, error::AppError, services::availability};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiKey;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    service_id: Uuid,
    provider_id: Uuid,
    /// First day, in the provider's zone.
    from: NaiveDate,
    /// Last day (inclusive), at most 62 days after `from`.
    to: NaiveDate,
    /// Minutes between candidate starts (default 15).
    step_minutes: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Slots {
    /// Starts where the provider works, is free (buffers included) and a
    /// resource of every kind the service needs is free.
    slots: Vec<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/api/v1/availability", tag = "appointments", params(SlotQuery),
    responses((status = 200, body = Slots), (status = 422, body = ApiErrorBody)))]
pub async fn slots(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    query: Result<Query<SlotQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Slots>, AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::Unprocessable(format!("the query is not valid: {}", e.body_text()))
    })?;
    let slots = availability::slots(
        &state.deps,
        &client,
        q.service_id,
        q.provider_id,
        q.from,
        q.to,
        q.step_minutes.unwrap_or(15),
    )
    .await?;
    Ok(Json(Slots { slots }))
}
