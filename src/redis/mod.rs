//! The Redis connection every instance shares (cache and rate limits), and
//! the outage state that lets both fall back to in-process equivalents.
//!
//! Commands time out quickly; the client reconnects in the background with
//! exponential backoff. After a failure, callers skip Redis for
//! [`PROBE_INTERVAL`] and then let one request probe it again, so an outage
//! costs one timeout per interval rather than one per request. An outage is
//! reported once when it starts and logged once when it ends.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::telemetry::outage::Outage;
use fred::prelude::{Builder, ClientLike, Config as FredConfig, Pool, ReconnectPolicy, TcpConfig};

mod config;

pub use config::RedisConfig;

/// How long callers keep away from Redis after it failed.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Redis {
    pool: Pool,
    /// When callers may try Redis again during an outage.
    next_probe: Arc<Mutex<Option<Instant>>>,
    outage: Outage,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl Redis {
    /// Builds the pool and starts connecting in the background; does not
    /// wait, so an instance starts (on its fallbacks) while Redis is down.
    /// Fails only on a URL fred does not accept.
    pub fn connect(config: &RedisConfig, url: &str) -> Result<Redis, fred::error::Error> {
        let mut fred_config = FredConfig::from_url(url)?;
        // Keep retrying the first connection too instead of failing start-up.
        fred_config.fail_fast = false;
        let timeout = config.timeout;
        let pool = Builder::from_config(fred_config)
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(2);
                c.internal_command_timeout = Duration::from_secs(2);
                c.max_command_attempts = 1;
                c.tcp = TcpConfig {
                    nodelay: Some(true),
                    ..Default::default()
                };
            })
            .with_performance_config(|p| p.default_command_timeout = timeout)
            // Unlimited attempts, 100 ms doubling up to 5 s.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
            .build_pool(config.pool_size)?;
        pool.connect();
        Ok(Redis {
            pool,
            next_probe: Arc::default(),
            outage: Outage::new(
                "redis",
                "cache bypassed and rate limits decided in-process until it is back",
            ),
        })
    }

    /// The pool; its commands go to the next connected client.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Waits up to `limit` for the first connection (start-up logging, tests).
    pub async fn wait_until_connected(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.pool.wait_for_connect())
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Whether to try Redis now: always while it works; during an outage,
    /// once per [`PROBE_INTERVAL`].
    pub fn usable(&self) -> bool {
        let mut next_probe = self.next_probe.lock().unwrap_or_else(|e| e.into_inner());
        match *next_probe {
            None => true,
            Some(at) if Instant::now() >= at => {
                // This caller probes; the others stay away for another interval.
                *next_probe = Some(Instant::now() + PROBE_INTERVAL);
                true
            }
            Some(_) => false,
        }
    }

    /// Whether an outage is in progress.
    pub fn is_down(&self) -> bool {
        self.outage.is_down()
    }

    /// The outage state, with the count of failures for the metrics.
    pub fn outage(&self) -> &Outage {
        &self.outage
    }

    /// Runs one command within `timeout`, noting that Redis works or that an
    /// outage began; `None` when it failed or did not answer in time.
    pub async fn attempt<T>(
        &self,
        during: &'static str,
        timeout: Duration,
        call: impl std::future::Future<Output = Result<T, fred::error::Error>>,
    ) -> Option<T> {
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(err)) => {
                self.failed(during, &err);
                None
            }
            Err(_) => {
                self.failed(during, &"no answer within the timeout");
                None
            }
        }
    }

    /// A command failed or timed out: starts (and reports) an outage.
    pub fn failed(&self, during: &'static str, error: &dyn std::fmt::Display) {
        self.outage.failed(during, error);
        *self.next_probe.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + PROBE_INTERVAL);
    }

    /// A command worked: ends (and logs) an outage.
    pub fn succeeded(&self) {
        // Every command succeeds through here: outside an outage there is
        // no probe time to clear, so no lock to take.
        if !self.outage.is_down() {
            return;
        }
        self.outage.succeeded();
        *self.next_probe.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// PING round trip, for the health check.
    pub async fn ping(&self, limit: Duration) -> Result<Duration, &'static str> {
        let started = Instant::now();
        match tokio::time::timeout(limit, self.pool.next().ping::<String>(None)).await {
            Ok(Ok(_)) => {
                self.succeeded();
                Ok(started.elapsed())
            }
            Ok(Err(_)) => Err("Redis refused the command or is unreachable"),
            Err(_) => Err("Redis did not answer in time"),
        }
    }
}
