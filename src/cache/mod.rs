//! Cache-aside for hot reads, shared by all instances through Redis, or in
//! this process (moka) when Redis is not configured.
//!
//! Keys are tenant-scoped and carry the *generations* of the entities the
//! value was computed from: `fd:c2:{tenant}:{namespace}:{generations}:{params}`
//! (the business as hash tag). A hit is one call: a script reads the
//! counters and the value they lead to.
//! A write bumps its entity's per-tenant counter with one `INCR`, after it
//! commits; from then on every reader builds keys with the new generation,
//! so all older values of that entity in that tenant are unreachable at
//! once, on every instance, and expire by their TTL. (Each instance's
//! live-update listener bumps them too, before its pages hear of the
//! change: see `live::listener`.) This needs no `SCAN`
//! over key patterns (which walks the whole keyspace, is not atomic with
//! concurrent writers and does not work across a cluster's nodes), and an
//! invalidation costs the same however many pages were cached.
//!
//! A value computed while a write commits is stored under the generation
//! read *before* computing, so it can never be served after the
//! invalidation. Concurrent misses of one key compute once per instance.
//! Values are postcard-encoded; one that does not decode counts as a miss.
//! When Redis fails, reads bypass the cache (they are computed) and a
//! failed invalidation is retried before the cache is used for that entity
//! again.

mod config;
mod single_flight;
mod stats;
mod store;

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{de::DeserializeOwned, Serialize};
use sha2::Digest;
use uuid::Uuid;

pub use config::CacheConfig;
pub use stats::Counts;

use self::{
    single_flight::SingleFlight,
    stats::Stats,
    store::{Found, LocalStore, Store},
};
use crate::{domain::live::Topic, error::AppError, redis::Redis};

/// What is written: a write to one invalidates every namespace built on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Appointments,
    Clients,
    Services,
    Providers,
    Resources,
    /// The business's own settings (its time zone).
    Settings,
    /// What a person's sessions may do: their session generation, their
    /// memberships, their sessions' records and two-factor standing. Its
    /// counters are keyed by the person, not a business, and it is not in
    /// [`Entity::ALL`] (no business view is built on it).
    Access,
}

impl Entity {
    pub const ALL: [Entity; 6] = [
        Entity::Appointments,
        Entity::Clients,
        Entity::Services,
        Entity::Providers,
        Entity::Resources,
        Entity::Settings,
    ];

    fn name(self) -> &'static str {
        match self {
            Entity::Appointments => "appointments",
            Entity::Clients => "clients",
            Entity::Services => "services",
            Entity::Providers => "providers",
            Entity::Resources => "resources",
            Entity::Settings => "settings",
            Entity::Access => "access",
        }
    }

    /// What a change a business's pages hear of under `topic` may have
    /// written (settings change how everything reads).
    pub fn of_topic(topic: Topic) -> &'static [Entity] {
        match topic {
            Topic::Appointments => &[Entity::Appointments],
            Topic::Clients => &[Entity::Clients],
            Topic::Catalog => &[Entity::Services, Entity::Providers, Entity::Resources],
            Topic::Settings => &Entity::ALL,
            Topic::Files | Topic::Inbox | Topic::Team | Topic::Jobs => &[],
        }
    }
}

/// What is cached, with its TTL and the entities it is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Appointments for a date range (calendar views, the REST listing).
    Appointments,
    /// Client lists and search pages.
    Clients,
    Services,
    Providers,
    Resources,
    /// Services, providers and resources together (settings, booking).
    Catalog,
    Dashboard,
    /// The business's time zone.
    Tenant,
    /// A signed-in session's standing, keyed by the person (see
    /// [`crate::auth::session`]).
    Session,
}

