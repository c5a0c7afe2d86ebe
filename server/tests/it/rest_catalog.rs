//! `/api/v1/services`, `/providers`, `/resources`, weekly series over REST,
//! and the OpenAPI document, checked against the handlers it describes.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{api_key, rest, sign_up, TestApp};

fn says(error: &Value, text: &str) -> bool {
    error.to_string().contains(text)
}

#[tokio::test]
async fn catalog_over_rest_with_clear_errors_and_no_cross_tenant_reads() {
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let south = sign_up(&app, "South Clinic", "owner@south.example").await;
    let key = api_key(
        &north,
        &[
            "services:write",
            "providers:write",
            "resources:write",
            "clients:write",
            "appointments:write",
        ],
    )
    .await;
    let south_key = api_key(
        &south,
        &["services:write", "providers:write", "resources:write"],
    )
    .await;
    let weekdays: Vec<Value> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .map(|d| json!({"weekday": d, "starts": "08:00:00", "ends": "18:00:00"}))
        .collect();

    // Providers.
    let (status, provider) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/providers",
        Some(json!({"name": "Dana", "time_zone": "America/New_York", "hours": weekdays})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{provider}");
    assert_eq!(provider["hours"].as_array().unwrap().len(), 7);
    let provider_id = provider["id"].as_str().unwrap().to_string();
    for (body, field) in [
        (json!({"name": "X", "time_zone": "Mars/Base"}), "time_zone"),
        (json!({"name": "", "time_zone": "UTC"}), "name"),
        (
            json!({"name": "X", "time_zone": "UTC", "hours": [{"weekday": "Mon", "starts": "17:00:00", "ends": "09:00:00"}]}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "hours": [{"weekday": "Someday", "starts": "09:00:00", "ends": "17:00:00"}]}),
            "weekday",
        ),
        (json!({"time_zone": "UTC"}), "missing field `name`"),
        (
            json!({"name": "X", "time_zone": "UTC", "shoe_size": 9}),
            "shoe_size",
        ),
    ] {
        let (status, error) = rest(
            &app,
            &key,
            Method::POST,
            "/api/v1/providers",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {error}"
        );
        assert!(says(&error, field), "{body} -> {error}");
    }

    // Resources.
    let (status, room) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/resources",
        Some(json!({"name": "Room 1", "kind": "room"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{room}");
    let (status, error) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/resources",
        Some(json!({"name": "Room 2", "kind": "Big Room!"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["kind"].is_string(), "{error}");

    // Services.
    let service_body = json!({
        "name": "Massage", "duration_minutes": 50, "price_minor": 6000, "currency": "EUR",
        "buffer_after_minutes": 10, "resource_kinds": ["room"], "provider_ids": [provider_id],
    });
    let (status, service) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/services",
        Some(service_body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{service}");
    let service_id = service["id"].as_str().unwrap().to_string();
    let mut bad = service_body.clone();
    bad["duration_minutes"] = json!("fifty");
    let mut short = service_body.clone();
    short["duration_minutes"] = json!(2);
    let mut foreign = service_body.clone();
    foreign["provider_ids"] = json!([uuid::Uuid::now_v7()]);
    let mut price = service_body.clone();
    price["currency"] = json!("euro");
    for (body, field) in [
        (bad, "duration_minutes"),
        (short, "duration_minutes"),
        (foreign, "provider_ids"),
        (price, "price"),
    ] {
        let (status, error) = rest(
            &app,
            &key,
            Method::POST,
            "/api/v1/services",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {error}"
        );
        assert!(says(&error, field), "{body} -> {error}");
    }

    // Lists, reads, updates, archive.
    let (status, list) = rest(&app, &key, Method::GET, "/api/v1/services", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["services"][0]["provider_ids"][0], provider_id.as_str());
    let mut renamed = service_body.clone();
    renamed["name"] = json!("Long massage");
    renamed["duration_minutes"] = json!(80);
    let (status, updated) = rest(
        &app,
        &key,
        Method::PUT,
        &format!("/api/v1/services/{service_id}"),
        Some(renamed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["duration_minutes"], 80);
    let (status, updated) = rest(
        &app,
        &key,
        Method::PUT,
        &format!("/api/v1/providers/{provider_id}"),
        Some(json!({"name": "Dana K.", "time_zone": "America/New_York", "hours": [{"weekday": "Mon", "starts": "09:00:00", "ends": "12:00:00"}, {"weekday": "Mon", "starts": "13:00:00", "ends": "17:00:00"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["hours"].as_array().unwrap().len(), 2);

    // Another business cannot see or change these; unknown ids are 404.
    for path in [
        format!("/api/v1/services/{service_id}"),
        format!("/api/v1/providers/{provider_id}"),
        format!("/api/v1/resources/{}", room["id"].as_str().unwrap()),
        "/api/v1/services/not-an-id".to_string(),
        format!("/api/v1/resources/{}", uuid::Uuid::now_v7()),
    ] {
        let (status, _) = rest(&app, &south_key, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let (status, _) = rest(&app, &south_key, Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, south_list) = rest(&app, &south_key, Method::GET, "/api/v1/providers", None).await;
    assert_eq!(south_list["providers"], json!([]));

    // A weekly series over REST: three Mondays at 10:00 New York time.
    let (_, client) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Pat"})),
    )
    .await;
    let series = json!({
        "client_id": client["client"]["id"], "service_id": service_id, "provider_id": provider_id,
        "resource_ids": [room["id"]], "starts_at": "2026-10-26T14:00:00Z",
        "recurrence": {"every_weeks": 1, "until": null, "count": 3},
    });
    let (status, booked) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/appointment-series",
        Some(series.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let starts: Vec<&str> = booked["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["starts_at"].as_str().unwrap())
        .collect();
    // Summer time ends on 1 November: 10:00 local moves from 14:00 to 15:00 UTC.
    assert_eq!(
        starts,
        [
            "2026-10-26T14:00:00Z",
            "2026-11-02T15:00:00Z",
            "2026-11-09T15:00:00Z"
        ]
    );
    let (status, error) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/appointment-series",
        Some(series.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    // Monday 2 November (EST): hours 09:00-12:00 and 13:00-17:00; 10:00-11:30 is held
    // (80 minutes and a 10-minute buffer), so the morning has no room for 80 minutes.
    let slots_of = |day: &str| {
        format!("/api/v1/availability?service_id={service_id}&provider_id={provider_id}&from={day}&to={day}&step_minutes=30")
    };
    let (status, free) = rest(&app, &key, Method::GET, &slots_of("2026-11-02"), None).await;
    assert_eq!(status, StatusCode::OK, "{free}");
    let free: Vec<&str> = free["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(free.first(), Some(&"2026-11-02T18:00:00Z"), "{free:?}");
    assert_eq!(free.last(), Some(&"2026-11-02T20:30:00Z"), "{free:?}");
    let (status, error) = rest(&app, &key, Method::GET, &format!("/api/v1/availability?service_id={service_id}&provider_id={provider_id}&from=2026-11-02&to=2027-11-02"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, error) = rest(
        &app,
        &key,
        Method::GET,
        "/api/v1/availability?service_id=x",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    // Time off on the afternoon of 9 November: no slots left that day.
    let (status, off) = rest(
        &app,
        &key,
        Method::POST,
        &format!("/api/v1/providers/{provider_id}/time-off"),
        Some(json!({"from": "2026-11-09T17:00:00Z", "until": "2026-11-09T23:00:00Z", "reason": "training"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{off}");
    let (_, free) = rest(&app, &key, Method::GET, &slots_of("2026-11-09"), None).await;
    assert_eq!(free["slots"], json!([]), "{free}");
    let (status, error) = rest(
        &app,
        &key,
        Method::POST,
        &format!("/api/v1/providers/{provider_id}/time-off"),
        Some(json!({"from": "2026-11-09T23:00:00Z", "until": "2026-11-09T17:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let off_path = format!("/api/v1/time-off/{}", off["id"].as_str().unwrap());
    let (status, _) = rest(&app, &south_key, Method::DELETE, &off_path, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another business cannot remove it"
    );
    let (status, _) = rest(&app, &key, Method::DELETE, &off_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, free) = rest(&app, &key, Method::GET, &slots_of("2026-11-09"), None).await;
    assert_eq!(free["slots"].as_array().unwrap().len(), 6, "{free}");
    let mut extra = series.clone();
    extra["colour_of_socks"] = json!("red");
    let (status, error) = rest(
        &app,
        &key,
        Method::POST,
        "/api/v1/appointment-series",
        Some(extra),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let second = booked["appointments"][1]["id"].as_str().unwrap();
    let (status, cancelled) = rest(
        &app,
        &key,
        Method::POST,
        &format!("/api/v1/appointments/{second}/cancel"),
        Some(json!({"reason": "moving away", "scope": "following"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let third = booked["appointments"][2]["id"].as_str().unwrap();
    let (_, third) = rest(
        &app,
        &key,
        Method::GET,
        &format!("/api/v1/appointments/{third}"),
        None,
    )
    .await;
    assert_eq!(third["status"], "cancelled");

    // Archived services leave the list.
    let (status, _) = rest(
        &app,
        &key,
        Method::DELETE,
        &format!("/api/v1/services/{service_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = rest(&app, &key, Method::GET, "/api/v1/services", None).await;
    assert_eq!(list["services"], json!([]));
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_handlers_that_answer() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    operations.sort();
    let mut expected: Vec<(String, String)> = [
        ("GET", "/api/v1/clients"),
        ("POST", "/api/v1/clients"),
        ("GET", "/api/v1/clients/{id}"),
        ("PUT", "/api/v1/clients/{id}"),
        ("DELETE", "/api/v1/clients/{id}"),
        ("GET", "/api/v1/appointments"),
        ("POST", "/api/v1/appointments"),
        ("GET", "/api/v1/appointments/{id}"),
        ("PATCH", "/api/v1/appointments/{id}"),
        ("POST", "/api/v1/appointments/{id}/cancel"),
        ("POST", "/api/v1/appointment-series"),
        ("GET", "/api/v1/availability"),
        ("GET", "/api/v1/services"),
        ("POST", "/api/v1/services"),
        ("GET", "/api/v1/services/{id}"),
        ("PUT", "/api/v1/services/{id}"),
        ("DELETE", "/api/v1/services/{id}"),
        ("GET", "/api/v1/providers"),
        ("POST", "/api/v1/providers"),
        ("GET", "/api/v1/providers/{id}"),
        ("PUT", "/api/v1/providers/{id}"),
        ("DELETE", "/api/v1/providers/{id}"),
        ("POST", "/api/v1/providers/{id}/time-off"),
        ("DELETE", "/api/v1/time-off/{id}"),
        ("GET", "/api/v1/resources"),
        ("POST", "/api/v1/resources"),
        ("GET", "/api/v1/resources/{id}"),
        ("PUT", "/api/v1/resources/{id}"),
        ("DELETE", "/api/v1/resources/{id}"),
        ("GET", "/api/v1/clients/{id}/files"),
        ("POST", "/api/v1/clients/{id}/files"),
        ("GET", "/api/v1/files/{id}"),
        ("DELETE", "/api/v1/files/{id}"),
        ("GET", "/api/v1/files/{id}/link"),
        ("GET", "/api/v1/conversations"),
        ("POST", "/api/v1/conversations"),
        ("GET", "/api/v1/conversations/{id}"),
        ("POST", "/api/v1/conversations/{id}/replies"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    expected.sort();
    assert_eq!(operations, expected);

    // Every documented operation is served: without a key each answers 401, never 404 or 405.
    for (method, path) in &operations {
        let url = app.url(&path.replace("{id}", &uuid::Uuid::now_v7().to_string()));
        let response = app
            .client
            .request(method.parse().unwrap(), url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    // Every schema a body or response names is defined.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "{name} is referenced but not defined"
        );
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());

    // Parameters are where the handlers read them: `{id}` in the path, the
    // rest in the query string; every operation documents its errors.
    for (method, path) in &operations {
        let operation = &doc["paths"][path][method.to_lowercase()];
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let expected = if path.contains(&format!("{{{name}}}")) {
                "path"
            } else {
                "query"
            };
            assert_eq!(parameter["in"], expected, "{method} {path} {name}");
        }
        for status in ["401", "422", "429", "503"] {
            assert!(
                operation["responses"][status]["content"]["application/json"].is_object(),
                "{method} {path} does not document {status}"
            );
        }
    }
}
