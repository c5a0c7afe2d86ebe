//! Schedules: cron expressions from the configuration. Every instance runs
//! the scheduler; a slot is fired by whichever inserts its `schedule_runs`
//! row first, in the transaction that enqueues the slot's job, so each slot
//! fires exactly once. After downtime only the latest missed slot fires.

use std::{collections::HashMap, str::FromStr, time::Duration};

use chrono::{DateTime, Utc};
use croner::Cron;
use uuid::Uuid;

use super::JobsConfig;
use super::{queue, QueueEnv, Tick};
use crate::{db, domain::background::ScheduleView};

/// A schedule and the job kind it enqueues.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub expression: String,
    pub cron: Cron,
    pub kind: &'static str,
}

pub fn parse_cron(expression: &str) -> Result<Cron, croner::errors::CronError> {
    Cron::from_str(expression)
}

/// The configured schedules whose kind is in `scheduled` (schedule name,
/// job kind: see [`super::Registry::scheduled`]).
pub fn from_config(
    config: &JobsConfig,
    scheduled: &[(&'static str, &'static str)],
) -> Vec<Schedule> {
    config
        .schedules
        .iter()
        .filter_map(|(name, expression)| {
            Some(Schedule {
                name: name.clone(),
                expression: expression.clone(),
                cron: parse_cron(expression).ok()?,
                kind: scheduled.iter().find(|(s, _)| s == name)?.1,
            })
        })
        .collect()
}

/// How a firing came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Http,
}

