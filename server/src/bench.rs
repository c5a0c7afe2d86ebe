//! `frontdesk bench-auth`: sign-in latency and tenant-transaction overhead,
//! measured on a fixed data set in a database of its own. Prints medians and
//! 99th percentiles; rerun to compare.

use frontdesk::secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use frontdesk::tools::bench;
use frontdesk::{
    audit::Origin,
    auth::password,
    config::Config,
    db,
    services::{accounts, Deps},
};
use uuid::Uuid;

use crate::{
    baseline::{self, Better},
    AppState,
};

const SIGN_INS: usize = 100;
const TRANSACTIONS: usize = 2000;

type Outcome = Result<(), Box<dyn std::error::Error>>;

pub async fn auth(mut config: Config) -> Outcome {
    let bench_url = bench_database_url(config.database.url.expose_secret());
    config.database.url = bench_url.clone().into();
    db::ensure_database(&bench_url).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    let state = AppState::new(config, pool.clone())?;
    let deps = state.deps;

    let email = format!("bench-{}@example.com", Uuid::now_v7().simple());
    let origin = Origin::default();
    accounts::sign_up(
        &deps,
        accounts::SignUp {
            business_name: "Bench Clinic".into(),
            slug: format!("bench-{}", Uuid::now_v7().simple()),
            time_zone: "Europe/Berlin".into(),
            time_format: Default::default(),
            name: "Bench".into(),
            email: email.clone(),
            password: "correct horse battery".into(),
        },
        &origin,
    )
    .await?;

    println!(
        "argon2id: m={} KiB, t={}, p={}",
        password::MEMORY_KIB,
        password::ITERATIONS,
        password::PARALLELISM
    );
    let ok = measure(SIGN_INS, || sign_in(&deps, &email, "correct horse battery")).await?;
    report("sign-in, right password", &ok);
    // A fresh unknown email each time: no throttling delay is added.
    let unknown = measure(SIGN_INS, || async {
        let email = format!("nobody-{}@example.com", Uuid::now_v7().simple());
        sign_in(&deps, &email, "wrong").await
    })
    .await?;
    report("sign-in, unknown email", &unknown);
    println!(
        "unknown/right median ratio: {:.2}",
        median(&unknown).as_secs_f64() / median(&ok).as_secs_f64()
    );

    let tenant = bench::any_business(&pool).await?;
    let plain = measure(TRANSACTIONS, || async {
        Ok(bench::plain_transaction(&pool).await?)
    })
    .await?;
    let scoped = measure(TRANSACTIONS, || async {
        Ok(bench::tenant_transaction(&pool, tenant).await?)
    })
    .await?;
    report("transaction, plain", &plain);
    report("transaction, tenant (set role + tenant)", &scoped);
    println!(
        "tenant-transaction overhead per request: {:.3} ms median ({:.2}x)",
        (median(&scoped).as_secs_f64() - median(&plain).as_secs_f64()) * 1e3,
        median(&scoped).as_secs_f64() / median(&plain).as_secs_f64()
    );
    Ok(())
}

