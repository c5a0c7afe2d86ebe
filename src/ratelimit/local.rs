//! The in-process limiter: the same GCRA buckets, per instance. It decides
//! alone when Redis is not configured or unreachable, and shadows the
//! shared decisions otherwise, so a fallback starts from this instance's
//! recent traffic rather than from zero.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use moka::sync::Cache;

use super::{
    gcra::{self, Outcome},
    policy::Policy,
};

/// The TAT of each window of a key's policy.
type Tats = Arc<Mutex<Vec<u64>>>;

#[derive(Clone)]
pub struct LocalWindows {
    tats: Cache<String, Tats>,
}

impl LocalWindows {
    /// Keys idle for `idle` (the longest window of any policy) are dropped:
    /// by then their buckets are full again.
    pub fn new(max_keys: u64, idle: Duration) -> Self {
        Self {
            tats: Cache::builder()
                .max_capacity(max_keys)
                .time_to_idle(idle)
                .build(),
        }
    }

    fn tats(&self, policy: &Policy, key: &str) -> Tats {
        self.tats
            .get_with_by_ref(key, || Arc::new(Mutex::new(vec![0; policy.tiers.len()])))
    }

    pub fn decide(&self, policy: &Policy, key: &str, now_us: u64) -> Outcome {
        let tats = self.tats(policy, key);
        let mut tats = tats.lock().unwrap_or_else(|e| e.into_inner());
        gcra::decide(&policy.tiers, &mut tats, now_us)
    }

    /// Records a request the shared limiter admitted.
    pub fn record(&self, policy: &Policy, key: &str, now_us: u64) {
        let tats = self.tats(policy, key);
        let mut tats = tats.lock().unwrap_or_else(|e| e.into_inner());
        gcra::record(&policy.tiers, &mut tats, now_us);
    }
}
