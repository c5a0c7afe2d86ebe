//! Typed configuration, read once at start-up from the environment (and `.env`).
//!
//! A missing or malformed variable stops start-up with a [`ConfigError`] that
//! names the variable and says what is expected. Every variable is documented
//! in `.env.example`.

use secrecy::{SecretSlice, SecretString};
use std::{collections::HashMap, net::SocketAddr, str::FromStr, time::Duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log shippers.
    Json,
    /// Readable lines for a terminal.
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub site: SiteConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub redis: RedisConfig,
    pub cache: CacheConfig,
    pub rate_limit: RateLimitConfig,
    pub storage: StorageConfig,
    pub uploads: UploadConfig,
    pub jobs: JobsConfig,
}

/// Where client files are kept, and how links to them are signed.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub backend: crate::storage::Backend,
    /// The `fs` backend's directory.
    pub fs_root: std::path::PathBuf,
    pub s3: S3Config,
    /// How long a link to a file works.
    pub url_ttl: Duration,
    /// Signs the links of `fs` and `memory` storage; secret.
    pub url_secret: SecretSlice<u8>,
}

/// An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO).
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// Unset means AWS; set for R2, MinIO and the like.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: Option<SecretString>,
    pub secret_access_key: Option<SecretString>,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
}

/// What an upload may be.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub max_bytes: u64,
    pub allowed: Vec<crate::domain::files::FileKind>,
}

/// The Redis that instances share; unset means one instance on in-process stand-ins.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://`, `rediss://`, `redis-cluster://` or `redis-sentinel://`. Holds credentials.
    pub url: Option<SecretString>,
    pub pool_size: usize,
    /// Per command (cache reads and writes, health).
    pub timeout: Duration,
}

/// The read cache.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub enabled: bool,
    /// Size of the in-process cache used without Redis.
    pub local_max_bytes: u64,
}

/// Rate limits.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub policies: crate::ratelimit::Policies,
    /// A shared decision slower than this is made in-process instead.
    pub redis_timeout: Duration,
    /// Addresses (or networks) never limited: internal callers, monitors.
    pub allow_ips: Vec<ipnet::IpNet>,
    /// API key ids never limited.
    pub allow_keys: Vec<uuid::Uuid>,
    /// Addresses (or networks) refused outright.
    pub deny_ips: Vec<ipnet::IpNet>,
    /// Blocking addresses that keep being refused.
    pub auto_block: crate::ratelimit::auto_block::AutoBlockConfig,
}

/// Sessions and sign-in throttling.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// Failed sign-ins for one email within `lockout` before it is locked.
    pub max_failures_per_account: u32,
    /// Failed sign-ins from one client address within `lockout` before it is locked.
    pub max_failures_per_ip: u32,
    /// How long a lock-out lasts (and the window failures are counted in).
    pub lockout: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy_headers: bool,
    /// Seals two-factor secrets at rest (`ENCRYPTION_KEY`); its Debug shows only its id.
    pub encryption_key: crate::auth::sealed::SealingKey,
}

/// Outgoing email.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The From header, such as `Frontdesk <no-reply@example.com>`.
    pub from: String,
    /// Where the development outbox writes messages (one `.eml` file each).
    pub outbox_dir: std::path::PathBuf,
    /// `smtp://` (STARTTLS with `?tls=required`), `smtps://` (TLS), with
    /// credentials; unset means the outbox. Holds a password.
    pub smtp_url: Option<SecretString>,
    /// Per SMTP conversation.
    pub smtp_timeout: Duration,
    /// Whether the development outbox page answers callers other than
    /// this machine (loopback); off by default.
    pub outbox_remote: bool,
}

