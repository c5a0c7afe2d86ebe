//! GCRA, the generic cell rate algorithm: each window of a policy is a
//! bucket of `limit` requests that refills evenly, one request every
//! `window / limit`. Its whole state is one number per window, the
//! theoretical arrival time (TAT): when the bucket will be full again. A
//! request fits when paying for it keeps the TAT within one window of now;
//! a denied request changes nothing. Memory stays constant per key however
//! many requests arrive. `gcra.lua` runs the same steps inside Redis.
//!
//! So "100/min" admits a burst of 100, then one every 600 ms. Over any span
//! of `t`, at most `limit + t / interval` requests are admitted.

use super::policy::Tier;

/// What one decision found; times in milliseconds from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub allowed: bool,
    /// The window reported: the one that denied, else the one with least room.
    pub tier: usize,
    pub remaining: u32,
    /// Until the reported window's bucket is full again.
    pub reset_ms: u64,
    /// Until a denied request could be admitted (0 when admitted).
    pub retry_ms: u64,
}

impl Tier {
    /// The window in microseconds, GCRA's unit (exact in Lua's doubles).
    pub fn window_us(&self) -> u64 {
        self.window.as_micros() as u64
    }

    /// How often the bucket gains one request, in microseconds.
    pub fn interval_us(&self) -> u64 {
        self.window_us() / u64::from(self.limit)
    }
}

fn ceil_ms(us: u64) -> u64 {
    us.div_ceil(1000)
}

/// Decides at `now` (µs) over `tats[i]`, the TAT of `tiers[i]` (0 for a
/// fresh key), and moves the TATs when the request is admitted.
pub fn decide(tiers: &[Tier], tats: &mut [u64], now: u64) -> Outcome {
    // The longest wait among full windows decides when to retry.
    let mut denied: Option<(usize, u64)> = None;
    for (i, (tier, &tat)) in tiers.iter().zip(tats.iter()).enumerate() {
        let next = tat.max(now) + tier.interval_us();
        if next > now + tier.window_us() {
            let wait = next - tier.window_us() - now;
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
            reset_ms: ceil_ms(wait),
            retry_ms: ceil_ms(wait),
        };
    }
    let mut report: Option<Outcome> = None;
    for (i, (tier, tat)) in tiers.iter().zip(tats.iter_mut()).enumerate() {
        *tat = (*tat).max(now) + tier.interval_us();
        let room = now + tier.window_us() - *tat;
        let remaining = (room / tier.interval_us()).min(u64::from(tier.limit)) as u32;
        if report.is_none_or(|r| remaining < r.remaining) {
            report = Some(Outcome {
                allowed: true,
                tier: i,
                remaining,
                reset_ms: ceil_ms(*tat - now),
                retry_ms: 0,
            });
        }
    }
    report.expect("a policy has at least one window")
}

/// Pays for a request admitted elsewhere (the shared limiter), without
/// letting the bucket go below empty.
pub fn record(tiers: &[Tier], tats: &mut [u64], now: u64) {
    for (tier, tat) in tiers.iter().zip(tats.iter_mut()) {
        *tat = ((*tat).max(now) + tier.interval_us()).min(now + tier.window_us());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MS: u64 = 1000;

    fn tier(limit: u32, secs: u64) -> Tier {
        Tier {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn admits_a_burst_of_the_limit_then_one_per_interval() {
        // 3 in ten seconds: a burst of 3, then one every 3 333 ms.
        let tiers = [tier(3, 10)];
        let mut tats = [0];
        let remaining: Vec<u32> = [0, 1000, 2000]
            .iter()
            .map(|&t| {
                let o = decide(&tiers, &mut tats, t * MS);
                assert!(o.allowed);
                o.remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let denied = decide(&tiers, &mut tats, 2500 * MS);
        assert!(!denied.allowed);
        // Three paid from 0: the bucket has room for one at 3 333 ms.
        assert_eq!(denied.retry_ms, 834);
        // A denial changes nothing: at 3 334 exactly one fits.
        assert!(decide(&tiers, &mut tats, 3334 * MS).allowed);
        assert!(!decide(&tiers, &mut tats, 3335 * MS).allowed);
    }

    #[test]
    fn a_burst_window_and_a_sustained_window_both_hold() {
        // 2 a second, 3 in ten seconds.
        let tiers = [tier(2, 1), tier(3, 10)];
        let mut tats = [0, 0];
        assert!(decide(&tiers, &mut tats, 0).allowed);
        assert!(decide(&tiers, &mut tats, MS).allowed);
        let burst = decide(&tiers, &mut tats, 2 * MS);
        assert!(!burst.allowed);
        assert_eq!((burst.tier, burst.retry_ms), (0, 498));
        assert!(decide(&tiers, &mut tats, 1000 * MS).allowed);
        let sustained = decide(&tiers, &mut tats, 2000 * MS);
        assert!(!sustained.allowed);
        // The sustained bucket paid 3 × 3 333 ms from 0; one fits at 3 333.
        assert_eq!(sustained.tier, 1);
        assert_eq!(sustained.retry_ms, 1334);
    }

    #[test]
    fn never_more_than_the_burst_plus_the_refill_over_any_span() {
        // Requests every 7 ms for 5 s against 50 per second.
        let tiers = [tier(50, 1)];
        let interval = tiers[0].interval_us();
        let mut tats = [0];
        let admitted: Vec<u64> = (0..5000u64)
            .step_by(7)
            .map(|t| t * MS)
            .filter(|&t| decide(&tiers, &mut tats, t).allowed)
            .collect();
        for (i, &from) in admitted.iter().enumerate() {
            for (j, &to) in admitted.iter().enumerate().skip(i) {
                let allowed = 50 + (to - from) / interval;
                assert!(
                    (j - i + 1) as u64 <= allowed,
                    "{} admitted between {from} and {to} µs",
                    j - i + 1
                );
            }
        }
        // Nothing was wrongly refused: the burst, then one per 20 ms.
        assert_eq!(admitted.len(), 50 + (4998 * MS / interval) as usize);
    }

    #[test]
    fn recording_pays_but_never_past_an_empty_bucket() {
        let tiers = [tier(2, 10)];
        let mut tats = [0];
        for _ in 0..5 {
            record(&tiers, &mut tats, 0);
        }
        assert_eq!(tats[0], 10_000 * MS, "no more than one window of debt");
        let denied = decide(&tiers, &mut tats, 0);
        assert_eq!(denied.retry_ms, 5000);
    }
}
