//! The rules a booking must keep: the service's duration and buffers,
//! the provider's hours and time off, locks against races, and the
//! appointment in the way when one is refused.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::services::Deps;
use crate::{
    domain::{
        records::AppointmentStatus,
        scheduling::{weekday_from_number, working_spans, Clash, Span, WorkingSpan},
        time_format::Clock,
        views::AppointmentView,
    },
    error::AppError,
};

pub(super) struct ServiceRule {
    pub(super) duration: Duration,
    pub(super) before: Duration,
    pub(super) after: Duration,
    pub(super) kinds: Vec<String>,
    pub(super) performs: bool,
}

pub(super) async fn service_rule(
    conn: &mut PgConnection,
    tenant: Uuid,
    service: Uuid,
    provider: Uuid,
) -> Result<ServiceRule, AppError> {
    let row = sqlx::query!(
        r#"SELECT s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes, s.resource_kinds,
                  NOT EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = s.id)
                  OR EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = s.id AND x.provider_id = $3)
                    AS "performs!"
           FROM services s WHERE s.id = $1 AND s.tenant_id = $2 AND s.archived_at IS NULL"#,
        service,
        tenant,
        provider,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::field("service_id", "there is no such service"))?;
    Ok(ServiceRule {
        duration: Duration::minutes(row.duration_minutes.into()),
        before: Duration::minutes(row.buffer_before_minutes.into()),
        after: Duration::minutes(row.buffer_after_minutes.into()),
        kinds: row.resource_kinds,
        performs: row.performs,
    })
}

/// The appointment, refused as a conflict with `refusal` when it was cancelled.
pub(super) async fn load_active(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    refusal: &str,
) -> Result<AppointmentView, AppError> {
    let current = super::read::load(conn, tenant, id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Err(AppError::Conflict(refusal.into()));
    }
    Ok(current)
}

/// Every resource exists in the business, and there is one of every kind the service needs.
pub(super) async fn check_resources(
    conn: &mut PgConnection,
    tenant: Uuid,
    resources: &[Uuid],
    rule: &ServiceRule,
) -> Result<(), AppError> {
    let kinds: Vec<String> = sqlx::query_scalar!(
        "SELECT kind FROM resources WHERE id = ANY($1) AND tenant_id = $2 AND archived_at IS NULL",
        resources,
        tenant
    )
    .fetch_all(&mut *conn)
    .await?;
    if kinds.len() != resources.len() {
        return Err(AppError::field(
            "resource_ids",
            "one of the resources does not exist",
        ));
    }
    if let Some(missing) = rule.kinds.iter().find(|k| !kinds.contains(k)) {
        return Err(AppError::field(
            "resource_ids",
            format!("this service needs a {missing}"),
        ));
    }
    Ok(())
}

/// The time zone of an active provider; `None` when there is no such provider.
pub(crate) async fn provider_zone(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
) -> Result<Option<Tz>, AppError> {
    let zone: Option<String> = sqlx::query_scalar!(
        "SELECT time_zone FROM providers WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL",
        provider,
        tenant
    )
    .fetch_optional(&mut *conn)
    .await?;
    zone.map(|z| {
        z.parse()
            .map_err(|_| AppError::internal("a provider's stored time zone does not parse"))
    })
    .transpose()
}

/// A provider's time zone and working week.
pub(crate) async fn provider_week(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
) -> Result<(Tz, Vec<WorkingSpan>), AppError> {
    let zone = provider_zone(conn, tenant, provider)
        .await?
        .ok_or_else(|| AppError::field("provider_id", "there is no such provider"))?;
    let rows = sqlx::query!(
        r#"SELECT weekday, starts AS "starts: NaiveTime", ends AS "ends: NaiveTime"
           FROM working_hours WHERE provider_id = $1 AND tenant_id = $2"#,
        provider,
        tenant,
    )
    .fetch_all(&mut *conn)
    .await?;
    let week = rows
        .into_iter()
        .filter_map(|h| {
            Some(WorkingSpan {
                weekday: weekday_from_number(h.weekday)?,
                starts: h.starts,
                ends: h.ends,
            })
        })
        .collect();
    Ok((zone, week))
}

