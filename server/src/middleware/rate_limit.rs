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

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderName, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::{
    audit::Origin,
    auth::Staff,
    error::AppError,
    ratelimit::{Counted, Decision, Exempt, PolicyKind},
    services::api_keys,
};

use crate::AppState;

/// The client's address as the app sees it (after `TRUST_PROXY_HEADERS`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

pub async fn rate_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let config = &state.config.rate_limit;
    let path = request.uri().path();
    if !config.enabled || super::principal::is_static(path) {
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
    let policies = state.deps.limiter.policies();
    let (policy, key) = if path.starts_with("/api/v1/") {
        match bearer(&request) {
            Some(token) => match api_keys::authenticate(&state.deps, &token).await {
                Ok(client) => {
                    let exempt = config.allow_keys.contains(&client.key_id);
                    let key = format!("{}:{}", client.tenant_id, client.key_id);
                    request.extensions_mut().insert(client);
                    if exempt {
                        request.extensions_mut().insert(Exempt);
                        return next.run(request).await;
                    }
                    (&policies[PolicyKind::Api], key)
                }
                // The handler answers 401; guessing keys spends the address's budget.
                Err(_) => (&policies[PolicyKind::Anonymous], by_address),
            },
            None => (&policies[PolicyKind::Anonymous], by_address),
        }
    } else if path.starts_with("/api/") {
        return next.run(request).await;
    } else {
        match request.extensions().get::<Staff>() {
            Some(staff) => {
                let policy = if matches!(*request.method(), Method::GET | Method::HEAD) {
                    &policies[PolicyKind::Read]
                } else {
                    &policies[PolicyKind::Write]
                };
                (
                    policy,
                    format!("{}:{}:{by_address}", staff.tenant_id, staff.user_id),
                )
            }
            // Public pages (sign-in...) have a budget of their own: an
            // office loading them must not spend the one meant for abuse.
            None if matches!(*request.method(), Method::GET | Method::HEAD) => {
                (&policies[PolicyKind::PublicPages], by_address)
            }
            None => (&policies[PolicyKind::Anonymous], by_address),
        }
    };
    let decision = state.deps.limiter.check(policy, &key).await;
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

/// Finds the client's address for everything after it; deny-listed
/// addresses get 403 before anything else is done for them.
pub async fn client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&request, state.config.auth.trust_proxy_headers);
    let Some(ip) = ip else {
        return next.run(request).await;
    };
    let limits = &state.config.rate_limit;
    if limits.deny_ips.iter().any(|net| net.contains(&ip)) {
        return AppError::Blocked.into_response();
    }
    let allowed = limits.allow_ips.iter().any(|net| net.contains(&ip));
    let auto_block = &state.deps.auto_block;
    let watched = limits.enabled && !allowed && auto_block.enabled();
    if watched {
        if let Some(left) = auto_block.blocked(ip).await {
            let mut response = AppError::Blocked.into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, left.as_secs().max(1).into());
            return response;
        }
    }
    request.extensions_mut().insert(ClientIp(ip));
    let response = next.run(request).await;
    // Every refusal by a rate limit, whichever policy or layer made it.
    if watched && response.status() == axum::http::StatusCode::TOO_MANY_REQUESTS {
        auto_block.record_denial(ip).await;
    }
    response
}

fn client_ip(request: &Request, trust_proxy_headers: bool) -> Option<IpAddr> {
    if trust_proxy_headers {
        // The proxy appends the address it saw: the last entry is the one it vouches for.
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
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

fn bearer(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}
