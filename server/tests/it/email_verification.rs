//! Verified email: sign-up sends a single-use link that expires; until it is
//! opened the owner works but cannot invite anyone or create API keys; used,
//! expired and guessed links are refused alike.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{add_member, latest_token, sign_up_unverified, Browser, TestApp};

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_unverified_owner_works_but_cannot_invite_or_make_keys_until_the_link_is_opened() {
    let app = TestApp::spawn().await;
    let owner = sign_up_unverified(&app, "Fresh Clinic", "owner@fresh.example").await;
    assert_eq!(owner.whoami().await["email_verified"], false);
    // Working is fine; acting on the address's strength is not.
    owner.call_ok("clients", &[("query", "")]).await;
    let (status, body) = answer(
        owner
            .call(
                "invite",
                &[("email", "desk@fresh.example"), ("role", "staff")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("verify your email"),
        "{body}"
    );
    let (status, _) = answer(
        owner
            .call(
                "create-api-key",
                &[("name", "Sync"), ("scopes[0]", "clients:read")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A guessed link is refused.
    let (status, _) = answer(
        owner
            .call("verify-email", &[("token", &"ab".repeat(32))])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The emailed one verifies, once; it works without being signed in too.
    let token = latest_token(&app.outbox, "/verify-email", "owner@fresh.example").await;
    let stranger = Browser::new(&app);
    let response = stranger.call("verify-email", &[("token", &token)]).await;
    assert_eq!(response.headers()["location"], "/signin?verified=1");
    assert_eq!(owner.whoami().await["email_verified"], true);
    let (status, body) = answer(owner.call("verify-email", &[("token", &token)]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("invalid or has expired"),
        "{body}"
    );
    // Now inviting works, and the invited colleague is verified by accepting.
    let member = add_member(&app, &owner, "desk@fresh.example", "staff").await;
    assert_eq!(member.whoami().await["email_verified"], true);
    let (status, _) = answer(owner.call("resend-verification", &[]).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_link_expires_after_a_day_and_a_new_one_can_be_sent() {
    let app = TestApp::spawn().await;
    let owner = sign_up_unverified(&app, "Late Clinic", "owner@late.example").await;
    let first = latest_token(&app.outbox, "/verify-email", "owner@late.example").await;
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::hours(25));
    let (status, _) = answer(owner.call("verify-email", &[("token", &first)]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(owner.whoami().await["email_verified"], false);
    owner.call_ok("resend-verification", &[]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let second = loop {
        let token = latest_token(&app.outbox, "/verify-email", "owner@late.example").await;
        if token != first {
            break token;
        }
        assert!(std::time::Instant::now() < deadline, "no new link");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let response = owner.call("verify-email", &[("token", &second)]).await;
    assert_eq!(response.headers()["location"], "/profile?verified=1");
    assert_eq!(owner.whoami().await["email_verified"], true);
}

#[tokio::test]
async fn changing_the_address_needs_the_password_and_the_new_address_and_tells_the_old_one() {
    let app = TestApp::spawn().await;
    let owner = support::sign_up(&app, "Move Clinic", "old@move.example").await;
    support::sign_up(&app, "Other Clinic", "taken@move.example").await;
    let (status, body) = answer(
        owner
            .call(
                "change-email",
                &[
                    ("email", "new@move.example"),
                    ("password", "not my password"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["password"].is_string(), "{body}");
    let (status, body) = answer(
        owner
            .call(
                "change-email",
                &[
                    ("email", "taken@move.example"),
                    ("password", support::PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["email"]
            .as_str()
            .unwrap()
            .contains("another account"),
        "{body}"
    );
    let (status, _) = answer(
        owner
            .call(
                "change-email",
                &[
                    ("email", "new@move.example"),
                    ("password", support::PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert!(status.is_success(), "{status}");

    // The old address is told at once; nothing changes until the link is opened.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let told = support::outbox_messages(&app.outbox)
            .iter()
            .any(|m| m.contains("To: old@move.example") && m.contains("is being changed"));
        if told {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old address was not told"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(owner.whoami().await["email"], "old@move.example");
    let token = latest_token(&app.outbox, "/verify-email", "new@move.example").await;
    owner.call_ok("verify-email", &[("token", &token)]).await;
    let me = owner.whoami().await;
    assert_eq!(
        (me["email"].as_str(), me["email_verified"].as_bool()),
        (Some("new@move.example"), Some(true))
    );
    // Signing in now takes the new address; the old one is no one's.
    let browser = Browser::new(&app);
    let old = browser.sign_in("old@move.example", support::PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = browser.sign_in("new@move.example", support::PASSWORD).await;
    assert!(new.status().is_success() || new.status().is_redirection());
    // The link works once.
    let (status, _) = answer(owner.call("verify-email", &[("token", &token)]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