/// The background task: job workers and schedules.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Whether `frontdesk serve` also works the queue and runs the schedules.
    pub in_serve: bool,
    /// Jobs one instance runs at a time.
    pub concurrency: usize,
    /// How often workers look for due jobs when no notification arrives.
    pub poll_interval: Duration,
    /// How long a claimed job is held without being renewed.
    pub lease: Duration,
    /// First retry wait; each further attempt doubles it (with jitter).
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: i32,
    /// How long shutdown lets running jobs finish before releasing them.
    pub shutdown_grace: Duration,
    /// Receives a JSON POST when a job is dead.
    pub alert_webhook: Option<SecretString>,
    /// `POST /api/cron/{schedule}` needs `Authorization: Bearer` this; unset disables it.
    pub cron_secret: Option<SecretString>,
    /// Cron expressions by schedule name; a schedule set to `off` is absent.
    pub schedules: Vec<(String, String)>,
    /// Reminders are armed this far beyond their due time, so a scan that
    /// runs late still sends each one on time.
    pub reminder_lookahead: Duration,
}

/// The schedules and their default cron expressions (minute hour day month weekday, seconds optional first).
pub const SCHEDULES: [(&str, &str, &str); 3] = [
    ("reminders", "SCHEDULE_REMINDERS", "*/15 * * * *"),
    ("cleanup", "SCHEDULE_CLEANUP", "0 3 * * *"),
    // Objects of deleted files and abandoned uploads; failed deletes retry here.
    ("storage", "SCHEDULE_STORAGE_SWEEP", "*/5 * * * *"),
];

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub addr: SocketAddr,
    /// The address users reach the app at; `https://` turns on HSTS.
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
}

impl HttpConfig {
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Contains credentials: never logged, never shown.
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub statement_timeout: Duration,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    /// An `EnvFilter` directive such as `info` or `info,sqlx=warn`.
    pub filter: String,
    pub format: LogFormat,
    /// Key for hashing user ids in logs; secret.
    pub hash_key: SecretSlice<u8>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable} {problem}; expected {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub expected: &'static str,
}

/// The key used when `LOG_HASH_KEY` is unset in development. Production refuses it.
const DEV_LOG_HASH_KEY: &str = "frontdesk-development-log-hash-key";
/// The file-link key used when `FILE_URL_SECRET` is unset in development.
const DEV_FILE_URL_SECRET: &str = "frontdesk-development-file-url-secret";

