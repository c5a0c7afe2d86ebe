//! `frontdesk bench-scale`: latency of the dashboard, a calendar week,
//! client search and `GET /api/v1/appointments` for a week, over real HTTP
//! against the large data set (`seed --scale`, created in the bench
//! database when missing). Prints p50/p95 per request kind, and the plan of
//! the dashboard's counts, refusing a sequential scan of appointments.

use frontdesk::secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use chrono_tz::Tz;
use frontdesk::tools::bench;
use frontdesk::{
    audit::Origin,
    auth::password,
    config::Config,
    db,
    domain::{password::NewPassword, scheduling::instant},
    services::api_keys,
};

use crate::{
    baseline::{self, Better},
    bench::{bench_database_url, check_response, http_load, measure_requests, ms, Running},
    seed, AppState,
};

const BENCH: &str = "bench-scale";

type Outcome = Result<(), Box<dyn std::error::Error>>;

const RUNS: usize = 200;
const PASSWORD: &str = "bench scale password";

pub async fn run(mut config: Config) -> Outcome {
    config.database.url = bench_database_url(config.database.url.expose_secret()).into();
    config.http.addr = "127.0.0.1:0".parse()?;
    config.database.statement_timeout = config
        .database
        .statement_timeout
        .max(seed::SEED_STATEMENT_TIMEOUT);
    // Latency is measured here, not the limits: one client makes every request.
    config.rate_limit.enabled = false;
    db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    let comparison_config = config.clone();
    let state = AppState::new(config, pool.clone())?;
    let deps = state.deps.clone();

    let started = Instant::now();
    let (owner, created) = seed::scale(&deps).await?;
    if created.is_some() {
        println!("data set built in {:.1} s", started.elapsed().as_secs_f64());
    }
    let counts = bench::sizes(&pool, owner.tenant_id).await?;
    println!(
        "data set: {} appointments, {} clients in one business",
        counts.0, counts.1
    );

    // A known password for the bench owner, so the run can sign in over HTTP.
    let hash = password::hash(&NewPassword::parse(PASSWORD)?).await?;
    bench::set_password(&pool, seed::SCALE_EMAIL, &hash).await?;
    bench::mark_verified(&pool, seed::SCALE_EMAIL).await?;
    let key = api_keys::create(
        &deps,
        &owner,
        "bench",
        &["appointments:read".to_string()],
        &Origin::default(),
    )
    .await?
    .secret;

    explain_dashboard(&deps, owner.tenant_id).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = Running::start(listener, state);
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let post = |endpoint: &str, form: Vec<(&'static str, String)>| {
        client
            .post(format!("{base}/api/{endpoint}"))
            .header("sec-fetch-site", "same-origin")
            .form(&form)
    };
    let signed_in = post(
        "sign-in",
        vec![
            ("email", seed::SCALE_EMAIL.into()),
            ("password", PASSWORD.into()),
        ],
    )
    .send()
    .await?;
    if !signed_in.status().is_success() && !signed_in.status().is_redirection() {
        return Err(format!("bench sign-in failed: {}", signed_in.status()).into());
    }

    let zone: Tz = "Europe/Berlin".parse().map_err(|_| "zone")?;
    let today = Utc::now().with_timezone(&zone).date_naive();
    let monday = today - Days::days(today.weekday().num_days_from_monday().into());
    let week_from = instant(zone, monday.and_hms_opt(0, 0, 0).ok_or("date")?);
    let week_to = week_from + Days::days(7);

    let mut results = Vec::new();
    let dashboard = measure_requests(RUNS, || post("dashboard", vec![]).send()).await?;
    results.push(("dashboard (server function)", dashboard));
    let calendar = measure_requests(RUNS, || {
        post(
            "calendar",
            vec![("from", monday.to_string()), ("days", "7".into())],
        )
        .send()
    })
    .await?;
    results.push((
        "calendar week, all 25 providers, 1,400 appointments",
        calendar,
    ));
    let mut n = 0usize;
    let search = measure_requests(RUNS, || {
        n += 1;
        let q = ["ann", "smith", "client1", "+49 30 10", "zoe m", "weber 4"][n % 6];
        post("clients", vec![("query", q.to_string())]).send()
    })
    .await?;
    results.push(("client search (server function)", search));
    let api = measure_requests(RUNS, || {
        client
            .get(format!("{base}/api/v1/appointments"))
            .bearer_auth(&key)
            .query(&[
                ("from", week_from.to_rfc3339()),
                ("to", week_to.to_rfc3339()),
            ])
            .send()
    })
    .await?;
    results.push(("GET /api/v1/appointments, a week (first page of 200)", api));
    for (what, times) in &results {
        let (p50, p95) = (
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
        );
        println!("{what}: p50 {p50:.1} ms, p95 {p95:.1} ms ({RUNS} runs)");
        baseline::record(BENCH, &format!("{what}, p50"), p50, "ms", Better::Lower);
        baseline::record(BENCH, &format!("{what}, p95"), p95, "ms", Better::Lower);
    }
    calendar_pages(&client, &base, monday).await?;
    server.stop().await;
    cache_comparison(&comparison_config, monday).await?;
    signed_in_cost(&comparison_config).await
}

