//! Concurrent misses for one key compute once per instance: the first caller
//! computes, the others wait for its result. A failed computation is not
//! shared: the next waiter computes itself.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::OnceCell;

type Cell = Arc<OnceCell<Arc<[u8]>>>;

#[derive(Default)]
pub struct SingleFlight {
    calls: Mutex<HashMap<String, Cell>>,
}

impl SingleFlight {
    /// Runs `compute` unless a call for `key` is in flight, whose result is
    /// then returned instead. `Ok((bytes, true))` when this caller computed.
    pub async fn run<E, F, Fut>(&self, key: &str, compute: F) -> Result<(Arc<[u8]>, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<[u8]>, E>>,
    {
        let cell = {
            let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            calls.entry(key.to_string()).or_default().clone()
        };
        let mut computed = false;
        let result = cell
            .get_or_try_init(|| {
                computed = true;
                compute()
            })
            .await
            .cloned();
        if computed {
            let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            if calls.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                calls.remove(key);
            }
        }
        result.map(|bytes| (bytes, computed))
    }

    /// Calls in flight.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_computation() {
        let flight = Arc::new(SingleFlight::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let callers = (0..20).map(|_| {
            let (flight, runs) = (flight.clone(), runs.clone());
            tokio::spawn(async move {
                flight
                    .run::<(), _, _>("k", || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok(Arc::from(&b"v"[..]))
                    })
                    .await
                    .unwrap()
            })
        });
        let results = futures_join(callers).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(results.iter().filter(|(_, computed)| *computed).count(), 1);
        assert!(results.iter().all(|(bytes, _)| &bytes[..] == b"v"));
        assert_eq!(flight.in_flight(), 0, "finished calls are forgotten");
    }

    #[tokio::test]
    async fn a_failure_is_not_shared() {
        let flight = SingleFlight::default();
        let failed = flight
            .run("k", || async { Err::<Arc<[u8]>, _>("down") })
            .await;
        assert_eq!(failed.err(), Some("down"));
        let ok = flight
            .run::<&str, _, _>("k", || async { Ok(Arc::from(&b"v"[..])) })
            .await
            .unwrap();
        assert!(ok.1);
    }

    async fn futures_join<T: Send + 'static>(
        handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for h in handles.collect::<Vec<_>>() {
            out.push(h.await.unwrap());
        }
        out
    }
}
