//! Two-factor sign-in over real HTTP: setting up an authenticator app,
//! signing in with a code, wrong and replayed codes, recovery codes used
//! once, trusted browsers, the lock-out, and a business that requires it.

use crate::support;

use axum::Router;
use reqwest::StatusCode;
use serde_json::Value;
use support::{add_member, sign_up, Browser, TestApp, PASSWORD};

/// The code an authenticator app shows for `secret` at the app's time.
fn code_at(app: &TestApp, secret: &str, offset_secs: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_ref().to_vec())
        .build()
        .unwrap();
    let now = app.deps.clock.now().timestamp() + offset_secs;
    totp.generate(u64::try_from(now).unwrap()).to_string()
}

async fn status_of(response: reqwest::Response) -> (StatusCode, Value, Option<String>) {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        location,
    )
}

/// Turns two-factor sign-in on for the signed-in `browser`; its secret and recovery codes.
async fn enrol(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let enrolment = browser.call_ok("two-factor-begin", &[]).await;
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    assert!(enrolment["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Frontdesk:"));
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    let codes = browser
        .call_ok("two-factor-enable", &[("code", &code_at(app, &secret, 0))])
        .await;
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    (secret, codes)
}

#[tokio::test]
async fn enrolment_then_sign_in_with_a_code_once() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "Safe Clinic", "owner@safe.example").await;
    let begun = owner.call_ok("two-factor-begin", &[]).await;
    let secret = begun["secret"].as_str().unwrap().to_string();
    // A wrong code does not turn it on.
    let (status, body, _) =
        status_of(owner.call("two-factor-enable", &[("code", "000000")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{body}"
    );
    assert_eq!(owner.call_ok("two-factor", &[]).await["enabled"], false);
    let codes = owner
        .call_ok("two-factor-enable", &[("code", &code_at(&app, &secret, 0))])
        .await;
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);
    let status = owner.call_ok("two-factor", &[]).await;
    assert_eq!(
        (
            status["enabled"].clone(),
            status["recovery_codes_left"].clone()
        ),
        (Value::Bool(true), 10.into())
    );
    // The secret is sealed at rest, never stored as given.
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM user_totp")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    let raw = totp_rs::Secret::try_from_base32(&secret).unwrap();
    assert!(!sealed
        .windows(raw.as_ref().len())
        .any(|w| w == raw.as_ref()));

    // Signing in now takes two steps.
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::seconds(60));
    let desk = Browser::new(&app);
    let (_, _, location) = status_of(
        desk.call(
            "sign-in",
            &[
                ("email", "owner@safe.example"),
                ("password", PASSWORD),
                ("next", "/clients"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(location.as_deref(), Some("/signin/code?next=%2Fclients"));
    assert_eq!(
        desk.whoami().await,
        Value::Null,
        "not signed in before the code"
    );
    assert_eq!(desk.get("/clients").await.status(), StatusCode::SEE_OTHER);
    let (status, body, _) = status_of(desk.call("sign-in-code", &[("code", "123456")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let code = code_at(&app, &secret, 0);
    let (_, _, location) = status_of(
        desk.call("sign-in-code", &[("code", &code), ("next", "/clients")])
            .await,
    )
    .await;
    assert_eq!(location.as_deref(), Some("/clients"));
    assert_eq!(desk.whoami().await["email"], "owner@safe.example");

    // The same code, replayed in its 30 seconds from another browser, is refused.
    let thief = Browser::new(&app);
    thief.sign_in("owner@safe.example", PASSWORD).await;
    let (status, body, _) = status_of(thief.call("sign-in-code", &[("code", &code)]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("used already"),
        "{body}"
    );
    assert_eq!(thief.whoami().await, Value::Null);
    // A recovery code works once.
    let (_, _, location) = status_of(
        thief
            .call("sign-in-code", &[("code", &codes[0].to_uppercase())])
            .await,
    )
    .await;
    assert_eq!(location.as_deref(), Some("/"));
    assert_eq!(thief.whoami().await["email"], "owner@safe.example");
    let again = Browser::new(&app);
    again.sign_in("owner@safe.example", PASSWORD).await;
    let (status, _, _) = status_of(again.call("sign-in-code", &[("code", &codes[0])]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        owner.call_ok("two-factor", &[]).await["recovery_codes_left"],
        9
    );

    // The second step expires with its pending sign-in.
    let late = Browser::new(&app);
    late.sign_in("owner@safe.example", PASSWORD).await;
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::minutes(11));
    let (status, _, _) = status_of(
        late.call("sign-in-code", &[("code", &code_at(&app, &secret, 0))])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Without a pending sign-in there is nothing to complete.
    let (status, _, _) = status_of(
        Browser::new(&app)
            .call("sign-in-code", &[("code", "123456")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_trusted_browser_skips_the_code_for_thirty_days() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "Trust Clinic", "owner@trust.example").await;
    let (secret, _) = enrol(&app, &owner).await;
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::seconds(60));
    let desk = Browser::new(&app);
    desk.sign_in("owner@trust.example", PASSWORD).await;
    let response = desk
        .call(
            "sign-in-code",
            &[("code", &code_at(&app, &secret, 0)), ("trust", "true")],
        )
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("frontdesk_trusted=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    desk.call_ok("sign-out", &[]).await;
    let (_, _, location) = status_of(desk.sign_in("owner@trust.example", PASSWORD).await).await;
    assert_eq!(
        location.as_deref(),
        Some("/"),
        "no second step in a trusted browser"
    );
    assert_eq!(desk.whoami().await["email"], "owner@trust.example");
    // After 30 days the browser is asked again.
    desk.call_ok("sign-out", &[]).await;
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::days(31));
    let (_, _, location) = status_of(desk.sign_in("owner@trust.example", PASSWORD).await).await;
    assert!(location.unwrap().starts_with("/signin/code"));
}

#[tokio::test]
async fn wrong_codes_lock_the_second_step_like_wrong_passwords() {
    let app = TestApp::spawn_with(|c| c.auth.max_failures_per_account = 3, Router::new()).await;
    let owner = sign_up(&app, "Lock Clinic", "owner@lock.example").await;
    let (secret, _) = enrol(&app, &owner).await;
    let guesser = Browser::new(&app);
    guesser.sign_in("owner@lock.example", PASSWORD).await;
    for _ in 0..2 {
        let (status, _, _) =
            status_of(guesser.call("sign-in-code", &[("code", "111111")]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, body, _) =
        status_of(guesser.call("sign-in-code", &[("code", "111111")]).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Try again in"),
        "{body}"
    );
    // Even the right code waits for the lock to end.
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::seconds(60));
    let (status, _, _) = status_of(
        guesser
            .call("sign-in-code", &[("code", &code_at(&app, &secret, 0))])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_business_can_require_two_factor_after_a_grace_period() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "Strict Clinic", "owner@strict.example").await;
    let member = add_member(&app, &owner, "desk@strict.example", "staff").await;
    // Only the owner decides.
    let (status, _, _) = status_of(
        member
            .call(
                "save-two-factor-policy",
                &[("required", "true"), ("grace_days", "0")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    owner
        .call_ok(
            "save-two-factor-policy",
            &[("required", "true"), ("grace_days", "7")],
        )
        .await;
    let policy = owner.call_ok("two-factor-policy", &[]).await;
    assert_eq!(
        policy["members_without"].as_array().unwrap().len(),
        2,
        "{policy}"
    );
    // During the grace period: a reminder, nothing refused.
    let me = member.whoami().await;
    let due: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(me["two_factor_due"].clone()).unwrap();
    let expected = app.deps.clock.now() + chrono::Duration::days(7);
    assert!(
        (due - expected).num_seconds().abs() < 60,
        "{due} vs {expected}"
    );
    assert_eq!(member.get("/clients").await.status(), StatusCode::OK);
    member.call_ok("clients", &[("query", "")]).await;

    // After it: only setting it up is open.
    app.deps
        .clock
        .travel_to(app.deps.clock.now() + chrono::Duration::days(8));
    let page = member.get("/clients").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/profile#two-factor");
    assert_eq!(member.get("/profile").await.status(), StatusCode::OK);
    let (status, body, _) = status_of(member.call("clients", &[("query", "")]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "two_factor_required", "{body}");
    let (secret, _) = enrol(&app, &member).await;
    assert!(!secret.is_empty());
    member.call_ok("clients", &[("query", "")]).await;
    assert_eq!(member.get("/clients").await.status(), StatusCode::OK);
    assert_eq!(member.whoami().await["two_factor_due"], Value::Null);
    // The owner, without it, is held to the same rule.
    let (status, _, _) = status_of(owner.call("clients", &[("query", "")]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Lifting the requirement opens everything again.
    owner
        .call_ok("save-two-factor-policy", &[("grace_days", "7")])
        .await;
    owner.call_ok("clients", &[("query", "")]).await;
}
