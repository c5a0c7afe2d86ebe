//! Rate limits that hold across instances.
//!
//! With Redis, each decision is one `EVALSHA` of a GCRA script (exact
//! across instances: the script runs atomically on Redis's clock, and keeps
//! one number per window of a key, whatever the traffic).
//! Without Redis, or when it fails or takes longer than the configured
//! timeout, the same policy is enforced in-process. A key denied until T is
//! denied locally until T without asking Redis again.

pub mod auto_block;
mod config;
mod gcra;
mod local;
pub mod policy;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use fred::types::scripts::Script;
use moka::sync::Cache;

pub use config::RateLimitConfig;
pub use gcra::Outcome;
pub use policy::{Policies, Policy, PolicyKind, Tier};

use self::local::LocalWindows;
use crate::{error::AppError, redis::Redis, telemetry::metrics::Metrics};

const SCRIPT: &str = include_str!("gcra.lua");

/// Marks a request from an allow-listed address or key: no limit applies.
#[derive(Debug, Clone, Copy)]
pub struct Exempt;

/// Marks a request the edge layer has already counted (a page whose
/// server-side rendering calls server functions counts once, not per call).
#[derive(Debug, Clone, Copy)]
pub struct Counted;

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The shared limiter in Redis.
    Shared,
    /// This instance alone (no Redis, or Redis unavailable).
    Local,
    /// A denial remembered from an earlier decision.
    Remembered,
}

impl Source {
    /// The metrics' `source` label.
    pub fn name(self) -> &'static str {
        match self {
            Source::Shared => "redis",
            Source::Local => "in_process",
            Source::Remembered => "remembered",
        }
    }
}

/// One decision, with what the response headers report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub policy: &'static str,
    /// The window reported (the denying one, else the one with least room).
    pub tier: Tier,
    pub remaining: u32,
    /// Until the reported window has room for one more request.
    pub reset: Duration,
    pub retry_after: Option<Duration>,
    pub source: Source,
}

impl Decision {
    /// The 429 for a denial: which limit, and when to retry.
    pub fn error(&self) -> AppError {
        let wait = self.retry_after.unwrap_or(self.reset);
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let unit = if secs == 1 { "second" } else { "seconds" };
        AppError::RateLimited {
            message: format!(
                "Too many requests: the {} limit is {}. Try again in {secs} {unit}.",
                self.policy.replace('_', " "),
                self.tier
            ),
            retry_after: Duration::from_secs(secs),
            limit: Some(self.policy.to_string()),
        }
    }

    /// `(name, value)` pairs: the IETF `RateLimit-*` fields and the
    /// `X-RateLimit-*` ones older clients read, plus `RateLimit-Policy`.
    pub fn headers(&self) -> [(&'static str, String); 7] {
        let reset = self.reset.as_secs_f64().ceil() as u64;
        let limit = self.tier.limit.to_string();
        let remaining = self.remaining.to_string();
        [
            ("ratelimit-limit", limit.clone()),
            ("ratelimit-remaining", remaining.clone()),
            ("ratelimit-reset", reset.to_string()),
            (
                "ratelimit-policy",
                format!("{};w={}", self.tier.limit, self.tier.window.as_secs()),
            ),
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset.to_string()),
        ]
    }
}

#[derive(Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
    /// Where decisions are counted.
    metrics: Option<Metrics>,
}

struct Inner {
    /// `RATE_LIMIT_ENABLED`: off, nothing is spent.
    enabled: bool,
    policies: Policies,
    redis: Option<Redis>,
    timeout: Duration,
    script: Script,
    local: LocalWindows,
    /// `policy:key` → denied until (ms since the epoch), by which window.
    denied: Cache<String, (u64, usize)>,
    /// When this instance last decided alone (ms since the epoch). For one
    /// window after that, Redis's count does not know what was admitted
    /// here, so both must allow.
    last_local_ms: AtomicU64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("shared", &self.inner.redis.is_some())
            .finish()
    }
}

/// Milliseconds since the epoch: the limiter's and the blocker's clock.
pub(super) fn now_ms() -> u64 {
    now_us() / 1000
}

/// Microseconds since the epoch: GCRA's unit.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

impl Limiter {
    /// Shared through `redis` when given; `timeout` bounds each Redis decision.
    pub fn new(policies: Policies, redis: Option<Redis>, timeout: Duration) -> Self {
        Self::build(policies, redis, timeout, true)
    }

