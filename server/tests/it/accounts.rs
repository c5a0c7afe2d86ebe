//! Sign-up, sign-in, sessions, lock-out, passwords and invitations over HTTP.

use crate::support;

use reqwest::StatusCode;
use support::{add_member, latest_token, sign_up, Browser, TestApp, PASSWORD};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .cookies()
        .find(|c| c.name() == "frontdesk_session")
        .map(|c| c.value().to_string())
}

async fn error_of(response: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn sign_up_signs_in_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let me = owner.whoami().await;
    assert_eq!(me["email"], "owner@north.example");
    assert_eq!(me["tenant"]["slug"], "north-clinic");
    assert_eq!(me["tenant"]["role"], "owner");
    assert_eq!(me["tenant"]["time_zone"], "Europe/Berlin");

    owner.call_ok("sign-out", &[]).await;
    assert_eq!(owner.whoami().await, serde_json::Value::Null);
    // Pages now send the visitor to the sign-in page.
    let page = owner.get("/team").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/signin?next=%2Fteam");
}

#[tokio::test]
async fn sign_up_reports_every_invalid_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app);
    let (status, body) = error_of(
        browser
            .call(
                "sign-up",
                &[
                    ("business_name", " "),
                    ("slug", "Bad Slug"),
                    ("time_zone", "Mars/Olympus"),
                    ("name", "Ann"),
                    ("email", "ann@"),
                    ("password", "short"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["business_name", "slug", "time_zone", "email", "password"] {
        assert!(body["fields"].get(field).is_some(), "{field}: {body}");
    }
    assert!(body["fields"].get("name").is_none(), "{body}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);

    sign_up(&app, "North Clinic", "owner@north.example").await;
    let again = Browser::new(&app);
    let (status, body) = error_of(
        again
            .call(
                "sign-up",
                &[
                    ("business_name", "North Clinic"),
                    ("slug", ""),
                    ("time_zone", "UTC"),
                    ("name", "Other"),
                    ("email", "other@north.example"),
                    ("password", PASSWORD),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["slug"].as_str().unwrap().contains("taken"),
        "{body}"
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "the failed sign-up left no user behind");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    sign_up(&app, "North Clinic", "owner@north.example").await;
    let browser = Browser::new(&app);
    let (wrong_status, wrong) = error_of(
        browser
            .sign_in("owner@north.example", "not the password")
            .await,
    )
    .await;
    let (unknown_status, unknown) = error_of(
        browser
            .sign_in("nobody@north.example", "not the password")
            .await,
    )
    .await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["message"], unknown["message"]);
    assert_eq!(wrong["message"], "The email or password is incorrect.");
    assert_eq!(browser.whoami().await, serde_json::Value::Null);

    let ok = browser.sign_in("OWNER@north.example", PASSWORD).await;
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(browser.whoami().await["email"], "owner@north.example");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_until_the_lock_expires() {
    let app =
        TestApp::spawn_with(|c| c.auth.max_failures_per_account = 3, axum::Router::new()).await;
    sign_up(&app, "North Clinic", "owner@north.example").await;
    let browser = Browser::new(&app);
    for _ in 0..2 {
        let response = browser
            .sign_in("owner@north.example", "wrong password")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let third = browser
        .sign_in("owner@north.example", "wrong password")
        .await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 800 && retry <= 900, "{retry}");
    let (_, body) = error_of(third).await;
    assert_eq!(
        body["message"],
        "Too many failed sign-ins. Try again in 15 minutes."
    );

    // Locked: even the right password is refused, and an unknown email locks the same way.
    let locked = browser.sign_in("owner@north.example", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);

    // The lock expires.
    sqlx::query("UPDATE sign_in_throttle SET locked_until = now() - interval '1 second'")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    let after = browser.sign_in("owner@north.example", PASSWORD).await;
    assert!(after.status().is_success(), "{}", after.status());
}

#[tokio::test]
async fn unknown_emails_lock_out_like_known_ones() {
    let app =
        TestApp::spawn_with(|c| c.auth.max_failures_per_account = 2, axum::Router::new()).await;
    let browser = Browser::new(&app);
    browser.sign_in("ghost@north.example", "guess one").await;
    let second = browser.sign_in("ghost@north.example", "guess two").await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_it_for_every_account() {
    let app = TestApp::spawn_with(
        |c| {
            c.auth.max_failures_per_account = 100;
            c.auth.max_failures_per_ip = 3;
        },
        axum::Router::new(),
    )
    .await;
    sign_up(&app, "North Clinic", "owner@north.example").await;
    let browser = Browser::new(&app);
    for n in 0..3 {
        browser
            .sign_in(&format!("guess{n}@north.example"), "guess")
            .await;
    }
    let response = browser.sign_in("owner@north.example", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn signing_in_rotates_the_session_id() {
    let app = TestApp::spawn().await;
    sign_up(&app, "North Clinic", "owner@north.example").await;
    let browser = Browser::new(&app);
    // A session exists before signing in (for instance one planted by an attacker).
    let first = browser.call("whoami", &[]).await;
    let planted = session_cookie(&first);
    let signed_in = browser.sign_in("owner@north.example", PASSWORD).await;
    let rotated = session_cookie(&signed_in).expect("sign-in sets the session cookie");
    assert_ne!(Some(rotated.clone()), planted);
    let cookie = signed_in
        .cookies()
        .find(|c| c.name() == "frontdesk_session")
        .unwrap();
    assert!(cookie.http_only(), "HttpOnly");
    assert!(cookie.same_site_lax(), "SameSite=Lax");

    // Switching privilege (changing the password) rotates it again; the old id stops working.
    let changed = browser
        .call(
            "change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    let after = session_cookie(&changed).expect("a new session id");
    assert_ne!(after, rotated);
    let stale = reqwest::Client::new()
        .post(app.url("/api/whoami"))
        .header("cookie", format!("frontdesk_session={rotated}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.text().await.unwrap(), "null");
    assert_eq!(browser.whoami().await["email"], "owner@north.example");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    let laptop = sign_up(&app, "North Clinic", "owner@north.example").await;
    let phone = Browser::new(&app);
    assert!(phone
        .sign_in("owner@north.example", PASSWORD)
        .await
        .status()
        .is_success());
    assert_eq!(phone.whoami().await["email"], "owner@north.example");
    laptop.call_ok("sign-out-everywhere", &[]).await;
    assert_eq!(phone.whoami().await, serde_json::Value::Null);
    assert_eq!(laptop.whoami().await, serde_json::Value::Null);
    // Signing in again works.
    assert!(phone
        .sign_in("owner@north.example", PASSWORD)
        .await
        .status()
        .is_success());
}

#[tokio::test]
async fn state_changing_requests_from_other_sites_are_refused() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let client = &owner.client;
    let attempts = [
        // A server function, by fetch metadata and by Origin.
        ("/api/invite", Some("cross-site"), None),
        ("/api/invite", None, Some("https://evil.example")),
        ("/api/invite", Some("same-site"), None),
        // The REST API and a plain form post to a page.
        ("/api/v1/key", Some("cross-site"), None),
        ("/team", None, Some("https://evil.example")),
        // Signing in from another site (login CSRF).
        ("/api/sign-in", Some("cross-site"), None),
    ];
    for (path, site, origin) in attempts {
        let mut request = client.post(app.url(path)).form(&[
            ("email", "mallory@evil.example"),
            ("role", "owner"),
            ("password", "x"),
        ]);
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{path} {site:?} {origin:?}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    let invitations: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_eq!(invitations, 0);
    // The same request from the app's own page goes through.
    owner
        .call_ok(
            "invite",
            &[("email", "colleague@north.example"), ("role", "staff")],
        )
        .await;
}

#[tokio::test]
async fn an_invitation_works_once_and_expires() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let colleague = add_member(&app, &owner, "colleague@north.example", "staff").await;
    let me = colleague.whoami().await;
    assert_eq!(me["tenant"]["role"], "staff");
    assert_eq!(me["tenant"]["name"], "North Clinic");

    // Used: the same link again.
    let token = latest_token(&app.outbox, "/accept-invitation", "colleague@north.example").await;
    let reuse = Browser::new(&app)
        .call(
            "accept-invitation",
            &[
                ("token", &token),
                ("name", "Mallory"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let (status, body) = error_of(reuse).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already been used"),
        "{body}"
    );

    // Expired.
    owner
        .call_ok(
            "invite",
            &[("email", "late@north.example"), ("role", "reader")],
        )
        .await;
    let token = latest_token(&app.outbox, "/accept-invitation", "late@north.example").await;
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = 'late@north.example'")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    let late = Browser::new(&app);
    let (status, body) = error_of(
        late.call(
            "accept-invitation",
            &[("token", &token), ("name", "Late"), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert_eq!(late.whoami().await, serde_json::Value::Null);

    // A guessed token.
    let (status, _) = error_of(
        late.call(
            "accept-invitation",
            &[
                ("token", &"0".repeat(64)),
                ("name", "X"),
                ("password", PASSWORD),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_existing_account_joins_a_second_business_and_switches_between_them() {
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let south = sign_up(&app, "South Salon", "owner@south.example").await;
    south
        .call_ok(
            "invite",
            &[("email", "owner@north.example"), ("role", "admin")],
        )
        .await;
    let token = latest_token(&app.outbox, "/accept-invitation", "owner@north.example").await;
    let wrong = north
        .call(
            "accept-invitation",
            &[("token", &token), ("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    north
        .call_ok(
            "accept-invitation",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    let me = north.whoami().await;
    assert_eq!(me["tenant"]["name"], "South Salon");
    assert_eq!(me["tenants"].as_array().unwrap().len(), 2);
    let north_id = me["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "North Clinic")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    north
        .call_ok("switch-tenant", &[("tenant", &north_id)])
        .await;
    assert_eq!(north.whoami().await["tenant"]["role"], "owner");

    // Switching into a business one is not a member of is refused.
    let south_id = south.whoami().await["tenant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stranger = sign_up(&app, "West Studio", "owner@west.example").await;
    let refused = stranger
        .call("switch-tenant", &[("tenant", &south_id)])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_expires() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let visitor = Browser::new(&app);
    // Unknown emails get the same answer and no email.
    let emails = "SELECT count(*) FROM jobs WHERE kind = 'email.send'";
    let before = support::count(&app.deps.pool, emails).await;
    visitor
        .call_ok("forgot-password", &[("email", "nobody@north.example")])
        .await;
    assert_eq!(
        support::count(&app.deps.pool, emails).await,
        before,
        "no email is queued for an unknown address"
    );
    visitor
        .call_ok("forgot-password", &[("email", "owner@north.example")])
        .await;
    let token = latest_token(&app.outbox, "/reset-password", "owner@north.example").await;
    visitor
        .call_ok(
            "reset-password",
            &[("token", &token), ("password", "a brand new password")],
        )
        .await;
    // Every session ended; the old password no longer works, the new one does.
    assert_eq!(owner.whoami().await, serde_json::Value::Null);
    assert_eq!(
        visitor
            .sign_in("owner@north.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(visitor
        .sign_in("owner@north.example", "a brand new password")
        .await
        .status()
        .is_success());

    // Reused.
    let (status, body) = error_of(
        visitor
            .call(
                "reset-password",
                &[("token", &token), ("password", "yet another password")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["token"]
        .as_str()
        .unwrap()
        .contains("invalid, already used or expired"));

    // Expired.
    visitor
        .call_ok("forgot-password", &[("email", "owner@north.example")])
        .await;
    let token = latest_token(&app.outbox, "/reset-password", "owner@north.example").await;
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    let (status, _) = error_of(
        visitor
            .call(
                "reset-password",
                &[("token", &token), ("password", "yet another password")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_form_post_without_javascript_returns_to_the_form_with_its_errors() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app);
    let response = browser
        .client
        .post(app.url("/api/sign-in"))
        .header("accept", "text/html")
        .header("origin", app.url(""))
        .header("referer", app.url("/signin"))
        .form(&[("email", "nobody@north.example"), ("password", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&app.url("/signin?")) && location.contains("__err="),
        "{location}"
    );
    let page = browser.get(location.trim_start_matches(&app.url(""))).await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("The email or password is incorrect."),
        "the error shows on the page"
    );
}

#[tokio::test]
async fn an_owner_does_not_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let me = owner.whoami().await;
    let my_id = me["user_id"].as_str().unwrap().to_string();
    // A change of one's own role needs a confirmation...
    let (status, body) = error_of(
        owner
            .call("change-role", &[("user", &my_id), ("role", "admin")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("your own role"), "{body}");
    // ...and even confirmed, the last owner stays.
    let confirmed = [
        ("user", my_id.as_str()),
        ("role", "admin"),
        ("confirm", "yes"),
    ];
    let (status, body) = error_of(owner.call("change-role", &confirmed).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Nobody removes themselves, owner or not.
    let (status, body) = error_of(owner.call("remove-member", &[("user", &my_id)]).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body.to_string().contains("cannot remove yourself"),
        "{body}"
    );

    // With a second owner, the first may step down, once confirmed.
    let second = add_member(&app, &owner, "second@north.example", "owner").await;
    assert_eq!(second.whoami().await["tenant"]["role"], "owner");
    assert_eq!(owner.whoami().await["tenant"]["role"], "owner");
    owner.call_ok("change-role", &confirmed).await;
    assert_eq!(owner.whoami().await["tenant"]["role"], "admin");
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_as_hashes_and_revocable() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let created = owner
        .call_ok(
            "create-api-key",
            &[
                ("name", "Booking site"),
                ("scopes[0]", "clients:read"),
                ("scopes[3]", "appointments:write"),
            ],
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("fdk_") && secret.len() == 68, "{secret}");
    assert_eq!(
        created["key"]["scopes"],
        serde_json::json!(["clients:read", "appointments:write"])
    );
    let stored: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_ne!(stored, secret.as_bytes(), "only a hash is stored");
    let listed = owner.call_ok("api-keys", &[]).await;
    assert!(
        !listed.to_string().contains(&secret),
        "the list never shows the key"
    );

    let info = app
        .client
        .get(app.url("/api/v1/key"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let info: serde_json::Value = info.json().await.unwrap();
    assert_eq!(
        info["scopes"],
        serde_json::json!(["clients:read", "appointments:write"])
    );

    let bad = app
        .client
        .get(app.url("/api/v1/key"))
        .bearer_auth("fdk_guess")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    let id = created["key"]["id"].as_str().unwrap().to_string();
    owner.call_ok("revoke-api-key", &[("key", &id)]).await;
    let revoked = app
        .client
        .get(app.url("/api/v1/key"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = error_of(
        owner
            .call(
                "create-api-key",
                &[("name", "x"), ("scopes[0]", "planets:read")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["fields"]["scopes"]
            .as_str()
            .unwrap()
            .contains("planets:read"),
        "{body}"
    );
}

#[tokio::test]
async fn changes_leave_audit_entries_the_owner_can_filter_and_page() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    add_member(&app, &owner, "colleague@north.example", "staff").await;
    let page = owner.call_ok("audit-log", &[]).await;
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "member.added",
            "invitation.accepted",
            "invitation.created",
            "member.added",
            "tenant.created"
        ]
    );
    let invitation = owner
        .call_ok("audit-log", &[("entity_type", "invitation")])
        .await;
    assert_eq!(invitation["entries"].as_array().unwrap().len(), 2);
    let created = &invitation["entries"][1];
    assert_eq!(created["actor_name"], "Owner of North Clinic");
    assert_eq!(
        created["sentence"],
        "Owner of North Clinic invited colleague@north.example as staff"
    );
    assert!(created["changes"]
        .as_str()
        .unwrap()
        .contains("colleague@north.example"));
    assert!(created["request_id"].as_str().is_some());
    let all = page["entries"].as_array().unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    // Paging continues after the last entry shown.
    let rest = owner.call_ok("audit-log", &[("after", ids[1])]).await;
    let rest_ids: Vec<&str> = rest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(rest_ids, ids[2..].to_vec());
}

#[tokio::test]
async fn under_https_the_session_cookie_is_secure_and_host_only() {
    let app = TestApp::spawn_with(
        |c| c.http.public_url = "https://desk.example.com".into(),
        axum::Router::new(),
    )
    .await;
    let browser = Browser::new(&app);
    let response = browser
        .call(
            "sign-up",
            &[
                ("business_name", "North Clinic"),
                ("slug", ""),
                ("time_zone", "UTC"),
                ("name", "Ann"),
                ("email", "ann@north.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("__Host-frontdesk="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
}

#[tokio::test]
async fn an_expired_session_is_signed_out() {
    // Idle for 2 s: requests keep it open, a pause ends it (cached or not).
    let app = TestApp::spawn_with(
        |c| c.auth.session_idle = std::time::Duration::from_secs(2),
        axum::Router::new(),
    )
    .await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    for _ in 0..4 {
        assert_eq!(owner.whoami().await["email"], "owner@north.example");
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(owner.whoami().await, serde_json::Value::Null);
    assert_eq!(owner.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn owners_rename_the_business_and_change_how_it_tells_time() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let (status, body) = error_of(
        owner
            .call(
                "update-settings",
                &[
                    ("name", " "),
                    ("time_zone", "Mars/Olympus"),
                    ("time_format", "13h"),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "time_zone", "time_format"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    assert_eq!(owner.whoami().await["tenant"]["name"], "North Clinic");
    owner
        .call_ok(
            "update-settings",
            &[
                ("name", "North Physio"),
                ("time_zone", "America/New_York"),
                ("time_format", "12h"),
            ],
        )
        .await;
    let me = owner.whoami().await;
    assert_eq!(me["tenant"]["name"], "North Physio");
    assert_eq!(me["tenant"]["time_zone"], "America/New_York");
    assert_eq!(me["tenant"]["time_format"], "12h");
    let log = owner
        .call_ok("audit-log", &[("entity_type", "tenant")])
        .await;
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "tenant.updated");
    let changes: serde_json::Value =
        serde_json::from_str(entry["changes"].as_str().unwrap()).unwrap();
    assert_eq!(
        changes["name"],
        serde_json::json!({"old": "North Clinic", "new": "North Physio"})
    );
    assert_eq!(
        changes["time_zone"],
        serde_json::json!({"old": "Europe/Berlin", "new": "America/New_York"})
    );
    assert_eq!(
        changes["time_format"],
        serde_json::json!({"old": "24h", "new": "12h"})
    );
}

/// A new business writes times as the browser's language does; sign-up
/// without the header keeps the 24-hour clock.
#[tokio::test]
async fn a_new_business_tells_time_as_its_owners_browser_does() {
    let app = TestApp::spawn().await;
    for (n, (language, format)) in [
        (Some("en-US,en;q=0.9"), "12h"),
        (Some("de-DE,de;q=0.9"), "24h"),
        (None, "24h"),
    ]
    .into_iter()
    .enumerate()
    {
        let browser = Browser::new(&app);
        let (business, email) = (format!("Studio {n}"), format!("owner{n}@example.com"));
        let mut request = browser
            .client
            .post(app.url("/api/sign-up"))
            .header("origin", app.url(""))
            .header("sec-fetch-site", "same-origin")
            .form(&[
                ("business_name", business.as_str()),
                ("slug", ""),
                ("time_zone", "Europe/Berlin"),
                ("name", "Owner"),
                ("email", email.as_str()),
                ("password", PASSWORD),
            ]);
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_redirection() || response.status().is_success());
        let me = browser.whoami().await;
        assert_eq!(me["tenant"]["time_format"], format, "{language:?}");
    }
}

#[tokio::test]
async fn without_javascript_a_new_api_key_is_shown_once_on_the_page() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let response = owner
        .client
        .post(app.url("/api/create-api-key"))
        .header("accept", "text/html")
        .header("origin", app.url(""))
        .header("referer", app.url("/settings/api-keys"))
        .form(&[("name", "Booking site"), ("scopes[0]", "clients:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let secret: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    let page = owner.get("/settings/api-keys").await.text().await.unwrap();
    let start = page.find("fdk_").expect("the new key is on the page");
    let shown: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(shown.len(), 68, "{shown}");
    use sha2::Digest;
    assert_eq!(
        sha2::Sha256::digest(shown.as_bytes()).to_vec(),
        secret,
        "the page shows the stored key"
    );
    let again = owner.get("/settings/api-keys").await.text().await.unwrap();
    assert!(!again.contains(&shown), "shown only once");
}
