//! The in-process limiter: the same sliding windows, per instance. It
//! decides alone when Redis is not configured or unreachable, and shadows
//! the shared decisions otherwise, so a fallback starts from this
//! instance's recent traffic rather than from zero.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use moka::sync::Cache;

use super::{
    policy::Policy,
    window::{decide, Outcome},
};

type Logs = Arc<Mutex<Vec<VecDeque<u64>>>>;

#[derive(Clone)]
pub struct LocalWindows {
    logs: Cache<String, Logs>,
}

impl LocalWindows {
    /// Keys idle for `idle` (the longest window of any policy) are dropped.
    pub fn new(max_keys: u64, idle: Duration) -> Self {
        Self {
            logs: Cache::builder()
                .max_capacity(max_keys)
                .time_to_idle(idle)
                .build(),
        }
    }

    fn logs(&self, policy: &Policy, key: &str) -> Logs {
        self.logs.get_with_by_ref(key, || {
            Arc::new(Mutex::new(vec![VecDeque::new(); policy.tiers.len()]))
        })
    }

    pub fn decide(&self, policy: &Policy, key: &str, now_ms: u64) -> Outcome {
        let logs = self.logs(policy, key);
        let mut logs = logs.lock().unwrap_or_else(|e| e.into_inner());
        decide(&policy.tiers, &mut logs, now_ms)
    }

    /// Records a request the shared limiter admitted.
    pub fn record(&self, policy: &Policy, key: &str, now_ms: u64) {
        let logs = self.logs(policy, key);
        let mut logs = logs.lock().unwrap_or_else(|e| e.into_inner());
        for (tier, log) in policy.tiers.iter().zip(logs.iter_mut()) {
            while log.front().is_some_and(|t| t + tier.window_ms() <= now_ms) {
                log.pop_front();
            }
            if log.len() < tier.limit as usize {
                log.push_back(now_ms);
            }
        }
    }
}
