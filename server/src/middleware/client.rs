//! The client's address: from the connection, or from `X-Forwarded-For`
//! behind a proxy (`TRUST_PROXY_HEADERS`). Deny-listed and automatically
//! blocked addresses are refused here, before anything else is done for them.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::error::AppError;

use crate::AppState;

/// The client's address as the app sees it (after `TRUST_PROXY_HEADERS`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

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
