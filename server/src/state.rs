//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use frontdesk::{
    config::Config,
    mail::{MailError, Mailer},
    services::Deps,
};
use leptos::config::{Env, LeptosOptions};
use sqlx::PgPool;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub leptos: LeptosOptions,
    /// What the services need; also handed to server functions.
    pub deps: Deps,
}

impl AppState {
    /// Fails when the mail outbox cannot be set up.
    pub fn new(config: Config, pool: PgPool) -> Result<Self, MailError> {
        let leptos = leptos_options(&config);
        let config = Arc::new(config);
        let mailer = Mailer::from_config(&config.mail)?;
        Ok(Self {
            deps: Deps {
                pool: pool.clone(),
                mailer,
                config: config.clone(),
            },
            config,
            pool,
            leptos,
        })
    }
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
        .build()
}
