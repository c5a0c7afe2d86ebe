//! Rate limits against the real Redis: exact across three instances under
//! concurrency, the headers and 429 body over HTTP, allow- and deny-lists,
//! and a Redis that dies in the middle of a load and comes back.

use crate::support;

use std::time::{Duration, Instant};

use axum::Router;
use frontdesk::{config::Config, ratelimit::PolicyKind};
use futures::future::join_all;
use reqwest::StatusCode;
use support::{
    api_key,
    redis::{self, OwnRedis},
    sign_up, Browser, TestApp,
};

/// `count` GET /api/v1/key calls with `key`, `concurrency` at a time,
/// spread round-robin over `apps`; the status of each, by instance.
async fn hammer(
    apps: &[&TestApp],
    key: &str,
    count: usize,
    concurrency: usize,
) -> Vec<(usize, StatusCode)> {
    let client = reqwest::Client::new();
    let mut results = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(concurrency) {
        let calls = chunk.iter().map(|&i| {
            let which = i % apps.len();
            let request = client
                .get(apps[which].url("/api/v1/key"))
                .bearer_auth(key)
                .send();
            async move { (which, request.await.unwrap().status()) }
        });
        results.extend(join_all(calls).await);
    }
    results
}

fn admitted(results: &[(usize, StatusCode)]) -> usize {
    results.iter().filter(|(_, s)| *s == StatusCode::OK).count()
}

fn assert_only_ok_or_429(results: &[(usize, StatusCode)]) {
    for (instance, status) in results {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::TOO_MANY_REQUESTS,
            "instance {instance} answered {status}"
        );
    }
}

#[tokio::test]
async fn three_instances_share_one_limit_exactly() {
    let url = redis::shared_url();
    let configure = |c: &mut Config| {
        c.redis.url = support::secret(&url);
        support::limit(c, PolicyKind::Api, "40/h");
    };
    let first = TestApp::spawn_with(configure, Router::new()).await;
    let second = TestApp::spawn_beside(&first, configure).await;
    let third = TestApp::spawn_beside(&first, configure).await;
    let owner = sign_up(&first, "Shared Clinic", "owner@shared.example").await;
    let key = api_key(&owner, &["clients:read"]).await;

    // 200 requests, 25 at a time, over three instances: the bucket refills
    // one request every 90 s, so exactly its 40 are admitted.
    let results = hammer(&[&first, &second, &third], &key, 200, 25).await;
    assert_only_ok_or_429(&results);
    assert_eq!(
        admitted(&results),
        40,
        "exactly the limit is admitted across instances"
    );
    for instance in 0..3 {
        assert!(results
            .iter()
            .any(|(i, s)| *i == instance && *s == StatusCode::OK));
    }

    // Another key has its own budget, on every instance.
    let other = api_key(&owner, &["clients:read"]).await;
    let results = hammer(&[&third, &first], &other, 30, 10).await;
    assert_eq!(admitted(&results), 30);
}

