//! The sliding-window log: a request is admitted when, in every window of
//! its policy, fewer than `limit` requests were admitted in the last
//! `window`. Exact ("at most 100 in any minute"), and a denied request does
//! not count. `sliding_window.lua` runs the same steps inside Redis.

use std::collections::VecDeque;

use super::policy::Tier;

/// What one decision found; times in milliseconds from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub allowed: bool,
    /// The window reported: the one that denied, else the one with least room.
    pub tier: usize,
    pub remaining: u32,
    /// Until the reported window has room for one more.
    pub reset_ms: u64,
    /// Until a denied request could be admitted (0 when admitted).
    pub retry_ms: u64,
}

/// Decides at `now` (ms) over `logs[i]`, the ascending admission times of
/// `tiers[i]`, and records the request when admitted.
pub fn decide(tiers: &[Tier], logs: &mut [VecDeque<u64>], now: u64) -> Outcome {
    for (tier, log) in tiers.iter().zip(logs.iter_mut()) {
        while log.front().is_some_and(|t| t + tier.window_ms() <= now) {
            log.pop_front();
        }
    }
    // The longest wait among full windows decides when to retry.
    let mut denied: Option<(usize, u64)> = None;
    for (i, (tier, log)) in tiers.iter().zip(logs.iter()).enumerate() {
        let limit = tier.limit as usize;
        if log.len() >= limit {
            let wait = log[log.len() - limit] + tier.window_ms() - now;
            if denied.is_none_or(|(_, w)| wait > w) {
                denied = Some((i, wait));
            }
        }
    }
    if let Some((tier, wait)) = denied {
        return Outcome {
            allowed: false,
            tier,
            remaining: 0,
            reset_ms: wait,
            retry_ms: wait,
        };
    }
    let mut report: Option<Outcome> = None;
    for (i, (tier, log)) in tiers.iter().zip(logs.iter_mut()).enumerate() {
        log.push_back(now);
        let remaining = tier.limit - log.len() as u32;
        let reset_ms = log.front().map_or(0, |t| t + tier.window_ms() - now);
        if report.is_none_or(|r| remaining < r.remaining) {
            report = Some(Outcome {
                allowed: true,
                tier: i,
                remaining,
                reset_ms,
                retry_ms: 0,
            });
        }
    }
    report.expect("a policy has at least one window")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn tier(limit: u32, secs: u64) -> Tier {
        Tier {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn admits_the_limit_then_denies_until_the_oldest_leaves() {
        let tiers = [tier(3, 10)];
        let mut logs = vec![VecDeque::new()];
        let remaining: Vec<u32> = [0, 1000, 2000]
            .iter()
            .map(|&t| {
                let o = decide(&tiers, &mut logs, t);
                assert!(o.allowed);
                o.remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let denied = decide(&tiers, &mut logs, 5000);
        assert!(!denied.allowed);
        assert_eq!(denied.retry_ms, 5000, "the first leaves at 10 000 ms");
        // A denial is not recorded: at 10 000 exactly one slot is free.
        assert!(decide(&tiers, &mut logs, 10_000).allowed);
        assert!(!decide(&tiers, &mut logs, 10_001).allowed);
    }

    #[test]
    fn a_burst_window_and_a_sustained_window_both_hold() {
        // 2 a second, 3 in ten seconds.
        let tiers = [tier(2, 1), tier(3, 10)];
        let mut logs = vec![VecDeque::new(), VecDeque::new()];
        assert!(decide(&tiers, &mut logs, 0).allowed);
        assert!(decide(&tiers, &mut logs, 1).allowed);
        let burst = decide(&tiers, &mut logs, 2);
        assert!(!burst.allowed);
        assert_eq!((burst.tier, burst.retry_ms), (0, 998));
        assert!(decide(&tiers, &mut logs, 1000).allowed);
        let sustained = decide(&tiers, &mut logs, 2000);
        assert!(!sustained.allowed);
        assert_eq!((sustained.tier, sustained.retry_ms), (1, 8000));
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        // Requests every 7 ms for 5 s against 50 per second.
        let tiers = [tier(50, 1)];
        let mut logs = vec![VecDeque::new()];
        let admitted: Vec<u64> = (0..5000u64)
            .step_by(7)
            .filter(|&t| decide(&tiers, &mut logs, t).allowed)
            .collect();
        for (i, &t) in admitted.iter().enumerate() {
            let in_window = admitted[i..].iter().take_while(|&&u| u < t + 1000).count();
            assert!(
                in_window <= 50,
                "{in_window} admitted in the second from {t}"
            );
        }
        // And nothing was wrongly refused: 50 in each of the five seconds.
        assert_eq!(admitted.len(), 250);
    }
}
