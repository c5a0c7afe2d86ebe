//! Automatic blocking of abusive addresses: an address whose requests keep
//! being refused by rate limits (any policy) is blocked outright for a
//! while, and for twice as long each time it comes back within a day.
//!
//! With Redis the count and the block are shared by every instance (one
//! script call per denial; a block is looked up at most once a second per
//! address and instance). Without Redis, or while it is down, each instance
//! counts and blocks on its own. Allow-listed addresses are never counted
//! (the caller checks the allow-list first). Operators list and lift
//! blocks with `frontdesk blocks`.

use std::{
    collections::VecDeque,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use fred::types::scripts::Script;
use moka::sync::Cache;

use super::now_ms;
use crate::redis::Redis;

const SCRIPT: &str = include_str!("auto_block.lua");
/// How long a block lookup (blocked or not) is trusted before asking Redis again.
const LOOKUP_TTL: Duration = Duration::from_secs(1);
/// How long repeated blocks make the next one longer.
const LEVEL_MEMORY: Duration = Duration::from_secs(86_400);

/// `AUTO_BLOCK_*`: after `denials` refused requests within `window`, an
/// address is blocked for `first_block`, doubling per repeat up to `max_block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoBlockConfig {
    /// 0 turns automatic blocking off.
    pub denials: u32,
    pub window: Duration,
    pub first_block: Duration,
    pub max_block: Duration,
}

impl AutoBlockConfig {
    /// How long the `level`-th block in a day lasts (1-based).
    pub fn block_for(&self, level: u32) -> Duration {
        let factor = 1u32
            .checked_shl(level.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_block
            .checked_mul(factor)
            .unwrap_or(self.max_block)
            .min(self.max_block)
    }
}

/// One blocked address, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub address: IpAddr,
    pub remaining: Duration,
    /// The how-many-th block of this address within a day.
    pub level: u32,
}

#[derive(Clone)]
pub struct AutoBlock {
    inner: Arc<Inner>,
}

struct Inner {
    config: AutoBlockConfig,
    redis: Option<Redis>,
    timeout: Duration,
    script: Script,
    lookup: Script,
    /// Address → recent denial times (ms), when deciding alone.
    denials: Cache<IpAddr, Arc<Mutex<VecDeque<u64>>>>,
    /// Address → (blocked until ms, level), when deciding alone.
    blocks: Cache<IpAddr, (u64, u32)>,
    levels: Cache<IpAddr, u32>,
    /// Address → blocked until (ms), or 0: the last answer, for a second.
    lookups: Cache<IpAddr, u64>,
}

impl std::fmt::Debug for AutoBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoBlock")
            .field("config", &self.inner.config)
            .field("shared", &self.inner.redis.is_some())
            .finish()
    }
}

/// The Redis keys of `address`, tagged so that they share a hash slot.
fn keys(address: IpAddr) -> [String; 3] {
    [
        format!("fd:block-denials:{{{address}}}"),
        format!("fd:block:{{{address}}}"),
        format!("fd:block-level:{{{address}}}"),
    ]
}

