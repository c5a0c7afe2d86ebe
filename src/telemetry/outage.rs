//! Outages of an outside part (Redis, file storage, SMTP), told once per
//! episode: the first failure is an error (and so one event in error
//! tracking), the failures after it only count, and the first success
//! after them ends the episode with a line saying how long it lasted.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

use prometheus_client::metrics::counter::Counter;

#[derive(Clone, Debug)]
pub struct Outage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Names the part in the lines and the metrics (`redis`, `storage`, `smtp`).
    part: &'static str,
    /// What staff and clients lose while it lasts.
    effect: &'static str,
    since: Mutex<Option<Instant>>,
    /// Cheap check on the success path, which runs on every request.
    down: AtomicBool,
    errors: Counter,
}

impl Outage {
    pub fn new(part: &'static str, effect: &'static str) -> Self {
        Outage {
            inner: Arc::new(Inner {
                part,
                effect,
                since: Mutex::new(None),
                down: AtomicBool::new(false),
                errors: Counter::default(),
            }),
        }
    }

    pub fn part(&self) -> &'static str {
        self.inner.part
    }

    /// Failures since start (every one, not only the first of an episode).
    pub fn errors(&self) -> &Counter {
        &self.inner.errors
    }

    pub fn is_down(&self) -> bool {
        self.inner.down.load(Ordering::Relaxed)
    }

    /// One failure; begins an episode unless one is in progress.
    pub fn failed(&self, during: &'static str, error: &dyn std::fmt::Display) {
        self.inner.errors.inc();
        let mut since = self.inner.since.lock().unwrap_or_else(|e| e.into_inner());
        if since.is_none() {
            *since = Some(Instant::now());
            self.inner.down.store(true, Ordering::Relaxed);
            tracing::error!(part = self.inner.part, during, %error, "{} unavailable: {}", self.inner.part, self.inner.effect);
        }
    }

    /// One success; ends the episode in progress.
    pub fn succeeded(&self) {
        if !self.inner.down.load(Ordering::Relaxed) {
            return;
        }
        let mut since = self.inner.since.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(began) = since.take() {
            self.inner.down.store(false, Ordering::Relaxed);
            tracing::info!(
                part = self.inner.part,
                outage_ms = began.elapsed().as_millis() as u64,
                "{} is back",
                self.inner.part
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_episode_counts_every_failure_and_ends_on_success() {
        let outage = Outage::new("storage", "client files cannot be read or saved");
        assert!(!outage.is_down());
        outage.failed("read", &"connection refused");
        outage.failed("read", &"connection refused");
        assert!(outage.is_down());
        assert_eq!(outage.errors().get(), 2);
        outage.succeeded();
        assert!(!outage.is_down());
        outage.failed("write", &"timed out");
        assert!(outage.is_down(), "a later failure begins a new episode");
        assert_eq!(outage.errors().get(), 3);
    }
}
