//! A person's open sessions on their profile: which browser, from where,
//! last seen; ending one signs that browser out at its next request, and
//! nobody can end a session that is not theirs.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{sign_up, Browser, TestApp, PASSWORD};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn entries(list: &Value) -> Vec<Value> {
    list.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_person_lists_their_sessions_and_ends_another_one() {
    let app = TestApp::spawn().await;
    let desk = sign_up(&app, "Session Clinic", "owner@sessions.example").await;
    let laptop = Browser::with_user_agent(&app, CHROME);
    laptop.sign_in("owner@sessions.example", PASSWORD).await;
    assert_eq!(laptop.whoami().await["email"], "owner@sessions.example");

    let listed = entries(&desk.call_ok("sessions", &[]).await);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let here: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(here.len(), 1);
    let other = listed.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["browser"], "Chrome 131 on Windows 10");
    assert_eq!(other["address"], "127.0.0.1");
    // The laptop sees the same two, itself marked.
    let from_laptop = entries(&laptop.call_ok("sessions", &[]).await);
    let laptop_id = other["id"].as_str().unwrap();
    assert!(from_laptop
        .iter()
        .any(|s| s["id"] == laptop_id && s["current"] == true));

    // Someone else cannot end it, even knowing its id.
    let stranger = sign_up(&app, "Other Clinic", "owner@other.example").await;
    let response = stranger.call("end-session", &[("id", laptop_id)]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(laptop.whoami().await["email"], "owner@sessions.example");

    // Its owner can: the laptop is signed out at its next request.
    desk.call_ok("end-session", &[("id", laptop_id)]).await;
    assert_eq!(laptop.whoami().await, Value::Null);
    assert_eq!(laptop.get("/clients").await.status(), StatusCode::SEE_OTHER);
    let listed = entries(&desk.call_ok("sessions", &[]).await);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["current"], true);
    // Ending it again finds nothing open.
    let again = desk.call("end-session", &[("id", laptop_id)]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    // Signing out ends a session's entry too.
    let phone = Browser::new(&app);
    phone.sign_in("owner@sessions.example", PASSWORD).await;
    phone.whoami().await;
    assert_eq!(entries(&desk.call_ok("sessions", &[]).await).len(), 2);
    phone.call_ok("sign-out", &[]).await;
    assert_eq!(entries(&desk.call_ok("sessions", &[]).await).len(), 1);

    // "Last seen" moves on as the browser is used (at most once a minute).
    let before = entries(&desk.call_ok("sessions", &[]).await)[0]["last_seen_at"].clone();
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::minutes(5));
    desk.whoami().await;
    let after = entries(&desk.call_ok("sessions", &[]).await)[0]["last_seen_at"].clone();
    assert_ne!(before, after);
}
