//! Spawns the real server on port 0 against a fresh PostgreSQL database.

#![allow(dead_code)]

pub mod bugsink;
pub mod dovecot;
pub mod prometheus;
pub mod redis;
pub mod s3;
pub mod smtp;
pub mod tcp_proxy;

use frontdesk::secrecy::{ExposeSecret, SecretString};
use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use axum::Router;
use frontdesk::{
    config::Config,
    db,
    ratelimit::{Policy, PolicyKind},
    services::Deps,
};
use server::{serve_router, AppState};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::{sync::oneshot, task::JoinHandle};
use uuid::Uuid;

/// A free loopback port for a server a test starts (another process).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Adds a job whose payload its kind cannot read, so that it is dead at its
/// only attempt, and wakes the workers.
pub async fn make_dead_job(pool: &sqlx::PgPool) {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, max_attempts) \
         VALUES (gen_random_uuid(), 'queue.probe', '{\"hold_ms\": \"soon\"}', 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("NOTIFY frontdesk_jobs")
        .execute(pool)
        .await
        .unwrap();
}

/// A free port below the kernel's ephemeral range (32768 and up), for a
/// server a test stops and starts again on the same port: no listener bound
/// to port 0 and no outgoing connection can take it in between.
pub fn reusable_port() -> u16 {
    loop {
        let candidate = 20_000 + (Uuid::now_v7().as_u128() % 10_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", candidate)).is_ok() {
            return candidate;
        }
    }
}

/// The server the tests create their databases on (trust auth on the machine).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

/// The migrated database every test database is copied from: made once
/// per schema (its name carries a hash of the migrations), so a run
/// migrates once, and a later run with the same migrations not at all.
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
/// Copies from one template are made one at a time.
static COPYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn url_of(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    format!("{base}/{name}")
}

async fn admin() -> PgConnection {
    PgConnection::connect(&admin_url())
        .await
        .expect("test PostgreSQL must be reachable at TEST_DATABASE_ADMIN_URL")
}