impl Config {
    /// Reads `.env` (when present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                return Err(ConfigError {
                    variable: ".env",
                    problem: format!("could not be read ({err})"),
                    expected: "KEY=value lines",
                });
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from explicit values (tests, tools).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Vars(&lookup);
        let app_env = env.parse_with(
            "APP_ENV",
            AppEnv::Development,
            "development or production",
            |v| match v {
                "development" | "dev" => Some(AppEnv::Development),
                "production" | "prod" => Some(AppEnv::Production),
                _ => None,
            },
        )?;

        let http = HttpConfig {
            addr: env.parse(
                "LEPTOS_SITE_ADDR",
                "127.0.0.1:3000".parse().unwrap(),
                "a socket address such as 127.0.0.1:3000",
            )?,
            public_url: env.parse_with(
                "PUBLIC_URL",
                "http://127.0.0.1:3000".to_string(),
                "an absolute http:// or https:// URL",
                |v| {
                    (v.starts_with("http://") || v.starts_with("https://"))
                        .then(|| v.trim_end_matches('/').to_string())
                },
            )?,
            body_limit_bytes: env.parse(
                "REQUEST_BODY_LIMIT_BYTES",
                2 * 1024 * 1024,
                "a size in bytes such as 2097152",
            )?,
            request_timeout: Duration::from_secs(env.parse_positive(
                "REQUEST_TIMEOUT_SECS",
                30,
                "a whole number of seconds above 0",
            )?),
            shutdown_timeout: Duration::from_secs(env.parse_positive(
                "SHUTDOWN_TIMEOUT_SECS",
                30,
                "a whole number of seconds above 0",
            )?),
        };

        let max_connections =
            env.parse_positive("DATABASE_MAX_CONNECTIONS", 10, "a whole number above 0")?;
        let min_connections: u32 = env.parse("DATABASE_MIN_CONNECTIONS", 0, "a whole number")?;
        if min_connections > max_connections {
            return Err(ConfigError {
                variable: "DATABASE_MIN_CONNECTIONS",
                problem: format!(
                    "is {min_connections}, above DATABASE_MAX_CONNECTIONS ({max_connections})"
                ),
                expected: "a number not above DATABASE_MAX_CONNECTIONS",
            });
        }
        let database = DatabaseConfig {
            url: env.parse_with(
                "DATABASE_URL",
                SecretString::from("postgres://postgres@127.0.0.1:5432/frontdesk"),
                "a postgres:// or postgresql:// URL",
                |v| {
                    (v.starts_with("postgres://") || v.starts_with("postgresql://"))
                        .then(|| SecretString::from(v))
                },
            )?,
            max_connections,
            min_connections,
            acquire_timeout: Duration::from_millis(env.parse_positive(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                3000,
                "a whole number of milliseconds above 0",
            )?),
            statement_timeout: Duration::from_millis(env.parse_positive(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                15000,
                "a whole number of milliseconds above 0",
            )?),
            migrate_on_start: env.parse_with(
                "MIGRATE_ON_START",
                true,
                "true or false",
                parse_bool,
            )?,
        };

        let filter = match lookup("LOG_LEVEL").or_else(|| lookup("RUST_LOG")) {
            Some(v) if !v.trim().is_empty() => v,
            _ => "info".to_string(),
        };
        let default_format = match app_env {
            AppEnv::Production => LogFormat::Json,
            AppEnv::Development => LogFormat::Pretty,
        };
        let format = env.parse_with(
            "LOG_FORMAT",
            default_format,
            "json or pretty",
            |v| match v {
                "json" => Some(LogFormat::Json),
                "pretty" | "text" => Some(LogFormat::Pretty),
                _ => None,
            },
        )?;
        let hash_key = match (lookup("LOG_HASH_KEY"), app_env) {
            (Some(k), _) if k.len() >= 16 => k.into_bytes(),
            (Some(_), _) => {
                return Err(ConfigError {
                    variable: "LOG_HASH_KEY",
                    problem: "is shorter than 16 characters".into(),
                    expected: "a random secret of at least 16 characters",
                })
            }
            (None, AppEnv::Development) => DEV_LOG_HASH_KEY.as_bytes().to_vec(),
            (None, AppEnv::Production) => {
                return Err(ConfigError {
                    variable: "LOG_HASH_KEY",
                    problem: "is not set (it is required when APP_ENV=production)".into(),
                    expected: "a random secret of at least 16 characters",
                })
            }
        };

        let site = SiteConfig {
            output_name: env.string("LEPTOS_OUTPUT_NAME", "frontdesk"),
            site_root: env.string("LEPTOS_SITE_ROOT", "target/site"),
            pkg_dir: env.string("LEPTOS_SITE_PKG_DIR", "pkg"),
            leptos_env: env.parse_with(
                "LEPTOS_ENV",
                match app_env {
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
            reload_port: match lookup("LEPTOS_WATCH") {
                Some(w) if parse_bool(&w) == Some(true) => {
                    Some(env.parse("LEPTOS_RELOAD_PORT", 3001, "a port number")?)
                }
                _ => None,
            },
        };

        let auth = AuthConfig {
            session_idle: Duration::from_secs(
                60 * env.parse_positive::<u64>(
                    "SESSION_IDLE_MINUTES",
                    7 * 24 * 60,
                    "a whole number of minutes above 0",
                )?,
            ),
            max_failures_per_account: env.parse_positive(
                "SIGN_IN_MAX_FAILURES",
                5,
                "a whole number above 0",
            )?,
            max_failures_per_ip: env.parse_positive(
                "SIGN_IN_MAX_FAILURES_PER_IP",
                50,
                "a whole number above 0",
            )?,
            lockout: Duration::from_secs(env.parse_positive(
                "SIGN_IN_LOCKOUT_SECS",
                15 * 60,
                "a whole number of seconds above 0",
            )?),
            trust_proxy_headers: env.parse_with(
                "TRUST_PROXY_HEADERS",
                false,
                "true or false",
                parse_bool,
            )?,
            encryption_key: match (env.get("ENCRYPTION_KEY"), app_env) {
                (Some(text), _) => crate::auth::sealed::SealingKey::from_hex(&text)
                    .ok_or(ConfigError {
                    variable: "ENCRYPTION_KEY",
                    problem: "is not 64 hexadecimal characters".into(),
                    expected:
                        "a random 256-bit key in hex, such as the output of `openssl rand -hex 32`",
                })?,
                (None, AppEnv::Production) => return Err(ConfigError {
                    variable: "ENCRYPTION_KEY",
                    problem: "is not set (two-factor secrets are encrypted with it in production)"
                        .into(),
                    expected:
                        "a random 256-bit key in hex, such as the output of `openssl rand -hex 32`",
                }),
                (None, AppEnv::Development) => crate::auth::sealed::SealingKey::development(),
            },
        };
        let mail = MailConfig {
            from: env.parse_with(
                "MAIL_FROM",
                "Frontdesk <no-reply@frontdesk.localhost>".to_string(),
                "an address such as Frontdesk <no-reply@example.com>",
                |v| {
                    v.parse::<lettre::message::Mailbox>()
                        .ok()
                        .map(|_| v.to_string())
                },
            )?,
            outbox_dir: env.string("MAIL_OUTBOX_DIR", ".data/outbox").into(),
            smtp_url: env.parse_with(
                "SMTP_URL",
                None,
                "an smtp:// or smtps:// URL such as smtps://user:password@smtp.example.com",
                |v| {
                    (v.starts_with("smtp://") || v.starts_with("smtps://"))
                        .then(|| Some(SecretString::from(v)))
                },
            )?,
            smtp_timeout: Duration::from_secs(env.parse_positive(
                "SMTP_TIMEOUT_SECS",
                20,
                "a whole number of seconds above 0",
            )?),
            outbox_remote: env.parse_with(
                "DEV_OUTBOX_REMOTE",
                false,
                "true or false",
                parse_bool,
            )?,
        };
        let jobs = JobsConfig {
            in_serve: env.parse_with("JOBS_IN_SERVE", true, "true or false", parse_bool)?,
            concurrency: env.parse_positive("JOB_CONCURRENCY", 4, "a whole number above 0")?,
            poll_interval: Duration::from_millis(env.parse_positive(
                "JOB_POLL_MS",
                2000,
                "a whole number of milliseconds above 0",
            )?),
            lease: Duration::from_secs(env.parse_positive(
                "JOB_LEASE_SECS",
                60,
                "a whole number of seconds above 0",
            )?),
            retry_base: Duration::from_millis(env.parse_positive(
                "JOB_RETRY_BASE_MS",
                10_000,
                "a whole number of milliseconds above 0",
            )?),
            retry_max: Duration::from_secs(env.parse_positive(
                "JOB_RETRY_MAX_SECS",
                3600,
                "a whole number of seconds above 0",
            )?),
            max_attempts: env.parse_positive("JOB_MAX_ATTEMPTS", 8, "a whole number above 0")?,
            shutdown_grace: Duration::from_secs(env.parse_positive(
                "JOB_SHUTDOWN_GRACE_SECS",
                20,
                "a whole number of seconds above 0",
            )?),
            alert_webhook: env.parse_with(
                "JOB_ALERT_WEBHOOK_URL",
                None,
                "an http:// or https:// URL",
                |v| {
                    (v.starts_with("http://") || v.starts_with("https://"))
                        .then(|| Some(SecretString::from(v)))
                },
            )?,
            cron_secret: match env.get("CRON_SECRET") {
                Some(s) if s.len() < 16 => {
                    return Err(ConfigError {
                        variable: "CRON_SECRET",
                        problem: "is shorter than 16 characters".into(),
                        expected: "a random secret of at least 16 characters, or nothing to turn the cron triggers off",
                    })
                }
                other => other.map(SecretString::from),
            },
            schedules: {
                let mut schedules = Vec::new();
                for (name, variable, default) in SCHEDULES {
                    let expression = env.string(variable, default);
                    if expression.eq_ignore_ascii_case("off") {
                        continue;
                    }
                    if crate::jobs::schedules::parse_cron(&expression).is_err() {
                        return Err(ConfigError {
                            variable,
                            problem: "is not a cron expression".into(),
                            expected: "five fields (minute hour day month weekday) or six with seconds first, such as */15 * * * *, or off",
                        });
                    }
                    schedules.push((name.to_string(), expression));
                }
                schedules
            },
            reminder_lookahead: Duration::from_secs(
                60 * env.parse_positive::<u64>(
                    "REMINDER_LOOKAHEAD_MINUTES",
                    30,
                    "a whole number of minutes above 0",
                )?,
            ),
        };

        let redis = RedisConfig {
            url: env.parse_with(
                "REDIS_URL",
                None,
                "a redis://, rediss://, redis-cluster:// or redis-sentinel:// URL",
                |v| {
                    [
                        "redis://",
                        "rediss://",
                        "redis-cluster://",
                        "rediss-cluster://",
                        "redis-sentinel://",
                        "rediss-sentinel://",
                    ]
                    .iter()
                    .any(|scheme| v.starts_with(scheme))
                    .then(|| Some(SecretString::from(v)))
                },
            )?,
            pool_size: env.parse_positive("REDIS_POOL_SIZE", 4, "a whole number above 0")?,
            timeout: Duration::from_millis(env.parse_positive(
                "REDIS_TIMEOUT_MS",
                250,
                "a whole number of milliseconds above 0",
            )?),
        };
        let cache = CacheConfig {
            enabled: env.parse_with("CACHE_ENABLED", true, "true or false", parse_bool)?,
            local_max_bytes: 1024
                * 1024
                * env.parse_positive::<u64>(
                    "CACHE_LOCAL_MAX_MB",
                    64,
                    "a whole number of megabytes above 0",
                )?,
        };
        let rate_limit = RateLimitConfig {
            enabled: env.parse_with("RATE_LIMIT_ENABLED", true, "true or false", parse_bool)?,
            policies: crate::ratelimit::Policies::from_rates(|kind| {
                env.string(kind.variable(), kind.default_rate())
            })
            .map_err(|kind| ConfigError {
                variable: kind.variable(),
                problem: "is malformed".into(),
                expected: "a rate such as 100/min, or windows such as 10/s,100/min (units s, min, h, day)",
            })?,
            redis_timeout: Duration::from_millis(env.parse_positive(
                "RATE_LIMIT_REDIS_TIMEOUT_MS",
                50,
                "a whole number of milliseconds above 0",
            )?),
            allow_ips: env.parse_with(
                "RATE_LIMIT_ALLOW_IPS",
                Vec::new(),
                "addresses or networks such as 10.0.0.0/8, separated by commas",
                parse_networks,
            )?,
            allow_keys: env.parse_with(
                "RATE_LIMIT_ALLOW_KEYS",
                Vec::new(),
                "API key ids (UUIDs) separated by commas",
                |v| v.split(',').map(|k| k.trim().parse().ok()).collect(),
            )?,
            deny_ips: env.parse_with(
                "RATE_LIMIT_DENY_IPS",
                Vec::new(),
                "addresses or networks such as 203.0.113.7, separated by commas",
                parse_networks,
            )?,
            auto_block: crate::ratelimit::auto_block::AutoBlockConfig {
                denials: env.parse_with(
                    "AUTO_BLOCK_DENIALS",
                    20,
                    "a whole number (0 turns automatic blocking off)",
                    |v| v.parse().ok(),
                )?,
                window: Duration::from_secs(env.parse_positive(
                    "AUTO_BLOCK_WINDOW_SECS",
                    300,
                    "a whole number of seconds above 0",
                )?),
                first_block: Duration::from_secs(env.parse_positive(
                    "AUTO_BLOCK_SECS",
                    900,
                    "a whole number of seconds above 0",
                )?),
                max_block: Duration::from_secs(env.parse_positive(
                    "AUTO_BLOCK_MAX_SECS",
                    86_400,
                    "a whole number of seconds above 0",
                )?),
            },
        };

        let backend = env.parse_with(
            "STORAGE_BACKEND",
            crate::storage::Backend::Fs,
            "fs, s3 or memory",
            crate::storage::Backend::parse,
        )?;
        let s3 = S3Config {
            endpoint: env.parse_with("S3_ENDPOINT", None, "an http:// or https:// URL", |v| {
                (v.starts_with("http://") || v.starts_with("https://"))
                    .then(|| Some(v.trim_end_matches('/').to_string()))
            })?,
            region: env.string("S3_REGION", "us-east-1"),
            bucket: env.string("S3_BUCKET", ""),
            access_key_id: env.get("S3_ACCESS_KEY_ID").map(SecretString::from),
            secret_access_key: env.get("S3_SECRET_ACCESS_KEY").map(SecretString::from),
            path_style: env.parse_with("S3_PATH_STYLE", true, "true or false", parse_bool)?,
        };
        if backend == crate::storage::Backend::S3 {
            if s3.bucket.is_empty() {
                return Err(ConfigError {
                    variable: "S3_BUCKET",
                    problem: "is not set (it is required when STORAGE_BACKEND=s3)".into(),
                    expected: "the bucket's name",
                });
            }
            if s3.access_key_id.is_some() != s3.secret_access_key.is_some() {
                return Err(ConfigError {
                    variable: "S3_SECRET_ACCESS_KEY",
                    problem: "is set without S3_ACCESS_KEY_ID, or the other way round".into(),
                    expected: "both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither",
                });
            }
        }
        let url_secret = match (env.get("FILE_URL_SECRET"), app_env) {
            (Some(k), _) if k.len() >= 32 => k.into_bytes(),
            (Some(_), _) => {
                return Err(ConfigError {
                    variable: "FILE_URL_SECRET",
                    problem: "is shorter than 32 characters".into(),
                    expected: "a random secret of at least 32 characters",
                })
            }
            (None, AppEnv::Production) if backend != crate::storage::Backend::S3 => {
                return Err(ConfigError {
                    variable: "FILE_URL_SECRET",
                    problem:
                        "is not set (links to files in fs storage are signed with it in production)"
                            .into(),
                    expected: "a random secret of at least 32 characters",
                })
            }
            (None, _) => DEV_FILE_URL_SECRET.as_bytes().to_vec(),
        };
        let storage = StorageConfig {
            backend,
            fs_root: env.string("STORAGE_FS_ROOT", ".data/storage").into(),
            s3,
            url_ttl: Duration::from_secs(env.parse_positive(
                "FILE_URL_TTL_SECS",
                3600,
                "a whole number of seconds above 0",
            )?),
            url_secret: url_secret.into(),
        };
        let uploads = UploadConfig {
            max_bytes: env.parse_positive(
                "UPLOAD_MAX_BYTES",
                25 * 1024 * 1024,
                "a size in bytes above 0, such as 26214400",
            )?,
            allowed: env.parse_with(
                "UPLOAD_ALLOWED_TYPES",
                crate::domain::files::FileKind::ALL.to_vec(),
                "extensions from jpg, png, webp, gif, pdf, txt, csv, docx, xlsx, separated by commas",
                crate::domain::files::FileKind::parse_list,
            )?,
        };

        Ok(Config {
            jobs,
            storage,
            uploads,
            redis,
            cache,
            rate_limit,
            auth,
            mail,
            app_env,
            http,
            database,
            log: LogConfig {
                filter,
                format,
                hash_key: hash_key.into(),
            },
            site,
        })
    }
}

