//! `frontdesk bench-limiter`: rate-limit decisions per second and the
//! latency of one decision, against the Redis at `REDIS_URL` (default the
//! local one) and in-process for comparison, at 1, 16 and 64 concurrent
//! callers. Keys are fresh per run and never fill up, so every decision is a
//! full round trip (no remembered denials).

use frontdesk::secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use frontdesk::{
    config::Config,
    ratelimit::{Limiter, Policies, Policy, Source},
    redis::Redis,
};

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Decisions per measurement (shared); in-process runs ten times as many.
const DECISIONS: usize = 24_000;
/// Decisions per key: below the policy's limit, so none is denied.
const PER_KEY: usize = 500;

pub async fn run(config: Config) -> Outcome {
    let url = config
        .redis
        .url
        .clone()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let redis = Redis::connect(&config.redis, url.expose_secret())?;
    if !redis.wait_until_connected(Duration::from_secs(5)).await {
        return Err("Redis at REDIS_URL (default 127.0.0.1:6379) does not answer".into());
    }
    let policy = Policy::parse("api", "1000/min").ok_or("policy")?;
    let timeout = config.rate_limit.redis_timeout;
    let shared = Limiter::new(Policies::defaults(), Some(redis), timeout);
    let local = Limiter::new(Policies::defaults(), None, timeout);
    println!("rate-limit decisions (sliding window, 1000/min), {DECISIONS} per shared run");
    println!(
        "{:<12} {:>8} {:>14} {:>10} {:>10} {:>10}",
        "limiter", "callers", "decisions/s", "p50 µs", "p99 µs", "fallbacks"
    );
    for (name, limiter, total) in [
        ("Redis", &shared, DECISIONS),
        ("in-process", &local, DECISIONS * 10),
    ] {
        for callers in [1usize, 16, 64] {
            let run = uuid::Uuid::now_v7().simple().to_string();
            let started = Instant::now();
            let tasks: Vec<_> = (0..callers)
                .map(|caller| {
                    let (limiter, policy, run) = (limiter.clone(), policy.clone(), run.clone());
                    tokio::spawn(async move {
                        let mut times = Vec::with_capacity(total / callers);
                        let mut fallbacks = 0usize;
                        for i in 0..total / callers {
                            let key = format!("bench:{run}:{caller}:{}", i / PER_KEY);
                            let t = Instant::now();
                            let decision = limiter.check(&policy, &key).await;
                            times.push(t.elapsed());
                            if !decision.allowed {
                                return Err(format!("denied below the limit: {decision:?}"));
                            }
                            fallbacks +=
                                usize::from(name == "Redis" && decision.source != Source::Shared);
                        }
                        Ok((times, fallbacks))
                    })
                })
                .collect();
            let mut times = Vec::with_capacity(total);
            let mut fallbacks = 0;
            for task in tasks {
                let (t, f) = task.await??;
                times.extend(t);
                fallbacks += f;
            }
            let elapsed = started.elapsed();
            times.sort();
            println!(
                "{:<12} {:>8} {:>14.0} {:>10.0} {:>10.0} {:>10}",
                name,
                callers,
                times.len() as f64 / elapsed.as_secs_f64(),
                micros(times[times.len() / 2]),
                micros(times[times.len() * 99 / 100]),
                fallbacks
            );
        }
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
