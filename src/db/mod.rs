//! The PostgreSQL pool, embedded migrations and the database health probe.

use secrecy::ExposeSecret;
use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, PgPool, Postgres, Transaction,
};

mod config;
mod system;

pub use config::DatabaseConfig;

/// The PostgreSQL pool every part of the app shares.
pub type Pool = PgPool;

pub(crate) use system::{begin_system, SystemTx};

/// The migrations under `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    BadUrl(sqlx::Error),
    #[error("database unreachable: {0}")]
    Unreachable(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Begins a transaction with `statement` (a `BEGIN` and the settings that
/// travel with it) in a task of its own, so that it always finishes.
///
/// A request cancelled while sqlx waits for the answer to its `BEGIN` would
/// otherwise hand the connection back to the pool inside that transaction,
/// role and tenant still set, for the next request to stumble on. Run to the
/// end in its own task, the transaction exists and is rolled back when the
/// caller has gone.
pub(crate) async fn begin(
    pool: &PgPool,
    statement: String,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let pool = pool.clone();
    let waiting = Waiting::start();
    tokio::spawn(async move {
        let begun = pool.begin_with(statement).await;
        drop(waiting);
        begun
    })
    .await
    .map_err(|join| sqlx::Error::Io(std::io::Error::other(join)))?
}

/// Transactions of this process waiting for a connection and their
/// `BEGIN` (the metrics' `db_pool_waiting`).
static WAITING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn waiting() -> u64 {
    WAITING.load(std::sync::atomic::Ordering::Relaxed)
}

struct Waiting;

impl Waiting {
    fn start() -> Self {
        WAITING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `begin`, open to the tests of cancellation.
#[cfg(feature = "testing")]
pub async fn begin_for_test(
    pool: &PgPool,
    statement: &str,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin(pool, statement.to_owned()).await
}

/// Builds the pool without connecting: the server starts (and reports 503 on
/// health) while the database is down, and connects once it is back.
pub fn pool(config: &DatabaseConfig) -> Result<PgPool, DbError> {
    let statement_timeout_ms = config.statement_timeout.as_millis().to_string();
    let options = PgConnectOptions::from_str(config.url.expose_secret())
        .map_err(DbError::BadUrl)?
        .application_name("frontdesk")
        .options([("statement_timeout", statement_timeout_ms.as_str())])
        // sqlx logs the statement's text, never its parameters; the log
        // layer counts these warnings for the metrics.
        .log_slow_statements(log::LevelFilter::Warn, config.slow_statement);
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(600)))
        .max_lifetime(Some(Duration::from_secs(1800)))
        .test_before_acquire(true)
        .connect_lazy_with(options))
}

/// Creates the database named in `url` when the server has none of that name,
/// so that a fresh PostgreSQL needs no manual set-up.
pub async fn ensure_database(url: &str) -> Result<(), DbError> {
    use sqlx::migrate::MigrateDatabase;
    let exists = sqlx::Postgres::database_exists(url)
        .await
        .map_err(DbError::Unreachable)?;
    if !exists {
        sqlx::Postgres::create_database(url)
            .await
            .map_err(DbError::Unreachable)?;
        tracing::info!("created the database");
    }
    Ok(())
}

/// Applies every pending migration; safe to run from several instances at once
/// (sqlx holds an advisory lock while migrating).
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// The newest applied migration, read within `timeout`: the health probe.
pub async fn check(pool: &PgPool, timeout: Duration) -> Result<Option<i64>, DbError> {
    tokio::time::timeout(timeout, schema_version(pool))
        .await
        .map_err(|_| DbError::Unreachable(sqlx::Error::PoolTimedOut))?
        .map_err(DbError::Unreachable)
}

async fn schema_version(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    // Fails when the schema was never migrated: such a database cannot serve the app.
    sqlx::query_scalar!(r#"SELECT max(version) AS "version" FROM _sqlx_migrations WHERE success"#)
        .fetch_one(pool)
        .await
}
