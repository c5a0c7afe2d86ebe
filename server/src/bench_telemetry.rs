//! `frontdesk bench-telemetry`: what error tracking and metrics cost. Two
//! instances on one database, one with a Sentry DSN and `METRICS_TOKEN`,
//! one with neither, take the same load in alternating rounds: a
//! signed-in page (the dashboard) and a REST call. Prints requests per
//! second and p50/p99 of each, and the ratio of on to off.

use std::{sync::Arc, time::Duration};

use frontdesk::{
    audit::Origin,
    config::Config,
    db,
    secrecy::{ExposeSecret, SecretString},
    services::api_keys,
};

use crate::{
    bench::{
        bench_database_url, bench_owner, check_response, http_load, ms, sign_in_over_http, Running,
    },
    AppState,
};

use crate::baseline::{self, Better};

const BENCH: &str = "bench-telemetry";

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Requests per round and how many are in flight at once.
const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 16;
/// Rounds per instance and request kind, alternating off and on.
const ROUNDS: usize = 3;
const PASSWORD: &str = "bench telemetry password";
/// Nothing listens there: no event is due, and none must be sent.
const SENTRY_DSN: &str = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1";
const METRICS_TOKEN: &str = "bench-telemetry-metrics-token";

pub async fn run(mut config: Config) -> Outcome {
    config.database.url = bench_database_url(config.database.url.expose_secret()).into();
    config.rate_limit.enabled = false;
    db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;

    let mut off = config.clone();
    off.errors.dsn = None;
    off.metrics.token = None;
    off.metrics.addr = None;
    let mut on = config;
    on.errors.dsn = Some(SecretString::from(SENTRY_DSN));
    on.metrics.token = Some(SecretString::from(METRICS_TOKEN));

    let off_state = AppState::new(off, pool.clone())?;
    let on_state = AppState::new(on, pool.clone())?;
    let deps = off_state.deps.clone();
    let (owner, email) = bench_owner(&deps, "Telemetry Bench", PASSWORD).await?;
    let key = api_keys::create(
        &deps,
        &owner,
        "bench",
        &["appointments:read".to_string()],
        &Origin::default(),
    )
    .await?
    .secret;

    let mut bases = Vec::new();
    let mut servers = Vec::new();
    for state in [off_state, on_state] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        bases.push(format!("http://{}", listener.local_addr()?));
        servers.push(Running::start(listener, state));
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()?;
    let cookie = sign_in_over_http(&client, &bases[0], &email, PASSWORD).await?;
    let credentials = Arc::new(Credentials { cookie, key });

    println!(
        "{REQUESTS} requests a round, {CONCURRENCY} at once, {ROUNDS} rounds each, off and on alternating"
    );
    for kind in [Kind::Page, Kind::Rest] {
        let mut rounds: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (instance, base) in bases.iter().enumerate() {
                rounds[instance].push(load(&client, base, kind, &credentials).await?);
            }
        }
        let [off, on] = rounds.map(|r| summary(&r));
        println!("{}", kind.name());
        for (name, s) in [("  off", &off), ("  on ", &on)] {
            println!(
                "{name}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (medians of {ROUNDS} rounds)",
                s.per_second,
                ms(s.p50),
                ms(s.p99)
            );
        }
        println!(
            "  on/off: {:.2}x req/s, {:.2}x p99",
            on.per_second / off.per_second,
            on.p99.as_secs_f64() / off.p99.as_secs_f64()
        );
        for (side, s) in [("off", &off), ("on", &on)] {
            let figure = |what: &str| format!("{}, telemetry {side}, {what}", kind.name());
            baseline::record(BENCH, &figure("req/s"), s.per_second, "1/s", Better::Higher);
            baseline::record(BENCH, &figure("p99"), ms(s.p99), "ms", Better::Lower);
        }
    }
    let exported = client
        .get(format!("{}{}", bases[1], crate::metrics::PATH))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await?
        .text()
        .await?;
    let series = exported
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    println!("the instance with metrics on exports {series} series after the run");
    for server in servers {
        server.stop().await;
    }
    Ok(())
}

struct Round {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

#[derive(Clone, Copy)]
enum Kind {
    Page,
    Rest,
}

struct Credentials {
    cookie: String,
    key: String,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Page => "signed-in page: GET / (the dashboard)",
            Kind::Rest => "REST: GET /api/v1/appointments (a week)",
        }
    }

    fn request(
        self,
        client: &reqwest::Client,
        base: &str,
        with: &Credentials,
    ) -> reqwest::RequestBuilder {
        match self {
            Kind::Page => client
                .get(format!("{base}/"))
                .header("cookie", &with.cookie),
            Kind::Rest => client
                .get(format!(
                    "{base}/api/v1/appointments?from=2030-01-07T00:00:00Z&to=2030-01-14T00:00:00Z"
                ))
                .bearer_auth(&with.key),
        }
    }
}

/// `REQUESTS` requests from `CONCURRENCY` tasks; every answer must succeed.
async fn load(
    client: &reqwest::Client,
    base: &str,
    kind: Kind,
    with: &Arc<Credentials>,
) -> Result<Round, Box<dyn std::error::Error>> {
    // Warm-up: connections and caches.
    for _ in 0..CONCURRENCY {
        check_response(kind.request(client, base, with).send().await?).await?;
    }
    let (client, base, with) = (client.clone(), base.to_string(), with.clone());
    let (times, elapsed) = http_load(CONCURRENCY, REQUESTS / CONCURRENCY, move |_, _| {
        kind.request(&client, &base, &with)
    })
    .await?;
    Ok(Round {
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: times[times.len() / 2],
        p99: times[times.len() * 99 / 100],
    })
}

/// The median round by each figure.
fn summary(rounds: &[Round]) -> Round {
    let median_of = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let secs = |d: Duration| d.as_secs_f64();
    Round {
        per_second: median_of(rounds.iter().map(|r| r.per_second).collect()),
        p50: Duration::from_secs_f64(median_of(rounds.iter().map(|r| secs(r.p50)).collect())),
        p99: Duration::from_secs_f64(median_of(rounds.iter().map(|r| secs(r.p99)).collect())),
    }
}
