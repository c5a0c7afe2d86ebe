//! Live updates: changes committed anywhere reach every instance's open
//! pages.
//!
//! The unit of work writes a row per change to the outbox
//! ([`outbox::write`]) and notifies, both in the change's transaction. Each
//! instance runs one [`listener::listen`], which reads the new rows after a
//! notification, drops the cached values they may have made stale, and
//! hands them to its [`Hub`]; the hub fans them out in
//! memory to the instance's streams. After the listener loses its
//! connection it sends [`Signal::Resync`]: what was committed meanwhile is
//! not pretended away.

pub mod config;
pub mod listener;
pub mod outbox;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::domain::live::Change;

/// One committed change, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Increases in commit order (see the migration).
    pub id: i64,
    pub tenant: Uuid,
    pub change: Change,
}

/// What the hub sends to every stream of its instance.
#[derive(Debug, Clone)]
pub enum Signal {
    Change(Arc<Event>),
    /// Changes may have been missed: reload what is shown.
    Resync,
}

/// How many signals a stream may fall behind before it is dropped (with
/// "resync"). The buffer is shared by all streams, so memory stays bounded
/// however slowly one reads.
const BUFFER: usize = 1024;

/// The instance's fan-out, its count of open streams and its shutdown.
#[derive(Clone)]
pub struct Hub {
    signals: broadcast::Sender<Signal>,
    closing: watch::Sender<bool>,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            signals: broadcast::channel(BUFFER).0,
            closing: watch::channel(false).0,
            open: Arc::default(),
        }
    }

    /// Sends `signal` to every stream open now (none: nothing happens).
    pub fn send(&self, signal: Signal) {
        let _ = self.signals.send(signal);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.signals.subscribe()
    }

    /// Ends every stream (the instance is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Hub::close`] has been called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Counts a stream under each of `keys` (a session, an address), unless
    /// one of them has `limit` streams open already; the stream is counted
    /// until the returned guard drops.
    pub fn admit(&self, keys: &[(String, usize)]) -> Result<StreamGuard, String> {
        let mut open = self.open.lock().expect("stream counts");
        if let Some((key, _)) = keys
            .iter()
            .find(|(key, limit)| open.get(key).copied().unwrap_or(0) >= *limit)
        {
            return Err(key.clone());
        }
        for (key, _) in keys {
            *open.entry(key.clone()).or_default() += 1;
        }
        Ok(StreamGuard {
            keys: keys.iter().map(|(key, _)| key.clone()).collect(),
            open: self.open.clone(),
        })
    }

    /// Open streams on this instance.
    pub fn streams(&self) -> usize {
        self.signals.receiver_count()
    }
}

/// Keeps a stream counted against its limits while it is open.
pub struct StreamGuard {
    keys: Vec<String>,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("stream counts");
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_limited_per_key_until_they_close() {
        let hub = Hub::new();
        let keys = |s: &str| vec![(format!("session:{s}"), 2), ("address:a".to_string(), 3)];
        let first = hub.admit(&keys("1")).unwrap();
        let _second = hub.admit(&keys("1")).unwrap();
        assert_eq!(hub.admit(&keys("1")).err().as_deref(), Some("session:1"));
        let _third = hub.admit(&keys("2")).unwrap();
        assert_eq!(hub.admit(&keys("3")).err().as_deref(), Some("address:a"));
        drop(first);
        assert!(hub.admit(&keys("1")).is_ok());
    }
}
