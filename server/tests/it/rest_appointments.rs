//! `/api/v1/appointments` with API keys: booking, conflicts as 409, bad
//! input as 422 naming the problem, listing a range, changes, isolation.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{
    add_client, add_provider, add_service, api_key, hours_on, rest, sign_up, staff_of, TestApp,
    WEEKDAYS,
};

#[tokio::test]
async fn appointments_over_rest() {
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let owner = staff_of(&north).await;
    let provider = add_provider(
        &app,
        &owner,
        "Dana",
        "Europe/Berlin",
        hours_on(&WEEKDAYS, 9, 17),
    )
    .await;
    let service = add_service(&app, &owner, "Massage", 50, "EUR").await;
    let client = add_client(&app, &owner, "Ann").await;
    let write = api_key(&north, &["appointments:write"]).await;
    let read = api_key(&north, &["appointments:read"]).await;
    let body = |starts: &str| json!({"client_id": client, "service_id": service, "provider_id": provider, "starts_at": starts});

    let (status, booked) = rest(
        &app,
        &write,
        Method::POST,
        "/api/v1/appointments",
        Some(body("2026-12-07T09:00:00Z")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let id = booked["id"].as_str().unwrap().to_string();
    assert_eq!(booked["ends_at"], "2026-12-07T09:50:00Z");

    let (status, conflict) = rest(
        &app,
        &write,
        Method::POST,
        "/api/v1/appointments",
        Some(body("2026-12-07T09:30:00Z")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Who holds the time, in the business's time; no ids or UTC.
    assert_eq!(
        conflict["error"]["message"], "Dana is with Ann 10:00\u{2013}10:50.",
        "{conflict}"
    );
    let (status, _) = rest(
        &app,
        &read,
        Method::POST,
        "/api/v1/appointments",
        Some(body("2026-12-08T09:00:00Z")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bad input.
    let mut wrong_service = body("2026-12-08T09:00:00Z");
    wrong_service["service_id"] = json!(uuid::Uuid::now_v7());
    let mut no_client = body("2026-12-08T09:00:00Z");
    no_client.as_object_mut().unwrap().remove("client_id");
    let cases = [
        (
            json!({"client_id": client, "service_id": service, "provider_id": provider, "starts_at": "tomorrow"}),
            "starts_at",
        ),
        (no_client, "missing field `client_id`"),
        (
            json!({"client_id": "x", "service_id": service, "provider_id": provider, "starts_at": "2026-12-08T09:00:00Z"}),
            "client_id",
        ),
        (wrong_service, "service"),
        (body("2026-12-07T20:00:00Z"), "working hours"),
    ];
    for (case, says) in cases {
        let (status, error) = rest(
            &app,
            &write,
            Method::POST,
            "/api/v1/appointments",
            Some(case.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {error}");
        assert!(error.to_string().contains(says), "{case}: {error}");
    }

    // Listing a range.
    let (status, error) = rest(&app, &read, Method::GET, "/api/v1/appointments", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, _) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/appointments?from=2026-12-01T00:00:00Z&to=2027-06-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/appointments?from=yesterday&to=2027-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, page) = rest(
        &app,
        &read,
        Method::GET,
        "/api/v1/appointments?from=2026-12-07T00:00:00Z&to=2026-12-14T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(page["next"], Value::Null);

    // Changes and cancelling.
    let (status, error) = rest(
        &app,
        &write,
        Method::PATCH,
        &format!("/api/v1/appointments/{id}"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, moved) = rest(
        &app,
        &write,
        Method::PATCH,
        &format!("/api/v1/appointments/{id}"),
        Some(json!({"starts_at": "2026-12-07T10:00:00Z", "status": "confirmed"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "confirmed");
    let (status, _) = rest(
        &app,
        &write,
        Method::PATCH,
        &format!("/api/v1/appointments/{id}"),
        Some(json!({"status": "teleported"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let south = sign_up(&app, "South Salon", "owner@south.example").await;
    let south_key = api_key(&south, &["appointments:write"]).await;
    let (status, _) = rest(
        &app,
        &south_key,
        Method::GET,
        &format!("/api/v1/appointments/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = rest(
        &app,
        &south_key,
        Method::POST,
        &format!("/api/v1/appointments/{id}/cancel"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, cancelled) = rest(
        &app,
        &write,
        Method::POST,
        &format!("/api/v1/appointments/{id}/cancel"),
        Some(json!({"reason": "ill"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, _) = rest(
        &app,
        &write,
        Method::POST,
        "/api/v1/appointments",
        Some(body("2026-12-07T10:00:00Z")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the cancelled time is free again"
    );
}
