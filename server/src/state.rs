//! What every handler can reach.

use frontdesk::secrecy::ExposeSecret;
use std::sync::Arc;

use axum::extract::FromRef;
use frontdesk::db::Pool as PgPool;
use frontdesk::{
    cache::Cache,
    config::Config,
    mail::{MailError, Mailer},
    ratelimit::Limiter,
    redis::Redis,
    services::Deps,
    storage::{Storage, StorageError},
};
use leptos::config::{Env, LeptosOptions};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub leptos: LeptosOptions,
    /// What the services need; also handed to server functions.
    pub deps: Deps,
    /// Set when shutdown begins: readiness fails from then on.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Sends the pages' error reports on (`SENTRY_BROWSER_DSN`).
    pub browser_errors: Option<Arc<sentry::Client>>,
    /// This instance's fan-out of live updates to open pages.
    pub live: frontdesk::live::Hub,
}

impl AppState {
    /// Fails when the mail outbox or file storage cannot be set up or
    /// `REDIS_URL` is not usable. Connecting to Redis goes on in the background: an instance
    /// starts while Redis is down, on its in-process stand-ins.
    pub fn new(config: Config, pool: PgPool) -> Result<Self, StateError> {
        let leptos = leptos_options(&config);
        let config = Arc::new(config);
        let mailer = Mailer::from_config(&config.mail)?;
        let redis = match &config.redis.url {
            Some(url) => Some(
                Redis::connect(&config.redis, url.expose_secret())
                    .map_err(|err| StateError::Redis(format!("{:?}", err.kind())))?,
            ),
            None => None,
        };
        let storage = Storage::from_config(&config.storage)?;
        let cache = Cache::new(&config.cache, redis.clone());
        let metrics = frontdesk::telemetry::metrics::Metrics::new();
        let limiter = Limiter::from_config(&config.rate_limit, redis.clone());
        let limiter = if config.metrics.is_served() {
            limiter.observed_by(metrics.clone())
        } else {
            limiter
        };
        let auto_block = frontdesk::ratelimit::auto_block::AutoBlock::new(
            config.rate_limit.auto_block.clone(),
            redis.clone(),
            config.rate_limit.redis_timeout,
        );
        Ok(Self {
            deps: Deps {
                auto_block,
                pool: pool.clone(),
                mailer,
                config: config.clone(),
                cache,
                limiter,
                redis,
                storage,
                clock: frontdesk::clock::Clock::default(),
                errors: frontdesk::telemetry::error_tracking::hub(&config.errors),
                metrics,
            },
            browser_errors: frontdesk::telemetry::browser_errors::client(&config.errors),
            config,
            pool,
            leptos,
            draining: Arc::default(),
            live: frontdesk::live::Hub::new(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The URL's text stays out of the message: it may hold a password.
    #[error("configuration error: REDIS_URL cannot be used ({0}); expected a redis:// URL with host and port")]
    Redis(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Leptos' options from our typed configuration (the same variables cargo-leptos sets).
fn leptos_options(config: &Config) -> LeptosOptions {
    let site = &config.site;
    LeptosOptions::builder()
        .output_name(site.output_name.as_str())
        .site_root(site.site_root.as_str())
        .site_pkg_dir(site.pkg_dir.as_str())
        .env(if site.leptos_env == "PROD" {
            Env::PROD
        } else {
            Env::DEV
        })
        .site_addr(config.http.addr)
        .reload_port(site.reload_port.unwrap_or(3001))
        .hash_files(site.hash_files && hash_list_present())
        .build()
}

/// Whether cargo-leptos left the list of hashed file names beside the binary:
/// Leptos reads it from there, and without it the plain names are served.
fn hash_list_present() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|list| list.is_file())
}
