//! Signed-in requests off the database: a session's record and standing are
//! read from the shared cache and written only once per refresh, while
//! every way of revoking a session (signing out, signing out everywhere, a
//! new password, a role change, removal from the business, ending it from
//! the profile) takes effect on the next request on every instance.

use crate::support;

use axum::Router;
use frontdesk::{cache::Namespace, config::Config};
use reqwest::StatusCode;
use serde_json::Value;
use support::{add_member, redis, sign_up, staff_of, Browser, TestApp, PASSWORD};

fn shared(url: &str) -> impl Fn(&mut Config) + '_ {
    move |c: &mut Config| c.redis.url = support::secret(url)
}

/// The session cookie `browser` holds for `app`.
fn cookie(browser: &Browser, app: &TestApp) -> String {
    use reqwest::cookie::CookieStore;
    let url = app.url("/").parse().unwrap();
    browser
        .jar
        .cookies(&url)
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string()
}

/// Who `cookie` resolves to on `app` (`Null` when signed out).
async fn whoami_with(app: &TestApp, cookie: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/whoami"))
        .header("cookie", cookie)
        .header("origin", app.url(""))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap_or(Value::Null)
}

/// A browser signed in as `email` on `app`, and its cookie.
async fn signed_in(app: &TestApp, email: &str) -> (Browser, String) {
    let browser = Browser::new(app);
    let r = browser.sign_in(email, PASSWORD).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(browser.whoami().await["email"], email);
    let cookie = cookie(&browser, app);
    (browser, cookie)
}

#[tokio::test]
async fn every_revocation_reaches_the_other_instance_on_its_next_request() {
    let url = redis::shared_url();
    let a = TestApp::spawn_with(shared(&url), Router::new()).await;
    let owner = sign_up(&a, "Revoke Clinic", "owner@revoke.example").await;
    let member = add_member(&a, &owner, "kai@revoke.example", "staff").await;
    let kai = staff_of(&member).await.user_id.to_string();
    // Created after the emails were sent: they went to the first's outbox.
    let b = TestApp::spawn_beside(&a, shared(&url)).await;

    // A session used on both instances: cached on the second.
    let (here, there) = signed_in(&a, "owner@revoke.example").await;
    for _ in 0..3 {
        assert_eq!(
            whoami_with(&b, &there).await["email"],
            "owner@revoke.example"
        );
    }
    assert!(b.deps.cache.counts(Namespace::Session).hits >= 2);
    // Signing out on the first: the second no longer knows the cookie.
    here.call_ok("sign-out", &[]).await;
    assert_eq!(whoami_with(&b, &there).await, Value::Null);

    // Ending a session from the profile, on the first instance.
    let (_, laptop) = signed_in(&a, "owner@revoke.example").await;
    assert_eq!(
        whoami_with(&b, &laptop).await["email"],
        "owner@revoke.example"
    );
    let sessions = owner.call_ok("sessions", &[]).await;
    for session in sessions.as_array().unwrap() {
        if session["current"] == false {
            owner
                .call_ok("end-session", &[("id", session["id"].as_str().unwrap())])
                .await;
        }
    }
    assert_eq!(whoami_with(&b, &laptop).await, Value::Null);

    // A role change shows at once; removal signs the person out.
    let (_, kai_there) = signed_in(&a, "kai@revoke.example").await;
    assert_eq!(whoami_with(&b, &kai_there).await["tenant"]["role"], "staff");
    owner
        .call_ok("change-role", &[("user", &kai), ("role", "admin")])
        .await;
    assert_eq!(whoami_with(&b, &kai_there).await["tenant"]["role"], "admin");
    owner.call_ok("remove-member", &[("user", &kai)]).await;
    assert_eq!(whoami_with(&b, &kai_there).await, Value::Null);

    // A new password ends every other session; so does "sign out everywhere".
    let (_, phone) = signed_in(&a, "owner@revoke.example").await;
    assert_eq!(
        whoami_with(&b, &phone).await["email"],
        "owner@revoke.example"
    );
    owner
        .call_ok(
            "change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new and longer passphrase"),
            ],
        )
        .await;
    assert_eq!(whoami_with(&b, &phone).await, Value::Null);
    assert_eq!(owner.whoami().await["email"], "owner@revoke.example");

    let tablet = Browser::new(&a);
    tablet
        .sign_in("owner@revoke.example", "a new and longer passphrase")
        .await;
    let tablet = cookie(&tablet, &a);
    assert_eq!(
        whoami_with(&b, &tablet).await["email"],
        "owner@revoke.example"
    );
    owner.call_ok("sign-out-everywhere", &[]).await;
    assert_eq!(whoami_with(&b, &tablet).await, Value::Null);
    assert_eq!(owner.whoami().await, Value::Null);
}

