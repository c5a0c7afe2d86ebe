//! What the OpenAPI 3 document of `/api/v1` says beyond its operations
//! (title, authentication, the errors every operation can answer). The
//! operations come from the routes themselves (`routes.rs`); the document is
//! served at `/api/v1/openapi.json`.

use utoipa::{
    openapi::{
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, Ref, ResponseBuilder,
    },
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Frontdesk API",
        description = "Clients and their files, services, providers, resources, appointments and email conversations of one business. \
Links to files are signed and expire (an hour by default). \
Authenticate with an API key: `Authorization: Bearer fdk_...`. Errors are `{\"error\": {code, message, request_id, fields}}`; \
invalid input is 422 with a message per field, a taken time 409 naming the appointment in the way."
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

/// The errors every operation can answer, documented on each with the
/// error body: the handlers' own annotations name only what is particular
/// to them (404, 409...).
pub struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            let with_body = [&mut item.post, &mut item.put, &mut item.patch];
            for operation in with_body.into_iter().flatten() {
                add_errors(operation, has_id, true);
            }
            for operation in [&mut item.get, &mut item.delete].into_iter().flatten() {
                add_errors(operation, has_id, false);
            }
        }
    }
}

fn add_errors(operation: &mut Operation, has_id: bool, has_body: bool) {
    let mut errors = vec![
        ("400", "The request is malformed (a path or query value of the wrong type)."),
        ("401", "No API key, or one that is unknown or revoked."),
        ("403", "The key lacks the scope this operation needs, or the address is blocked."),
        ("422", "Invalid input: the message and `fields` name each problem (control characters in text included)."),
        ("429", "The key's rate limit is spent; `Retry-After` says when to try again."),
        ("503", "A dependency (the database) is unavailable; `Retry-After` says when to try again."),
    ];
    if has_id {
        errors.push(("404", "No such record in this business."));
    }
    if has_body {
        errors.push(("413", "The body is larger than the request body limit."));
    }
    for (status, description) in errors {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                            .build(),
                    )
                    .into()
            });
    }
}