/// `10.0.0.0/8, 192.168.1.7`: networks, or single addresses.
fn parse_networks(v: &str) -> Option<Vec<ipnet::IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| p.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        })
        .collect()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Variable lookup with the error wording in one place.
struct Vars<'a, L: Fn(&str) -> Option<String>>(&'a L);

impl<L: Fn(&str) -> Option<String>> Vars<'_, L> {
    /// The value, or `None` when unset or blank (blank counts as unset, as in `.env.example`).
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    fn parse_with<T>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            // The value itself is not echoed: it may be a secret.
            Some(v) => parse(&v).ok_or(ConfigError {
                variable: name,
                problem: "is malformed".into(),
                expected,
            }),
        }
    }

    fn parse<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        self.parse_with(name, default, expected, |v| v.parse().ok())
    }

    fn parse_positive<T: FromStr + PartialOrd + Default>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        self.parse_with(name, default, expected, |v| {
            v.parse().ok().filter(|n| *n > T::default())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn no_secret_shows_in_the_configuration_s_debug_output() {
        let c = config(&[
            (
                "DATABASE_URL",
                "postgres://app:db-secret-1@db.example/frontdesk",
            ),
            ("REDIS_URL", "redis://:redis-secret-2@cache.example:6379"),
            ("SMTP_URL", "smtps://mail:smtp-secret-3@smtp.example"),
            (
                "JOB_ALERT_WEBHOOK_URL",
                "https://hooks.example/hook-secret-4",
            ),
            ("CRON_SECRET", "cron-secret-5-long-enough"),
            ("S3_ACCESS_KEY_ID", "s3-key-6"),
            ("S3_SECRET_ACCESS_KEY", "s3-secret-7"),
        ])
        .unwrap();
        let shown = format!("{c:?} {c:#?}");
        for secret in [
            "db-secret-1",
            "redis-secret-2",
            "smtp-secret-3",
            "hook-secret-4",
            "cron-secret-5",
            "s3-key-6",
            "s3-secret-7",
        ] {
            assert!(!shown.contains(secret), "{secret} shown");
        }
        assert!(shown.contains("REDACTED"), "{shown}");
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let c = config(&[]).unwrap();
        assert_eq!(c.app_env, AppEnv::Development);
        assert_eq!(c.http.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&c.database.url),
            "postgres://postgres@127.0.0.1:5432/frontdesk"
        );
        assert_eq!(c.log.format, LogFormat::Pretty);
        assert!(!c.http.is_https());
        assert!(c.database.migrate_on_start);
    }

    #[test]
    fn malformed_value_names_the_variable_and_what_is_expected() {
        let err = config(&[("DATABASE_MAX_CONNECTIONS", "lots")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "DATABASE_MAX_CONNECTIONS");
        let msg = err.to_string();
        assert!(
            msg.contains("DATABASE_MAX_CONNECTIONS") && msg.contains("a whole number above 0"),
            "{msg}"
        );

        let err = config(&[("LEPTOS_SITE_ADDR", "localhost")]).err().unwrap();
        assert_eq!(err.variable, "LEPTOS_SITE_ADDR");
        let err = config(&[("REQUEST_TIMEOUT_SECS", "0")]).err().unwrap();
        assert_eq!(err.variable, "REQUEST_TIMEOUT_SECS");
        let err = config(&[("MIGRATE_ON_START", "maybe")]).err().unwrap();
        assert_eq!(err.variable, "MIGRATE_ON_START");
    }

    #[test]
    fn secret_values_are_not_echoed_in_errors_or_debug() {
        let err = config(&[("DATABASE_URL", "mysql://root:hunter2@db/x")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(!err.to_string().contains("hunter2"));

        let c = config(&[("DATABASE_URL", "postgres://app:hunter2@db/x")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn production_requires_a_log_hash_key_and_logs_json() {
        let err = config(&[("APP_ENV", "production")]).err().unwrap();
        assert_eq!(err.variable, "LOG_HASH_KEY");
        let err = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("FILE_URL_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .err()
        .unwrap();
        assert_eq!(err.variable, "ENCRYPTION_KEY");
        let key = "0f".repeat(32);
        let err = config(&[("ENCRYPTION_KEY", "0f0f")]).err().unwrap();
        assert_eq!(err.variable, "ENCRYPTION_KEY");
        let c = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("FILE_URL_SECRET", "0123456789abcdef0123456789abcdef"),
            ("ENCRYPTION_KEY", key.as_str()),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains(&key));
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.site.leptos_env, "PROD");
    }

    #[test]
    fn https_public_url_enables_hsts_and_min_above_max_is_rejected() {
        let c = config(&[("PUBLIC_URL", "https://desk.example.com/")]).unwrap();
        assert!(c.http.is_https());
        assert_eq!(c.http.public_url, "https://desk.example.com");
        let err = config(&[("DATABASE_MIN_CONNECTIONS", "20")]).err().unwrap();
        assert_eq!(err.variable, "DATABASE_MIN_CONNECTIONS");
    }

    #[test]
    fn redis_and_rate_limits_are_optional_and_checked() {
        let c = config(&[]).unwrap();
        assert!(c.redis.url.is_none());
        assert!(c.cache.enabled && c.rate_limit.enabled);
        assert_eq!(c.rate_limit.redis_timeout, Duration::from_millis(50));
        let err = config(&[("REDIS_URL", "http://cache:6379")]).err().unwrap();
        assert_eq!(err.variable, "REDIS_URL");
        let c = config(&[("REDIS_URL", "redis://:s3cret@cache:6379/0")]).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
        let err = config(&[("RATE_LIMIT_WRITE", "20 per minute")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "RATE_LIMIT_WRITE");
        let c = config(&[
            ("RATE_LIMIT_UPLOAD", "5/s,50/min"),
            ("RATE_LIMIT_ALLOW_IPS", "10.0.0.0/8, 192.168.1.7"),
            ("RATE_LIMIT_DENY_IPS", "203.0.113.7"),
        ])
        .unwrap();
        assert_eq!(
            c.rate_limit.policies[crate::ratelimit::PolicyKind::Upload]
                .tiers
                .len(),
            2
        );
        assert_eq!(c.rate_limit.allow_ips.len(), 2);
        assert!(
            c.rate_limit.deny_ips[0].contains(&"203.0.113.7".parse::<std::net::IpAddr>().unwrap())
        );
        let err = config(&[("RATE_LIMIT_ALLOW_IPS", "10.0.0.300")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "RATE_LIMIT_ALLOW_IPS");
    }

    #[test]
    fn storage_defaults_to_local_files_and_checks_s3_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(c.storage.backend, crate::storage::Backend::Fs);
        assert_eq!(c.storage.url_ttl, Duration::from_secs(3600));
        assert_eq!(c.uploads.max_bytes, 25 * 1024 * 1024);
        assert_eq!(c.uploads.allowed.len(), 9);
        let err = config(&[("STORAGE_BACKEND", "s3")]).err().unwrap();
        assert_eq!(err.variable, "S3_BUCKET");
        let err = config(&[("STORAGE_BACKEND", "ftp")]).err().unwrap();
        assert_eq!(err.variable, "STORAGE_BACKEND");
        let err = config(&[("UPLOAD_ALLOWED_TYPES", "pdf,exe")])
            .err()
            .unwrap();
        assert_eq!(err.variable, "UPLOAD_ALLOWED_TYPES");
        let c = config(&[
            ("STORAGE_BACKEND", "s3"),
            ("S3_BUCKET", "files"),
            ("S3_ACCESS_KEY_ID", "AKIA"),
            ("S3_SECRET_ACCESS_KEY", "very-secret-key"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains("very-secret-key"));
        let key = "0f".repeat(32);
        let err = config(&[
            ("APP_ENV", "production"),
            ("LOG_HASH_KEY", "0123456789abcdef0123"),
            ("ENCRYPTION_KEY", key.as_str()),
        ])
        .err()
        .unwrap();
        assert_eq!(err.variable, "FILE_URL_SECRET");
    }

    #[test]
    fn log_level_falls_back_to_rust_log() {
        assert_eq!(
            config(&[("RUST_LOG", "debug")]).unwrap().log.filter,
            "debug"
        );
        assert_eq!(
            config(&[("RUST_LOG", "debug"), ("LOG_LEVEL", "warn")])
                .unwrap()
                .log
                .filter,
            "warn"
        );
    }
}
