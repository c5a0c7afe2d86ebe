//! The HTTP edge's settings (`LEPTOS_SITE_ADDR`, `PUBLIC_URL`, `REQUEST_*`)
//! and where cargo-leptos put the built site (`LEPTOS_*`).

use std::{net::SocketAddr, time::Duration};

use super::{
    env::{http_url, parse_bool},
    AppEnv, ConfigError, Env,
};

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub addr: SocketAddr,
    /// The address users reach the app at; `https://` turns on HSTS.
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// How long readiness fails before shutdown stops accepting requests,
    /// so that a load balancer stops sending traffic first.
    pub shutdown_drain: Duration,
}

impl HttpConfig {
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(HttpConfig {
            addr: env.parse(
                "LEPTOS_SITE_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 3000)),
                "a socket address such as 127.0.0.1:3000",
            )?,
            public_url: env.parse_with(
                "PUBLIC_URL",
                "http://127.0.0.1:3000".to_string(),
                "an absolute http:// or https:// URL",
                http_url,
            )?,
            body_limit_bytes: env.parse(
                "REQUEST_BODY_LIMIT_BYTES",
                2 * 1024 * 1024,
                "a size in bytes such as 2097152",
            )?,
            request_timeout: env.seconds("REQUEST_TIMEOUT_SECS", 30)?,
            shutdown_timeout: env.seconds("SHUTDOWN_TIMEOUT_SECS", 30)?,
            shutdown_drain: env.millis("SHUTDOWN_DRAIN_MS", 0)?,
        })
    }
}

/// Where the built site (wasm, js, css, assets) lives; set by cargo-leptos.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub output_name: String,
    pub site_root: String,
    pub pkg_dir: String,
    /// `LEPTOS_ENV`: `DEV` or `PROD`.
    pub leptos_env: String,
    /// Set by `cargo leptos watch`: the page then loads the live-reload script.
    pub reload_port: Option<u32>,
    /// `LEPTOS_HASH_FILES`: whether the wasm, JS and CSS carry content hashes
    /// in their names, as listed in `hash.txt` beside the binary. On by
    /// default; used only when that file is there.
    pub hash_files: bool,
}

impl SiteConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(SiteConfig {
            output_name: env.string("LEPTOS_OUTPUT_NAME", "frontdesk"),
            site_root: env.string("LEPTOS_SITE_ROOT", "target/site"),
            pkg_dir: env.string("LEPTOS_SITE_PKG_DIR", "pkg"),
            leptos_env: env.parse_with(
                "LEPTOS_ENV",
                match env.app_env {
                    AppEnv::Production => "PROD".to_string(),
                    AppEnv::Development => "DEV".to_string(),
                },
                "DEV or PROD",
                |v| match v.to_ascii_uppercase().as_str() {
                    "DEV" | "DEVELOPMENT" => Some("DEV".to_string()),
                    "PROD" | "PRODUCTION" => Some("PROD".to_string()),
                    _ => None,
                },
            )?,
            reload_port: match env.get("LEPTOS_WATCH") {
                Some(w) if parse_bool(&w) == Some(true) => {
                    Some(env.parse("LEPTOS_RELOAD_PORT", 3001, "a port number")?)
                }
                _ => None,
            },
            hash_files: env.flag("LEPTOS_HASH_FILES", true)?,
        })
    }
}