impl AutoBlock {
    pub fn new(config: AutoBlockConfig, redis: Option<Redis>, timeout: Duration) -> Self {
        let window = config.window.max(Duration::from_secs(1));
        Self {
            inner: Arc::new(Inner {
                redis,
                timeout,
                script: Script::from_lua(SCRIPT),
                lookup: Script::from_lua("return redis.call('PTTL', KEYS[1])"),
                denials: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_idle(window)
                    .build(),
                blocks: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(config.max_block.max(Duration::from_secs(1)))
                    .build(),
                levels: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(LEVEL_MEMORY)
                    .build(),
                lookups: Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(LOOKUP_TTL)
                    .build(),
                config,
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.inner.config.denials > 0
    }

    /// How much longer `address` is blocked, if it is.
    pub async fn blocked(&self, address: IpAddr) -> Option<Duration> {
        if !self.enabled() {
            return None;
        }
        let inner = &self.inner;
        let now = now_ms();
        let until = match inner.lookups.get(&address) {
            Some(until) => until,
            None => {
                let local = inner.blocks.get(&address).map_or(0, |(until, _)| until);
                let shared = self.shared_until(address, now).await.unwrap_or(0);
                let until = local.max(shared);
                inner.lookups.insert(address, until);
                until
            }
        };
        (until > now).then(|| Duration::from_millis(until - now))
    }

    /// Counts one refused request of `address`; returns the block it started, if any.
    pub async fn record_denial(&self, address: IpAddr) -> Option<Duration> {
        if !self.enabled() {
            return None;
        }
        let inner = &self.inner;
        let now = now_ms();
        let block = match self.shared_denial(address).await {
            Some(block) => block,
            None => self.local_denial(address, now),
        };
        if let Some((level, length)) = block {
            let until = now + length.as_millis() as u64;
            inner.lookups.insert(address, until);
            tracing::warn!(
                level,
                block_secs = length.as_secs(),
                "address blocked after repeated rate-limit denials"
            );
            return Some(length);
        }
        None
    }

    fn local_denial(&self, address: IpAddr, now: u64) -> Option<(u32, Duration)> {
        let inner = &self.inner;
        let config = &inner.config;
        let log = inner.denials.get_with(address, Arc::default);
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        let window = config.window.as_millis() as u64;
        while log.front().is_some_and(|t| t + window <= now) {
            log.pop_front();
        }
        log.push_back(now);
        if (log.len() as u32) < config.denials {
            return None;
        }
        log.clear();
        let level = inner.levels.get(&address).unwrap_or(0) + 1;
        inner.levels.insert(address, level);
        let length = config.block_for(level);
        inner
            .blocks
            .insert(address, (now + length.as_millis() as u64, level));
        Some((level, length))
    }

    /// `Some(None)`: counted in Redis, no block; `None`: Redis could not count.
    async fn shared_denial(&self, address: IpAddr) -> Option<Option<(u32, Duration)>> {
        let inner = &self.inner;
        let redis = inner.redis.as_ref().filter(|r| r.usable())?;
        let config = &inner.config;
        let args = vec![
            config.denials.to_string(),
            config.window.as_millis().to_string(),
            config.first_block.as_millis().to_string(),
            config.max_block.as_millis().to_string(),
            LEVEL_MEMORY.as_millis().to_string(),
        ];
        let call = inner.script.evalsha_with_reload::<Vec<i64>, _, _>(
            redis.pool().next(),
            keys(address).to_vec(),
            args,
        );
        let values = redis.attempt("auto block", inner.timeout, call).await?;
        if values.len() != 2 {
            redis.failed("auto block", &format!("unexpected reply {values:?}"));
            return None;
        }
        Some((values[0] > 0).then(|| {
            (
                u32::try_from(values[0]).unwrap_or(u32::MAX),
                Duration::from_millis(u64::try_from(values[1]).unwrap_or(0)),
            )
        }))
    }

    async fn shared_until(&self, address: IpAddr, now: u64) -> Option<u64> {
        let inner = &self.inner;
        let redis = inner.redis.as_ref().filter(|r| r.usable())?;
        let [_, block, _] = keys(address);
        let call = inner.lookup.evalsha_with_reload::<i64, _, _>(
            redis.pool().next(),
            vec![block],
            Vec::<String>::new(),
        );
        let ttl = redis.attempt("auto block", inner.timeout, call).await?;
        u64::try_from(ttl).ok().map(|ttl| now + ttl)
    }
}

/// Every address blocked in Redis (for the operator; walks the keyspace
/// with SCAN, so it is a tool, not a request path).
pub async fn list_shared(redis: &Redis) -> Result<Vec<Block>, fred::error::Error> {
    const LIST: &str = "local out = {} local cursor = '0' \
        repeat \
          local page = redis.call('SCAN', cursor, 'MATCH', 'fd:block:{*', 'COUNT', 1000) \
          cursor = page[1] \
          for _, key in ipairs(page[2]) do \
            local ttl = redis.call('PTTL', key) \
            if ttl > 0 then \
              table.insert(out, key) table.insert(out, tostring(ttl)) \
              table.insert(out, tostring(redis.call('GET', key))) \
            end \
          end \
        until cursor == '0' \
        return out";
    let flat: Vec<String> = Script::from_lua(LIST)
        .evalsha_with_reload(
            redis.pool().next(),
            Vec::<String>::new(),
            Vec::<String>::new(),
        )
        .await?;
    let mut blocks: Vec<Block> = flat
        .chunks(3)
        .filter_map(|entry| {
            let address = entry[0]
                .strip_prefix("fd:block:{")?
                .strip_suffix('}')?
                .parse()
                .ok()?;
            Some(Block {
                address,
                remaining: Duration::from_millis(entry[1].parse().ok()?),
                level: entry[2].parse().unwrap_or(1),
            })
        })
        .collect();
    blocks.sort_by_key(|b| std::cmp::Reverse(b.remaining));
    Ok(blocks)
}

/// Lifts `address`'s block and forgets its history; whether it was blocked.
pub async fn unblock_shared(redis: &Redis, address: IpAddr) -> Result<bool, fred::error::Error> {
    let removed: i64 = Script::from_lua(
        "local blocked = redis.call('EXISTS', KEYS[2]) redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) return blocked",
    )
    .evalsha_with_reload(redis.pool().next(), keys(address).to_vec(), Vec::<String>::new())
    .await?;
    Ok(removed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(denials: u32) -> AutoBlockConfig {
        AutoBlockConfig {
            denials,
            window: Duration::from_secs(300),
            first_block: Duration::from_secs(60),
            max_block: Duration::from_secs(3600),
        }
    }

    #[test]
    fn blocks_grow_to_their_ceiling() {
        let c = config(20);
        assert_eq!(c.block_for(1), Duration::from_secs(60));
        assert_eq!(c.block_for(2), Duration::from_secs(120));
        assert_eq!(c.block_for(4), Duration::from_secs(480));
        assert_eq!(c.block_for(7), Duration::from_secs(3600));
        assert_eq!(c.block_for(40), Duration::from_secs(3600));
    }

    #[tokio::test]
    async fn in_process_a_threshold_of_denials_blocks_and_the_next_block_is_longer() {
        let blocker = AutoBlock::new(config(3), None, Duration::from_millis(50));
        let bad: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(blocker.record_denial(bad).await, None);
        assert_eq!(blocker.record_denial(bad).await, None);
        assert_eq!(blocker.blocked(bad).await, None);
        assert_eq!(
            blocker.record_denial(bad).await,
            Some(Duration::from_secs(60))
        );
        let left = blocker.blocked(bad).await.unwrap();
        assert!(left > Duration::from_secs(58), "{left:?}");
        assert_eq!(blocker.blocked(other).await, None);
        for _ in 0..2 {
            blocker.record_denial(bad).await;
        }
        assert_eq!(
            blocker.record_denial(bad).await,
            Some(Duration::from_secs(120))
        );
        let off = AutoBlock::new(config(0), None, Duration::from_millis(50));
        for _ in 0..10 {
            assert_eq!(off.record_denial(bad).await, None);
        }
        assert_eq!(off.blocked(bad).await, None);
    }
}
