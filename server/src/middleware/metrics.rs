//! Counts and times every request for the metrics, labelled by the matched
//! route's pattern, so that addresses with ids or random paths cannot grow
//! the number of series.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use frontdesk::telemetry::metrics::{status_class, Metrics, RequestLabels, UNMATCHED_ROUTE};

/// The route of site files served by the fallback (scripts, styles, images).
const STATIC_ROUTE: &str = "static";

pub async fn measure(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let method = method_label(request.method());
    let _in_flight = metrics.in_flight();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    let route = route.unwrap_or_else(|| {
        // No route matched: a site file when it was found, else any address.
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            STATIC_ROUTE.to_owned()
        } else {
            UNMATCHED_ROUTE.to_owned()
        }
    });
    let labels = RequestLabels {
        method: method.to_owned(),
        route,
        status: status_class(status.as_u16()).to_owned(),
    };
    metrics.observe_request(&labels, started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; any other shares one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
