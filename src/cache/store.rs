//! Where cached values and generation counters live: Redis (shared by all
//! instances) or moka in this process.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use fred::{
    bytes::Bytes,
    prelude::KeysInterface,
    types::{scripts::Script, Expiration, SetOptions, Value},
};
use moka::{future::Cache as Moka, Expiry};

use crate::redis::Redis;

pub(super) enum Store {
    Shared(Redis, Script),
    Local(LocalStore),
}

/// Reads the counters and the value they lead to in one call.
const LOOKUP: &str = include_str!("lookup.lua");

/// A value's key at the current generations, and the value when stored.
pub(super) type Found = (String, Option<Arc<[u8]>>);

pub(super) type StoreResult<T> = Result<T, String>;

#[derive(Clone)]
struct Entry {
    bytes: Arc<[u8]>,
    ttl: Duration,
}

/// Each entry lives for its own TTL.
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub(super) struct LocalStore {
    values: Moka<String, Entry>,
    generations: Mutex<HashMap<String, u64>>,
}

impl LocalStore {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            values: Moka::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| {
                    u32::try_from(key.len() + entry.bytes.len()).unwrap_or(u32::MAX)
                })
                .expire_after(PerEntryTtl)
                .build(),
            generations: Mutex::default(),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Store {
    pub fn shared(redis: Redis) -> Self {
        Store::Shared(redis, Script::from_lua(LOOKUP))
    }

    /// The value stored under `prefix`, the generations of `counters` joined
    /// by ".", then `suffix`, in one call; `None` when a counter is missing
    /// (see [`Store::read_at_generations`], which seeds it).
    pub async fn lookup(
        &self,
        counters: &[String],
        prefix: &str,
        suffix: &str,
    ) -> StoreResult<Option<Found>> {
        match self {
            Store::Local(_) => self
                .read_at_generations(counters, prefix, suffix)
                .await
                .map(Some),
            Store::Shared(redis, script) => {
                let reply: Vec<Value> = script
                    .evalsha_with_reload(
                        redis.pool().next(),
                        counters.to_vec(),
                        vec![prefix, suffix],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let mut reply = reply.into_iter();
                let Some(key) = reply.next() else {
                    return Ok(None);
                };
                let key = key
                    .into_string()
                    .ok_or_else(|| "lookup: the key is not text".to_string())?;
                let value = match reply.next() {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(Arc::from(
                        &value
                            .into_bytes()
                            .ok_or_else(|| "lookup: the value is not bytes".to_string())?[..],
                    )),
                };
                Ok(Some((key, value)))
            }
        }
    }

    /// What [`Store::lookup`] finds, in two calls: the generations (seeding
    /// missing counters), then the value.
    pub async fn read_at_generations(
        &self,
        counters: &[String],
        prefix: &str,
        suffix: &str,
    ) -> StoreResult<Found> {
        let generations: Vec<String> = self
            .generations(counters)
            .await?
            .iter()
            .map(u64::to_string)
            .collect();
        let key = format!("{prefix}{}{suffix}", generations.join("."));
        let value = self.get(&key).await?;
        Ok((key, value))
    }

    /// The current generation of each counter.
    pub async fn generations(&self, keys: &[String]) -> StoreResult<Vec<u64>> {
        match self {
            Store::Local(local) => {
                let map = local.generations.lock().unwrap_or_else(|e| e.into_inner());
                Ok(keys
                    .iter()
                    .map(|k| map.get(k).copied().unwrap_or(0))
                    .collect())
            }
            Store::Shared(redis, _) => {
                let client = redis.pool().next();
                let mut found: Vec<Option<u64>> = client
                    .mget(keys.to_vec())
                    .await
                    .map_err(|e| e.to_string())?;
                if found.iter().any(Option::is_none) {
                    // A counter that is missing (never set, or lost with a Redis
                    // restart) starts from the clock in ms: above any count it
                    // could have reached, so values stored under an earlier
                    // generation can never be read again.
                    for (key, value) in keys.iter().zip(found.iter_mut()) {
                        if value.is_none() {
                            let _: Option<String> = client
                                .set(key, now_ms(), None, Some(SetOptions::NX), false)
                                .await
                                .map_err(|e| e.to_string())?;
                            *value = client.get(key).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
                Ok(found.into_iter().map(Option::unwrap_or_default).collect())
            }
        }
    }

    /// Moves a counter on: every value stored under the old generation is dropped.
    pub async fn bump(&self, key: &str) -> StoreResult<()> {
        match self {
            Store::Local(local) => {
                *local
                    .generations
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(key.to_string())
                    .or_default() += 1;
                Ok(())
            }
            Store::Shared(redis, _) => {
                let client = redis.pool().next();
                // INCR of a missing counter would restart it at 1; seed it first.
                let _: Option<String> = client
                    .set(key, now_ms(), None, Some(SetOptions::NX), false)
                    .await
                    .map_err(|e| e.to_string())?;
                let _: i64 = client.incr(key).await.map_err(|e| e.to_string())?;
                Ok(())
            }
        }
    }

    pub async fn get(&self, key: &str) -> StoreResult<Option<Arc<[u8]>>> {
        match self {
            Store::Local(local) => Ok(local.values.get(key).await.map(|e| e.bytes)),
            Store::Shared(redis, _) => {
                let value: Option<Bytes> = redis
                    .pool()
                    .next()
                    .get(key)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(value.map(|b| Arc::from(&b[..])))
            }
        }
    }

    pub async fn delete(&self, key: &str) -> StoreResult<()> {
        match self {
            Store::Local(local) => {
                local.values.invalidate(key).await;
                Ok(())
            }
            Store::Shared(redis, _) => {
                let _: i64 = redis
                    .pool()
                    .next()
                    .del(key)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
        }
    }

    pub async fn set(&self, key: &str, bytes: Arc<[u8]>, ttl: Duration) -> StoreResult<()> {
        match self {
            Store::Local(local) => {
                local
                    .values
                    .insert(key.to_string(), Entry { bytes, ttl })
                    .await;
                Ok(())
            }
            Store::Shared(redis, _) => {
                let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
                let _: Option<String> = redis
                    .pool()
                    .next()
                    .set(
                        key,
                        Bytes::copy_from_slice(&bytes),
                        Some(Expiration::PX(ms)),
                        None,
                        false,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
        }
    }
}
