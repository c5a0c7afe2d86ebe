//! The time background work runs by. Always the system clock in service;
//! tests move it to run schedules and reminders at chosen instants (days
//! ahead, across daylight-saving changes) without waiting.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Added to the system time; zero unless a test moved the clock.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Makes `now()` read `at` from this moment on (time keeps flowing).
    pub fn travel_to(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travelling_moves_now_and_time_keeps_flowing() {
        let clock = Clock::default();
        assert!((clock.now() - Utc::now()).num_milliseconds().abs() < 50);
        let target = Utc::now() + chrono::Duration::days(120);
        clock.travel_to(target);
        let read = clock.now();
        assert!(
            (read - target).num_milliseconds().abs() < 50,
            "{read} vs {target}"
        );
        assert!(clock.clone().now() >= read, "clones share the offset");
    }
}
