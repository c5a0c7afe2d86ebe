//! The read cache against the real Redis: hit after miss, one computation
//! per instance for concurrent misses, invalidation seen at once by another
//! instance, a corrupt value treated as a miss, Redis failing, and the
//! in-process fallback without Redis.

use crate::support;

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use axum::Router;
use frontdesk::{
    cache::{Cache, CacheConfig, Entity, Namespace},
    error::AppError,
    redis::{Redis, RedisConfig},
};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{
    api_key,
    redis::{self, OwnRedis},
    rest, sign_up, TestApp,
};
use uuid::Uuid;

async fn shared_cache(url: &str) -> Cache {
    let config = RedisConfig {
        url: Some(url.into()),
        pool_size: 2,
        timeout: Duration::from_millis(250),
    };
    let redis = Redis::connect(&config, url).unwrap();
    redis.wait_until_connected(Duration::from_secs(5)).await;
    Cache::new(
        &CacheConfig {
            enabled: true,
            local_max_bytes: 1 << 20,
        },
        Some(redis),
    )
}

/// Reads `ns` for `tenant`; a miss computes `value` (counting in `runs`).
async fn read(
    cache: &Cache,
    tenant: Uuid,
    value: u32,
    runs: &AtomicUsize,
) -> Result<Vec<String>, AppError> {
    cache
        .get_or_compute(Namespace::Clients, tenant, "page:1", || async {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(150)).await;
            Ok(vec![format!("value {value}"); 3])
        })
        .await
}

#[tokio::test]
async fn concurrent_misses_compute_once_per_instance_then_hit() {
    let url = redis::shared_url();
    let (one, two) = (shared_cache(&url).await, shared_cache(&url).await);
    let tenant = Uuid::now_v7();
    let runs = AtomicUsize::new(0);
    let results =
        join_all((0..40).map(|i| read(if i % 2 == 0 { &one } else { &two }, tenant, 1, &runs)))
            .await;
    let computed = runs.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&computed),
        "40 concurrent misses over two instances computed {computed} times"
    );
    for result in results {
        assert_eq!(result.unwrap(), vec!["value 1"; 3]);
    }
    // Both instances now hit the shared value.
    assert_eq!(read(&one, tenant, 2, &runs).await.unwrap()[0], "value 1");
    assert_eq!(read(&two, tenant, 2, &runs).await.unwrap()[0], "value 1");
    assert_eq!(runs.load(Ordering::SeqCst), computed);
    assert!(one.counts(Namespace::Clients).hits >= 1);
    assert!(two.counts(Namespace::Clients).hits >= 1);
}

#[tokio::test]
async fn an_invalidation_on_one_instance_is_seen_by_the_other_at_once() {
    let url = redis::shared_url();
    let (one, two) = (shared_cache(&url).await, shared_cache(&url).await);
    let (tenant, other_tenant) = (Uuid::now_v7(), Uuid::now_v7());
    let runs = AtomicUsize::new(0);
    assert_eq!(read(&one, tenant, 1, &runs).await.unwrap()[0], "value 1");
    assert_eq!(read(&two, tenant, 2, &runs).await.unwrap()[0], "value 1");
    assert_eq!(
        read(&two, other_tenant, 7, &runs).await.unwrap()[0],
        "value 7"
    );

    // A write to another entity leaves client pages alone.
    one.invalidate(tenant, Entity::Services).await;
    assert_eq!(read(&two, tenant, 3, &runs).await.unwrap()[0], "value 1");
    one.invalidate(tenant, Entity::Clients).await;
    assert_eq!(read(&two, tenant, 4, &runs).await.unwrap()[0], "value 4");
    // Only that tenant's values went.
    assert_eq!(
        read(&one, other_tenant, 8, &runs).await.unwrap()[0],
        "value 7"
    );
}

