//! Free slots: when a service can be booked with a provider, over a range
//! of days in the provider's time zone, leaving room for the buffers and
//! for a free resource of every kind the service needs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    auth::Principal,
    domain::{
        free_time,
        roles::{Action, Permission, RecordKind},
        scheduling::{free_slots, working_spans, SlotNeed, Span},
        views::FreeSlotView,
    },
    error::AppError,
};

/// The longest range one query covers.
pub const MAX_DAYS: i64 = 62;

pub async fn slots(
    deps: &Deps,
    who: &impl Principal,
    service: Uuid,
    provider: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    step_minutes: i64,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    who.require(Permission::Record(RecordKind::Appointment, Action::Read))?;
    if to < from {
        return Err(AppError::field("to", "the range ends before it starts"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::field(
            "to",
            format!("ask for at most {MAX_DAYS} days at a time"),
        ));
    }
    if !(5..=240).contains(&step_minutes) {
        return Err(AppError::field(
            "step",
            "offer starts every 5 to 240 minutes",
        ));
    }
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let free = load(
        tx.conn(),
        who.tenant_id(),
        service,
        provider,
        from,
        to,
        step_minutes,
    )
    .await?;
    tx.commit().await?;
    let slots = free_slots(&free.working, &free.busy, free.need)
        .into_iter()
        .filter(|start| free.resources_free(*start))
        .collect();
    Ok(slots)
}

/// What decides when one provider can take one service over a range of days.
struct Free {
    working: Vec<Span>,
    busy: Vec<Span>,
    need: SlotNeed,
    kinds: Vec<String>,
    /// Per needed kind: every resource of that kind with its busy time.
    resources: BTreeMap<String, BTreeMap<Uuid, Vec<Span>>>,
}

impl Free {
    /// Whether every kind of resource the service needs has one free at `start`.
    fn resources_free(&self, start: DateTime<Utc>) -> bool {
        let blocked = self.need.blocked(start);
        self.kinds.iter().all(|kind| {
            self.resources.get(kind).is_some_and(|of_kind| {
                of_kind
                    .values()
                    .any(|spans| spans.iter().all(|s| !s.overlaps(&blocked)))
            })
        })
    }
}

async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    service: Uuid,
    provider: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    step_minutes: i64,
) -> Result<Free, AppError> {
    let service_row = sqlx::query!(
        "SELECT duration_minutes, buffer_before_minutes, buffer_after_minutes, resource_kinds \
         FROM services WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL",
        service,
        tenant,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::field("service_id", "there is no such service"))?;
    let need = SlotNeed {
        duration: Duration::minutes(service_row.duration_minutes.into()),
        buffer_before: Duration::minutes(service_row.buffer_before_minutes.into()),
        buffer_after: Duration::minutes(service_row.buffer_after_minutes.into()),
        step: Duration::minutes(step_minutes),
    };
    let kinds = service_row.resource_kinds;
    let (zone, week) = super::appointments::provider_week(&mut *conn, tenant, provider).await?;
    let working = working_spans(&week, zone, from, to);
    let (Some(first), Some(last)) = (working.first(), working.last()) else {
        return Ok(Free {
            working,
            busy: Vec::new(),
            need,
            kinds,
            resources: BTreeMap::new(),
        });
    };
    let window = (
        first.start - Duration::hours(5),
        last.end + Duration::hours(5),
    );
    let busy = sqlx::query!(
        r#"SELECT lower(blocked) AS "start!: DateTime<Utc>", upper(blocked) AS "end!: DateTime<Utc>"
           FROM appointments WHERE tenant_id = $1 AND provider_id = $2
             AND status <> 'cancelled' AND blocked && tstzrange($3, $4)
           UNION ALL SELECT lower(during), upper(during) FROM time_off
           WHERE tenant_id = $1 AND provider_id = $2 AND during && tstzrange($3, $4)"#,
        tenant,
        provider,
        window.0 as _,
        window.1 as _,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter_map(|b| Span::new(b.start, b.end))
    .collect();
    let held = sqlx::query!(
        r#"SELECT r.kind, r.id, lower(x.blocked) AS "start: DateTime<Utc>", upper(x.blocked) AS "end: DateTime<Utc>"
           FROM resources r
           LEFT JOIN appointment_resources x ON x.resource_id = r.id AND x.active AND x.blocked && tstzrange($3, $4)
           WHERE r.tenant_id = $1 AND r.archived_at IS NULL AND r.kind = ANY($2)"#,
        tenant,
        &kinds,
        window.0 as _,
        window.1 as _,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut resources: BTreeMap<String, BTreeMap<Uuid, Vec<Span>>> = BTreeMap::new();
    for h in held {
        let spans = resources
            .entry(h.kind)
            .or_default()
            .entry(h.id)
            .or_default();
        if let (Some(s), Some(e)) = (h.start, h.end) {
            spans.extend(Span::new(s, e));
        }
    }
    Ok(Free {
        working,
        busy,
        need,
        kinds,
        resources,
    })
}

/// How far ahead the finder looks, in windows of two weeks.
const SEARCH_WINDOW_DAYS: i64 = 14;
const SEARCH_WINDOWS: i64 = 4;

/// The first time at or after `after` at which `service` fits with
/// `provider`, or with any provider who offers it (the earliest wins; on a
/// tie, the first by name). Offered on the business's booking step.
pub async fn next_free(
    deps: &Deps,
    who: &impl Principal,
    service: Uuid,
    provider: Option<Uuid>,
    after: DateTime<Utc>,
) -> Result<Option<FreeSlotView>, AppError> {
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let tenant = who.tenant_id();
    let step = i64::from(super::tenants::step_of(tx.conn(), tenant).await?);
    let candidates = sqlx::query!(
        r#"SELECT p.id, p.name, p.time_zone FROM providers p
           WHERE p.tenant_id = $1 AND p.archived_at IS NULL AND ($3::uuid IS NULL OR p.id = $3)
             AND (NOT EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = $2)
                  OR EXISTS (SELECT 1 FROM service_providers x WHERE x.service_id = $2 AND x.provider_id = p.id))
           ORDER BY p.name, p.id"#,
        tenant,
        service,
        provider,
    )
    .fetch_all(tx.conn())
    .await?;
    if candidates.is_empty() {
        return Err(match provider {
            Some(_) => AppError::field("provider_id", "this provider does not offer the service"),
            None => AppError::field("service_id", "no provider offers this service"),
        });
    }
    let mut best: Option<FreeSlotView> = None;
    for p in candidates {
        let zone: Tz = p.time_zone.parse().unwrap_or(Tz::UTC);
        let first_day = after.with_timezone(&zone).date_naive();
        for window in 0..SEARCH_WINDOWS {
            let from = first_day + Duration::days(window * SEARCH_WINDOW_DAYS);
            if best
                .as_ref()
                .is_some_and(|b| b.starts_at.with_timezone(&zone).date_naive() < from)
            {
                break;
            }
            let to = from + Duration::days(SEARCH_WINDOW_DAYS - 1);
            let free = load(tx.conn(), tenant, service, p.id, from, to, step).await?;
            if let Some(start) = first_fitting(&free, after) {
                if best.as_ref().is_none_or(|b| start < b.starts_at) {
                    best = Some(FreeSlotView {
                        provider_id: p.id,
                        provider_name: p.name.clone(),
                        starts_at: start,
                    });
                }
                break;
            }
        }
    }
    tx.commit().await?;
    Ok(best)
}

/// The first free start from `after` that also has the resources it needs.
fn first_fitting(free: &Free, mut after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    loop {
        let start = free_time::next_free(&free.working, &free.busy, free.need, after)?;
        if free.resources_free(start) {
            return Some(start);
        }
        after = start + Duration::seconds(1);
    }
}
