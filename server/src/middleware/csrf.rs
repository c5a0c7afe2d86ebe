//! Cross-site request forgery: a state-changing request (anything but GET,
//! HEAD, OPTIONS) from a browser must come from this app's own pages.
//!
//! Browsers say where a request comes from in `Sec-Fetch-Site`; older ones
//! send only `Origin`, which must then name this host. A request with
//! neither did not come from a browser and carries no victim's cookies.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontdesk::error::AppError;

/// The app's own origin (`PUBLIC_URL`), accepted besides the request's Host.
#[derive(Debug, Clone)]
pub struct TrustedOrigin(pub String);

impl TrustedOrigin {
    /// `https://desk.example.com` from `https://desk.example.com/some/path`.
    pub fn of_public_url(url: &str) -> Self {
        let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
        TrustedOrigin(match url[after_scheme..].find('/') {
            Some(slash) => url[..after_scheme + slash].to_string(),
            None => url.to_string(),
        })
    }
}

pub async fn reject_cross_site(
    State(trusted): State<TrustedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || is_same_site(request.headers(), &trusted) {
        next.run(request).await
    } else {
        tracing::warn!(
            sec_fetch_site = ?request.headers().get("sec-fetch-site"),
            origin = ?request.headers().get(header::ORIGIN),
            "cross-site request refused"
        );
        AppError::CrossSite.into_response()
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_same_site(headers: &HeaderMap, trusted: &TrustedOrigin) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed into the address bar or opened from a bookmark.
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == trusted.0 {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn decides_by_fetch_metadata_first_then_origin() {
        let trusted = TrustedOrigin("https://desk.example.com".into());
        let same = |pairs| is_same_site(&headers(pairs), &trusted);
        assert!(same(&[("sec-fetch-site", "same-origin")]));
        assert!(same(&[("sec-fetch-site", "none")]));
        assert!(!same(&[("sec-fetch-site", "same-site")]));
        assert!(!same(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://desk.example.com")
        ]));
        assert!(same(&[]));
        assert!(same(&[("origin", "https://desk.example.com")]));
        assert!(same(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(!same(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(!same(&[("origin", "null"), ("host", "127.0.0.1:3000")]));
    }
}
