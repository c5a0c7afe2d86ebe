//! `frontdesk bench-inbox`: the inbox's figures against a real IMAP server
//! (`scripts/bench-inbox.sh` starts Dovecot and fills its mailbox):
//! the first sync of the whole mailbox (messages a second, peak memory),
//! a sync with nothing new (time and IMAP commands), and the inbox's list
//! and page over HTTP with 100,000 more messages stored, p50/p95. Each run
//! uses a business of its own in `<database>_bench`.

use frontdesk::secrecy::ExposeSecret;
use std::time::Instant;

use frontdesk::{
    audit::Origin,
    auth::Staff,
    config::Config,
    db,
    domain::{inbox::MailboxInput, roles::Role},
    services::{
        accounts::{self, SignUp},
        inbox::{mailboxes, sync},
    },
};
use uuid::Uuid;

use crate::{
    bench::{bench_database_url, check_response, measure_requests, ms, reset_peak, Running},
    AppState,
};

use crate::baseline::{self, Better};

const BENCH: &str = "bench-inbox";

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Messages stored beside the synced ones for the page figures.
const STORED: i64 = 100_000;
/// Messages per stored conversation.
const PER_CONVERSATION: i64 = 5;
const RUNS: usize = 200;
const QUIET_RUNS: usize = 20;
const PASSWORD: &str = "bench inbox password";

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set; run scripts/bench-inbox.sh"))
}

/// This process's resident memory and its peak, in MiB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub async fn run(mut config: Config) -> Outcome {
    let port = env("BENCH_IMAP_PORT")?;
    let user = env("BENCH_IMAP_USER")?;
    let imap_password = env("BENCH_IMAP_PASSWORD")?;
    config.database.url = bench_database_url(config.database.url.expose_secret()).into();
    config.http.addr = "127.0.0.1:0".parse()?;
    config.rate_limit.enabled = false;
    config.cache.enabled = false;
    db::ensure_database(config.database.url.expose_secret()).await?;
    let pool = db::pool(&config.database)?;
    db::migrate(&pool).await?;
    let state = AppState::new(config, pool.clone())?;
    let deps = state.deps.clone();

    let tag = Uuid::now_v7().simple().to_string();
    let email = format!("inbox-{}@bench.example", &tag[20..]);
    let session = accounts::sign_up(
        &deps,
        SignUp {
            business_name: "Inbox Bench".into(),
            slug: format!("inbox-{}", &tag[20..]),
            time_zone: "Europe/Berlin".into(),
            time_format: Default::default(),
            name: "Owner".into(),
            email: email.clone(),
            password: PASSWORD.into(),
        },
        &Origin::default(),
    )
    .await?;
    frontdesk::tools::bench::mark_verified(&pool, &email).await?;
    let owner = Staff {
        user_id: session.user_id,
        tenant_id: session.tenant_id,
        role: Role::Owner,
    };
    let input = MailboxInput {
        name: "Bench".into(),
        imap_host: "127.0.0.1".into(),
        imap_port: port,
        imap_tls: "none".into(),
        imap_user: user.clone(),
        password: imap_password,
        from_address: user,
        import_days: "3650".into(),
        ..Default::default()
    };
    let mailbox = mailboxes::create(&deps, &owner, &input, &Origin::default())
        .await?
        .id;

    // The first sync of the whole mailbox.
    let (before, _) = memory();
    reset_peak();
    let started = Instant::now();
    let first = match sync::run_and_record(&deps, owner.tenant_id, mailbox).await? {
        sync::Outcome::Synced(stats) => stats,
        other => return Err(format!("the first sync did not finish: {other:?}").into()),
    };
    let took = started.elapsed();
    let (_, peak) = memory();
    baseline::record(
        BENCH,
        "first sync, messages/s",
        first.stored as f64 / took.as_secs_f64(),
        "1/s",
        Better::Higher,
    );
    println!(
        "first sync: {} messages in {:.1} s = {:.0} messages/s; {} IMAP commands; {} unreadable",
        first.stored,
        took.as_secs_f64(),
        first.stored as f64 / took.as_secs_f64(),
        first.imap_commands,
        first.unreadable
    );
    println!(
        "memory: {before:.0} MiB resident before, {peak:.0} MiB peak during the sync (+{:.0} MiB); batches of {} messages or {} MiB",
        peak - before,
        deps.config.inbox.batch_messages,
        deps.config.inbox.batch_bytes / (1024 * 1024)
    );

    // Nothing new: the check every five minutes costs this much.
    let mut quiet = Vec::with_capacity(QUIET_RUNS);
    let mut commands = 0;
    for _ in 0..QUIET_RUNS {
        let started = Instant::now();
        match sync::run_and_record(&deps, owner.tenant_id, mailbox).await? {
            sync::Outcome::Synced(stats) if stats.stored == 0 => commands = stats.imap_commands,
            other => return Err(format!("a quiet sync stored or failed: {other:?}").into()),
        }
        quiet.push(started.elapsed());
    }
    quiet.sort();
    println!(
        "sync with nothing new: p50 {:.1} ms, max {:.1} ms ({QUIET_RUNS} runs), {commands} IMAP commands each (sign-in, list, select per folder, logout)",
        ms(quiet[QUIET_RUNS / 2]),
        ms(quiet[QUIET_RUNS - 1])
    );

    // 100,000 more messages, then the inbox over HTTP.
    let started = Instant::now();
    frontdesk::tools::bench::fill_mail(&pool, owner.tenant_id, mailbox, STORED, PER_CONVERSATION)
        .await?;
    let total: i64 = frontdesk::tools::bench::mail_count(&pool, owner.tenant_id).await?;
    println!(
        "stored {STORED} more messages in {:.1} s; {total} messages in the business",
        started.elapsed().as_secs_f64()
    );
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
    check_response(
        post(
            "sign-in",
            vec![("email", email.clone()), ("password", PASSWORD.into())],
        )
        .send()
        .await?,
    )
    .await?;
    let mut results = Vec::new();
    results.push((
        "conversation list (server function, newest 100)",
        measure_requests(RUNS, || post("conversations", vec![]).send()).await?,
    ));
    results.push((
        "unread conversations (server function)",
        measure_requests(RUNS, || {
            post("conversations", vec![("show", "unread".into())]).send()
        })
        .await?,
    ));
    let mut n = 0usize;
    results.push((
        "search over subject, sender and text",
        measure_requests(RUNS, || {
            n += 1;
            let q = ["invoice", "sender17", "appointment", "zzz-nothing"][n % 4];
            post("conversations", vec![("q", q.into())]).send()
        })
        .await?,
    ));
    results.push((
        "GET /inbox (whole page, server-rendered)",
        measure_requests(RUNS, || client.get(format!("{base}/inbox")).send()).await?,
    ));
    for (what, times) in &results {
        let (p50, p95) = (
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
        );
        println!("{what}: p50 {p50:.1} ms, p95 {p95:.1} ms ({RUNS} runs)");
        baseline::record(BENCH, &format!("{what}, p50"), p50, "ms", Better::Lower);
    }
    server.stop().await;
    Ok(())
}
