//! A scrape of the instance's metrics: what this process counted, and
//! what all instances share (queue, schedules) read from the database now.

use std::time::{Duration, Instant};

use super::{jobs::registry, Deps};
use crate::{
    cache::Namespace,
    jobs::{queue, schedules},
    telemetry::metrics::{PoolReading, Readings, RedisReading},
};

/// How long a scrape waits for the database or Redis.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The statuses every kind reports, 0 included, so graphs and alerts see
/// a series before its first job.
const STATUSES: [&str; 3] = ["pending", "running", "dead"];

/// The OpenMetrics text of one scrape.
pub async fn scrape(deps: &Deps) -> String {
    let registry = registry();
    let env = deps.queue_env();
    let now = deps.clock.now();
    let queue = tokio::time::timeout(READ_TIMEOUT, queue::stats(&deps.pool, now))
        .await
        .ok()
        .and_then(Result::ok)
        .map(|mut queue| {
            for kind in registry.kinds() {
                for status in STATUSES {
                    if !queue.jobs.iter().any(|(k, s, _)| *k == kind && s == status) {
                        queue.jobs.push((kind.to_string(), status.to_string(), 0));
                    }
                }
            }
            queue
        });
    let schedules = tokio::time::timeout(
        READ_TIMEOUT,
        schedules::readings(&env, registry.scheduled()),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    let mailbox_interval = schedules
        .iter()
        .find(|s| s.name == "mailboxes")
        .map(|s| s.interval_seconds);
    let mailboxes = match mailbox_interval {
        Some(interval) => tokio::time::timeout(
            READ_TIMEOUT,
            super::inbox::mailboxes::health(deps, now, interval),
        )
        .await
        .ok()
        .and_then(Result::ok),
        None => None,
    };
    let redis = match &deps.redis {
        Some(redis) => {
            let started = Instant::now();
            let up = redis.ping(READ_TIMEOUT).await.is_ok();
            Some(RedisReading {
                up,
                latency_seconds: up.then(|| started.elapsed().as_secs_f64()),
            })
        }
        None => None,
    };
    let mut outages = vec![deps.storage.outage(), deps.mailer.outage()];
    if let Some(redis) = &deps.redis {
        outages.push(redis.outage());
    }
    let readings = Readings {
        pool: PoolReading {
            size: deps.pool.size(),
            idle: u32::try_from(deps.pool.num_idle()).unwrap_or(u32::MAX),
            max: deps.config.database.max_connections,
            waiting: crate::db::waiting(),
        },
        queue,
        schedules,
        cache: Namespace::ALL
            .iter()
            .map(|&ns| {
                let c = deps.cache.counts(ns);
                (ns.name(), c.hits, c.misses, c.errors)
            })
            .collect(),
        redis,
        outage_errors: outages
            .into_iter()
            .map(|o| (o.part(), o.errors().get()))
            .collect(),
        mailboxes,
    };
    deps.metrics.render(readings).await
}
