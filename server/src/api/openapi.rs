//! The OpenAPI 3 document of `/api/v1`, generated from the handlers'
//! annotations and served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use super::{appointments, availability, catalog, clients, files};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Frontdesk API",
        description = "Clients and their files, services, providers, resources and appointments of one business. \
Links to files are signed and expire (an hour by default). \
Authenticate with an API key: `Authorization: Bearer fdk_...`. Errors are `{\"error\": {code, message, request_id, fields}}`; \
invalid input is 422 with a message per field, a taken time 409 naming the appointment in the way."
    ),
    paths(
        clients::list, clients::get, clients::create, clients::update, clients::archive,
        appointments::list, appointments::get, appointments::create, appointments::create_series,
        appointments::update, appointments::cancel, availability::slots,
        catalog::list_services, catalog::get_service, catalog::create_service, catalog::update_service, catalog::archive_service,
        catalog::list_providers, catalog::get_provider, catalog::create_provider, catalog::update_provider, catalog::archive_provider,
        catalog::add_time_off, catalog::remove_time_off,
        catalog::list_resources, catalog::get_resource, catalog::create_resource, catalog::update_resource, catalog::archive_resource,
        files::list, files::upload, files::get, files::link, files::delete,
    ),
    modifiers(&ApiKeyAuth),
    security(("api_key" = []))
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`; public, like any API description.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
