//! Hit, miss and error counts per namespace.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::Namespace;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

/// Counts since start; [`Stats::snapshot`] reads them.
#[derive(Default)]
pub struct Stats {
    by_namespace: [Counters; Namespace::ALL.len()],
}

/// One namespace's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub hits: u64,
    pub misses: u64,
    /// Redis failures, and values that did not decode.
    pub errors: u64,
}

impl Stats {
    pub fn hit(&self, ns: Namespace) {
        self.by_namespace[ns as usize].hits.fetch_add(1, Relaxed);
    }
    pub fn miss(&self, ns: Namespace) {
        self.by_namespace[ns as usize].misses.fetch_add(1, Relaxed);
    }
    pub fn error(&self, ns: Namespace) {
        self.by_namespace[ns as usize].errors.fetch_add(1, Relaxed);
    }

    pub fn get(&self, ns: Namespace) -> Counts {
        let c = &self.by_namespace[ns as usize];
        Counts {
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            errors: c.errors.load(Relaxed),
        }
    }

    pub fn snapshot(&self) -> Vec<(Namespace, Counts)> {
        Namespace::ALL
            .iter()
            .map(|&ns| (ns, self.get(ns)))
            .collect()
    }
}
