//! The dashboard: appointments per day for the week behind and the week
//! ahead, how last week went, new clients, the busiest providers and
//! today's agenda. Every count reads the `(tenant_id, starts_at)` index
//! with status and provider included, so it stays fast at any size.

use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use super::{
    appointments::load_many,
    calendar::{cached_zone, tenant_zone},
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
pub const DAY_COUNTS_SQL: &str = "SELECT (starts_at AT TIME ZONE $4)::date AS day, \
            count(*) FILTER (WHERE status <> 'cancelled'), \
            count(*) FILTER (WHERE status = 'completed'), \
            count(*) FILTER (WHERE status = 'cancelled'), \
            count(*) FILTER (WHERE status = 'no_show') \
     FROM appointments WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3 \
     GROUP BY day ORDER BY day";

pub const BUSIEST_SQL: &str =
    "SELECT p.name, c.n FROM (SELECT provider_id, count(*) AS n FROM appointments \
       WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status <> 'cancelled' \
       GROUP BY provider_id ORDER BY n DESC LIMIT 5) c JOIN providers p ON p.id = c.provider_id \
     ORDER BY c.n DESC, p.name";

type DayRow = (NaiveDate, i64, i64, i64, i64);

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
        None => Utc::now()
            .with_timezone(&cached_zone(deps, who).await?)
            .date_naive(),
    };
    deps.read_cached(who, read, Namespace::Dashboard, &today.to_string(), |tx| {
        compute(tx, today)
    })
    .await
}

async fn compute(mut tx: Read, today: NaiveDate) -> Result<DashboardView, AppError> {
    let tenant = tx.tenant();
    let zone = tenant_zone(tx.conn(), tenant).await?;
    let midnight = |day: NaiveDate| instant(zone, day.and_time(NaiveTime::MIN));
    let (first, last) = (
        today - Duration::days(SPAN_DAYS),
        today + Duration::days(SPAN_DAYS),
    );
    let (start, end) = (midnight(first), midnight(last + Duration::days(1)));

    let rows: Vec<DayRow> = sqlx::query_as(DAY_COUNTS_SQL)
        .bind(tenant)
        .bind(start)
        .bind(end)
        .bind(zone.name())
        .fetch_all(tx.conn())
        .await?;
    let days: Vec<DayCount> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| {
            let row = rows.iter().find(|r| r.0 == date);
            let (active, completed, cancelled, no_show) =
                row.map_or((0, 0, 0, 0), |r| (r.1, r.2, r.3, r.4));
            DayCount {
                date,
                active,
                completed,
                cancelled,
                no_show,
            }
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
    let new_clients: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM clients WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(tenant)
    .bind(start)
    .bind(midnight(today + Duration::days(1)))
    .fetch_one(tx.conn())
    .await?;
    let busiest: Vec<(String, i64)> = sqlx::query_as(BUSIEST_SQL)
        .bind(tenant)
        .bind(start)
        .bind(end)
        .fetch_all(tx.conn())
        .await?;
    let agenda_ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM appointments WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at < $3 \
           AND status <> 'cancelled' ORDER BY starts_at, id LIMIT 200",
    )
    .bind(tenant)
    .bind(midnight(today))
    .bind(midnight(today + Duration::days(1)))
    .fetch_all(tx.conn())
    .await?;
    let agenda = load_many(tx.conn(), tenant, &agenda_ids).await?;
    tx.commit().await?;
    Ok(DashboardView {
        today,
        time_zone: zone.name().to_string(),
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