impl Namespace {
    pub const ALL: [Namespace; 9] = [
        Namespace::Appointments,
        Namespace::Clients,
        Namespace::Services,
        Namespace::Providers,
        Namespace::Resources,
        Namespace::Catalog,
        Namespace::Dashboard,
        Namespace::Tenant,
        Namespace::Session,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Namespace::Appointments => "appointments",
            Namespace::Clients => "clients",
            Namespace::Services => "services",
            Namespace::Providers => "providers",
            Namespace::Resources => "resources",
            Namespace::Catalog => "catalog",
            Namespace::Dashboard => "dashboard",
            Namespace::Tenant => "tenant",
            Namespace::Session => "session",
        }
    }

    pub fn ttl(self) -> Duration {
        let minutes = match self {
            Namespace::Appointments | Namespace::Session => 5,
            Namespace::Clients => 10,
            Namespace::Dashboard => 15,
            Namespace::Services
            | Namespace::Providers
            | Namespace::Resources
            | Namespace::Catalog
            | Namespace::Tenant => 30,
        };
        Duration::from_secs(minutes * 60)
    }

    /// Appointment views carry client, service, provider and resource names
    /// and the business's zone; the dashboard counts everything.
    pub fn depends_on(self) -> &'static [Entity] {
        use Entity as E;
        match self {
            Namespace::Appointments | Namespace::Dashboard => &Entity::ALL,
            Namespace::Clients => &[E::Clients],
            Namespace::Services => &[E::Services, E::Providers],
            Namespace::Providers => &[E::Providers],
            Namespace::Resources => &[E::Resources],
            Namespace::Catalog => &[E::Services, E::Providers, E::Resources],
            Namespace::Tenant => &[E::Settings],
            Namespace::Session => &[E::Access],
        }
    }
}

#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    store: Store,
    flight: SingleFlight,
    stats: Stats,
    /// Generation counters whose bump failed (Redis down), retried first.
    pending: Mutex<HashSet<String>>,
    /// Keyed values whose removal failed: misses until it is retried.
    pending_removals: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("enabled", &self.inner.enabled)
            .field("shared", &matches!(self.inner.store, Store::Shared(..)))
            .finish()
    }
}

fn generation_key(tenant: Uuid, entity: Entity) -> String {
    // The tenant as hash tag: one tenant's counters share a cluster slot (MGET).
    format!("fd:gen:{{{tenant}}}:{}", entity.name())
}

fn encode<T: Serialize>(value: &T) -> Result<Arc<[u8]>, AppError> {
    postcard::to_allocvec(value)
        .map(Arc::from)
        .map_err(|e| AppError::internal(format!("cache encode: {e}")))
}

/// `None` for bytes that are not exactly one `T`.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

impl Cache {
    /// Shared through `redis` when given, else in this process.
    pub fn new(config: &CacheConfig, redis: Option<Redis>) -> Self {
        let store = match redis {
            Some(redis) => Store::shared(redis),
            None => Store::Local(LocalStore::new(config.local_max_bytes)),
        };
        Self {
            inner: Arc::new(Inner {
                enabled: config.enabled,
                store,
                flight: SingleFlight::default(),
                stats: Stats::default(),
                pending: Mutex::default(),
                pending_removals: Mutex::default(),
            }),
        }
    }

