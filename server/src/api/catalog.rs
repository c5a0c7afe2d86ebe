//! `/api/v1/services`, `/api/v1/providers`, `/api/v1/resources`: what the
//! business offers and who and what does it. Lists are whole (a business
//! has tens of these, not thousands); archived ones drop out of lists.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Extension, Json,
};
use frontdesk::{
    audit::Origin,
    domain::{
        api_error::ApiErrorBody,
        scheduling::WorkingSpan,
        views::{ProviderView, ResourceView, ServiceView, TimeOffView},
    },
    error::AppError,
    services::catalog::{self, ProviderInput, ServiceInput},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_id, ApiJson, ApiKey};
use crate::AppState;

fn origin(from: Option<Extension<Origin>>) -> Origin {
    from.map(|Extension(o)| o).unwrap_or_default()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    name: String,
    /// 5 to 1440.
    #[schema(minimum = 5, maximum = 1440)]
    duration_minutes: i32,
    /// In the currency's minor unit (cents).
    #[serde(default)]
    #[schema(minimum = 0)]
    price_minor: i64,
    /// ISO 4217, such as EUR.
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 240)]
    buffer_before_minutes: i32,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 240)]
    buffer_after_minutes: i32,
    /// `#rrggbb`; a default when empty.
    #[serde(default)]
    #[schema(pattern = "^\\s*(#[0-9a-fA-F]{6})?\\s*$")]
    colour: String,
    /// Kinds of resource every booking needs, such as `room`.
    #[serde(default)]
    resource_kinds: Vec<String>,
    /// Who performs it; empty means every provider.
    #[serde(default)]
    provider_ids: Vec<Uuid>,
}