#[tokio::test]
async fn a_corrupt_value_is_a_miss() {
    let url = redis::shared_url();
    let cache = shared_cache(&url).await;
    let tenant = Uuid::now_v7();
    let runs = AtomicUsize::new(0);
    read(&cache, tenant, 1, &runs).await.unwrap();
    let client = redis::client(&url).await;
    let keys = redis::keys(&client, &format!("fd:c2:{{{tenant}}}:*")).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    for garbage in [&b"\xff\xff\xff\xff\xff\xff"[..], b"", b"\x03\x01x"] {
        redis::overwrite(&client, &keys[0], garbage).await;
        let errors = cache.counts(Namespace::Clients).errors;
        assert_eq!(read(&cache, tenant, 2, &runs).await.unwrap()[0], "value 2");
        assert_eq!(cache.counts(Namespace::Clients).errors, errors + 1);
    }
    // The recomputed value replaced the garbage.
    let before = runs.load(Ordering::SeqCst);
    assert_eq!(read(&cache, tenant, 3, &runs).await.unwrap()[0], "value 2");
    assert_eq!(runs.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_lost_counter_never_brings_back_an_older_value() {
    let url = redis::shared_url();
    let cache = shared_cache(&url).await;
    let tenant = Uuid::now_v7();
    let runs = AtomicUsize::new(0);
    read(&cache, tenant, 1, &runs).await.unwrap();
    let client = redis::client(&url).await;
    // Values of two generations, the newer one current.
    cache.invalidate(tenant, Entity::Clients).await;
    assert_eq!(read(&cache, tenant, 2, &runs).await.unwrap()[0], "value 2");
    assert_eq!(
        redis::keys(&client, &format!("fd:c2:{{{tenant}}}:*"))
            .await
            .len(),
        2
    );

    // The counter is lost (evicted, or Redis restarted without it) while
    // the values stay: the next read computes and caches afresh.
    let counters = redis::keys(&client, &format!("fd:gen:{{{tenant}}}:*")).await;
    assert_eq!(counters.len(), 1, "{counters:?}");
    redis::remove(&client, &counters[0]).await;
    assert_eq!(read(&cache, tenant, 3, &runs).await.unwrap()[0], "value 3");
    assert_eq!(read(&cache, tenant, 4, &runs).await.unwrap()[0], "value 3");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn without_redis_reads_are_computed_and_caching_resumes_when_it_is_back() {
    let mut own = OwnRedis::start();
    let cache = shared_cache(&own.url()).await;
    let tenant = Uuid::now_v7();
    let runs = AtomicUsize::new(0);
    read(&cache, tenant, 1, &runs).await.unwrap();
    own.stop();
    // Every read is answered, computed fresh, without waiting on Redis each time.
    let started = Instant::now();
    for i in 2..12 {
        assert_eq!(
            read(&cache, tenant, i, &runs).await.unwrap()[0],
            format!("value {i}")
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(cache.counts(Namespace::Clients).errors >= 1);
    // A write during the outage is not lost: it is applied before the cache is used again.
    cache.invalidate(tenant, Entity::Clients).await;

    own.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let before = runs.load(Ordering::SeqCst);
        read(&cache, tenant, 50, &runs).await.unwrap();
        let after = runs.load(Ordering::SeqCst);
        read(&cache, tenant, 51, &runs).await.unwrap();
        if runs.load(Ordering::SeqCst) == after && after == before + 1 {
            break; // a miss, then a hit: shared caching again
        }
        assert!(Instant::now() < deadline, "caching did not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_write_through_one_instance_is_read_through_another_at_once() {
    let url = redis::shared_url();
    let first = TestApp::spawn_with(|c| c.redis.url = support::secret(&url), Router::new()).await;
    let second = TestApp::spawn_beside(&first, |c| c.redis.url = support::secret(&url)).await;
    let owner = sign_up(&first, "Two Instance Clinic", "owner@two.example").await;
    let key = api_key(&owner, &["services:write", "clients:write"]).await;

    let (status, services) = rest(&second, &key, Method::GET, "/api/v1/services", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(services["services"], json!([]));
    rest(&second, &key, Method::GET, "/api/v1/services", None).await;
    assert!(second.deps.cache.counts(Namespace::Services).hits >= 1);

    let (status, created) = rest(
        &first,
        &key,
        Method::POST,
        "/api/v1/services",
        Some(json!({"name": "Consultation", "duration_minutes": 30, "price_minor": 5000, "currency": "EUR"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, services) = rest(&second, &key, Method::GET, "/api/v1/services", None).await;
    assert_eq!(
        services["services"][0]["name"], "Consultation",
        "{services}"
    );

    // The same for client search pages.
    let (_, page) = rest(&second, &key, Method::GET, "/api/v1/clients?q=zed", None).await;
    assert_eq!(page["clients"].as_array().unwrap().len(), 0);
    let (status, _) = rest(
        &first,
        &key,
        Method::POST,
        "/api/v1/clients",
        Some(json!({"name": "Zed Example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = rest(&second, &key, Method::GET, "/api/v1/clients?q=zed", None).await;
    assert_eq!(page["clients"][0]["name"], "Zed Example", "{page}");
}

#[tokio::test]
async fn without_redis_url_the_in_process_cache_serves_and_invalidates() {
    let app = TestApp::spawn().await;
    assert!(app.deps.redis.is_none());
    let owner = sign_up(&app, "Solo Clinic", "owner@solo.example").await;
    let list = || owner.call_ok("clients", &[("query", "")]);
    assert_eq!(list().await["clients"].as_array().unwrap().len(), 0);
    assert_eq!(list().await["clients"].as_array().unwrap().len(), 0);
    let counts = app.deps.cache.counts(Namespace::Clients);
    assert_eq!((counts.hits, counts.misses), (1, 1));
    owner
        .call_ok(
            "save-client",
            &[
                ("name", "Ada"),
                ("email", ""),
                ("phone", ""),
                ("notes", ""),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(list().await["clients"][0]["name"], "Ada");
    // The dashboard counts the new client at once (it depends on every entity).
    let dashboard = owner.call_ok("dashboard", &[]).await;
    assert_eq!(dashboard["new_clients"], 1);
}