/// Whether `span` lies inside the provider's working hours (`week`, read
/// once by the caller) and outside their time off.
pub(super) async fn within_hours(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
    (zone, week): &(Tz, Vec<WorkingSpan>),
    span: Span,
) -> Result<bool, AppError> {
    let first = span.start.with_timezone(zone).date_naive();
    let last = span.end.with_timezone(zone).date_naive();
    let working = working_spans(week, *zone, first, last);
    let off: bool = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM time_off WHERE provider_id = $1 AND tenant_id = $2 AND during && tstzrange($3, $4)) AS "exists!""#, provider, tenant, span.start as _, span.end as _)
    .fetch_one(&mut *conn)
    .await?;
    Ok(!off && working.iter().any(|w| w.contains(&span)))
}

/// The active appointment that holds the provider or one of the resources during `blocked`.
pub(super) async fn conflict(
    deps: &Deps,
    tenant: Uuid,
    provider: Uuid,
    resources: &[Uuid],
    blocked: Span,
    except: Option<Uuid>,
) -> Result<AppError, AppError> {
    let mut tx = deps.in_business(tenant, "explain a conflict").await?;
    let clash = sqlx::query!(
        r#"SELECT a.starts_at AS "starts_at: DateTime<Utc>", a.ends_at AS "ends_at: DateTime<Utc>",
                  p.name AS provider, c.name AS client,
                  CASE WHEN a.provider_id = $2 THEN NULL
                       ELSE (SELECT r.name FROM appointment_resources x JOIN resources r ON r.id = x.resource_id
                             WHERE x.appointment_id = a.id AND x.resource_id = ANY($6) ORDER BY r.name LIMIT 1)
                  END AS resource
           FROM appointments a JOIN providers p ON p.id = a.provider_id JOIN clients c ON c.id = a.client_id
           WHERE a.tenant_id = $1 AND a.status <> 'cancelled' AND a.blocked && tstzrange($3, $4)
             AND ($5::uuid IS NULL OR a.id <> $5)
             AND (a.provider_id = $2 OR EXISTS (SELECT 1 FROM appointment_resources r
                  WHERE r.appointment_id = a.id AND r.resource_id = ANY($6)))
           ORDER BY a.provider_id = $2 DESC, a.starts_at LIMIT 1"#,
        tenant,
        provider,
        blocked.start as _,
        blocked.end as _,
        except,
        resources,
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| Clash {
        provider: r.provider,
        client: r.client,
        resource: r.resource,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
    });
    let clock = crate::services::calendar::tenant_clock(tx.conn(), tenant).await?;
    tx.commit().await?;
    Ok(AppError::Conflict(match clash {
        Some(clash) => clash.describe(clock, blocked.start),
        None => "The time was just taken by another booking; choose another time.".into(),
    }))
}

/// Takes the provider's and the resources' booking locks, always in the same
/// order. Two bookings that share a provider or a resource then queue rather
/// than deadlock on each other's constraint checks; the exclusion
/// constraints still decide who wins.
pub(super) async fn lock_calendars(
    conn: &mut PgConnection,
    provider: Uuid,
    resources: &[Uuid],
) -> Result<(), AppError> {
    let mut keys: Vec<Uuid> = resources.to_vec();
    keys.push(provider);
    keys.sort();
    keys.dedup();
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended(k::text, 0)) FROM unnest($1::uuid[]) AS k ORDER BY k", &keys)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) fn is_double_booking(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01"))
}

/// Refuses a time outside working hours; a series names the occurrence, in
/// the provider's zone and the business's time format.
pub(super) async fn outside_hours(
    conn: &mut PgConnection,
    tenant: Uuid,
    count: usize,
    start: DateTime<Utc>,
    zone: Tz,
) -> AppError {
    let which = if count > 1 {
        let format = match crate::services::calendar::tenant_clock(conn, tenant).await {
            Ok(clock) => clock.format,
            Err(e) => return e,
        };
        format!(
            "the appointment of {}",
            Clock::new(zone, format).date_time(start)
        )
    } else {
        "this".to_string()
    };
    AppError::field(
        "starts_at",
        format!("{which} is outside the provider's working hours; give a reason to book anyway"),
    )
}