    /// The instance's limiter, as `RATE_LIMIT_*` configure it.
    pub fn from_config(config: &RateLimitConfig, redis: Option<Redis>) -> Self {
        Self::build(
            config.policies.clone(),
            redis,
            config.redis_timeout,
            config.enabled,
        )
    }

    fn build(policies: Policies, redis: Option<Redis>, timeout: Duration, enabled: bool) -> Self {
        let longest = policies
            .all()
            .map(|p| p.longest())
            .max()
            .unwrap_or(Duration::from_secs(60));
        Self {
            metrics: None,
            inner: Arc::new(Inner {
                enabled,
                policies,
                redis,
                timeout,
                script: Script::from_lua(SCRIPT),
                local: LocalWindows::new(200_000, longest),
                denied: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(longest)
                    .build(),
                last_local_ms: AtomicU64::new(0),
            }),
        }
    }

    /// Spends one request of `kind`'s budget for `key`: the one way the
    /// edge layer, server functions and uploads count a request. Spends
    /// nothing (`None`) when limits are off or the request is `exempt`
    /// (an allow-listed address or key, or one counted already).
    pub async fn spend(&self, kind: PolicyKind, key: &str, exempt: bool) -> Option<Decision> {
        if !self.inner.enabled || exempt {
            return None;
        }
        let decision = self.check(&self.inner.policies[kind], key).await;
        if let Some(metrics) = &self.metrics {
            metrics.decided(decision.policy, decision.allowed, decision.source.name());
        }
        Some(decision)
    }