/// The session's row in the store and in the profile's list.
async fn stored(app: &TestApp, email: &str) -> (String, String) {
    let row: (String, String) = sqlx::query_as(
        "SELECT (SELECT max(expiry_date)::text FROM tower_sessions.session), \
                (SELECT max(s.last_seen_at)::text FROM user_sessions s JOIN users u ON u.id = s.user_id \
                 WHERE u.email = $1::citext AND s.ended_at IS NULL)",
    )
    .bind(email)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    row
}

async fn reads_write_nothing(app: &TestApp) {
    let email = "owner@quiet.example";
    let owner = sign_up(app, "Quiet Clinic", email).await;
    assert_eq!(owner.whoami().await["email"], email);
    let before = stored(app, email).await;
    let hits = app.deps.cache.counts(Namespace::Session).hits;
    for path in ["/", "/clients", "/calendar", "/"] {
        assert_eq!(owner.get(path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(owner.whoami().await["email"], email);
    }
    assert_eq!(
        stored(app, email).await,
        before,
        "the session's expiry and last-seen time were not written"
    );
    assert!(
        app.deps.cache.counts(Namespace::Session).hits >= hits + 8,
        "the record and the standing came from the cache"
    );

    // Past the refresh, the next request writes "last seen" once.
    let later = app.deps.clock.now() + chrono::Duration::minutes(6);
    app.deps.clock.travel_to(later);
    assert_eq!(owner.whoami().await["email"], email);
    let after = stored(app, email).await;
    assert_ne!(after.1, before.1, "last seen moved on");
    assert_eq!(owner.whoami().await["email"], email);
    assert_eq!(stored(app, email).await.1, after.1);
}

#[tokio::test]
async fn signed_in_reads_write_nothing_with_redis() {
    let url = redis::shared_url();
    reads_write_nothing(&TestApp::spawn_with(shared(&url), Router::new()).await).await;
}

#[tokio::test]
async fn signed_in_reads_write_nothing_in_process() {
    reads_write_nothing(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn sessions_resolve_from_the_database_while_redis_is_down() {
    let mut own = redis::OwnRedis::start();
    let url = own.url();
    let a = TestApp::spawn_with(shared(&url), Router::new()).await;
    let owner = sign_up(&a, "Outage Desk", "owner@outage-desk.example").await;
    let (_, cookie) = signed_in(&a, "owner@outage-desk.example").await;
    own.stop();
    // Served from PostgreSQL, and revocation still holds.
    assert_eq!(
        whoami_with(&a, &cookie).await["email"],
        "owner@outage-desk.example"
    );
    owner.call_ok("sign-out-everywhere", &[]).await;
    assert_eq!(whoami_with(&a, &cookie).await, Value::Null);
    // Back: what was cached before the outage is not served again.
    own.restart();
    assert!(
        a.deps
            .redis
            .as_ref()
            .unwrap()
            .wait_until_connected(std::time::Duration::from_secs(10))
            .await
    );
    for _ in 0..3 {
        assert_eq!(whoami_with(&a, &cookie).await, Value::Null);
    }
}
