//! How long browsers keep the site's static files. The wasm, JS and CSS carry
//! a content hash in their names (cargo-leptos `hash-files`), so they never
//! change under a name and are kept for a year without asking again; the
//! other assets (the favicon, robots.txt) are kept for a day, so a page load
//! does not fetch them again.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::Response,
};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const A_DAY: &str = "public, max-age=86400";
/// Unhashed builds (development, tests) must be fetched again after a rebuild.
const REVALIDATE: &str = "no-cache";

/// The cache rule for a static file at `path`, or `None` for what is not one.
pub fn rule_for(path: &str, pkg_prefix: &str) -> Option<&'static str> {
    if let Some(file) = path.strip_prefix(pkg_prefix) {
        // `frontdesk.<hash>.js`: three parts, the middle one the hash.
        let hashed = file.split('.').count() >= 3 && !file.contains('/');
        return Some(if hashed { IMMUTABLE } else { REVALIDATE });
    }
    matches!(path, "/favicon.svg" | "/robots.txt").then_some(A_DAY)
}

/// `pkg_prefix` is the site's package directory as a path, like `/pkg/`.
pub async fn static_cache(
    State(pkg_prefix): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let rule = (request.method() == Method::GET || request.method() == Method::HEAD)
        .then(|| rule_for(request.uri().path(), &pkg_prefix))
        .flatten();
    let mut response = next.run(request).await;
    if let Some(rule) = rule.filter(|_| response.status().is_success()) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_files_are_kept_and_others_asked_again() {
        assert_eq!(
            rule_for("/pkg/frontdesk.Ab3_x-9.js", "/pkg/"),
            Some(IMMUTABLE)
        );
        assert_eq!(
            rule_for("/pkg/frontdesk.Zq1.wasm", "/pkg/"),
            Some(IMMUTABLE)
        );
        assert_eq!(rule_for("/pkg/frontdesk.css", "/pkg/"), Some(REVALIDATE));
        assert_eq!(rule_for("/favicon.svg", "/pkg/"), Some(A_DAY));
        assert_eq!(rule_for("/calendar", "/pkg/"), None);
        assert_eq!(rule_for("/api/health", "/pkg/"), None);
    }
}
