//! Regressions for what an outside test of the landed app found: an open
//! redirect after sign-in, control characters answering 500, the
//! development outbox shown across businesses and addresses, and database
//! outages answered 500 without `Retry-After`. Each over real HTTP.

use crate::support;

use axum::Router;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{api_key, rest, sign_up, tcp_proxy::TcpProxy, Browser, TestApp, PASSWORD};

#[tokio::test]
async fn sign_in_sends_only_to_paths_on_this_site() {
    let app = TestApp::spawn().await;
    sign_up(&app, "Redirect Clinic", "owner@redirect.example").await;
    // NUL, VT and FF are refused before sign-in looks at them (as in any field).
    for next in [
        "/\0/evil.example",
        "/\u{b}/evil.example",
        "/\u{c}/evil.example",
    ] {
        let response = Browser::new(&app)
            .call(
                "sign-in",
                &[
                    ("email", "owner@redirect.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{next:?}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["fields"]["next"].is_string(), "{body}");
    }
    let cases = [
        ("/clients?q=ann", "/clients?q=ann"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/%09/evil.example"),
        ("/\n/evil.example", "/"),
        ("/\r/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/%2F/evil.example", "/%2F/evil.example"),
        ("https://evil.example/", "/"),
    ];
    for (next, expected) in cases {
        let browser = Browser::new(&app);
        let response = browser
            .call(
                "sign-in",
                &[
                    ("email", "owner@redirect.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "{next:?}: {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, expected, "{next:?}");
        // However a browser reads it, it stays on this site.
        let base = reqwest::Url::parse("https://desk.example/").unwrap();
        assert_eq!(
            base.join(&location).unwrap().host_str(),
            Some("desk.example"),
            "{next:?} -> {location:?}"
        );
    }
}

/// The status and JSON body of a response.
async fn answer(response: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

/// The field a 422 names, in either error shape (REST or server function).
fn field_named(body: &serde_json::Value) -> Vec<String> {
    let fields = body["error"]["fields"]
        .as_object()
        .or_else(|| body["fields"].as_object())
        .cloned()
        .unwrap_or_default();
    fields.keys().cloned().collect()
}

#[tokio::test]
async fn a_nul_byte_in_any_text_field_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "Nul Clinic", "owner@nul.example").await;
    let key = api_key(&owner, &["clients:write", "clients:read", "services:write"]).await;
    let nul = "Ann\0Lee";
    let client_form = |field: &str| {
        let mut form = vec![
            ("name", "Ann"),
            ("email", ""),
            ("phone", ""),
            ("notes", ""),
            ("tags", ""),
        ];
        for pair in &mut form {
            if pair.0 == field {
                pair.1 = nul;
            }
        }
        form
    };
    // Server functions (the pages' forms).
    let mut checked = 0;
    for field in ["name", "email", "phone", "notes", "tags"] {
        let (status, body) = answer(owner.call("save-client", &client_form(field)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(field_named(&body), [field], "{body}");
        checked += 1;
    }
    let visitor = Browser::new(&app);
    for (endpoint, form, field) in [
        ("sign-in", vec![("email", nul), ("password", "x")], "email"),
        (
            "sign-in",
            vec![("email", "a@b.example"), ("password", nul)],
            "password",
        ),
        ("forgot-password", vec![("email", nul)], "email"),
        (
            "sign-up",
            vec![
                ("business_name", nul),
                ("slug", ""),
                ("time_zone", "Europe/Berlin"),
                ("name", "Ann"),
                ("email", "ann@nul2.example"),
                ("password", PASSWORD),
            ],
            "business_name",
        ),
    ] {
        let (status, body) = answer(visitor.call(endpoint, &form).await).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{endpoint}: {body}"
        );
        assert_eq!(field_named(&body), [field], "{endpoint}: {body}");
        checked += 1;
    }
    let (status, body) = answer(owner.call("clients", &[("query", nul)]).await).await;
    assert_eq!(
        (status, field_named(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["query".to_string()]),
        "{body}"
    );
    checked += 1;
    // REST: query strings and JSON bodies.
    let (status, body) = rest(&app, &key, Method::GET, "/api/v1/clients?q=%00", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_named(&body), ["q"]);
    checked += 1;
    for (path, payload, field) in [
        ("/api/v1/clients", json!({"name": nul}), "name"),
        (
            "/api/v1/clients",
            json!({"name": "Ann", "notes": nul}),
            "notes",
        ),
        (
            "/api/v1/clients",
            json!({"name": "Ann", "tags": ["ok", nul]}),
            "tags[1]",
        ),
        (
            "/api/v1/services",
            json!({"name": nul, "duration_minutes": 30, "currency": "EUR"}),
            "name",
        ),
    ] {
        let (status, body) = rest(&app, &key, Method::POST, path, Some(payload)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(field_named(&body), [field], "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("U+0000"),
            "{body}"
        );
        checked += 1;
    }
    assert!(checked >= 15);
    // Other control characters too; tabs and line breaks in notes are kept.
    let (status, _) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Esc\u{1b}ape"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Ann Lee", "notes": "first line\n\tsecond line"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["client"]["notes"], "first line\n\tsecond line");
    // Nothing half-written: only that client exists.
    let (_, list) = rest(&app, &key, Method::GET, "/api/v1/clients", None).await;
    assert_eq!(list["clients"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn the_outbox_shows_a_business_only_its_own_mail_and_only_to_this_machine() {
    let app = TestApp::spawn_with(|c| c.auth.trust_proxy_headers = true, Router::new()).await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let south = sign_up(&app, "South Clinic", "owner@south.example").await;
    // North invites a colleague (account mail) and south's owner asks for a
    // password reset (account mail); north also books nothing, south nothing.
    north
        .call_ok(
            "invite",
            &[("email", "new@north.example"), ("role", "staff")],
        )
        .await;
    let visitor = Browser::new(&app);
    visitor
        .call_ok("forgot-password", &[("email", "owner@south.example")])
        .await;
    // Both messages are written (the tests read tokens from the files)...
    support::latest_token(&app.outbox, "/accept-invitation", "new@north.example").await;
    support::latest_token(&app.outbox, "/reset-password", "owner@south.example").await;
    // ...and neither is shown to any business: they carry sign-in links.
    for browser in [&north, &south] {
        let listed = browser.call_ok("dev-outbox", &[]).await;
        assert_eq!(listed, json!([]), "{listed}");
    }
    // A business's own mail (sent by a worker, like every email) is shown
    // to it and not to the other.
    let north_id = support::staff_of(&north).await.tenant_id;
    let email = frontdesk::mail::OutgoingEmail::plain("mia@example.com", "Your booking", "See you");
    let mut work = app.deps.in_business(north_id, "test").await.unwrap();
    work.enqueue(frontdesk::jobs::NewJob::new(
        frontdesk::services::jobs::SendEmail(email),
    ))
    .await
    .unwrap();
    work.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let listed = loop {
        let listed = north.call_ok("dev-outbox", &[]).await;
        if listed.as_array().is_some_and(|l| !l.is_empty()) {
            break listed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the email was not sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["subject"], "Your booking");
    assert_eq!(south.call_ok("dev-outbox", &[]).await, json!([]));
    let from_elsewhere = app
        .client
        .get(app.url("/dev/outbox"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(from_elsewhere.status(), StatusCode::NOT_FOUND);
    let fn_from_elsewhere = north
        .client
        .post(app.url("/api/dev-outbox"))
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(fn_from_elsewhere.status(), StatusCode::NOT_FOUND);
    // From this machine the page exists.
    assert_eq!(north.get("/dev/outbox").await.status(), StatusCode::OK);

    // In production, or with SMTP, it exists for nobody.
    let production = TestApp::spawn_with(
        |c| c.app_env = frontdesk::config::AppEnv::Production,
        Router::new(),
    )
    .await;
    assert_eq!(
        production.get("/api/dev-outbox").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_database_outage_is_answered_503_with_retry_after_and_survived() {
    let first = TestApp::spawn().await;
    let owner = sign_up(&first, "Outage Clinic", "owner@db-outage.example").await;
    let key = api_key(&owner, &["clients:read"]).await;
    let upstream = support::admin_url();
    let upstream_addr: std::net::SocketAddr = {
        let url = reqwest::Url::parse(&upstream).unwrap();
        format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
            .parse()
            .unwrap()
    };
    let mut proxy = TcpProxy::start(upstream_addr).await;
    let mut url = reqwest::Url::parse(&first.database_url()).unwrap();
    url.set_port(Some(proxy.addr.port())).unwrap();
    let url = url.to_string();
    let app = TestApp::spawn_on(
        Some(url),
        |c| {
            c.database.acquire_timeout = std::time::Duration::from_millis(1000);
            c.jobs.in_serve = false;
        },
        Router::new(),
    )
    .await;
    // A signed-in browser on this instance, before the outage.
    let desk = Browser::new(&app);
    let r = desk.sign_in("owner@db-outage.example", PASSWORD).await;
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(desk.get("/clients").await.status(), StatusCode::OK);

    proxy.cut();
    let requests: Vec<(&str, reqwest::Response)> = vec![
        ("page, signed in", desk.get("/clients").await),
        (
            "server function, signed in",
            desk.call("clients", &[("query", "")]).await,
        ),
        (
            "REST",
            app.client
                .get(app.url("/api/v1/clients"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        ),
        (
            "sign-in",
            Browser::new(&app)
                .sign_in("owner@db-outage.example", PASSWORD)
                .await,
        ),
        ("health", app.get("/api/health").await),
    ];
    for (what, response) in requests {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        assert!(
            retry
                .as_deref()
                .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)),
            "{what}: Retry-After {retry:?}"
        );
    }

    // Back again: the same browser carries on.
    proxy.restore().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if desk.get("/clients").await.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no recovery after the outage"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (status, _) = rest(&app, &key, Method::GET, "/api/v1/clients", None).await;
    assert_eq!(status, StatusCode::OK);
}