/// Connections of the calendar pages' load.
const PAGE_CONCURRENCY: usize = 16;

/// The calendar as staff open it: whole server-rendered pages (markup,
/// hydration data and all), their size, one at a time and at 16
/// connections.
async fn calendar_pages(client: &reqwest::Client, base: &str, monday: NaiveDate) -> Outcome {
    println!("\ncalendar pages (server-rendered HTML, signed in)");
    println!(
        "{:<40} {:>9} {:>8} {:>8} {:>10}",
        "page", "HTML KB", "p50 ms", "p95 ms", "p99 ms x16"
    );
    for (what, path) in [
        (
            "calendar week page",
            format!("/calendar?view=week&date={monday}"),
        ),
        (
            "calendar day page, 25 providers",
            format!("/calendar?view=day&date={monday}"),
        ),
    ] {
        let url = format!("{base}{path}");
        let page = client.get(&url).send().await?;
        if !page.status().is_success() {
            return Err(format!("{path}: {}", page.status()).into());
        }
        let kb = page.bytes().await?.len() as f64 / 1024.0;
        let times = measure_requests(RUNS, || client.get(&url).send()).await?;
        let (p50, p95) = (
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
        );
        let (client, url) = (client.clone(), url.clone());
        let (loaded, _) = http_load(PAGE_CONCURRENCY, RUNS / PAGE_CONCURRENCY, move |_, _| {
            client.get(&url)
        })
        .await?;
        let p99 = ms(loaded[loaded.len() * 99 / 100]);
        println!("{what:<40} {kb:>9.0} {p50:>8.1} {p95:>8.1} {p99:>10.1}");
        baseline::record(BENCH, &format!("{what}, HTML"), kb, "KB", Better::Lower);
        baseline::record(BENCH, &format!("{what}, p50"), p50, "ms", Better::Lower);
        baseline::record(BENCH, &format!("{what}, p95"), p95, "ms", Better::Lower);
        baseline::record(
            BENCH,
            &format!("{what}, p99 at {PAGE_CONCURRENCY} connections"),
            p99,
            "ms",
            Better::Lower,
        );
    }
    Ok(())
}

/// Requests per measurement of the cost of being signed in, and at once.
const SESSION_REQUESTS: usize = 4_000;
const SESSION_CONCURRENCY: usize = 16;

