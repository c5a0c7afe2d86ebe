//! `frontdesk bench-live`: live updates at scale. Two instances on one
//! database with 1,000 open streams between them (one signed-in session);
//! bookings committed one after another; prints the delivery latency from
//! commit to each stream (p50, p99), the resident memory per open stream,
//! and what the outbox write adds to a booking: the same bookings on an
//! instance with live updates on and one with them off (`LIVE_UPDATES`),
//! in alternating rounds, one at a time and 16 at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeZone, Utc};
use frontdesk::{
    audit::Origin,
    auth::Staff,
    config::Config,
    db,
    domain::scheduling::WorkingSpan,
    secrecy::ExposeSecret,
    services::{appointments, catalog, clients, Deps},
    tools::bench,
};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::{
    bench::{bench_database_url, bench_owner, ms, reset_peak, rss_kib, sign_in_over_http, Running},
    AppState,
};

use crate::baseline::{self, Better};

const BENCH: &str = "bench-live";

type Outcome = Result<(), Box<dyn std::error::Error>>;

const STREAMS: usize = 1_000;
/// Bookings whose delivery is timed, one at a time.
const DELIVERIES: usize = 60;
/// Bookings per round of the outbox cost, and rounds per side.
const BOOKINGS: usize = 200;
const ROUNDS: usize = 3;
const CONCURRENT: usize = 16;
const PASSWORD: &str = "bench live password";
/// Pages that never read, and the changes sent while they do not.
const STUCK: usize = 100;
const FLOOD: usize = 100_000;

/// When each stream saw each booking.
type Seen = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

