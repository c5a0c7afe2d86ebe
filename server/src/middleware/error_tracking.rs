//! Sentry around each request: a hub of its own (so breadcrumbs and tags
//! never mix between requests), the request described without its
//! credentials, and the event named by the route that matched.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use sentry::{
    integrations::tower::{HubProvider, SentryHttpLayer, SentryLayer},
    Hub,
};

use super::request_id::request_id_of;

/// The name of every request no route matched: random addresses must not
/// each become a transaction of their own.
pub const UNMATCHED: &str = "unmatched";

/// Gives each request a new hub made from the app's.
#[derive(Clone)]
pub struct RequestHubs(pub Arc<Hub>);

impl HubProvider<Arc<Hub>, Request<Body>> for RequestHubs {
    fn hub(&self, _: &Request<Body>) -> Arc<Hub> {
        Arc::new(Hub::new_from_top(&self.0))
    }
}

/// Binds a hub of its own to each request.
pub fn hub_layer(app: Arc<Hub>) -> SentryLayer<RequestHubs, Arc<Hub>, Request<Body>> {
    SentryLayer::new(RequestHubs(app))
}

/// Describes the request on its events (no cookies, authorization or
/// body) and times it when tracing is sampled.
pub fn http_layer() -> SentryHttpLayer {
    SentryHttpLayer::new().enable_transaction()
}

/// Names the request's events by its route (`/api/{endpoint}`, never the
/// address with its ids) and tags them with the request id.
pub async fn name_by_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |path| path.as_str())
        .to_owned();
    let request_id = request_id_of(&request);
    sentry::configure_scope(|scope| {
        scope.set_transaction(Some(&route));
        if let Some(span) = scope.get_span() {
            span.set_name(&route);
        }
        scope.set_tag("route", &route);
        if let Some(id) = request_id {
            scope.set_tag("request_id", id);
        }
    });
    next.run(request).await
}
