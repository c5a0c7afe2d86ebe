//! `frontdesk bench-limiter`: rate-limit decisions per second and the
//! latency of one decision, against the Redis at `REDIS_URL` (default the
//! local one) and in-process for comparison, at 1, 16 and 64 concurrent
//! callers. Keys are fresh per run and never fill up, so every decision is a
//! full round trip (no remembered denials). Then Redis's memory per key.

use frontdesk::secrecy::ExposeSecret;
use std::time::{Duration, Instant};

use fred::{cmd, interfaces::ClientLike};
use frontdesk::{
    config::Config,
    ratelimit::{Limiter, Policies, Policy, Source},
    redis::Redis,
};

use crate::baseline::{self, Better};

const BENCH: &str = "bench-limiter";
/// Keys for the memory measurement.
const MEMORY_KEYS: usize = 100_000;

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
    let shared = Limiter::new(Policies::defaults(), Some(redis.clone()), timeout);
    let local = Limiter::new(Policies::defaults(), None, timeout);
    println!("rate-limit decisions (GCRA, 1000/min), {DECISIONS} per shared run");
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
            let rate = times.len() as f64 / elapsed.as_secs_f64();
            let (p50, p99) = (
                micros(times[times.len() / 2]),
                micros(times[times.len() * 99 / 100]),
            );
            println!(
                "{:<12} {:>8} {:>14.0} {:>10.0} {:>10.0} {:>10}",
                name, callers, rate, p50, p99, fallbacks
            );
            let figure = |what: &str| format!("{name}, {callers} callers, {what}");
            baseline::record(BENCH, &figure("decisions/s"), rate, "1/s", Better::Higher);
            baseline::record(BENCH, &figure("p50"), p50, "µs", Better::Lower);
            baseline::record(BENCH, &figure("p99"), p99, "µs", Better::Lower);
        }
    }
    memory_per_key(&shared, &redis).await
}

/// Redis memory per rate-limited key: 100,000 keys of a one-window policy,
/// each decided once and then four times more (the state must not grow).
async fn memory_per_key(limiter: &Limiter, redis: &Redis) -> Outcome {
    // An hourly window keeps every key alive while it is measured.
    let policy = Policy::parse("api", "1000/h").ok_or("policy")?;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let used = || async {
        let info: String = redis
            .pool()
            .next()
            .custom(cmd!("INFO"), vec!["memory"])
            .await?;
        info.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| Box::<dyn std::error::Error>::from("INFO memory has no used_memory"))
    };
    let decide_all = |round: usize| {
        let (limiter, policy, run) = (limiter.clone(), policy.clone(), run.clone());
        async move {
            let tasks: Vec<_> = (0..64)
                .map(|caller| {
                    let (limiter, policy, run) = (limiter.clone(), policy.clone(), run.clone());
                    tokio::spawn(async move {
                        for i in (caller..MEMORY_KEYS).step_by(64) {
                            let decision = limiter.check(&policy, &format!("mem:{run}:{i}")).await;
                            if decision.source != Source::Shared || !decision.allowed {
                                return Err(format!("round {round}, key {i}: {decision:?}"));
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            Ok::<_, Box<dyn std::error::Error>>(())
        }
    };
    let before = used().await?;
    decide_all(1).await?;
    let once = used().await?;
    for round in 2..=5 {
        decide_all(round).await?;
    }
    let five = used().await?;
    let per_key = |after: f64| (after - before) / MEMORY_KEYS as f64;
    println!(
        "Redis memory per key ({MEMORY_KEYS} keys, one window): {:.0} bytes after one decision each, {:.0} after five",
        per_key(once),
        per_key(five)
    );
    baseline::record(
        BENCH,
        "Redis bytes per key",
        per_key(five),
        "B",
        Better::Lower,
    );
    // The keys would expire within the hour; the bench leaves nothing behind.
    let client = redis.pool().next();
    let keys: Vec<String> = (0..MEMORY_KEYS)
        .map(|i| {
            format!(
                "fd:rl:{{api:mem:{run}:{i}}}:{}",
                policy.tiers[0].window_ms()
            )
        })
        .collect();
    for chunk in keys.chunks(1000) {
        let _: i64 = client.custom(cmd!("UNLINK"), chunk.to_vec()).await?;
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