impl From<ServiceBody> for ServiceInput {
    fn from(b: ServiceBody) -> Self {
        ServiceInput {
            name: b.name,
            duration_minutes: b.duration_minutes,
            price_minor: b.price_minor,
            currency: b.currency,
            buffer_before_minutes: b.buffer_before_minutes,
            buffer_after_minutes: b.buffer_after_minutes,
            colour: b.colour,
            resource_kinds: b.resource_kinds,
            provider_ids: b.provider_ids,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    name: String,
    /// IANA name, such as Europe/Berlin.
    #[schema(min_length = 1, max_length = 64)]
    time_zone: String,
    /// `#rrggbb`; a default when empty.
    #[serde(default)]
    #[schema(pattern = "^\\s*(#[0-9a-fA-F]{6})?\\s*$")]
    colour: String,
    /// The provider's own staff account, if any.
    #[serde(default)]
    user_id: Option<Uuid>,
    /// Weekly working spans; several a day leave breaks.
    #[serde(default)]
    hours: Vec<WorkingSpan>,
}

impl From<ProviderBody> for ProviderInput {
    fn from(b: ProviderBody) -> Self {
        ProviderInput {
            name: b.name,
            time_zone: b.time_zone,
            colour: b.colour,
            user_id: b.user_id,
            hours: b.hours,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceBody {
    /// 1 to 200 characters, not only spaces.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    name: String,
    /// A short lower-case word such as room or chair.
    #[schema(pattern = "^\\s*[A-Za-z][A-Za-z0-9_-]{0,39}\\s*$")]
    kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    services: Vec<ServiceView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    providers: Vec<ProviderView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceList {
    resources: Vec<ResourceView>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses((status = 200, body = ServiceList), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn list_services(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
) -> Result<Json<ServiceList>, AppError> {
    let services = catalog::list_services(&state.deps, &client).await?;
    Ok(Json(ServiceList { services }))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceView), (status = 404, body = ApiErrorBody)))]
pub async fn get_service(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ServiceView>, AppError> {
    catalog::get_service(&state.deps, &client, parse_id(&id, "service")?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceBody,
    responses((status = 201, body = ServiceView), (status = 422, body = ApiErrorBody)))]
pub async fn create_service(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<(StatusCode, Json<ServiceView>), AppError> {
    let view = catalog::create_service(&state.deps, &client, &body.into(), &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "services", params(("id" = Uuid, Path)), request_body = ServiceBody,
    responses((status = 200, body = ServiceView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_service(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<Json<ServiceView>, AppError> {
    let id = parse_id(&id, "service")?;
    catalog::update_service(&state.deps, &client, id, &body.into(), &origin(from))
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Archived"), (status = 404, body = ApiErrorBody)))]
pub async fn archive_service(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
) -> Result<StatusCode, AppError> {
    catalog::archive_service(
        &state.deps,
        &client,
        parse_id(&id, "service")?,
        &origin(from),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    responses((status = 200, body = ProviderList), (status = 401, body = ApiErrorBody)))]
pub async fn list_providers(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
) -> Result<Json<ProviderList>, AppError> {
    let providers = catalog::list_providers(&state.deps, &client).await?;
    Ok(Json(ProviderList { providers }))
}

#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProviderView), (status = 404, body = ApiErrorBody)))]
pub async fn get_provider(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ProviderView>, AppError> {
    catalog::get_provider(&state.deps, &client, parse_id(&id, "provider")?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/providers", tag = "providers", request_body = ProviderBody,
    responses((status = 201, body = ProviderView), (status = 422, body = ApiErrorBody)))]
pub async fn create_provider(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<(StatusCode, Json<ProviderView>), AppError> {
    let view = catalog::create_provider(&state.deps, &client, &body.into(), &origin(from)).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(put, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path)), request_body = ProviderBody,
    responses((status = 200, body = ProviderView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_provider(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<Json<ProviderView>, AppError> {
    let id = parse_id(&id, "provider")?;
    catalog::update_provider(&state.deps, &client, id, &body.into(), &origin(from))
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Archived"), (status = 404, body = ApiErrorBody)))]
pub async fn archive_provider(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
) -> Result<StatusCode, AppError> {
    catalog::archive_provider(
        &state.deps,
        &client,
        parse_id(&id, "provider")?,
        &origin(from),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/resources", tag = "resources",
    responses((status = 200, body = ResourceList), (status = 401, body = ApiErrorBody)))]
pub async fn list_resources(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
) -> Result<Json<ResourceList>, AppError> {
    let resources = catalog::list_resources(&state.deps, &client).await?;
    Ok(Json(ResourceList { resources }))
}

#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = Uuid, Path)),
    responses((status = 200, body = ResourceView), (status = 404, body = ApiErrorBody)))]
pub async fn get_resource(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
) -> Result<Json<ResourceView>, AppError> {
    catalog::get_resource(&state.deps, &client, parse_id(&id, "resource")?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/v1/resources", tag = "resources", request_body = ResourceBody,
    responses((status = 201, body = ResourceView), (status = 422, body = ApiErrorBody)))]
pub async fn create_resource(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ResourceBody>,
) -> Result<(StatusCode, Json<ResourceView>), AppError> {
    let view =
        catalog::create_resource(&state.deps, &client, &body.name, &body.kind, &origin(from))
            .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(put, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), request_body = ResourceBody,
    responses((status = 200, body = ResourceView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn update_resource(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<ResourceBody>,
) -> Result<Json<ResourceView>, AppError> {
    let id = parse_id(&id, "resource")?;
    catalog::update_resource(
        &state.deps,
        &client,
        id,
        &body.name,
        &body.kind,
        &origin(from),
    )
    .await
    .map(Json)
}

#[utoipa::path(delete, path = "/api/v1/resources/{id}", tag = "resources", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Archived"), (status = 404, body = ApiErrorBody)))]
pub async fn archive_resource(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
) -> Result<StatusCode, AppError> {
    catalog::archive_resource(
        &state.deps,
        &client,
        parse_id(&id, "resource")?,
        &origin(from),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffBody {
    from: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    #[serde(default)]
    #[schema(pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/providers/{id}/time-off", tag = "providers", params(("id" = Uuid, Path)), request_body = TimeOffBody,
    responses((status = 201, body = TimeOffView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_time_off(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
    ApiJson(body): ApiJson<TimeOffBody>,
) -> Result<(StatusCode, Json<TimeOffView>), AppError> {
    let provider = parse_id(&id, "provider")?;
    let id = catalog::add_time_off(
        &state.deps,
        &client,
        provider,
        body.from,
        body.until,
        &body.reason,
        &origin(from),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TimeOffView {
            id,
            starts_at: body.from,
            ends_at: body.until,
            reason: body.reason.trim().to_string(),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/time-off/{id}", tag = "providers", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ApiErrorBody)))]
pub async fn remove_time_off(
    State(state): State<AppState>,
    ApiKey(client): ApiKey,
    Path(id): Path<String>,
    from: Option<Extension<Origin>>,
) -> Result<StatusCode, AppError> {
    catalog::remove_time_off(
        &state.deps,
        &client,
        parse_id(&id, "time off")?,
        &origin(from),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
