//! Session records through the shared cache. The session layer loads a
//! record on every request and, to move its idle expiry on, saves it back
//! on every request. [`CachedStore`] reads the record from the cache (Redis
//! when configured, else this process) before PostgreSQL, and writes a
//! record whose data did not change at most once per `refresh`: the idle
//! expiry is moved on then, not on every request. A deleted record is
//! removed from both at once, for every instance.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use frontdesk::cache::{Cache, Namespace};
use moka::sync::Cache as Moka;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

/// Records kept in the cache live at most this long without a write.
const CACHED_FOR: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct CachedStore<S> {
    inner: S,
    cache: Cache,
    /// Each session's record as this instance last read or wrote it: what a
    /// save is compared with.
    seen: Moka<Id, Arc<Record>>,
    refresh: Duration,
}

impl<S> CachedStore<S> {
    /// `refresh`: how often an unchanged session's idle expiry is written.
    pub fn new(inner: S, cache: Cache, refresh: Duration) -> Self {
        Self {
            inner,
            cache,
            seen: Moka::builder()
                .max_capacity(100_000)
                .time_to_idle(refresh.max(Duration::from_secs(60)) * 2)
                .build(),
            refresh,
        }
    }
}

/// The cache key: a hash of the id, so that the keys' names, which anyone
/// with access to Redis can list, are not the cookies' values.
fn key(id: &Id) -> String {
    let digest = Sha256::digest(id.to_string().as_bytes());
    format!("fd:s1:{}", hex::encode(&digest[..16]))
}

impl<S> CachedStore<S> {
    async fn keep(&self, record: &Record) {
        self.seen.insert(record.id, Arc::new(record.clone()));
        let left = record.expiry_date - OffsetDateTime::now_utc();
        let Ok(left) = Duration::try_from(left) else {
            return;
        };
        if let Ok(bytes) = serde_json::to_vec(record) {
            self.cache
                .set_keyed(
                    Namespace::Session,
                    &key(&record.id),
                    &bytes,
                    left.min(CACHED_FOR),
                )
                .await;
        }
    }

    /// Whether saving `record` would only move its expiry on, by less than
    /// `refresh`, from the record as last seen, while more than half of the
    /// idle period is still left (so short idle periods are kept too).
    fn unchanged(&self, record: &Record) -> bool {
        let now = OffsetDateTime::now_utc();
        self.seen.get(&record.id).is_some_and(|seen| {
            seen.data == record.data
                && (seen.expiry_date - now) * 2 > record.expiry_date - now
                && Duration::try_from(record.expiry_date - seen.expiry_date)
                    .is_ok_and(|moved| moved < self.refresh)
        })
    }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for CachedStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await?;
        self.keep(record).await;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if self.unchanged(record) {
            return Ok(());
        }
        self.inner.save(record).await?;
        self.keep(record).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let cached = self
            .cache
            .get_keyed(Namespace::Session, &key(id))
            .await
            .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
            .filter(|record| record.id == *id);
        if let Some(record) = cached {
            if record.expiry_date <= OffsetDateTime::now_utc() {
                return Ok(None);
            }
            self.seen.insert(record.id, Arc::new(record.clone()));
            return Ok(Some(record));
        }
        let loaded = self.inner.load(id).await?;
        if let Some(record) = &loaded {
            self.keep(record).await;
        }
        Ok(loaded)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await?;
        self.seen.invalidate(id);
        self.cache.remove_keyed(&key(id)).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk::cache::CacheConfig;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower_sessions::MemoryStore;

    /// A store that counts its writes.
    #[derive(Debug, Clone, Default)]
    struct Counting {
        store: MemoryStore,
        writes: Arc<AtomicUsize>,
        loads: Arc<AtomicUsize>,
    }

    #[async_trait]
    impl SessionStore for Counting {
        async fn create(&self, record: &mut Record) -> session_store::Result<()> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.store.create(record).await
        }
        async fn save(&self, record: &Record) -> session_store::Result<()> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.store.save(record).await
        }
        async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            self.store.load(id).await
        }
        async fn delete(&self, id: &Id) -> session_store::Result<()> {
            self.store.delete(id).await
        }
    }

    fn cache() -> Cache {
        Cache::new(
            &CacheConfig {
                enabled: true,
                local_max_bytes: 1 << 20,
            },
            None,
        )
    }

    fn record(expires_in: time::Duration) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("auth".to_string(), serde_json::json!({"user": 1}));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn unchanged_sessions_are_read_from_the_cache_and_written_once_per_refresh() {
        let inner = Counting::default();
        let store = CachedStore::new(inner.clone(), cache(), Duration::from_secs(300));
        let mut first = record(time::Duration::hours(8));
        store.create(&mut first).await.unwrap();
        for minute in 0..4 {
            let loaded = store.load(&first.id).await.unwrap().unwrap();
            assert_eq!(loaded.data, first.data);
            let mut moved = loaded.clone();
            moved.expiry_date = first.expiry_date + time::Duration::minutes(minute);
            store.save(&moved).await.unwrap();
        }
        assert_eq!(
            inner.loads.load(Ordering::SeqCst),
            0,
            "every load was cached"
        );
        assert_eq!(inner.writes.load(Ordering::SeqCst), 1, "only the creation");

        // Past the refresh, the expiry is written; a change of data at once.
        // (So is an expiry with less than half the idle period left.)
        let mut later = first.clone();
        later.expiry_date = first.expiry_date + time::Duration::minutes(6);
        store.save(&later).await.unwrap();
        assert_eq!(inner.writes.load(Ordering::SeqCst), 2);
        let mut changed = later.clone();
        changed.data.insert("sid".into(), serde_json::json!("x"));
        store.save(&changed).await.unwrap();
        assert_eq!(inner.writes.load(Ordering::SeqCst), 3);
        assert_eq!(
            store.load(&first.id).await.unwrap().unwrap().data,
            changed.data
        );

        // Deleted: gone from the cache and the store alike.
        store.delete(&first.id).await.unwrap();
        assert!(store.load(&first.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_expiry_with_less_than_half_the_idle_period_left_is_written() {
        let inner = Counting::default();
        let store = CachedStore::new(inner.clone(), cache(), Duration::from_secs(300));
        let mut record = record(time::Duration::seconds(4));
        store.create(&mut record).await.unwrap();
        // Idle 10 s: 4 s left is less than half, though it moved only 6 s.
        let mut moved = record.clone();
        moved.expiry_date = OffsetDateTime::now_utc() + time::Duration::seconds(10);
        store.save(&moved).await.unwrap();
        assert_eq!(inner.writes.load(Ordering::SeqCst), 2);
        // Now 10 s are left of 10: a move of a second is not written.
        let mut again = moved.clone();
        again.expiry_date += time::Duration::seconds(1);
        store.save(&again).await.unwrap();
        assert_eq!(inner.writes.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_expired_cached_record_is_no_session() {
        let store = CachedStore::new(Counting::default(), cache(), Duration::from_secs(300));
        let mut short = record(time::Duration::milliseconds(300));
        store.create(&mut short).await.unwrap();
        assert!(store.load(&short.id).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(store.load(&short.id).await.unwrap().is_none());
    }
}
