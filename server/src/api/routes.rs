//! Every `/api/v1` route, declared once: the router serves these
//! declarations and the OpenAPI document is generated from the same ones, so
//! the two cannot drift.

use axum::{body::Bytes, http::header, routing::get, Router};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    appointments, availability, catalog, clients, files, key_info, messages,
    openapi::{ApiDoc, ErrorResponses},
};
use crate::AppState;

/// The API's routes, the document among them.
pub struct V1 {
    /// Routes whose bodies are read whole (and so stay under the request body limit).
    pub routes: Router<AppState>,
    /// Routes that stream their body into storage, limited by the upload size instead.
    pub streaming: Router<AppState>,
}

pub fn v1() -> V1 {
    let routes = OpenApiRouter::new()
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::archive))
        .routes(routes!(appointments::list, appointments::create))
        .routes(routes!(appointments::get, appointments::update))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::create_series))
        .routes(routes!(availability::slots))
        .routes(routes!(catalog::list_services, catalog::create_service))
        .routes(routes!(
            catalog::get_service,
            catalog::update_service,
            catalog::archive_service
        ))
        .routes(routes!(catalog::list_providers, catalog::create_provider))
        .routes(routes!(
            catalog::get_provider,
            catalog::update_provider,
            catalog::archive_provider
        ))
        .routes(routes!(catalog::add_time_off))
        .routes(routes!(catalog::remove_time_off))
        .routes(routes!(catalog::list_resources, catalog::create_resource))
        .routes(routes!(
            catalog::get_resource,
            catalog::update_resource,
            catalog::archive_resource
        ))
        .routes(routes!(files::list))
        .routes(routes!(files::get, files::delete))
        .routes(routes!(files::link))
        .routes(routes!(messages::list, messages::start))
        .routes(routes!(messages::get))
        .routes(routes!(messages::reply));
    let streaming = OpenApiRouter::new().routes(routes!(files::upload));

    let (routes, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes)
        .split_for_parts();
    let (streaming, mut document) = OpenApiRouter::with_openapi(document)
        .merge(streaming)
        .split_for_parts();
    // After the operations are in: it adds the common errors to each.
    ErrorResponses.modify(&mut document);
    // Serialized once: every request gets the same bytes.
    let served = Bytes::from(serde_json::to_vec(&document).expect("the document serializes"));
    let routes = routes
        .route("/api/v1/key", get(key_info))
        // Public, like any API description.
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let body = served.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
    V1 { routes, streaming }
}