async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            use sha2::Digest;
            let mut hash = sha2::Sha256::new();
            for migration in db::MIGRATOR.iter() {
                hash.update(migration.version.to_be_bytes());
                hash.update(&migration.checksum);
            }
            let name = format!("frontdesk_template_{}", &hex::encode(hash.finalize())[..16]);
            let mut conn = admin().await;
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            if !exists {
                // Built under a name of its own and renamed when complete, so
                // an interrupted run never leaves a half-migrated template.
                let building = format!("frontdesk_building_{}", Uuid::now_v7().simple());
                sqlx::query(&format!("CREATE DATABASE {building}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url_of(&building))
                    .await
                    .unwrap();
                db::migrate(&pool)
                    .await
                    .expect("the migrations apply to an empty database");
                pool.close().await;
                // A rename waits for every session to leave the database
                // (an autovacuum worker may have just entered it).
                for attempt in 0.. {
                    let renamed =
                        sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                            .execute(&mut conn)
                            .await;
                    if renamed.is_ok() {
                        break;
                    }
                    let made_meanwhile: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                    )
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                    if made_meanwhile || attempt == 50 {
                        let _ = sqlx::query(&format!("DROP DATABASE {building} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                        assert!(made_meanwhile, "could not rename {building}: {renamed:?}");
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            name
        })
        .await
}

impl TestDb {
    /// A migrated database, copied from the template.
    pub async fn create() -> Self {
        let template = template().await;
        let name = format!("frontdesk_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = admin().await;
        let _one_at_a_time = COPYING.lock().await;
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .unwrap();
        TestDb {
            url: url_of(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async: a short-lived runtime of its own does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub deps: Deps,
    pub outbox: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    pub server: Option<JoinHandle<std::io::Result<()>>>,
    _db: Option<TestDb>,
}

impl TestApp {
    /// A server on a fresh, migrated database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}, Router::new()).await
    }

    /// A server on a fresh, migrated database with the tests' configuration,
    /// changed by `configure`, and `extra` routes.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config), extra: Router<AppState>) -> Self {
        Self::spawn_on(None, configure, extra).await
    }

    /// Another instance on `other`'s database, configured by `configure`.
    pub async fn spawn_beside(other: &TestApp, configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(Some(other.database_url()), configure, Router::new()).await
    }

    /// Like [`TestApp::spawn_with`], on the database at `database_url` when
    /// given (another instance's, or one behind a proxy), else a fresh one.
    pub async fn spawn_on(
        database_url: Option<String>,
        configure: impl FnOnce(&mut Config),
        extra: Router<AppState>,
    ) -> Self {
        // Bound before the configuration is made, so PUBLIC_URL (absolute
        // links to files, emails) names the real port.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let outbox = temp_outbox();
        let mut config = test_config(addr, &outbox);
        let test_db = match database_url {
            Some(url) => {
                config.database.url = SecretString::from(url);
                None
            }
            None => {
                let test_db = TestDb::create().await;
                config.database.url = SecretString::from(test_db.url.clone());
                Some(test_db)
            }
        };
        configure(&mut config);

        let pool = db::pool(&config.database).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(config, pool).expect("app state");
        let deps = state.deps.clone();
        let server = tokio::spawn(serve_router(listener, state, extra, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr,
            client,
            deps,
            outbox,
            shutdown: Some(tx),
            server: Some(server),
            _db: test_db,
        }
    }

    /// The database this instance uses (to start more instances on it).
    pub fn database_url(&self) -> String {
        self.deps.config.database.url.expose_secret().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Starts graceful shutdown.
    pub fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The configuration every test server starts from: the defaults, with
/// static files from the source tree, generous limits, and an outbox, a
/// storage directory and a log-hash key of its own.
pub fn test_config(addr: SocketAddr, outbox: &std::path::Path) -> Config {
    let mut config = Config::from_map(&HashMap::new()).expect("the defaults are valid");
    config.http.addr = addr;
    config.http.public_url = format!("http://{addr}");
    config.site.site_root = public_dir().display().to_string();
    // Many tests sign up and sign in from one address in quick succession.
    for kind in PolicyKind::ALL {
        limit(&mut config, kind, "100000/min");
    }
    // Tests refused on purpose all come from 127.0.0.1 and share Redis:
    // automatic blocking is off unless a test turns it on.
    config.rate_limit.auto_block.denials = 0;
    // A key of its own, so per-address limit keys differ between test
    // servers sharing one Redis.
    config.log.hash_key = format!("test-log-hash-{}", Uuid::now_v7().simple())
        .into_bytes()
        .into();
    config.mail.outbox_dir = outbox.to_path_buf();
    config.storage.fs_root =
        std::env::temp_dir().join(format!("frontdesk-storage-{}", Uuid::now_v7().simple()));
    config
}

/// Sets `kind`'s rate, such as `2/min` or `5/s,50/min`.
pub fn limit(config: &mut Config, kind: PolicyKind, rate: &str) {
    let policy = Policy::parse(kind.name(), rate).expect("a valid rate");
    config.rate_limit.policies.set(kind, policy);
}

/// Only these schedules (name and cron expression); the others are off.
pub fn schedules(config: &mut Config, only: &[(&str, &str)]) {
    config.jobs.schedules = only
        .iter()
        .map(|(name, cron)| (name.to_string(), cron.to_string()))
        .collect();
}

/// `Some(url)` as a secret, for the optional URLs (Redis, SMTP).
pub fn secret(url: &str) -> Option<SecretString> {
    Some(SecretString::from(url))
}

/// Static assets straight from the source tree: the tests need no site build.
pub fn public_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../public")
}

pub struct Seeded {
    pub pool: PgPool,
    pub tenant_a: Uuid,
    pub tenant_b: Uuid,
    pub user_a: Uuid,
    pub user_b: Uuid,
    _db: TestDb,
}

/// Two tenants with one member each, written on the system path (no tenant set).
pub async fn seed_two_tenants() -> Seeded {
    let test_db = TestDb::create().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&test_db.url)
        .await
        .unwrap();
    let (tenant_a, tenant_b, user_a, user_b) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    for (tenant, slug, user, email) in [
        (tenant_a, "clinic-a", user_a, "a@example.com"),
        (tenant_b, "salon-b", user_b, "b@example.com"),
    ] {
        sqlx::query(
            "INSERT INTO tenants (id, name, slug, time_zone) VALUES ($1, $2, $2, 'Europe/Berlin')",
        )
        .bind(tenant)
        .bind(slug)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $2, 'x')")
            .bind(user)
            .bind(email)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')")
            .bind(tenant)
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
    }
    Seeded {
        pool,
        tenant_a,
        tenant_b,
        user_a,
        user_b,
        _db: test_db,
    }
}

/// The number a `SELECT count(*) ...` statement returns.
pub async fn count<'e>(executor: impl sqlx::PgExecutor<'e>, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(executor).await.unwrap()
}

/// A fresh directory for one test's outgoing email.
pub fn temp_outbox() -> PathBuf {
    std::env::temp_dir().join(format!("frontdesk-test-outbox-{}", Uuid::now_v7().simple()))
}

/// The token of the newest link to `path` (`/accept-invitation`,
/// `/reset-password`) in the outbox's emails to `to`, waiting up to 10 s for a
/// worker to send it.
pub async fn latest_token(outbox: &std::path::Path, path: &str, to: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        if let Some(token) = find_token(outbox, path, to) {
            return token;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            panic!("no email to {to} with a {path} link in the outbox within 10 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The outbox's messages, oldest first.
pub fn outbox_messages(outbox: &std::path::Path) -> Vec<String> {
    let mut messages: Vec<(std::time::SystemTime, String)> = match std::fs::read_dir(outbox) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|entry| {
                let text = std::fs::read_to_string(entry.path()).ok()?;
                Some((entry.metadata().ok()?.modified().ok()?, text))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    messages.sort_by_key(|(time, _)| *time);
    messages.into_iter().map(|(_, text)| text).collect()
}

fn find_token(outbox: &std::path::Path, path: &str, to: &str) -> Option<String> {
    let mut messages: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(outbox)
        .ok()?
        .map(|entry| {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            (entry.metadata().unwrap().modified().unwrap(), text)
        })
        .collect();
    messages.sort_by_key(|(time, _)| *time);
    let needle = format!("{path}?token=");
    messages
        .iter()
        .rev()
        .filter(|(_, text)| text.contains(&format!("To: {to}")))
        .find_map(|(_, text)| {
            // Quoted-printable soft line breaks and escapes, should the encoder use them.
            let text = text
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let start = text.find(&needle)? + needle.len();
            Some(
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect(),
            )
        })
}

/// A browser-like client: keeps cookies, and its state-changing requests
/// come from the app's own pages (same-origin `Origin` and `Sec-Fetch-Site`).
pub struct Browser {
    pub client: reqwest::Client,
    /// Its cookies (the session), for requests made without the client.
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::with_user_agent(app, "")
    }

    /// A browser that names itself `user_agent` (none when empty).
    pub fn with_user_agent(app: &TestApp, user_agent: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let mut client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none());
        if !user_agent.is_empty() {
            client = client.user_agent(user_agent.to_string());
        }
        Browser {
            client: client.build().unwrap(),
            jar,
            base: format!("http://{}", app.addr),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// A server function call as the hydrated page makes it.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The JSON body of a successful call; panics with the body otherwise.
    pub async fn call_ok(&self, endpoint: &str, form: &[(&str, &str)]) -> serde_json::Value {
        let response = self.call(endpoint, form).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success() || status.is_redirection(),
            "{endpoint}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.call("sign-in", &[("email", email), ("password", password)])
            .await
    }

    pub async fn whoami(&self) -> serde_json::Value {
        self.call_ok("whoami", &[]).await
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// Signs up a business whose owner is `email`, with the address verified
/// (the link itself is tested in `email_verification.rs`; here any
/// instance's worker may have sent it, into its own outbox); returns the
/// signed-in browser.
pub async fn sign_up(app: &TestApp, business: &str, email: &str) -> Browser {
    let browser = sign_up_unverified(app, business, email).await;
    sqlx::query("UPDATE users SET email_verified_at = now() WHERE email = $1::citext")
        .bind(email)
        .execute(&app.deps.pool)
        .await
        .unwrap();
    browser
}

/// Signs up without opening the verification link.
pub async fn sign_up_unverified(app: &TestApp, business: &str, email: &str) -> Browser {
    let browser = Browser::new(app);
    browser
        .call_ok(
            "sign-up",
            &[
                ("business_name", business),
                ("slug", ""),
                ("time_zone", "Europe/Berlin"),
                ("name", &format!("Owner of {business}")),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await;
    browser
}

/// Invites `email` as `role` from `admin`'s browser and accepts in a new browser.
pub async fn add_member(app: &TestApp, admin: &Browser, email: &str, role: &str) -> Browser {
    admin
        .call_ok("invite", &[("email", email), ("role", role)])
        .await;
    let token = latest_token(&app.outbox, "/accept-invitation", email).await;
    let member = Browser::new(app);
    member
        .call_ok(
            "accept-invitation",
            &[("token", &token), ("name", email), ("password", PASSWORD)],
        )
        .await;
    member
}

/// The staff member a signed-in browser acts as.
pub async fn staff_of(browser: &Browser) -> frontdesk::auth::Staff {
    let me = browser.whoami().await;
    frontdesk::auth::Staff {
        user_id: me["user_id"].as_str().unwrap().parse().unwrap(),
        tenant_id: me["tenant"]["id"].as_str().unwrap().parse().unwrap(),
        role: serde_json::from_value(me["tenant"]["role"].clone()).unwrap(),
    }
}

/// A new API key of `owner`'s business with `scopes`; the secret.
pub async fn api_key(owner: &Browser, scopes: &[&str]) -> String {
    let names: Vec<String> = (0..scopes.len()).map(|i| format!("scopes[{i}]")).collect();
    let mut form: Vec<(&str, &str)> = vec![("name", "Integration")];
    form.extend(names.iter().map(String::as_str).zip(scopes.iter().copied()));
    owner.call_ok("create-api-key", &form).await["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A REST call with an API key; the status and the JSON body (null when none).
pub async fn rest(
    app: &TestApp,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

pub const WEEKDAYS: [chrono::Weekday; 5] = [
    chrono::Weekday::Mon,
    chrono::Weekday::Tue,
    chrono::Weekday::Wed,
    chrono::Weekday::Thu,
    chrono::Weekday::Fri,
];
pub const EVERY_DAY: [chrono::Weekday; 7] = [
    chrono::Weekday::Mon,
    chrono::Weekday::Tue,
    chrono::Weekday::Wed,
    chrono::Weekday::Thu,
    chrono::Weekday::Fri,
    chrono::Weekday::Sat,
    chrono::Weekday::Sun,
];

/// Working hours from `starts` to `ends` o'clock on each of `days`.
pub fn hours_on(
    days: &[chrono::Weekday],
    starts: u32,
    ends: u32,
) -> Vec<frontdesk::domain::scheduling::WorkingSpan> {
    days.iter()
        .map(|&weekday| frontdesk::domain::scheduling::WorkingSpan {
            weekday,
            starts: chrono::NaiveTime::from_hms_opt(starts, 0, 0).unwrap(),
            ends: chrono::NaiveTime::from_hms_opt(ends, 0, 0).unwrap(),
        })
        .collect()
}

/// A provider of `owner`'s business working `hours` in `zone`; its id.
pub async fn add_provider(
    app: &TestApp,
    owner: &frontdesk::auth::Staff,
    name: &str,
    zone: &str,
    hours: Vec<frontdesk::domain::scheduling::WorkingSpan>,
) -> Uuid {
    let input = frontdesk::services::catalog::ProviderInput {
        name: name.into(),
        time_zone: zone.into(),
        hours,
        ..Default::default()
    };
    frontdesk::services::catalog::create_provider(&app.deps, owner, &input, &Default::default())
        .await
        .unwrap()
        .id
}

/// A service of `minutes` with no buffers, resources or price; its id.
pub async fn add_service(
    app: &TestApp,
    owner: &frontdesk::auth::Staff,
    name: &str,
    minutes: i32,
    currency: &str,
) -> Uuid {
    let input = frontdesk::services::catalog::ServiceInput {
        name: name.into(),
        duration_minutes: minutes,
        currency: currency.into(),
        ..Default::default()
    };
    frontdesk::services::catalog::create_service(&app.deps, owner, &input, &Default::default())
        .await
        .unwrap()
        .id
}

/// A client with only a name; its id.
pub async fn add_client(app: &TestApp, owner: &frontdesk::auth::Staff, name: &str) -> Uuid {
    let input = frontdesk::services::clients::ClientInput {
        name: name.into(),
        ..Default::default()
    };
    frontdesk::services::clients::create(&app.deps, owner, &input, &Default::default())
        .await
        .unwrap()
        .client
        .id
}

/// Uploads `bytes` as `name` to `client`'s files over REST; the status and body.
pub async fn upload_file(
    app: &TestApp,
    key: &str,
    client: Uuid,
    name: &str,
    bytes: &[u8],
) -> (reqwest::StatusCode, serde_json::Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/clients/{client}/files")))
        .query(&[("name", name)])
        .bearer_auth(key)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// A business in Berlin with an owner, written directly (no sign-up).
pub async fn seed_tenant(app: &TestApp) -> Uuid {
    seed_business(app, "Europe/Berlin").await.tenant_id
}

/// A business in `zone` and its owner, written directly; returns the owner.
pub async fn seed_business(app: &TestApp, zone: &str) -> frontdesk::auth::Staff {
    let (tenant, user) = (Uuid::now_v7(), Uuid::now_v7());
    let pool = &app.deps.pool;
    sqlx::query("INSERT INTO tenants (id, name, slug, time_zone) VALUES ($1, $2, $3, $4)")
        .bind(tenant)
        .bind(format!("Business in {zone}"))
        .bind(format!("b-{}", tenant.simple()))
        .bind(zone)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Owner', 'x')")
        .bind(user)
        .bind(format!("owner-{}@example.com", user.simple()))
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')")
        .bind(tenant)
        .bind(user)
        .execute(pool)
        .await
        .unwrap();
    frontdesk::auth::Staff {
        user_id: user,
        tenant_id: tenant,
        role: frontdesk::domain::roles::Role::Owner,
    }
}

/// Kills a server process the test started, and reaps it.
pub fn stop_child(child: &mut Option<std::process::Child>) {
    if let Some(mut child) = child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
