//! Rate limits at the edge: which policy a request falls under and whose
//! budget it spends, the `RateLimit-*` headers, and 429 when it is spent.
//!
//! - REST (`/api/v1/`): the `api` policy per API key (checked here once; the
//!   handler's extractor reuses it). Without a valid key: `anonymous` per address.
//! - Pages: `read` (GET) or `write` per tenant, user and address for staff;
//!   `anonymous` per address otherwise.
//! - Server functions (`/api/<name>`) count themselves, as `read`, `write`,
//!   `anonymous` or `sign_in`, because only they know which they are.
//! - Built assets and health checks are never limited; allow-listed
//!   addresses and keys bypass limits; deny-listed addresses are refused
//!   (see [`refuse_denied`]).

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::{
    audit::Origin,
    auth::Staff,
    ratelimit::{Counted, Decision, Exempt, PolicyKind},
    services::api_keys,
};

use super::{bearer::bearer, client::ClientIp, paths::is_static};
use crate::AppState;

pub async fn rate_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let config = &state.config.rate_limit;
    let path = request.uri().path();
    if !config.enabled || is_static(path) {
        return next.run(request).await;
    }
    let ip = request.extensions().get::<ClientIp>().map(|c| c.0);
    if ip.is_some_and(|ip| config.allow_ips.iter().any(|net| net.contains(&ip))) {
        request.extensions_mut().insert(Exempt);
        return next.run(request).await;
    }
    let by_address = request
        .extensions()
        .get::<Origin>()
        .and_then(|o| o.ip_hash.clone())
        .unwrap_or_else(|| "unknown".into());
    let (policy, key) = if path.starts_with("/api/v1/") {
        match bearer(request.headers()).map(str::to_owned) {
            Some(token) => match api_keys::authenticate(&state.deps, &token).await {
                Ok(client) => {
                    let exempt = config.allow_keys.contains(&client.key_id);
                    let key = format!("{}:{}", client.tenant_id, client.key_id);
                    request.extensions_mut().insert(client);
                    if exempt {
                        request.extensions_mut().insert(Exempt);
                        return next.run(request).await;
                    }
                    (PolicyKind::Api, key)
                }
                // The handler answers 401; guessing keys spends the address's budget.
                Err(_) => (PolicyKind::Anonymous, by_address),
            },
            None => (PolicyKind::Anonymous, by_address),
        }
    } else if path.starts_with("/api/") {
        return next.run(request).await;
    } else {
        match request.extensions().get::<Staff>() {
            Some(staff) => {
                let policy = if matches!(*request.method(), Method::GET | Method::HEAD) {
                    PolicyKind::Read
                } else {
                    PolicyKind::Write
                };
                (
                    policy,
                    format!("{}:{}:{by_address}", staff.tenant_id, staff.user_id),
                )
            }
            // Public pages (sign-in...) have a budget of their own: an
            // office loading them must not spend the one meant for abuse.
            None if matches!(*request.method(), Method::GET | Method::HEAD) => {
                (PolicyKind::PublicPages, by_address)
            }
            None => (PolicyKind::Anonymous, by_address),
        }
    };
    let Some(decision) = state.deps.limiter.spend(policy, &key, false).await else {
        return next.run(request).await;
    };
    let mut response = if decision.allowed {
        request.extensions_mut().insert(Counted);
        next.run(request).await
    } else {
        decision.error().into_response()
    };
    // A handler that spent a narrower budget (uploads) reports that one.
    if !response.headers().contains_key("ratelimit-limit") {
        add_headers(&mut response, &decision);
    }
    response
}

pub fn add_headers(response: &mut Response, decision: &Decision) {
    for (name, value) in decision.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
}