/// What being signed in costs: `/api/health/live` with and without a
/// session cookie, and the cached dashboard, at 16 connections on one
/// instance (cache on, through Redis when it answers).
async fn signed_in_cost(config: &Config) -> Outcome {
    let mut c = config.clone();
    c.cache.enabled = true;
    c.rate_limit.enabled = false;
    c.redis.url = Some(
        config
            .redis
            .url
            .clone()
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
    );
    let pool = db::pool(&c.database)?;
    let state = AppState::new(c, pool)?;
    let store = match &state.deps.redis {
        Some(redis) if redis.wait_until_connected(Duration::from_secs(3)).await => "Redis",
        _ => "in-process (no Redis)",
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = Running::start(listener, state);
    let signed = reqwest::Client::builder().cookie_store(true).build()?;
    check_response(
        signed
            .post(format!("{base}/api/sign-in"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", seed::SCALE_EMAIL), ("password", PASSWORD)])
            .send()
            .await?,
    )
    .await?;
    let anonymous = reqwest::Client::new();
    println!(
        "\nbeing signed in: {SESSION_REQUESTS} requests, {SESSION_CONCURRENCY} at a time, sessions cached in {store}"
    );
    println!(
        "{:<32} {:>9} {:>9} {:>9}",
        "request", "p50 ms", "p99 ms", "req/s"
    );
    let mut rates = Vec::new();
    for (what, client, dashboard) in [
        ("health, no cookie", &anonymous, false),
        ("health, signed in", &signed, false),
        ("dashboard (cached), signed in", &signed, true),
    ] {
        let (client, base) = (client.clone(), base.clone());
        let request = move |_: usize, _: usize| {
            if dashboard {
                client
                    .post(format!("{base}/api/dashboard"))
                    .header("sec-fetch-site", "same-origin")
            } else {
                client.get(format!("{base}/api/health/live"))
            }
        };
        // Warm-up: connections, the cache, the session.
        http_load(SESSION_CONCURRENCY, 20, request.clone()).await?;
        let (times, elapsed) = http_load(
            SESSION_CONCURRENCY,
            SESSION_REQUESTS / SESSION_CONCURRENCY,
            request,
        )
        .await?;
        let rate = times.len() as f64 / elapsed.as_secs_f64();
        let (p50, p99) = (
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100]),
        );
        println!("{what:<32} {p50:>9.2} {p99:>9.2} {rate:>9.0}");
        baseline::record(
            BENCH,
            &format!("{what}, req/s"),
            rate,
            "1/s",
            Better::Higher,
        );
        baseline::record(BENCH, &format!("{what}, p99"), p99, "ms", Better::Lower);
        rates.push(rate);
    }
    println!(
        "signed in / no cookie: {:.2}x the requests per second",
        rates[1] / rates[0]
    );
    server.stop().await;
    Ok(())
}

/// Requests per measurement of the cache comparison, and how many at once.
const LOAD_REQUESTS: usize = 400;
const LOAD_CONCURRENCY: usize = 8;

/// The dashboard and a calendar week with the cache off and on (shared
/// through Redis when it answers), on one instance and on two sharing the
/// database (and Redis). Rate limits are off so that only the reads count.
async fn cache_comparison(config: &Config, monday: NaiveDate) -> Outcome {
    let redis_url = config
        .redis
        .url
        .clone()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    println!(
        "\ncache off vs on: {LOAD_REQUESTS} requests, {LOAD_CONCURRENCY} at a time, round-robin over the instances"
    );
    println!(
        "{:<15} {:<22} {:>9} {:>9} {:>9} {:>9}",
        "request", "cache", "instances", "p50 ms", "p99 ms", "req/s"
    );
    for cached in [false, true] {
        for instances in [1usize, 2] {
            let mut bases = Vec::new();
            let mut running = Vec::new();
            let mut store = "off";
            for _ in 0..instances {
                let mut c = config.clone();
                c.cache.enabled = cached;
                c.rate_limit.enabled = false;
                c.redis.url = cached.then(|| redis_url.clone());
                // A pool per instance, as separate processes would have (and
                // each server closes its own when it stops).
                let pool = db::pool(&c.database)?;
                let state = AppState::new(c, pool)?;
                if let Some(redis) = &state.deps.redis {
                    store = if redis.wait_until_connected(Duration::from_secs(3)).await {
                        "Redis"
                    } else {
                        "in-process (no Redis)"
                    };
                } else if cached {
                    store = "in-process";
                }
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                bases.push(format!("http://{}", listener.local_addr()?));
                running.push(Running::start(listener, state));
            }
            // Sessions live in PostgreSQL: one sign-in serves every instance.
            let client = reqwest::Client::builder().cookie_store(true).build()?;
            client
                .post(format!("{}/api/sign-in", bases[0]))
                .header("sec-fetch-site", "same-origin")
                .form(&[("email", seed::SCALE_EMAIL), ("password", PASSWORD)])
                .send()
                .await?;
            let week = vec![("from", monday.to_string()), ("days", "7".to_string())];
            for (what, endpoint, form) in [
                ("dashboard", "dashboard", vec![]),
                ("calendar week", "calendar", week),
            ] {
                let (times, elapsed) = load(&client, &bases, endpoint, &form).await?;
                let rate = times.len() as f64 / elapsed.as_secs_f64();
                println!(
                    "{what:<15} {store:<22} {instances:>9} {:>9.1} {:>9.1} {rate:>9.0}",
                    ms(times[times.len() / 2]),
                    ms(times[times.len() * 99 / 100]),
                );
                let cache = if cached { "cache on" } else { "cache off" };
                baseline::record(
                    BENCH,
                    &format!("{what}, {cache}, {instances} instance(s), req/s"),
                    rate,
                    "1/s",
                    Better::Higher,
                );
            }
            for server in running {
                server.stop().await;
            }
        }
    }
    Ok(())
}

/// [`LOAD_REQUESTS`] calls of a server function, [`LOAD_CONCURRENCY`] at a
/// time, spread over `bases`; sorted latencies and the wall time.
async fn load(
    client: &reqwest::Client,
    bases: &[String],
    endpoint: &str,
    form: &[(&str, String)],
) -> Result<(Vec<Duration>, Duration), Box<dyn std::error::Error>> {
    let form: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    // Warm up: every instance once (fills the cache when it is on).
    for base in bases {
        check_response(
            client
                .post(format!("{base}/api/{endpoint}"))
                .header("sec-fetch-site", "same-origin")
                .form(&form)
                .send()
                .await?,
        )
        .await?;
    }
    let (client, bases, endpoint) = (client.clone(), bases.to_vec(), endpoint.to_string());
    http_load(
        LOAD_CONCURRENCY,
        LOAD_REQUESTS / LOAD_CONCURRENCY,
        move |task, n| {
            let base = &bases[(task + n * LOAD_CONCURRENCY) % bases.len()];
            client
                .post(format!("{base}/api/{endpoint}"))
                .header("sec-fetch-site", "same-origin")
                .form(&form)
        },
    )
    .await
}

/// The dashboard's per-day counts must come from an index, not a scan.
async fn explain_dashboard(deps: &frontdesk::services::Deps, tenant: uuid::Uuid) -> Outcome {
    let now = Utc::now();
    let plan = bench::dashboard_plan(
        deps,
        tenant,
        now - Days::days(7),
        now + Days::days(8),
        "Europe/Berlin",
    )
    .await?;
    println!("dashboard per-day counts, plan:");
    for line in &plan {
        println!("  {line}");
    }
    if plan.iter().any(|l| l.contains("Seq Scan on appointments")) {
        return Err("the dashboard scans all appointments: its index is not used".into());
    }
    Ok(())
}