#[tokio::test]
async fn headers_on_allowed_and_denied_responses() {
    let url = redis::shared_url();
    let app = TestApp::spawn_with(
        |c| {
            c.redis.url = support::secret(&url);
            support::limit(c, PolicyKind::Write, "4/min");
            support::limit(c, PolicyKind::Read, "1000/min");
            support::limit(c, PolicyKind::Api, "2/min");
        },
        Router::new(),
    )
    .await;
    let owner = sign_up(&app, "Header Clinic", "owner@headers.example").await;
    // Creating the key is the first of four writes.
    let key = api_key(&owner, &["clients:read"]).await;

    // A server function counted as a write.
    let mut remaining = Vec::new();
    for name in ["Ann", "Ben", "Cid"] {
        let response = owner
            .call(
                "save-client",
                &[
                    ("name", name),
                    ("email", ""),
                    ("phone", ""),
                    ("notes", ""),
                    ("tags", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let h = response.headers();
        assert_eq!(h["ratelimit-limit"], "4");
        assert_eq!(h["x-ratelimit-limit"], "4");
        assert_eq!(h["ratelimit-policy"], "4;w=60");
        let reset: u64 = h["ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
        remaining.push(h["ratelimit-remaining"].to_str().unwrap().to_string());
        assert_eq!(h["x-ratelimit-remaining"], h["ratelimit-remaining"]);
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let denied = owner
        .call(
            "save-client",
            &[
                ("name", "Dee"),
                ("email", ""),
                ("phone", ""),
                ("notes", ""),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(denied.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = denied.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // The bucket refills one write every 15 s.
    assert!((1..=15).contains(&retry), "{retry}");
    assert_eq!(denied.headers()["ratelimit-remaining"], "0");
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("write limit is 4 per minute") && message.contains("Try again in"),
        "{message}"
    );
    // Nothing was written by the denied call; reads are a separate budget.
    let page = owner.call_ok("clients", &[("query", "")]).await;
    let names: Vec<&str> = page["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann", "Ben", "Cid"]);

    // Pages (GET) spend the read budget and say so, once per page even
    // though rendering it calls server functions.
    let remaining = |r: &reqwest::Response| -> u32 {
        r.headers()["ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let page = owner.get("/clients").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["ratelimit-limit"], "1000");
    let again = owner.get("/clients").await;
    assert_eq!(remaining(&page) - remaining(&again), 1);

    // REST: the 429 is the JSON error naming the limit, with Retry-After.
    let client = reqwest::Client::new();
    let get = || {
        client
            .get(app.url("/api/v1/clients"))
            .bearer_auth(&key)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), StatusCode::OK);
    assert_eq!(get().await.unwrap().status(), StatusCode::OK);
    let denied = get().await.unwrap();
    assert_eq!(denied.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(denied.headers().contains_key("retry-after"));
    assert_eq!(denied.headers()["x-ratelimit-remaining"], "0");
    let body: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["limit"], "api");
    // One API call every 30 s.
    let retry = body["error"]["retry_after"].as_u64().unwrap();
    assert!((20..=30).contains(&retry), "{retry}");

    // Built assets and health checks are never limited or labelled.
    let health = app.get("/api/health").await;
    assert!(!health.headers().contains_key("ratelimit-limit"));
}

#[tokio::test]
async fn sign_in_is_limited_per_account_with_a_higher_ceiling_per_address() {
    let app = TestApp::spawn_with(
        |c| {
            c.redis.url = support::secret(&redis::shared_url());
            support::limit(c, PolicyKind::SignIn, "5/h");
            support::limit(c, PolicyKind::SignInAddress, "12/h");
            // The lock-out after failed attempts is tested on its own.
            c.auth.max_failures_per_account = 100;
        },
        Router::new(),
    )
    .await;
    sign_up(&app, "Sign Clinic", "owner@sign.example").await;
    let guesser = Browser::new(&app);
    for _ in 0..5 {
        let r = guesser
            .sign_in("owner@sign.example", "wrong password")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = guesser
        .sign_in("owner@sign.example", "wrong password")
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("sign in limit is 5 per hour"),
        "{body}"
    );
    // Colleagues at the same address still sign in to their own accounts...
    for i in 0..6 {
        let r = guesser
            .sign_in(&format!("colleague{i}@else.example"), "x")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "colleague {i}");
    }
    // ...up to the address's own, much higher ceiling: 12 attempts (the
    // owner's six, the refused one included, and the six colleagues').
    let r = guesser.sign_in("colleague10@else.example", "x").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("sign in address limit is 12 per hour"),
        "{body}"
    );
}

/// The shipped defaults of every policy, as `.env.example` states them.
fn default_policies(config: &mut Config) {
    for kind in PolicyKind::ALL {
        support::limit(config, kind, kind.default_rate());
    }
}

#[tokio::test]
async fn an_office_of_twenty_behind_one_address_signs_in_within_a_minute() {
    let setup = TestApp::spawn().await;
    let staff: Vec<String> = (0..20).map(|i| format!("desk{i}@office.example")).collect();
    for (i, email) in staff.iter().enumerate() {
        sign_up(&setup, &format!("Office {i}"), email).await;
    }
    // The office's instance runs the shipped limits, and locks an address
    // after only 10 failures so that typos adding up would show.
    let office = TestApp::spawn_beside(&setup, |c| {
        default_policies(c);
        c.auth.max_failures_per_ip = 10;
    })
    .await;
    let started = Instant::now();
    for email in &staff {
        let desk = Browser::new(&office);
        // Each opens the sign-in page twice (a reload), mistypes once, then signs in.
        for _ in 0..2 {
            assert_eq!(
                desk.get("/signin").await.status(),
                StatusCode::OK,
                "{email}"
            );
        }
        let typo = desk.sign_in(email, "correct horse batery").await;
        assert_eq!(typo.status(), StatusCode::UNAUTHORIZED, "{email}");
        let r = desk.sign_in(email, support::PASSWORD).await;
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{email}: {}",
            r.status()
        );
        assert_eq!(desk.whoami().await["email"], email.as_str());
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn allow_list_bypasses_and_deny_list_blocks() {
    let allowed = TestApp::spawn_with(
        |c| {
            support::limit(c, PolicyKind::PublicPages, "2/min");
            c.rate_limit.allow_ips = vec!["127.0.0.0/8".parse().unwrap()];
        },
        Router::new(),
    )
    .await;
    for _ in 0..6 {
        let r = allowed.get("/signin").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(!r.headers().contains_key("ratelimit-limit"));
    }

    let limited = TestApp::spawn_with(
        |c| support::limit(c, PolicyKind::PublicPages, "2/min"),
        Router::new(),
    )
    .await;
    let statuses: Vec<StatusCode> = join_all((0..4).map(|_| limited.get("/signin")))
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        2,
        "{statuses:?}"
    );

    // Loading public pages does not spend the anonymous budget, and the
    // anonymous budget (sign-up) does not spend the pages'.
    let separate = TestApp::spawn_with(
        |c| {
            support::limit(c, PolicyKind::Anonymous, "1/min");
            support::limit(c, PolicyKind::PublicPages, "3/min");
        },
        Router::new(),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(separate.get("/signup").await.status(), StatusCode::OK);
    }
    assert_eq!(
        separate.get("/signup").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let visitor = Browser::new(&separate);
    let first = visitor
        .call("forgot-password", &[("email", "a@b.example")])
        .await;
    assert!(
        first.status().is_success() || first.status().is_redirection(),
        "{}",
        first.status()
    );
    let second = visitor
        .call("forgot-password", &[("email", "a@b.example")])
        .await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);

    let denied = TestApp::spawn_with(
        |c| c.rate_limit.deny_ips = vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap().into()],
        Router::new(),
    )
    .await;
    let r = denied.get("/signin").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "blocked");
}

/// The instance's next decision is made in Redis (connected, script loaded).
async fn decides_in_redis(app: &TestApp) -> bool {
    let limiter = &app.deps.limiter;
    let decision = limiter
        .check(
            &limiter.policies()[frontdesk::ratelimit::PolicyKind::Read],
            "probe",
        )
        .await;
    decision.source == frontdesk::ratelimit::Source::Shared
}

#[tokio::test]
async fn redis_dying_mid_load_keeps_serving_and_limiting_then_resumes_sharing() {
    let mut own = OwnRedis::start();
    let url = own.url();
    // A stopped Redis refuses connections at once; the generous timeout keeps
    // a busy test machine's slow replies from counting as an outage.
    let configure = |c: &mut Config| {
        c.redis.url = support::secret(&url);
        support::limit(c, PolicyKind::Api, "30/h");
        c.rate_limit.redis_timeout = Duration::from_millis(1000);
    };
    let a = TestApp::spawn_with(configure, Router::new()).await;
    let b = TestApp::spawn_beside(&a, configure).await;
    assert!(
        a.deps
            .redis
            .as_ref()
            .unwrap()
            .wait_until_connected(Duration::from_secs(5))
            .await
    );
    assert!(
        b.deps
            .redis
            .as_ref()
            .unwrap()
            .wait_until_connected(Duration::from_secs(5))
            .await
    );
    let owner = sign_up(&a, "Outage Clinic", "owner@outage.example").await;
    let keys: Vec<String> = join_all((0..3).map(|_| api_key(&owner, &["clients:read"]))).await;

    // Shared while Redis is up: 30 across both instances.
    let before = hammer(&[&a, &b], &keys[0], 60, 10).await;
    assert_eq!(admitted(&before), 30);

    // Redis dies in the middle of a load on the second key.
    let load = {
        let (a_url, b_url, key) = (a.url("/api/v1/key"), b.url("/api/v1/key"), keys[1].clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut results = Vec::new();
            for i in 0..120usize {
                let target = if i % 2 == 0 { &a_url } else { &b_url };
                let status = client
                    .get(target)
                    .bearer_auth(&key)
                    .send()
                    .await
                    .unwrap()
                    .status();
                results.push((i % 2, status));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            results
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    own.stop();
    let during = load.await.unwrap();
    assert_only_ok_or_429(&during);
    // Each instance enforced the limit on its own; none admitted more than 30.
    for instance in 0..2 {
        let ok = during
            .iter()
            .filter(|(i, s)| *i == instance && *s == StatusCode::OK)
            .count();
        assert!(ok <= 30, "instance {instance} admitted {ok}");
    }
    assert!(admitted(&during) >= 30, "requests were still admitted");
    // Cached and uncached reads are still served while Redis is down.
    let (status, _) =
        support::rest(&a, &keys[2], reqwest::Method::GET, "/api/v1/clients", None).await;
    assert_eq!(status, StatusCode::OK);
    let health = a.get("/api/health").await;
    assert_eq!(health.status(), StatusCode::OK, "Redis is not required");
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["checks"]["redis"]["status"], "down");

    // Back again: both instances share the limit once more.
    own.restart();
    let redis = redis::client(&url).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        hammer(&[&a, &b], &keys[2], 2, 2).await;
        let shared = redis::keys(&redis, "fd:rl:*").await;
        if !shared.is_empty()
            && !a.deps.redis.as_ref().unwrap().is_down()
            && !b.deps.redis.as_ref().unwrap().is_down()
            && decides_in_redis(&a).await
            && decides_in_redis(&b).await
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the instances did not return to Redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The key loaded during the outage: what each instance admitted alone
    // still counts for the rest of its window, though Redis restarted empty.
    let resumed = hammer(&[&a, &b], &keys[1], 60, 10).await;
    assert_only_ok_or_429(&resumed);
    for instance in 0..2 {
        let ok = |results: &[(usize, StatusCode)]| {
            results
                .iter()
                .filter(|(i, s)| *i == instance && *s == StatusCode::OK)
                .count()
        };
        assert!(
            ok(&during) + ok(&resumed) <= 30,
            "instance {instance} admitted {} alone and {} after Redis came back",
            ok(&during),
            ok(&resumed)
        );
    }
    assert!(admitted(&resumed) <= 30);

    let fresh = api_key(&owner, &["clients:read"]).await;
    let after = hammer(&[&a, &b], &fresh, 60, 10).await;
    assert_only_ok_or_429(&after);
    assert_eq!(admitted(&after), 30, "shared again after recovery");
}
