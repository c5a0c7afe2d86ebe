//! The dashboard: appointments per day for the week behind and the week
//! ahead, how last week went, new clients, the busiest providers and
//! today's agenda. Every count reads the `(tenant_id, starts_at)` index
//! with status and provider included, so it stays fast at any size.

use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use super::{
    appointments::load_many,
    calendar::{cached_zone, tenant_clock},
    work::Read,
    Deps,
};
use crate::{
    auth::Principal,
    cache::Namespace,
    domain::{
        roles::{Action, Permission, RecordKind},
        scheduling::instant,
        views::{DashboardView, DayCount},
    },
    error::AppError,
};

/// The days on each side of today.
pub const SPAN_DAYS: i64 = 7;

/// The per-day counts, as the dashboard reads them; also run under EXPLAIN by the benchmark.
pub const DAY_COUNTS_SQL: &str = include_str!("dashboard_sql/day_counts.sql");

/// The dashboard as of `today` (in the business's zone; today when `None`).
pub async fn overview(
    deps: &Deps,
    who: &impl Principal,
    today: Option<NaiveDate>,
) -> Result<DashboardView, AppError> {
    let read = Permission::Record(RecordKind::Appointment, Action::Read);
    who.require(read)?;
    let today = match today {
        Some(day) => day,
        None => deps
            .clock
            .now()
            .with_timezone(&cached_zone(deps, who).await?)
            .date_naive(),
    };
    let mut view = deps
        .read_cached(who, read, Namespace::Dashboard, &today.to_string(), |tx| {
            compute(tx, today)
        })
        .await?;
    // The cached figures are the day's; the moment is this request's.
    view.now = deps.clock.now();
    Ok(view)
}

async fn compute(mut tx: Read, today: NaiveDate) -> Result<DashboardView, AppError> {
    let tenant = tx.tenant();
    let clock = tenant_clock(tx.conn(), tenant).await?;
    let zone = clock.zone;
    let midnight = |day: NaiveDate| instant(zone, day.and_time(NaiveTime::MIN));
    let (first, last) = (
        today - Duration::days(SPAN_DAYS),
        today + Duration::days(SPAN_DAYS),
    );
    let (start, end) = (midnight(first), midnight(last + Duration::days(1)));

    let rows = sqlx::query_file_as!(
        DayCount,
        "src/services/dashboard_sql/day_counts.sql",
        tenant,
        start as _,
        end as _,
        zone.name(),
    )
    .fetch_all(tx.conn())
    .await?;
    let days: Vec<DayCount> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            rows.iter()
                .find(|r| r.date == date)
                .cloned()
                .unwrap_or(DayCount {
                    date,
                    active: 0,
                    completed: 0,
                    cancelled: 0,
                    no_show: 0,
                })
        })
        .collect();
    let past = days.iter().filter(|d| d.date < today);
    let (mut past_total, mut past_completed, mut past_cancelled, mut past_no_show) = (0, 0, 0, 0);
    for day in past {
        past_total += day.active + day.cancelled;
        past_completed += day.completed;
        past_cancelled += day.cancelled;
        past_no_show += day.no_show;
    }
    let new_clients: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM clients WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3"#, tenant, start as _, (midnight(today + Duration::days(1))) as _)
    .fetch_one(tx.conn())
    .await?;
    let busiest = sqlx::query!(
        r#"SELECT p.name, c.n AS "n!" FROM (SELECT provider_id, count(*) AS n FROM appointments
             WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status <> 'cancelled'
             GROUP BY provider_id ORDER BY n DESC LIMIT 5) c JOIN providers p ON p.id = c.provider_id
           ORDER BY c.n DESC, p.name"#,
        tenant,
        start as _,
        end as _,
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|b| (b.name, b.n))
    .collect();
    let agenda_ids: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3 \
           AND status <> 'cancelled' ORDER BY starts_at, id LIMIT 200",
        tenant,
        midnight(today) as _,
        (midnight(today + Duration::days(1))) as _
    )
    .fetch_all(tx.conn())
    .await?;
    let agenda = load_many(tx.conn(), tenant, &agenda_ids).await?;
    tx.commit().await?;
    Ok(DashboardView {
        today,
        now: Utc::now(),
        time_zone: zone.name().to_string(),
        time_format: clock.format,
        days,
        past_total,
        past_completed,
        past_cancelled,
        past_no_show,
        new_clients,
        busiest,
        agenda,
    })
}
