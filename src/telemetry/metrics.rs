//! The instance's Prometheus metrics (`GET /metrics`, OpenMetrics text).
//!
//! What happens in this process (requests, rate-limit decisions, cache use,
//! outages, slow statements) is counted as it happens. What every instance
//! shares (the job queue, the schedules) is read from the database when
//! scraped, so each instance reports the same truth; see [`Readings`].

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram, info::Info},
    registry::{Registry, Unit},
};

use super::error_tracking::RELEASE;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `route` of a request no route matched: random addresses share it,
/// so they cannot grow the number of series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Slow statements in this process (counted by the log layer that sees
/// sqlx's slow-statement warnings, which knows no app).
static SLOW_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// sqlx warned of a statement slower than `DATABASE_SLOW_STATEMENT_MS`.
pub fn count_slow_statement() {
    SLOW_STATEMENTS.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The matched route's pattern (`/clients/{id}`), never the raw path.
    pub route: String,
    /// `2xx`, `4xx`...
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub policy: String,
    /// `allowed` or `refused`.
    pub outcome: String,
    /// `redis` (shared), `in_process` (no Redis, or Redis down) or
    /// `remembered` (a refusal this instance remembers).
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NamespaceLabels {
    namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScheduleLabels {
    schedule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartLabels {
    part: String,
}

/// What is read when scraped.
#[derive(Debug, Default)]
pub struct Readings {
    pub pool: PoolReading,
    /// `None` when the database did not answer.
    pub queue: Option<QueueReading>,
    pub schedules: Vec<ScheduleReading>,
    /// Hits, misses and errors so far per cache namespace.
    pub cache: Vec<(&'static str, u64, u64, u64)>,
    /// `None` without `REDIS_URL`.
    pub redis: Option<RedisReading>,
    /// Failures so far per outside part (`storage`, `smtp`, `redis`).
    pub outage_errors: Vec<(&'static str, u64)>,
    /// `None` when the database did not answer.
    pub mailboxes: Option<MailboxReading>,
}

/// The inbox's mailboxes, across businesses.
#[derive(Debug, Default)]
pub struct MailboxReading {
    /// Mailboxes per sync state.
    pub by_state: Vec<(String, i64)>,
    /// Mailboxes not synced for three intervals of the `mailboxes` schedule.
    pub overdue: i64,
}

#[derive(Debug, Default)]
pub struct PoolReading {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    /// Requests waiting for a connection.
    pub waiting: u64,
}

#[derive(Debug, Default)]
pub struct QueueReading {
    /// Jobs per kind and status (`pending`, `running`, `dead`).
    pub jobs: Vec<(String, String, i64)>,
    /// How long the oldest due, unclaimed job has waited.
    pub oldest_ready_seconds: f64,
}

#[derive(Debug)]
pub struct ScheduleReading {
    pub name: String,
    /// `None` when it never fired.
    pub seconds_since_last_run: Option<f64>,
    /// The gap between two of its slots.
    pub interval_seconds: f64,
}

#[derive(Debug)]
pub struct RedisReading {
    pub up: bool,
    /// A PING's round trip, when it answered.
    pub latency_seconds: Option<f64>,
}

#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    in_flight: Gauge,
    decisions: Family<DecisionLabels, Counter>,
    slow_statements: Counter,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    pool_waiting: Gauge,
    database_up: Gauge,
    jobs: Family<JobLabels, Gauge>,
    oldest_ready: Gauge<f64, AtomicU64>,
    since_last_run: Family<ScheduleLabels, Gauge<f64, AtomicU64>>,
    schedule_interval: Family<ScheduleLabels, Gauge<f64, AtomicU64>>,
    cache_hits: Family<NamespaceLabels, Counter>,
    cache_misses: Family<NamespaceLabels, Counter>,
    cache_errors: Family<NamespaceLabels, Counter>,
    redis_up: Gauge,
    redis_latency: Gauge<f64, AtomicU64>,
    outage_errors: Family<PartLabels, Counter>,
    mailboxes: Family<StateLabels, Gauge>,
    mailboxes_overdue: Gauge,
    /// One scrape at a time: the readings replace the previous ones.
    scrape: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("frontdesk");
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        registry.register_with_unit(
            "http_request_duration",
            "HTTP requests by method, matched route and status class",
            Unit::Seconds,
            requests.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served",
            in_flight.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "rate_limit_decisions",
            "Rate-limit decisions by policy, outcome and where they were made",
            decisions.clone(),
        );
        let slow_statements = Counter::default();
        registry.register(
            "db_slow_statements",
            "Statements slower than DATABASE_SLOW_STATEMENT_MS",
            slow_statements.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let pool_size = gauge(
            &mut registry,
            "db_pool_connections",
            "Open database connections",
        );
        let pool_idle = gauge(&mut registry, "db_pool_idle", "Idle database connections");
        let pool_max = gauge(&mut registry, "db_pool_max", "DATABASE_MAX_CONNECTIONS");
        let pool_waiting = gauge(
            &mut registry,
            "db_pool_waiting",
            "Requests waiting for a database connection",
        );
        let database_up = gauge(
            &mut registry,
            "db_up",
            "Whether the database answered the scrape's queries",
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register("jobs", "Jobs by kind and status", jobs.clone());
        let oldest_ready = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "jobs_oldest_ready_age",
            "How long the oldest due job has waited to be claimed",
            Unit::Seconds,
            oldest_ready.clone(),
        );
        let since_last_run = Family::<ScheduleLabels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "schedule_since_last_run",
            "Time since each schedule last fired",
            Unit::Seconds,
            since_last_run.clone(),
        );
        let schedule_interval = Family::<ScheduleLabels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "schedule_interval",
            "The gap between two firings of each schedule",
            Unit::Seconds,
            schedule_interval.clone(),
        );
        let mailboxes = Family::<StateLabels, Gauge>::default();
        registry.register(
            "mailboxes",
            "Connected mailboxes by sync state",
            mailboxes.clone(),
        );
        let mailboxes_overdue = Gauge::default();
        registry.register(
            "mailboxes_overdue",
            "Mailboxes (not disabled) that have not synced for three intervals of the mailboxes schedule",
            mailboxes_overdue.clone(),
        );
        let counters = |registry: &mut Registry, name: &str, help: &str| {
            let family = Family::<NamespaceLabels, Counter>::default();
            registry.register(name, help, family.clone());
            family
        };
        let cache_hits = counters(&mut registry, "cache_hits", "Cache hits per namespace");
        let cache_misses = counters(&mut registry, "cache_misses", "Cache misses per namespace");
        let cache_errors = counters(
            &mut registry,
            "cache_errors",
            "Cache failures (Redis errors, undecodable values) per namespace",
        );
        let redis_up = gauge(&mut registry, "redis_up", "Whether Redis answered a PING");
        let redis_latency = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "redis_ping",
            "Round trip of a PING to Redis",
            Unit::Seconds,
            redis_latency.clone(),
        );
        let outage_errors = Family::<PartLabels, Counter>::default();
        registry.register(
            "dependency_errors",
            "Failures of Redis, file storage and SMTP",
            outage_errors.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(vec![
                ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
                ("release".to_string(), RELEASE.to_string()),
            ]),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                requests,
                in_flight,
                decisions,
                slow_statements,
                pool_size,
                pool_idle,
                pool_max,
                pool_waiting,
                database_up,
                jobs,
                oldest_ready,
                since_last_run,
                schedule_interval,
                cache_hits,
                cache_misses,
                cache_errors,
                redis_up,
                redis_latency,
                outage_errors,
                mailboxes,
                mailboxes_overdue,
                scrape: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// One request served.
    pub fn observe_request(&self, labels: &RequestLabels, seconds: f64) {
        self.inner.requests.get_or_create(labels).observe(seconds);
    }

    /// Counts a request as in flight until the guard is dropped (also when
    /// the client goes away and the request is cancelled).
    pub fn in_flight(&self) -> InFlight {
        self.inner.in_flight.inc();
        InFlight(self.inner.in_flight.clone())
    }

    /// One rate-limit decision.
    pub fn decided(&self, policy: &str, allowed: bool, source: &'static str) {
        self.inner
            .decisions
            .get_or_create(&DecisionLabels {
                policy: policy.to_string(),
                outcome: if allowed { "allowed" } else { "refused" }.to_string(),
                source: source.to_string(),
            })
            .inc();
    }

    /// The text of a scrape, with `readings` taken just before.
    pub async fn render(&self, readings: Readings) -> String {
        let _one_at_a_time = self.inner.scrape.lock().await;
        let m = &self.inner;
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        m.pool_size.set(readings.pool.size.into());
        m.pool_idle.set(readings.pool.idle.into());
        m.pool_max.set(readings.pool.max.into());
        m.pool_waiting.set(to_i64(readings.pool.waiting));
        catch_up(&m.slow_statements, SLOW_STATEMENTS.load(Ordering::Relaxed));
        m.database_up.set(i64::from(readings.queue.is_some()));
        // A kind and status that emptied must read 0, not keep its old count.
        m.jobs.clear();
        if let Some(queue) = &readings.queue {
            for (kind, status, count) in &queue.jobs {
                m.jobs
                    .get_or_create(&JobLabels {
                        kind: kind.clone(),
                        status: status.clone(),
                    })
                    .set(*count);
            }
            m.oldest_ready.set(queue.oldest_ready_seconds);
        }
        for schedule in &readings.schedules {
            let labels = ScheduleLabels {
                schedule: schedule.name.clone(),
            };
            // Never fired: no series (the stall alert looks for an
            // interval without one). The text format has no infinity.
            match schedule.seconds_since_last_run {
                Some(seconds) => {
                    m.since_last_run.get_or_create(&labels).set(seconds);
                }
                None => {
                    m.since_last_run.remove(&labels);
                }
            }
            m.schedule_interval
                .get_or_create(&labels)
                .set(schedule.interval_seconds);
        }
        m.mailboxes.clear();
        if let Some(mailboxes) = &readings.mailboxes {
            for (state, count) in &mailboxes.by_state {
                m.mailboxes
                    .get_or_create(&StateLabels {
                        state: state.clone(),
                    })
                    .set(*count);
            }
            m.mailboxes_overdue.set(mailboxes.overdue);
        }
        for &(namespace, hits, misses, errors) in &readings.cache {
            let labels = NamespaceLabels {
                namespace: namespace.to_string(),
            };
            catch_up(&m.cache_hits.get_or_create(&labels), hits);
            catch_up(&m.cache_misses.get_or_create(&labels), misses);
            catch_up(&m.cache_errors.get_or_create(&labels), errors);
        }
        if let Some(redis) = &readings.redis {
            m.redis_up.set(i64::from(redis.up));
            m.redis_latency
                .set(redis.latency_seconds.unwrap_or(f64::NAN));
        }
        for &(part, errors) in &readings.outage_errors {
            let labels = PartLabels {
                part: part.to_string(),
            };
            catch_up(&m.outage_errors.get_or_create(&labels), errors);
        }
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &m.registry) {
            tracing::warn!(error = %err, "metrics: the scrape could not be written whole");
        }
        text
    }
}

/// Brings a counter up to a total counted elsewhere.
fn catch_up(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

/// See [`Metrics::in_flight`].
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `200` → `2xx`.
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scrape_reports_requests_jobs_and_schedules_by_their_labels() {
        let metrics = Metrics::new();
        let labels = RequestLabels {
            method: "GET".into(),
            route: "/clients/{id}".into(),
            status: status_class(404).into(),
        };
        metrics.observe_request(&labels, 0.003);
        metrics.decided("api", false, "redis");
        let guard = metrics.in_flight();
        let readings = Readings {
            queue: Some(QueueReading {
                jobs: vec![("email.send".into(), "dead".into(), 2)],
                oldest_ready_seconds: 1.5,
            }),
            schedules: vec![ScheduleReading {
                name: "reminders".into(),
                seconds_since_last_run: Some(30.0),
                interval_seconds: 60.0,
            }],
            ..Readings::default()
        };
        let text = metrics.render(readings).await;
        drop(guard);
        for line in [
            r#"frontdesk_http_request_duration_seconds_count{method="GET",route="/clients/{id}",status="4xx"} 1"#,
            "frontdesk_http_requests_in_flight 1",
            r#"frontdesk_rate_limit_decisions_total{policy="api",outcome="refused",source="redis"} 1"#,
            r#"frontdesk_jobs{kind="email.send",status="dead"} 2"#,
            "frontdesk_jobs_oldest_ready_age_seconds 1.5",
            r#"frontdesk_schedule_since_last_run_seconds{schedule="reminders"} 30.0"#,
            r#"frontdesk_schedule_interval_seconds{schedule="reminders"} 60.0"#,
            "frontdesk_db_up 1",
        ] {
            assert!(text.contains(line), "no `{line}` in:\n{text}");
        }
        assert!(text.contains("frontdesk_build_info{version="), "{text}");

        // A kind whose jobs were all handled reads nothing, not its old count.
        let text = metrics
            .render(Readings {
                queue: Some(QueueReading::default()),
                ..Readings::default()
            })
            .await;
        assert!(!text.contains(r#"status="dead""#), "{text}");
        assert!(
            text.contains("frontdesk_http_requests_in_flight 0"),
            "{text}"
        );
    }

    #[test]
    fn statuses_fall_in_their_class() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(503), "5xx");
    }
}
