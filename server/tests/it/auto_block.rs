//! Automatic blocking against the real Redis: an address refused over and
//! over by rate limits on one instance is blocked on every instance, the
//! operator sees and lifts the block with `frontdesk blocks`, and
//! allow-listed addresses are never blocked.

use crate::support;

use std::{process::Command, time::Duration};

use axum::Router;
use frontdesk::{config::Config, ratelimit::PolicyKind};
use reqwest::StatusCode;
use support::{redis, TestApp};

/// A private address no other test uses.
fn address() -> String {
    let n = uuid::Uuid::now_v7().as_u128();
    format!("10.{}.{}.{}", (n >> 16) as u8, (n >> 8) as u8, n as u8)
}

async fn get_from(app: &TestApp, address: &str) -> reqwest::Response {
    app.client
        .get(app.url("/signin"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
}

fn blocks(args: &[&str], redis_url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("blocks")
        .args(args)
        .env_clear()
        .env("REDIS_URL", redis_url)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn an_address_refused_again_and_again_is_blocked_on_every_instance() {
    let url = redis::shared_url();
    let (bad, good, trusted) = (address(), address(), address());
    // Like instances in production, both hash addresses with the same key.
    let hash_key = format!("auto-block-test-{}", uuid::Uuid::now_v7().simple());
    let configure = |c: &mut Config| {
        c.log.hash_key = hash_key.as_bytes().to_vec().into();
        c.redis.url = support::secret(&url);
        c.auth.trust_proxy_headers = true;
        support::limit(c, PolicyKind::PublicPages, "1/min");
        c.rate_limit.allow_ips = vec![trusted.parse::<std::net::IpAddr>().unwrap().into()];
        c.rate_limit.auto_block.denials = 5;
        c.rate_limit.auto_block.first_block = Duration::from_secs(120);
    };
    let a = TestApp::spawn_with(configure, Router::new()).await;
    let b = TestApp::spawn_beside(&a, configure).await;
    for app in [&a, &b] {
        assert!(
            app.deps
                .redis
                .as_ref()
                .unwrap()
                .wait_until_connected(Duration::from_secs(5))
                .await
        );
    }

    assert_eq!(get_from(&a, &bad).await.status(), StatusCode::OK);
    for i in 0..5 {
        assert_eq!(
            get_from(&a, &bad).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "denial {i}"
        );
    }
    // The fifth denial blocked it, here and on the other instance.
    for app in [&a, &b] {
        let r = get_from(app, &bad).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((100..=120).contains(&retry), "{retry}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "blocked");
    }
    // Nobody else is affected.
    assert_eq!(get_from(&b, &good).await.status(), StatusCode::OK);
    // An allow-listed address is never limited, so never blocked.
    for _ in 0..20 {
        assert_eq!(get_from(&a, &trusted).await.status(), StatusCode::OK);
    }

    // The operator sees the block and lifts it.
    let listed = blocks(&["list"], &url);
    assert!(
        listed.contains(&bad) && listed.contains("block 1 today"),
        "{listed}"
    );
    assert!(
        !listed.contains(&good) && !listed.contains(&trusted),
        "{listed}"
    );
    let removed = blocks(&["remove", &bad], &url);
    assert!(removed.contains("no longer blocked"), "{removed}");
    assert!(!blocks(&["list"], &url).contains(&bad));
    // Instances trust a lookup for a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for app in [&a, &b] {
        // Still over its page limit, but no longer blocked.
        assert_eq!(
            get_from(app, &bad).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

#[tokio::test]
async fn without_redis_each_instance_blocks_on_its_own() {
    let bad = address();
    let app = TestApp::spawn_with(
        |c| {
            c.auth.trust_proxy_headers = true;
            support::limit(c, PolicyKind::PublicPages, "1/min");
            c.rate_limit.auto_block.denials = 3;
        },
        Router::new(),
    )
    .await;
    assert_eq!(get_from(&app, &bad).await.status(), StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(
            get_from(&app, &bad).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(get_from(&app, &bad).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get_from(&app, &address()).await.status(), StatusCode::OK);
}
