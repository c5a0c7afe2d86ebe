//! Security headers on every response, pages, API, static files and errors alike.
//!
//! Each request gets a fresh CSP nonce. It is put into the request's
//! extensions, from where the Leptos renderer picks it up (see
//! `router::provide_request_nonce`), so the nonce on the page's scripts and
//! the one in the `Content-Security-Policy` header are the same.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;

#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// Send HSTS: only when the app is served over HTTPS.
    pub hsts: bool,
    /// Extra `connect-src` sources, e.g. the live-reload websocket in development.
    pub extra_connect_src: Option<String>,
    /// Where presigned file links point (the S3 endpoint), for image previews.
    pub extra_img_src: Option<String>,
}

impl SecurityPolicy {
    pub fn from_config(config: &frontdesk::config::Config) -> Self {
        Self {
            hsts: config.http.is_https(),
            // The page may be opened as localhost or by IP: any host, the reload port only.
            extra_connect_src: config
                .site
                .reload_port
                .map(|port| format!("ws://*:{port} wss://*:{port}")),
            extra_img_src: match config.storage.backend {
                frontdesk::storage::Backend::S3 => Some(
                    config
                        .storage
                        .s3
                        .endpoint
                        .clone()
                        .unwrap_or_else(|| "https://*.amazonaws.com".into()),
                ),
                _ => None,
            },
        }
    }

    /// No inline script runs without the nonce; wasm may be compiled
    /// ('wasm-unsafe-eval'), nothing else may be evaluated. `<style>`
    /// elements need the nonce too; `style` attributes are allowed
    /// (`style-src-attr`): the calendar places appointments with them, and
    /// an attribute can neither run script nor load anything from elsewhere.
    pub fn content_security_policy(&self, nonce: &str) -> String {
        let connect = match &self.extra_connect_src {
            Some(extra) => format!("'self' {extra}"),
            None => "'self'".to_string(),
        };
        let img = match &self.extra_img_src {
            Some(extra) => format!("'self' data: {extra}"),
            None => "'self' data:".to_string(),
        };
        let mut csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; img-src {img}; font-src 'self'; \
             connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        );
        if self.hsts {
            csp.push_str("; upgrade-insecure-requests");
        }
        csp
    }
}

const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

pub async fn security_headers(
    State(policy): State<Arc<SecurityPolicy>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    let csp = policy.content_security_policy(&nonce);
    req.extensions_mut().insert(nonce);
    let mut res = next.run(req).await;

    // A response with a policy of its own (a stored file's) keeps it; one
    // that allows this site to frame it (a message's body) is framed here only.
    let own_csp = res.headers().contains_key(header::CONTENT_SECURITY_POLICY);
    let framed_here = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|csp| csp.contains("frame-ancestors 'self'"));
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    if !own_csp {
        set(header::CONTENT_SECURITY_POLICY, &csp);
    }
    set(
        header::X_FRAME_OPTIONS,
        if framed_here { "SAMEORIGIN" } else { "DENY" },
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if policy.hsts {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_scripts_only_by_nonce_or_origin() {
        let csp = SecurityPolicy {
            hsts: false,
            extra_connect_src: None,
            extra_img_src: None,
        }
        .content_security_policy("abc");
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(csp.contains("style-src 'self' 'nonce-abc'; style-src-attr 'unsafe-inline';"));
        assert_eq!(csp.matches("unsafe-inline").count(), 1, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("upgrade-insecure-requests"));
    }

    #[test]
    fn watch_mode_allows_the_reload_socket_on_any_host_name() {
        let vars = [("LEPTOS_WATCH", "true"), ("LEPTOS_RELOAD_PORT", "3011")];
        let config = frontdesk::config::Config::from_map(
            &vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap();
        let csp = SecurityPolicy::from_config(&config).content_security_policy("n");
        assert!(
            csp.contains("connect-src 'self' ws://*:3011 wss://*:3011;"),
            "{csp}"
        );
        let plain = frontdesk::config::Config::from_map(&Default::default()).unwrap();
        assert!(SecurityPolicy::from_config(&plain)
            .content_security_policy("n")
            .contains("connect-src 'self';"));
    }

    #[test]
    fn development_reload_socket_is_allowed_to_connect() {
        let csp = SecurityPolicy {
            hsts: true,
            extra_connect_src: Some("ws://*:3001".into()),
            extra_img_src: None,
        }
        .content_security_policy("n");
        assert!(csp.contains("connect-src 'self' ws://*:3001;"));
        assert!(csp.ends_with("upgrade-insecure-requests"));
    }
}
