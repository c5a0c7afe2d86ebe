//! The real server on port 0 against a fresh database, over real HTTP.

use crate::support;

use std::time::Duration;

use axum::{routing::get, Router};
use reqwest::{header, StatusCode};
use serde_json::Value;
use support::TestApp;

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
];

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            res.headers().get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name} on {what}"
        );
    }
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("CSP on {what}"))
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    // Only style attributes may be inline; scripts and <style> need the nonce.
    let inline: Vec<&str> = csp
        .split(';')
        .filter(|d| d.contains("unsafe-inline"))
        .map(str::trim)
        .collect();
    assert_eq!(inline, ["style-src-attr 'unsafe-inline'"], "{what}: {csp}");
    assert!(
        res.headers().get("x-request-id").is_some(),
        "x-request-id on {what}"
    );
    assert!(
        res.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP on {what}"
    );
}

fn csp_nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let start = csp.find("'nonce-").expect("CSP carries a nonce") + "'nonce-".len();
    let end = start + csp[start..].find('\'').unwrap();
    csp[start..end].to_string()
}

fn script_nonces(html: &str) -> Vec<String> {
    html.match_indices("<script")
        .map(|(i, _)| {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            let start = tag
                .find("nonce=\"")
                .unwrap_or_else(|| panic!("script without nonce: {tag}"))
                + 7;
            tag[start..start + tag[start..].find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_fresh_nonce_matching_their_scripts() {
    let app = TestApp::spawn().await;
    let owner = support::sign_up(&app, "North Clinic", "owner@north.example").await;

    let first = owner.get("/").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_security_headers(&first, "the dashboard page");
    assert!(first.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let nonce = csp_nonce(&first);
    assert!(
        nonce.len() >= 16,
        "nonce {nonce:?} is long enough to be unguessable"
    );
    let html = first.text().await.unwrap();
    assert!(
        // Hydration markers may follow the text inside the heading.
        html.contains("<h1>Dashboard<"),
        "server-rendered content"
    );
    let nonces = script_nonces(&html);
    assert!(!nonces.is_empty(), "the page has hydration scripts");
    assert!(
        nonces.iter().all(|n| *n == nonce),
        "every script carries the header's nonce: {nonces:?} vs {nonce}"
    );

    let second = owner.get("/").await;
    assert_ne!(csp_nonce(&second), nonce, "each response gets a new nonce");

    // The sign-in page, for people not signed in, is held to the same rules.
    let signin = app.get("/signin").await;
    assert_eq!(signin.status(), StatusCode::OK);
    assert_security_headers(&signin, "the sign-in page");
    let nonce = csp_nonce(&signin);
    let html = signin.text().await.unwrap();
    assert!(script_nonces(&html).iter().all(|n| *n == nonce));
}

#[tokio::test]
async fn api_static_files_and_404s_carry_the_same_headers() {
    let app = TestApp::spawn().await;

    let api = app.get("/api/health/live").await;
    assert_eq!(api.status(), StatusCode::OK);
    assert_security_headers(&api, "an API response");

    let file = app.get("/robots.txt").await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_security_headers(&file, "a static file");
    assert_eq!(file.text().await.unwrap(), "User-agent: *\nDisallow: /\n");

    // Signed out, an unknown page leads to the sign-in page; signed in, it is a 404.
    let signed_out = app.get("/no/such/page").await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        signed_out.headers()["location"],
        "/signin?next=%2Fno%2Fsuch%2Fpage"
    );
    let owner = support::sign_up(&app, "North Clinic", "owner@north.example").await;
    let page_404 = owner.get("/no/such/page").await;
    assert_eq!(page_404.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&page_404, "a 404 page");
    assert!(page_404.text().await.unwrap().contains("Page not found"));

    let api_404 = app.get("/api/no-such-endpoint").await;
    assert_eq!(api_404.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&api_404, "an API 404");
    let request_id = api_404.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = api_404.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["request_id"], request_id.as_str());
}

#[tokio::test]
async fn hashed_site_files_are_kept_a_year_and_pages_are_not_cached() {
    // A site root of its own: the public files and one content-hashed script.
    let root = std::env::temp_dir().join(format!("frontdesk-site-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::copy(
        support::public_dir().join("favicon.svg"),
        root.join("favicon.svg"),
    )
    .unwrap();
    std::fs::write(root.join("pkg/frontdesk.Ab3_x-9.js"), "export {};").unwrap();
    std::fs::write(root.join("pkg/frontdesk.js"), "export {};").unwrap();
    let site = root.display().to_string();
    let app = TestApp::spawn_with(move |c| c.site.site_root = site, Router::new()).await;
    let cache = |res: &reqwest::Response| {
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
    };

    let hashed = app.get("/pkg/frontdesk.Ab3_x-9.js").await;
    assert_eq!(hashed.status(), StatusCode::OK);
    assert_eq!(
        cache(&hashed).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    let plain = app.get("/pkg/frontdesk.js").await;
    assert_eq!(cache(&plain).as_deref(), Some("no-cache"));
    let icon = app.get("/favicon.svg").await;
    assert_eq!(cache(&icon).as_deref(), Some("public, max-age=86400"));
    let missing = app.get("/pkg/frontdesk.Zz9.js").await;
    assert_ne!(missing.status(), StatusCode::OK);
    assert_eq!(cache(&missing), None, "an error is never kept");
    let page = app.get("/signin").await;
    assert!(!cache(&page).unwrap_or_default().contains("max-age"));
    std::fs::remove_dir_all(root).ok();
}

#[tokio::test]
async fn health_reports_the_database_with_its_latency() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let db = &body["checks"]["database"];
    assert_eq!(db["status"], "ok");
    assert_eq!(db["required"], true);
    assert!(db["latency_ms"].as_f64().unwrap() >= 0.0);
    let newest = frontdesk::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap();
    assert_eq!(db["schema_version"], newest);
}

#[tokio::test]
async fn health_is_503_when_the_database_is_unreachable_and_says_no_more_than_needed() {
    // Nothing listens on port 1: connections are refused at once.
    let url = "postgres://frontdesk:s3cret-pw@127.0.0.1:1/frontdesk";
    let app = TestApp::spawn_on(
        Some(url.into()),
        |c| c.database.acquire_timeout = Duration::from_millis(500),
        Router::new(),
    )
    .await;

    let res = app.get("/api/health").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "down");
    assert!(
        !text.contains("s3cret-pw") && !text.contains("127.0.0.1:1"),
        "no address or secret leaks: {text}"
    );

    // The process itself is alive, and pages that need no data still render.
    assert_eq!(app.get("/api/health/live").await.status(), StatusCode::OK);
    assert_eq!(app.get("/signin").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_oversized_body_gets_413_with_a_json_error() {
    let app = TestApp::spawn_with(|c| c.http.body_limit_bytes = 1024, Router::new()).await;
    let res = app
        .client
        .post(app.url("/api/health"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers(&res, "a 413");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("1024"));

    // Within the limit, the same request reaches routing (and the method is refused there).
    let res = app
        .client
        .post(app.url("/api/health"))
        .body(vec![b'x'; 512])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;

    let res = app
        .client
        .get(app.url("/api/no-such"))
        .header("x-request-id", "lb-7f3a.42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-7f3a.42");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "lb-7f3a.42");

    let res = app.get("/").await;
    let generated = res.headers()["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(generated).is_ok(),
        "a UUID is generated: {generated}"
    );

    // An id that could garble the logs is replaced, not echoed.
    let res = app
        .client
        .get(app.url("/api/health/live"))
        .header("x-request-id", "evil id\" x=1")
        .send()
        .await
        .unwrap();
    let replaced = res.headers()["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(replaced).is_ok(),
        "replaced with a UUID: {replaced}"
    );
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_https() {
    let app = TestApp::spawn_with(
        |c| c.http.public_url = "https://desk.example.com".into(),
        Router::new(),
    )
    .await;
    let res = app.get("/api/health/live").await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("upgrade-insecure-requests"));
}

#[tokio::test]
async fn a_panic_becomes_a_plain_500() {
    let extra = Router::new().route(
        "/api/test/panic",
        get(|| async {
            panic!("secret detail: connection string postgres://x:y@z");
            #[allow(unreachable_code)]
            ""
        }),
    );
    let app = TestApp::spawn_with(|_| {}, extra).await;
    let res = app.get("/api/test/panic").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_security_headers(&res, "a 500");
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let text = res.text().await.unwrap();
    assert!(!text.contains("secret detail"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert_eq!(body["error"]["request_id"], request_id.as_str());

    // The server keeps serving.
    assert_eq!(app.get("/api/health/live").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_then_stops() {
    let extra = Router::new().route(
        "/api/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(800)).await;
            "done"
        }),
    );
    let mut app = TestApp::spawn_with(|_| {}, extra).await;
    let in_flight = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/api/test/slow");
        async move { client.get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.shut_down();

    let res = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "done");
    let server = app.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(app.url("/api/health/live")).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/signin"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}