async fn sign_in(
    deps: &Deps,
    email: &str,
    password: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    // Both outcomes are the work being measured; only an outage is an error.
    match accounts::sign_in(deps, email, password, &Origin::default()).await {
        Ok(_) | Err(frontdesk::error::AppError::InvalidCredentials(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

async fn measure<F, Fut>(
    runs: usize,
    mut run: F,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    // Warm-up: connections, caches, the dummy hash.
    for _ in 0..runs.div_ceil(10) {
        run().await?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        run().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn report(what: &str, sorted: &[Duration]) {
    let p99 = sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)];
    let p50 = median(sorted).as_secs_f64() * 1e3;
    println!(
        "{what}: median {p50:.3} ms, p99 {:.3} ms ({} runs)",
        p99.as_secs_f64() * 1e3,
        sorted.len()
    );
    baseline::record(
        "bench-auth",
        &format!("{what}, median"),
        p50,
        "ms",
        Better::Lower,
    );
}

/// A measured server running in this process on `listener`.
pub(crate) struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub(crate) fn start(listener: tokio::net::TcpListener, state: AppState) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve_router(
            listener,
            state,
            axum::Router::new(),
            async move {
                let _ = stopped.await;
            },
        ));
        Running { stop, server }
    }

    /// Shuts the server down gracefully (it closes its database pool).
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

/// `tasks` tasks at once, each sending `each` requests made by
/// `request(task, n)`; every answer must succeed. Returns the sorted
/// latencies and the wall time.
pub(crate) async fn http_load<F>(
    tasks: usize,
    each: usize,
    request: F,
) -> Result<(Vec<Duration>, Duration), Box<dyn std::error::Error>>
where
    F: Fn(usize, usize) -> reqwest::RequestBuilder + Clone + Send + 'static,
{
    let started = Instant::now();
    let running: Vec<_> = (0..tasks)
        .map(|task| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(each);
                for n in 0..each {
                    let start = Instant::now();
                    let response = request(task, n).send().await.map_err(|e| e.to_string())?;
                    check_response(response).await.map_err(|e| e.to_string())?;
                    times.push(start.elapsed());
                }
                Ok::<_, String>(times)
            })
        })
        .collect();
    let mut times = Vec::with_capacity(tasks * each);
    for task in running {
        times.extend(task.await??);
    }
    let elapsed = started.elapsed();
    times.sort();
    Ok((times, elapsed))
}

/// `runs` timed requests made by `request` after a tenth as many to warm
/// up; every answer must succeed. Returns the sorted latencies.
pub(crate) async fn measure_requests<F, Fut>(
    runs: usize,
    mut request: F,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    for _ in 0..runs / 10 {
        check_response(request().await?).await?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        check_response(request().await?).await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

/// Reads the whole body (part of the time measured); a failure stops the run.
pub(crate) async fn check_response(response: reqwest::Response) -> Outcome {
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)).into());
    }
    Ok(())
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(crate) fn bench_database_url(url: &str) -> String {
    let (base, rest) = url.rsplit_once('/').unwrap_or((url, "frontdesk"));
    let (name, query) = rest
        .split_once('?')
        .map_or((rest, None), |(n, q)| (n, Some(q)));
    match query {
        Some(q) => format!("{base}/{name}_bench?{q}"),
        None => format!("{base}/{name}_bench"),
    }
}

/// A `/proc/self/status` figure in KiB (Linux).
pub(crate) fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Signs up a business named `business` (owner verified, as API keys
/// need); its owner and the owner's email.
pub(crate) async fn bench_owner(
    deps: &Deps,
    business: &str,
    password: &str,
) -> Result<(frontdesk::auth::Staff, String), Box<dyn std::error::Error>> {
    let email = format!("bench-{}@example.com", Uuid::now_v7().simple());
    let session = accounts::sign_up(
        deps,
        accounts::SignUp {
            business_name: business.into(),
            slug: format!("bench-{}", Uuid::now_v7().simple()),
            time_zone: "Europe/Berlin".into(),
            time_format: Default::default(),
            name: "Bench".into(),
            email: email.clone(),
            password: password.into(),
        },
        &Origin::default(),
    )
    .await?;
    bench::mark_verified(&deps.pool, &email).await?;
    let owner = frontdesk::auth::Staff {
        user_id: session.user_id,
        tenant_id: session.tenant_id,
        role: frontdesk::domain::roles::Role::Owner,
    };
    Ok((owner, email))
}

/// Signs in through the app; the session cookie to send with requests.
pub(crate) async fn sign_in_over_http(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let response = client
        .post(format!("{base}/api/sign-in"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", email), ("password", password)])
        .send()
        .await?;
    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        return Err(format!("bench sign-in failed: {}", response.status()).into());
    }
    Ok(cookie)
}

/// Resets the peak-memory mark (`VmHWM`) to the current size (Linux).
pub(crate) fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bench_database_sits_beside_the_configured_one() {
        assert_eq!(
            super::bench_database_url("postgres://u@h:5432/frontdesk?sslmode=require"),
            "postgres://u@h:5432/frontdesk_bench?sslmode=require"
        );
        assert_eq!(
            super::bench_database_url("postgres://u@h/app"),
            "postgres://u@h/app_bench"
        );
    }
}
