//! `/api/v1/clients` with API keys: scopes, bad input as 4xx with the
//! problem named, and no reach into another tenant.

use crate::support;

use reqwest::StatusCode;
use serde_json::json;
use support::{api_key, rest, sign_up, TestApp};

#[tokio::test]
async fn clients_over_rest_with_scopes_validation_and_isolation() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let write = api_key(&north, &["clients:write"]).await;
    let read = api_key(&north, &["clients:read"]).await;
    let other = api_key(&north, &["appointments:read"]).await;

    let (status, created) = rest(
        &app,
        &write,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Ann Lee", "email": "ann@example.com", "tags": ["vip"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["client"]["id"].as_str().unwrap().to_string();

    let (status, _) = rest(
        &app,
        &read,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Bob"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read key cannot create");
    let (status, _) = rest(&app, &other, Method::GET, "/api/v1/clients", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no client scope at all");
    let (status, got) = rest(
        &app,
        &read,
        Method::GET,
        &format!("/api/v1/clients/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["email"], "ann@example.com");

    // Bad input: every one a 4xx that says what is wrong.
    let cases = [
        (json!({"name": 5}), "invalid type"),
        (json!({"email": "a@b.co"}), "missing field `name`"),
        (
            json!({"name": "X", "colour": "red"}),
            "unknown field `colour`",
        ),
    ];
    for (body, says) in cases {
        let (status, error) = rest(
            &app,
            &write,
            Method::POST,
            "/api/v1/clients",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            error["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {error}"
        );
    }
    let (status, error) = rest(
        &app,
        &write,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": " ", "email": "ann@", "phone": "call me"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "email", "phone"] {
        assert!(
            error["error"]["fields"][field].is_string(),
            "{field}: {error}"
        );
    }
    let (status, _) = rest(&app, &read, Method::GET, "/api/v1/clients/not-a-uuid", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = rest(
        &app,
        &read,
        Method::GET,
        &format!("/api/v1/clients/{}", uuid::Uuid::now_v7()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/clients?after=garbage",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    // Another tenant's key sees nothing of North's.
    let south = sign_up(&app, "South Salon", "owner@south.example").await;
    let south_key = api_key(&south, &["clients:write"]).await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"name": "Mallory"}))),
        (Method::DELETE, None),
    ] {
        let (status, _) = rest(
            &app,
            &south_key,
            method.clone(),
            &format!("/api/v1/clients/{id}"),
            body,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (_, listed) = rest(&app, &south_key, Method::GET, "/api/v1/clients", None).await;
    assert_eq!(listed["clients"], json!([]));

    // Update, search, archive.
    let (status, updated) = rest(
        &app,
        &write,
        Method::PUT,
        &format!("/api/v1/clients/{id}"),
        Some(json!({"name": "Ann Lee-Smith", "phone": "+49 30 1234567"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (_, found) = rest(&app, &read, Method::GET, "/api/v1/clients?q=1234567", None).await;
    assert_eq!(found["clients"][0]["name"], "Ann Lee-Smith");
    let (status, _) = rest(
        &app,
        &write,
        Method::DELETE,
        &format!("/api/v1/clients/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, archived) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/clients?archived=true",
        None,
    )
    .await;
    assert_eq!(archived["clients"][0]["archived"], true);
    for bad in [
        "/api/v1/clients?sort=shoe_size",
        "/api/v1/clients?archived=maybe",
    ] {
        let (status, error) = rest(&app, &read, Method::GET, bad, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {error}");
    }
    let (status, newest) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/clients?sort=newest&archived=true",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{newest}");
    assert_eq!(newest["clients"][0]["archived"], true);

    // Audit entries name the key as the actor.
    let log = north
        .call_ok("audit-log", &[("entity_type", "client")])
        .await;
    assert_eq!(log["entries"][0]["actor_kind"], "api_key");
    assert_eq!(log["entries"][0]["actor_name"], "Integration");
}