/// Fires `schedule` for `slot` unless that slot has fired already. Returns
/// the job enqueued, `Ok(None)` when the slot had fired (or its previous job
/// is still waiting, which the dedupe key keeps single).
pub async fn fire(
    env: &QueueEnv,
    schedule: &Schedule,
    slot: DateTime<Utc>,
    trigger: Trigger,
    fired_by: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let mut tx = db::begin_system(&env.pool, "schedule").await?;
    let inserted = sqlx::query!(
        "INSERT INTO schedule_runs (schedule, slot, fired_by, trigger) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
        schedule.name,
        slot as _,
        fired_by,
        match trigger {
            Trigger::Schedule => "schedule",
            Trigger::Http => "http",
        }
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let tick = Tick {
        schedule: schedule.name.clone(),
        slot,
    };
    let job = queue::insert_tick(&mut tx, schedule.kind, &tick, env.config.max_attempts).await?;
    if job.is_some() {
        queue::notify(&mut tx, schedule.kind).await?;
    }
    sqlx::query!(
        "UPDATE schedule_runs SET job_id = $3 WHERE schedule = $1 AND slot = $2",
        schedule.name,
        slot as _,
        job
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if job.is_some() {
        tracing::info!(schedule = %schedule.name, %slot, ?trigger, "schedule fired");
    } else {
        tracing::info!(schedule = %schedule.name, %slot, "schedule slot skipped: its previous run is still waiting");
    }
    Ok(job)
}

/// Runs the schedules until `stopped`: checks the clock every `tick` and
/// fires the latest slot at or before now when this instance has not seen
/// it yet (the database decides which instance fires it).
pub async fn run(
    env: QueueEnv,
    schedules: Vec<Schedule>,
    tick: Duration,
    fired_by: String,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut seen: HashMap<String, DateTime<Utc>> = HashMap::new();
    // Schedules whose last attempt to fire failed.
    let mut failing: std::collections::HashSet<String> = Default::default();
    tracing::info!(schedules = ?schedules.iter().map(|s| format!("{} {}", s.name, s.expression)).collect::<Vec<_>>(), "scheduler started");
    while !*stopped.borrow() {
        let now = env.clock.now();
        for schedule in &schedules {
            let Some(slot) = latest_slot(&schedule.cron, now) else {
                continue;
            };
            if seen.get(&schedule.name) == Some(&slot) {
                continue;
            }
            match fire(&env, schedule, slot, Trigger::Schedule, &fired_by).await {
                Ok(_) => {
                    seen.insert(schedule.name.clone(), slot);
                    if failing.remove(&schedule.name) {
                        tracing::info!(schedule = %schedule.name, "the schedule fires again");
                    }
                }
                // Reported once per episode; the scheduler retries every tick.
                Err(err) if failing.insert(schedule.name.clone()) => sentry::with_scope(
                    |scope| scope.set_tag("schedule", &schedule.name),
                    || tracing::error!(schedule = %schedule.name, error = %err, "could not fire the schedule; retrying"),
                ),
                Err(err) => {
                    tracing::debug!(schedule = %schedule.name, error = %err, "the schedule still cannot fire")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// The latest slot at or before `now`, in whole seconds (the cron library
/// keeps the fraction of the second it is given).
pub fn latest_slot(cron: &Cron, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::SubsecRound;
    cron.find_previous_occurrence(&now.trunc_subsecs(0), true)
        .ok()
        .map(|slot| slot.trunc_subsecs(0))
}

/// Each schedule with its last and next run, for the jobs page.
pub async fn overview(
    env: &QueueEnv,
    scheduled: &[(&'static str, &'static str)],
) -> Result<Vec<ScheduleView>, sqlx::Error> {
    let schedules = from_config(&env.config, scheduled);
    let last = last_runs(env, &schedules).await?;
    let now = env.clock.now();
    Ok(schedules
        .iter()
        .map(|s| {
            let last_run = last.get(&s.name).copied();
            let next_run = s.cron.find_next_occurrence(&now, false).ok();
            ScheduleView {
                name: s.name.clone(),
                cron: s.expression.clone(),
                last_run,
                next_run,
                overdue: is_overdue(&s.cron, last_run, now),
            }
        })
        .collect())
}

/// Each schedule's latest fired slot.
async fn last_runs(
    env: &QueueEnv,
    schedules: &[Schedule],
) -> Result<HashMap<String, DateTime<Utc>>, sqlx::Error> {
    let names: Vec<String> = schedules.iter().map(|s| s.name.clone()).collect();
    Ok(sqlx::query!(
        r#"SELECT schedule, max(slot) AS "slot!: DateTime<Utc>" FROM schedule_runs
           WHERE schedule = ANY($1) GROUP BY schedule"#,
        &names
    )
    .fetch_all(&env.pool)
    .await?
    .into_iter()
    .map(|row| (row.schedule, row.slot))
    .collect())
}

/// Each schedule's time since its last slot fired and its interval, read
/// from the database so that every instance reports the same.
pub async fn readings(
    env: &QueueEnv,
    scheduled: &[(&'static str, &'static str)],
) -> Result<Vec<crate::telemetry::metrics::ScheduleReading>, sqlx::Error> {
    let schedules = from_config(&env.config, scheduled);
    let last = last_runs(env, &schedules).await?;
    let now = env.clock.now();
    Ok(schedules
        .iter()
        .map(|s| crate::telemetry::metrics::ScheduleReading {
            name: s.name.clone(),
            seconds_since_last_run: last
                .get(&s.name)
                .map(|at| (now - *at).num_milliseconds() as f64 / 1000.0),
            interval_seconds: interval(&s.cron, now)
                .map_or(0.0, |i| i.num_milliseconds() as f64 / 1000.0),
        })
        .collect())
}

/// The gap between the latest slot and the one after it.
fn interval(cron: &Cron, now: DateTime<Utc>) -> Option<chrono::TimeDelta> {
    let previous = latest_slot(cron, now)?;
    let next = cron.find_next_occurrence(&previous, false).ok()?;
    Some(next - previous)
}

/// Not fired for longer than twice its interval (the gap between its two
/// slots around now), or never fired: a running scheduler fires the latest
/// slot as soon as it starts.
pub fn is_overdue(cron: &Cron, last_run: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let Some(interval) = interval(cron, now) else {
        return false;
    };
    match last_run {
        Some(last) => now - last > interval * 2,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_and_six_field_expressions_parse_and_nonsense_does_not() {
        assert!(parse_cron("*/15 * * * *").is_ok());
        assert!(parse_cron("0 3 * * *").is_ok());
        assert!(parse_cron("*/2 * * * * *").is_ok(), "seconds first");
        assert!(parse_cron("every minute").is_err());
        assert!(parse_cron("61 * * * *").is_err());
    }

    #[test]
    fn latest_slot_at_or_before_now_and_overdue_after_two_intervals() {
        let cron = parse_cron("*/15 * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 7, 30).unwrap();
        let slot = latest_slot(&cron, now).unwrap();
        assert_eq!(slot, Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
        let on_slot = Utc.with_ymd_and_hms(2026, 12, 1, 10, 15, 0).unwrap();
        assert_eq!(latest_slot(&cron, on_slot).unwrap(), on_slot);
        // A fraction of a second past the slot is still the same slot.
        let just_after = on_slot + chrono::Duration::microseconds(3043);
        assert_eq!(latest_slot(&cron, just_after).unwrap(), on_slot);
        let every_second = parse_cron("* * * * * *").unwrap();
        assert_eq!(latest_slot(&every_second, just_after).unwrap(), on_slot);

        let last = Utc.with_ymd_and_hms(2026, 12, 1, 9, 45, 0).unwrap();
        assert!(!is_overdue(&cron, Some(last), now));
        let long_ago = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
        assert!(
            is_overdue(&cron, Some(long_ago), now),
            "37.5 minutes > 2 × 15"
        );
        assert!(is_overdue(&cron, None, now), "never fired");
    }
}