    /// Counts every decision [`Limiter::spend`] makes in `metrics`.
    pub fn observed_by(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn policies(&self) -> &Policies {
        &self.inner.policies
    }

    /// Decides one request of `policy` for `key` (such as `tenant:user:ip`).
    pub async fn check(&self, policy: &Policy, key: &str) -> Decision {
        let inner = &self.inner;
        let id = format!("{}:{key}", policy.name);
        let now_us = now_us();
        let now = now_us / 1000;
        if let Some((until, tier)) = inner.denied.get(&id).filter(|(until, _)| *until > now) {
            let wait = Duration::from_millis(until - now);
            return Decision {
                allowed: false,
                policy: policy.name,
                tier: policy.tiers[tier.min(policy.tiers.len() - 1)],
                remaining: 0,
                reset: wait,
                retry_after: Some(wait),
                source: Source::Remembered,
            };
        }
        let (outcome, source) = match self.shared(policy, &id).await {
            Some(shared) if shared.allowed && self.recovering(policy, now) => {
                // Back from an outage: what this instance admitted alone is
                // not in Redis's count, so the local count must allow too.
                let local = inner.local.decide(policy, &id, now_us);
                if local.allowed {
                    (shared, Source::Shared)
                } else {
                    (local, Source::Local)
                }
            }
            Some(shared) => {
                if shared.allowed {
                    inner.local.record(policy, &id, now_us);
                }
                (shared, Source::Shared)
            }
            None => {
                inner.last_local_ms.store(now, Ordering::Relaxed);
                (inner.local.decide(policy, &id, now_us), Source::Local)
            }
        };
        if !outcome.allowed {
            inner
                .denied
                .insert(id, (now + outcome.retry_ms, outcome.tier));
        }
        Decision {
            allowed: outcome.allowed,
            policy: policy.name,
            tier: policy.tiers[outcome.tier],
            remaining: outcome.remaining,
            reset: Duration::from_millis(outcome.reset_ms),
            retry_after: (!outcome.allowed).then(|| Duration::from_millis(outcome.retry_ms)),
            source,
        }
    }

    /// Whether this instance decided alone within `policy`'s longest window.
    fn recovering(&self, policy: &Policy, now: u64) -> bool {
        let last = self.inner.last_local_ms.load(Ordering::Relaxed);
        last != 0 && now.saturating_sub(last) < policy.longest().as_millis() as u64
    }

    /// The shared decision, or `None` when Redis is absent, down or slow.
    async fn shared(&self, policy: &Policy, id: &str) -> Option<Outcome> {
        let inner = &self.inner;
        let redis = inner.redis.as_ref().filter(|r| r.usable())?;
        // One hash slot for all windows of a key (Redis Cluster).
        let keys: Vec<String> = policy
            .tiers
            .iter()
            .map(|t| format!("fd:rl:{{{id}}}:{}", t.window_ms()))
            .collect();
        let mut args: Vec<String> = Vec::with_capacity(2 * policy.tiers.len());
        for tier in &policy.tiers {
            args.push(tier.interval_us().to_string());
            args.push(tier.window_us().to_string());
        }
        let client = redis.pool().next();
        let call = inner
            .script
            .evalsha_with_reload::<Vec<i64>, _, _>(client, keys, args);
        let values = redis.attempt("rate limit", inner.timeout, call).await?;
        if values.len() != 5 {
            redis.failed("rate limit", &format!("unexpected reply {values:?}"));
            return None;
        }
        let tier = usize::try_from(values[1] - 1).unwrap_or(0);
        Some(Outcome {
            allowed: values[0] == 1,
            tier: tier.min(policy.tiers.len() - 1),
            remaining: u32::try_from(values[2]).unwrap_or(0),
            reset_ms: u64::try_from(values[3]).unwrap_or(0),
            retry_ms: u64::try_from(values[4]).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(enabled: bool) -> RateLimitConfig {
        let mut policies = Policies::defaults();
        policies.set(
            PolicyKind::Upload,
            Policy::parse("upload", "1/min").unwrap(),
        );
        RateLimitConfig {
            enabled,
            policies,
            redis_timeout: Duration::from_millis(50),
            allow_ips: Vec::new(),
            allow_keys: Vec::new(),
            deny_ips: Vec::new(),
            auto_block: auto_block::AutoBlockConfig {
                denials: 0,
                window: Duration::from_secs(60),
                first_block: Duration::from_secs(60),
                max_block: Duration::from_secs(60),
            },
        }
    }

    #[tokio::test]
    async fn spending_counts_unless_limits_are_off_or_the_request_is_exempt() {
        let limiter = Limiter::from_config(&config(true), None);
        // Exempt requests spend nothing, however many.
        for _ in 0..3 {
            assert!(limiter.spend(PolicyKind::Upload, "t", true).await.is_none());
        }
        let first = limiter.spend(PolicyKind::Upload, "t", false).await.unwrap();
        assert!(first.allowed && first.policy == "upload");
        let second = limiter.spend(PolicyKind::Upload, "t", false).await.unwrap();
        assert!(!second.allowed);

        let off = Limiter::from_config(&config(false), None);
        for _ in 0..3 {
            assert!(off.spend(PolicyKind::Upload, "t", false).await.is_none());
        }
    }

    #[tokio::test]
    async fn in_process_limits_hold_and_denials_name_the_limit() {
        let mut policies = Policies::defaults();
        policies.set(PolicyKind::Write, Policy::parse("write", "2/min").unwrap());
        let limiter = Limiter::new(policies.clone(), None, Duration::from_millis(50));
        let first = limiter.check(&policies[PolicyKind::Write], "t:u:ip").await;
        assert!(first.allowed && first.source == Source::Local);
        assert_eq!(first.remaining, 1);
        assert!(
            limiter
                .check(&policies[PolicyKind::Write], "t:u:ip")
                .await
                .allowed
        );
        let denied = limiter.check(&policies[PolicyKind::Write], "t:u:ip").await;
        assert!(!denied.allowed);
        // The bucket refills one request every 30 s.
        let wait = denied.retry_after.unwrap();
        assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30));
        // Another key has its own budget.
        assert!(
            limiter
                .check(&policies[PolicyKind::Write], "t:u2:ip")
                .await
                .allowed
        );
        // The next one is answered from the remembered denial.
        let again = limiter.check(&policies[PolicyKind::Write], "t:u:ip").await;
        assert_eq!(again.source, Source::Remembered);
        let message = denied.error().to_string();
        assert!(
            message.contains("write limit is 2 per minute") && message.contains("Try again in 30"),
            "{message}"
        );
        let headers = denied.headers();
        assert_eq!(headers[0], ("ratelimit-limit", "2".to_string()));
        assert_eq!(headers[1], ("ratelimit-remaining", "0".to_string()));
        assert_eq!(headers[3], ("ratelimit-policy", "2;w=60".to_string()));
    }
}