pub async fn run(mut config: Config) -> Outcome {
    config.database.url = bench_database_url(config.database.url.expose_secret()).into();
    config.rate_limit.enabled = false;
    config.live.streams_per_session = STREAMS;
    config.live.streams_per_address = STREAMS;
    // Enough connections for 16 bookings at once on each instance.
    config.database.max_connections = config.database.max_connections.max(24);
    db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;

    let mut off = config.clone();
    off.live.enabled = false;
    let states = [
        AppState::new(config.clone(), pool.clone())?,
        AppState::new(config, pool.clone())?,
    ];
    let off_state = AppState::new(off, pool.clone())?;
    let deps = states[0].deps.clone();
    let (owner, email, desk) = business(&deps).await?;

    let hubs = states.clone().map(|s| s.live);
    let mut bases = Vec::new();
    let mut servers = Vec::new();
    for state in states {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        bases.push(format!("http://{}", listener.local_addr()?));
        servers.push(Running::start(listener, state));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let cookie = sign_in_over_http(&client, &bases[0], &email, PASSWORD).await?;

    // 1,000 streams, half on each instance.
    let rss_before = rss_kib("VmRSS").unwrap_or(0);
    let seen: Seen = Arc::default();
    let mut readers = Vec::with_capacity(STREAMS);
    for n in 0..STREAMS {
        let response = client
            .get(format!("{}/api/live", bases[n % 2]))
            .header("cookie", &cookie)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("stream {n}: {}", response.status()).into());
        }
        readers.push(tokio::spawn(read(response, seen.clone())));
    }
    // Let every stream settle before memory is read.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let per_stream =
        rss_kib("VmRSS").unwrap_or(0).saturating_sub(rss_before) as f64 / STREAMS as f64;

    let mut committed = HashMap::new();
    for n in 0..DELIVERIES {
        let booked = book(&deps, &owner, &desk, n).await?;
        committed.insert(booked, Instant::now());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every stream must see every booking.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let complete = {
            let seen = seen.lock().expect("seen");
            committed
                .keys()
                .all(|id| seen.get(id).is_some_and(|s| s.len() == STREAMS))
        };
        if complete {
            break;
        }
        if Instant::now() > deadline {
            return Err("not every stream saw every booking within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut latencies: Vec<Duration> = {
        let seen = seen.lock().expect("seen");
        committed
            .iter()
            .flat_map(|(id, at)| {
                seen[id]
                    .iter()
                    .map(move |t| t.saturating_duration_since(*at))
            })
            .collect()
    };
    latencies.sort();
    let (p50, p99) = (
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100]),
    );
    println!(
        "delivery from commit to stream, {DELIVERIES} bookings × {STREAMS} streams on two instances: \
         p50 {p50:.2} ms, p99 {p99:.2} ms, max {:.2} ms",
        ms(*latencies.last().expect("latencies"))
    );
    println!(
        "resident memory per open stream (server and client in this one process): {per_stream:.1} KiB"
    );
    baseline::record(BENCH, "delivery p50", p50, "ms", Better::Lower);
    baseline::record(BENCH, "delivery p99", p99, "ms", Better::Lower);
    baseline::record(BENCH, "memory per stream", per_stream, "KiB", Better::Lower);
    for reader in readers {
        reader.abort();
    }

    // Pages that never read: dropped, and memory stays bounded.
    let open = || hubs.iter().map(|h| h.streams()).sum::<usize>();
    wait_for(|| open() == 0, "the readers' streams to close").await?;
    let before = rss_kib("VmRSS").unwrap_or(0);
    reset_peak();
    let mut stuck = Vec::with_capacity(STUCK);
    for n in 0..STUCK {
        stuck.push(never_reading(&bases[n % 2], &cookie).await?);
    }
    wait_for(|| open() == STUCK, "the stuck pages' streams to open").await?;
    let started = Instant::now();
    for _ in 0..FLOOD / 5_000 {
        bench::fill_changes(&deps.pool, owner.tenant_id, 5_000).await?;
    }
    wait_for(|| open() == 0, "the stuck pages to be dropped").await?;
    println!(
        "{STUCK} pages that never read, {FLOOD} changes: all dropped after {:.1} s; resident memory {:+} KiB, peak {:+} KiB",
        started.elapsed().as_secs_f64(),
        rss_kib("VmRSS").unwrap_or(0) as i64 - before as i64,
        rss_kib("VmHWM").unwrap_or(0) as i64 - before as i64,
    );
    drop(stuck);

    // The outbox's cost: the same bookings with live updates on and off.
    let on_deps = deps.clone();
    let off_deps = off_state.deps.clone();
    let mut next = DELIVERIES;
    for concurrency in [1, CONCURRENT] {
        let mut medians: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (side, deps) in [&on_deps, &off_deps].into_iter().enumerate() {
                let times = bookings(deps, &owner, &desk, next, concurrency).await?;
                next += BOOKINGS;
                medians[side].push(times[times.len() / 2]);
            }
        }
        let [on, off] = medians.map(|mut m| {
            m.sort();
            m[m.len() / 2]
        });
        println!(
            "booking, {concurrency} at once: median {:.2} ms with the outbox, {:.2} ms without ({:.2}x; medians of {ROUNDS} rounds of {BOOKINGS})",
            ms(on),
            ms(off),
            on.as_secs_f64() / off.as_secs_f64()
        );
        baseline::record(
            BENCH,
            &format!("booking with the outbox, {concurrency} at once, median"),
            ms(on),
            "ms",
            Better::Lower,
        );
    }
    for server in servers {
        server.stop().await;
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Desk {
    client: Uuid,
    service: Uuid,
    provider: Uuid,
}

async fn business(deps: &Deps) -> Result<(Staff, String, Desk), Box<dyn std::error::Error>> {
    let origin = Origin::default();
    let (owner, email) = bench_owner(deps, "Live Bench", PASSWORD).await?;
    let hours = (0..7u8)
        .map(|d| WorkingSpan {
            weekday: chrono::Weekday::try_from(d).expect("a weekday"),
            starts: chrono::NaiveTime::MIN,
            ends: chrono::NaiveTime::from_hms_opt(23, 59, 0).expect("a time"),
        })
        .collect();
    let provider = catalog::create_provider(
        deps,
        &owner,
        &catalog::ProviderInput {
            name: "Dana".into(),
            time_zone: "Europe/Berlin".into(),
            hours,
            ..Default::default()
        },
        &origin,
    )
    .await?
    .id;
    let service = catalog::create_service(
        deps,
        &owner,
        &catalog::ServiceInput {
            name: "Consultation".into(),
            duration_minutes: 10,
            currency: "EUR".into(),
            ..Default::default()
        },
        &origin,
    )
    .await?
    .id;
    let client = clients::create(
        deps,
        &owner,
        &clients::ClientInput {
            name: "Ann Bench".into(),
            ..Default::default()
        },
        &origin,
    )
    .await?
    .client
    .id;
    Ok((
        owner,
        email,
        Desk {
            client,
            service,
            provider,
        },
    ))
}

/// The `n`th booking: ten-minute slots from 1 January 2031 on, never twice.
async fn book(
    deps: &Deps,
    owner: &Staff,
    desk: &Desk,
    n: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    let first: DateTime<Utc> = Utc
        .with_ymd_and_hms(2031, 1, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let booking = appointments::Booking {
        client_id: desk.client,
        service_id: desk.service,
        provider_id: desk.provider,
        resource_ids: Vec::new(),
        starts_at: Some(first + chrono::Duration::minutes(10 * n as i64)),
        notes: String::new(),
        override_reason: Some("benchmark".into()),
    };
    Ok(
        appointments::book(deps, owner, &booking, &Origin::default())
            .await?
            .id
            .to_string(),
    )
}

/// `BOOKINGS` bookings, `concurrency` at once; their sorted latencies.
async fn bookings(
    deps: &Deps,
    owner: &Staff,
    desk: &Desk,
    from: usize,
    concurrency: usize,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let each = BOOKINGS / concurrency;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let (deps, owner) = (deps.clone(), *owner);
            let desk = *desk;
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(each);
                for i in 0..each {
                    let started = Instant::now();
                    book(&deps, &owner, &desk, from + task * each + i)
                        .await
                        .map_err(|e| e.to_string())?;
                    times.push(started.elapsed());
                }
                Ok::<_, String>(times)
            })
        })
        .collect();
    let mut times = Vec::with_capacity(BOOKINGS);
    for task in tasks {
        times.extend(task.await??);
    }
    times.sort();
    Ok(times)
}

/// Reads a stream, noting when each change arrived.
async fn read(response: reqwest::Response, seen: Seen) {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = body.next().await {
        let now = Instant::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let Ok(change) = serde_json::from_str::<serde_json::Value>(data) else {
                continue;
            };
            if let Some(id) = change["id"].as_str() {
                seen.lock()
                    .expect("seen")
                    .entry(id.to_string())
                    .or_default()
                    .push(now);
            }
        }
    }
}

/// A page that asks for its stream and never reads it, with a small window.
async fn never_reading(
    base: &str,
    cookie: &str,
) -> Result<tokio::net::TcpStream, Box<dyn std::error::Error>> {
    use tokio::io::AsyncWriteExt;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse()?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(2048)?;
    let mut stream = socket.connect(addr).await?;
    let request = format!(
        "GET /api/live HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    Ok(stream)
}

async fn wait_for(done: impl Fn() -> bool, what: &str) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("gave up waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
