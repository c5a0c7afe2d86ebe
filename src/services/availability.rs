//! Free slots: when a service can be booked with a provider, over a range
//! of days in the provider's time zone, leaving room for the buffers and
//! for a free resource of every kind the service needs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::Deps;
use crate::{
    auth::Principal,
    domain::{
        roles::{Action, Permission, RecordKind},
        scheduling::{free_slots, working_spans, SlotNeed, Span},
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
    let tenant = who.tenant_id();
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let service_row = sqlx::query!(
        "SELECT duration_minutes, buffer_before_minutes, buffer_after_minutes, resource_kinds \
         FROM services WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL",
        service,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::field("service_id", "there is no such service"))?;
    let (duration, before, after, kinds) = (
        service_row.duration_minutes,
        service_row.buffer_before_minutes,
        service_row.buffer_after_minutes,
        service_row.resource_kinds,
    );
    let (zone, week) = super::appointments::provider_week(tx.conn(), tenant, provider).await?;
    let working = working_spans(&week, zone, from, to);
    let (Some(first), Some(last)) = (working.first(), working.last()) else {
        return Ok(Vec::new());
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
    .fetch_all(tx.conn())
    .await?;
    // Per needed kind: every resource of that kind with its busy time.
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
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;

    let need = SlotNeed {
        duration: Duration::minutes(duration.into()),
        buffer_before: Duration::minutes(before.into()),
        buffer_after: Duration::minutes(after.into()),
        step: Duration::minutes(step_minutes),
    };
    let busy: Vec<Span> = busy
        .into_iter()
        .filter_map(|b| Span::new(b.start, b.end))
        .collect();
    let mut resources: BTreeMap<&str, BTreeMap<Uuid, Vec<Span>>> = BTreeMap::new();
    for h in &held {
        let spans = resources
            .entry(h.kind.as_str())
            .or_default()
            .entry(h.id)
            .or_default();
        if let (Some(s), Some(e)) = (&h.start, &h.end) {
            spans.extend(Span::new(*s, *e));
        }
    }
    let slots = free_slots(&working, &busy, need)
        .into_iter()
        .filter(|start| {
            let blocked = need.blocked(*start);
            kinds.iter().all(|kind| {
                resources.get(kind.as_str()).is_some_and(|of_kind| {
                    of_kind
                        .values()
                        .any(|spans| spans.iter().all(|s| !s.overlaps(&blocked)))
                })
            })
        })
        .collect();
    Ok(slots)
}