    /// The cached value of `ns` for `tenant` and `params`, or `compute`'s
    /// (stored for the namespace's TTL). Errors are not cached.
    pub async fn get_or_compute<T, F, Fut>(
        &self,
        ns: Namespace,
        tenant: Uuid,
        params: &str,
        compute: F,
    ) -> Result<T, AppError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let inner = &self.inner;
        if !inner.enabled {
            return compute().await;
        }
        let Some((key, found)) = self.lookup(ns, tenant, params).await else {
            inner.stats.error(ns);
            return compute().await;
        };
        if let Some(bytes) = found {
            match decode::<T>(&bytes) {
                Some(value) => {
                    inner.stats.hit(ns);
                    return Ok(value);
                }
                None => {
                    inner.stats.error(ns);
                    tracing::warn!(
                        namespace = ns.name(),
                        "cached value did not decode; recomputing"
                    );
                }
            }
        }
        inner.stats.miss(ns);
        let mut computed: Option<T> = None;
        let slot = &mut computed;
        let store_key = key.as_str();
        let (bytes, _) = inner
            .flight
            .run::<AppError, _, _>(&key, || async move {
                let value = compute().await?;
                let bytes = encode(&value)?;
                *slot = Some(value);
                if let Err(err) = inner.store.set(store_key, bytes.clone(), ns.ttl()).await {
                    self.store_failed(&err);
                    inner.stats.error(ns);
                }
                Ok(bytes)
            })
            .await?;
        match computed {
            Some(value) => Ok(value),
            None => decode(&bytes)
                .ok_or_else(|| AppError::internal("cache: shared value did not decode")),
        }
    }

    /// A value kept under a key of its own (no business, no generation;
    /// `ns` only counts it), such as a session's record. `None` on a miss,
    /// when the cache is off or unusable, and while an earlier removal of
    /// the key is still to be retried.
    pub async fn get_keyed(&self, ns: Namespace, key: &str) -> Option<Arc<[u8]>> {
        if !self.inner.enabled || !self.usable() || !self.retry_removals(key).await {
            return None;
        }
        match self.inner.store.get(key).await {
            Ok(found) => {
                self.store_ok();
                match found {
                    Some(_) => self.inner.stats.hit(ns),
                    None => self.inner.stats.miss(ns),
                }
                found
            }
            Err(err) => {
                self.store_failed(&err);
                self.inner.stats.error(ns);
                None
            }
        }
    }

    /// Keeps `bytes` under `key` for `ttl` (see [`Cache::get_keyed`]).
    pub async fn set_keyed(&self, ns: Namespace, key: &str, bytes: &[u8], ttl: Duration) {
        if !self.inner.enabled || !self.usable() || !self.retry_removals(key).await {
            return;
        }
        match self.inner.store.set(key, Arc::from(bytes), ttl).await {
            Ok(()) => self.store_ok(),
            Err(err) => {
                self.store_failed(&err);
                self.inner.stats.error(ns);
            }
        }
    }

    /// Removes `key` on all instances; when the store fails, the removal is
    /// retried before the key is read or written again here.
    pub async fn remove_keyed(&self, key: &str) {
        if !self.inner.enabled {
            return;
        }
        if self.usable() {
            match self.inner.store.delete(key).await {
                Ok(()) => return self.store_ok(),
                Err(err) => self.store_failed(&err),
            }
        }
        self.lock_removals().insert(key.to_string());
    }

    /// Retries failed removals; `false` while `key`'s is still to be done.
    async fn retry_removals(&self, key: &str) -> bool {
        let store = &self.inner.store;
        self.retry_deferred(&self.inner.pending_removals, |k| async move {
            store.delete(&k).await
        })
        .await;
        !self.lock_removals().contains(key)
    }

    /// Retries the operations deferred in `deferred` (`op` on each key), in
    /// turn, until one fails again.
    async fn retry_deferred<F, Fut>(&self, deferred: &Mutex<HashSet<String>>, op: F)
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = store::StoreResult<()>>,
    {
        let lock = || deferred.lock().unwrap_or_else(|e| e.into_inner());
        let keys: Vec<String> = lock().iter().cloned().collect();
        for key in keys {
            match op(key.clone()).await {
                Ok(()) => {
                    lock().remove(&key);
                }
                Err(err) => {
                    self.store_failed(&err);
                    break;
                }
            }
        }
    }

    fn lock_removals(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.inner
            .pending_removals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Drops every cached value built on `entity` in `tenant`, on all instances.
    /// Called by services after their transaction commits.
    pub async fn invalidate(&self, tenant: Uuid, entity: Entity) {
        let key = generation_key(tenant, entity);
        if self.usable() {
            match self.inner.store.bump(&key).await {
                Ok(()) => return self.store_ok(),
                Err(err) => self.store_failed(&err),
            }
        }
        tracing::warn!(
            entity = entity.name(),
            "cache invalidation deferred until Redis is back"
        );
        self.lock_pending().insert(key);
    }

    /// Drops everything cached for `tenant` (bulk imports, settings).
    pub async fn invalidate_all(&self, tenant: Uuid) {
        for entity in Entity::ALL {
            self.invalidate(tenant, entity).await;
        }
    }

    /// The current generation of `entity` in `tenant` (each invalidation
    /// adds one); `None` when the store cannot be read.
    pub async fn generation(&self, tenant: Uuid, entity: Entity) -> Option<u64> {
        let key = generation_key(tenant, entity);
        self.inner
            .store
            .generations(&[key])
            .await
            .ok()?
            .first()
            .copied()
    }

    pub fn counts(&self, ns: Namespace) -> Counts {
        self.inner.stats.get(ns)
    }

    /// Logs the counts of every namespace used so far.
    pub fn log_counts(&self) {
        for (ns, c) in self.inner.stats.snapshot() {
            if c != Counts::default() {
                tracing::info!(
                    namespace = ns.name(),
                    hits = c.hits,
                    misses = c.misses,
                    errors = c.errors,
                    "cache"
                );
            }
        }
    }

    /// The key for `ns`/`params` at the current generations, with the value
    /// stored under it; `None` when the store cannot be used (or an
    /// invalidation it depends on is pending).
    async fn lookup(&self, ns: Namespace, tenant: Uuid, params: &str) -> Option<Found> {
        if !self.usable() {
            return None;
        }
        let counters: Vec<String> = ns
            .depends_on()
            .iter()
            .map(|&e| generation_key(tenant, e))
            .collect();
        if !self.flush_pending(&counters).await {
            return None;
        }
        // Long parameters (search text) are hashed to keep keys short.
        let params = if params.len() > 96 {
            hex::encode(sha2::Sha256::digest(params.as_bytes()))
        } else {
            params.to_string()
        };
        // The business as hash tag: the value shares its counters' slot, so
        // one call reads both.
        let prefix = format!("fd:c2:{{{tenant}}}:{}:", ns.name());
        let suffix = format!(":{params}");
        let store = &self.inner.store;
        let found = match store.lookup(&counters, &prefix, &suffix).await {
            Ok(Some(found)) => Ok(found),
            // A counter is missing: seed it, then read.
            Ok(None) => store.read_at_generations(&counters, &prefix, &suffix).await,
            Err(err) => Err(err),
        };
        match found {
            Ok(found) => {
                self.store_ok();
                Some(found)
            }
            Err(err) => {
                self.store_failed(&err);
                None
            }
        }
    }

    /// Retries deferred invalidations; `false` while one of `keys` is still pending.
    async fn flush_pending(&self, keys: &[String]) -> bool {
        let store = &self.inner.store;
        self.retry_deferred(&self.inner.pending, |k| async move { store.bump(&k).await })
            .await;
        let pending = self.lock_pending();
        !keys.iter().any(|k| pending.contains(k))
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn usable(&self) -> bool {
        match &self.inner.store {
            Store::Shared(redis, _) => redis.usable(),
            Store::Local(_) => true,
        }
    }

    fn store_ok(&self) {
        if let Store::Shared(redis, _) = &self.inner.store {
            redis.succeeded();
        }
    }

    fn store_failed(&self, err: &str) {
        if let Store::Shared(redis, _) = &self.inner.store {
            redis.failed("cache", &err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_refuses_truncated_and_trailing_bytes() {
        let bytes = postcard::to_allocvec(&(7u32, "seven".to_string())).unwrap();
        assert_eq!(decode::<(u32, String)>(&bytes), Some((7, "seven".into())));
        assert_eq!(decode::<(u32, String)>(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode::<(u32, String)>(&longer), None);
        assert_eq!(decode::<(u32, String)>(b"\xff\xff\xff\xff\xff"), None);
    }

    #[test]
    fn every_namespace_has_a_ttl_and_depends_on_something() {
        for ns in Namespace::ALL {
            assert!(ns.ttl() >= Duration::from_secs(300));
            assert!(!ns.depends_on().is_empty());
        }
        assert_eq!(Namespace::Appointments.ttl(), Duration::from_secs(300));
        assert_eq!(Namespace::Clients.ttl(), Duration::from_secs(600));
        assert_eq!(Namespace::Dashboard.ttl(), Duration::from_secs(900));
        assert_eq!(Namespace::Services.ttl(), Duration::from_secs(1800));
    }

    #[tokio::test]
    async fn in_process_hit_after_miss_and_invalidation() {
        let cache = Cache::new(
            &CacheConfig {
                enabled: true,
                local_max_bytes: 1 << 20,
            },
            None,
        );
        let tenant = Uuid::now_v7();
        let read = |n: u32| {
            let cache = cache.clone();
            async move {
                cache
                    .get_or_compute(Namespace::Clients, tenant, "q=", || async move { Ok(n) })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(read(1).await, 1);
        assert_eq!(read(2).await, 1, "the second read is a hit");
        cache.invalidate(tenant, Entity::Services).await;
        assert_eq!(read(3).await, 1, "an unrelated entity leaves it");
        cache.invalidate(tenant, Entity::Clients).await;
        assert_eq!(read(4).await, 4);
        let counts = cache.counts(Namespace::Clients);
        assert_eq!((counts.hits, counts.misses), (2, 2));
    }
}
