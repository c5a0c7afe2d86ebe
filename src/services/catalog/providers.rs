//! Providers: the staff who take appointments, their weekly hours (several
//! spans a day leave breaks) and their time off.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::colour_or;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        account::{DisplayName, TimeZoneName},
        form::FieldErrors,
        roles::{Action, Permission, RecordKind},
        scheduling::{instant, weekday_from_number, WorkingSpan},
        views::{ProviderView, TimeOffView},
    },
    error::AppError,
    services::{appointments::provider_zone, Deps},
};

#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub name: String,
    pub time_zone: String,
    pub colour: String,
    /// The staff member's own account, when the provider has one.
    pub user_id: Option<Uuid>,
    pub hours: Vec<WorkingSpan>,
}

struct Valid {
    name: String,
    zone: String,
    colour: String,
}

fn validate(input: &ProviderInput) -> Result<Valid, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name));
    let zone = errors.check("time_zone", TimeZoneName::parse(&input.time_zone));
    let colour = colour_or(&mut errors, &input.colour, "#2f855a");
    if input.hours.iter().any(|h| h.starts >= h.ends) {
        errors.add("hours", "each working span must end after it starts");
    } else if overlapping(&input.hours) {
        errors.add("hours", "two working spans of one day overlap");
    }
    match (name, zone, colour) {
        (Some(name), Some(zone), Some(colour)) if errors.is_empty() => Ok(Valid {
            name: name.as_str().to_string(),
            zone: zone.as_str().to_string(),
            colour,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn overlapping(hours: &[WorkingSpan]) -> bool {
    hours.iter().enumerate().any(|(i, a)| {
        hours[i + 1..]
            .iter()
            .any(|b| a.weekday == b.weekday && a.starts < b.ends && b.starts < a.ends)
    })
}

/// Replaces the provider's weekly hours.
async fn save_hours(
    conn: &mut PgConnection,
    tenant: Uuid,
    provider: Uuid,
    hours: &[WorkingSpan],
) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM working_hours WHERE provider_id = $1 AND tenant_id = $2",
        provider,
        tenant,
    )
    .execute(&mut *conn)
    .await?;
    for span in hours {
        sqlx::query!(
            "INSERT INTO working_hours (id, tenant_id, provider_id, weekday, starts, ends) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            Uuid::now_v7(),
            tenant,
            provider,
            span.weekday.number_from_monday() as i16,
            span.starts as _,
            span.ends as _,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A linked account must belong to this business.
async fn check_member(
    conn: &mut PgConnection,
    tenant: Uuid,
    user: Option<Uuid>,
) -> Result<(), AppError> {
    let Some(user) = user else { return Ok(()) };
    let member = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND tenant_id = $2) AS "exists!""#,
        user,
        tenant,
    )
    .fetch_one(&mut *conn)
    .await?;
    if member {
        Ok(())
    } else {
        Err(AppError::field("user_id", "this person is not on the team"))
    }
}

pub async fn create_provider(
    deps: &Deps,
    who: &impl Principal,
    input: &ProviderInput,
    origin: &Origin,
) -> Result<ProviderView, AppError> {
    who.require(Permission::Record(RecordKind::Provider, Action::Create))?;
    let valid = validate(input)?;
    let (tenant, id) = (who.tenant_id(), Uuid::now_v7());
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Provider, Action::Create),
            origin,
        )
        .await?;
    check_member(tx.conn(), tenant, input.user_id).await?;
    sqlx::query!(
        "INSERT INTO providers (id, tenant_id, name, time_zone, colour, user_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        tenant,
        &valid.name,
        &valid.zone,
        &valid.colour,
        input.user_id,
    )
    .execute(tx.conn())
    .await?;
    save_hours(tx.conn(), tenant, id, &input.hours).await?;
    tx.audit(Entry {
        action: "provider.created",
        entity_type: "provider",
        entity_id: Some(id),
        changes: Changes::new().field("name", None, Some(&valid.name)).field(
            "time_zone",
            None,
            Some(&valid.zone),
        ),
    })
    .await?;
    let view = load(tx.conn(), tenant, Some(id), deps.clock.now())
        .await?
        .pop();
    tx.changed(Entity::Providers);
    tx.commit().await?;
    view.ok_or_else(|| AppError::internal("a new provider is not readable"))
}

pub async fn update_provider(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    input: &ProviderInput,
    origin: &Origin,
) -> Result<ProviderView, AppError> {
    who.require(Permission::Record(RecordKind::Provider, Action::Update))?;
    let valid = validate(input)?;
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Provider, Action::Update),
            origin,
        )
        .await?;
    check_member(tx.conn(), tenant, input.user_id).await?;
    let old = sqlx::query!(
        r#"UPDATE providers p SET name = $3, time_zone = $4, colour = $5, user_id = $6
           FROM (SELECT name, time_zone FROM providers
                 WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL FOR UPDATE) old
           WHERE p.id = $1 AND p.tenant_id = $2 RETURNING old.name AS "name!", old.time_zone AS "time_zone!""#,
        id,
        tenant,
        &valid.name,
        &valid.zone,
        &valid.colour,
        input.user_id,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such provider".into()))?;
    let (old_name, old_zone) = (old.name, old.time_zone);
    save_hours(tx.conn(), tenant, id, &input.hours).await?;
    tx.audit(Entry {
        action: "provider.updated",
        entity_type: "provider",
        entity_id: Some(id),
        changes: Changes::new()
            .field("name", Some(&old_name), Some(&valid.name))
            .field("time_zone", Some(&old_zone), Some(&valid.zone))
            .field("hours", None, Some(input.hours.len())),
    })
    .await?;
    let view = load(tx.conn(), tenant, Some(id), deps.clock.now())
        .await?
        .pop();
    tx.changed(Entity::Providers);
    tx.commit().await?;
    view.ok_or_else(|| AppError::internal("an updated provider is not readable"))
}

/// Takes a provider off the calendar; their past appointments keep them.
pub async fn archive_provider(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    super::archive(deps, who, RecordKind::Provider, id, origin).await
}

/// Marks a span when the provider does not work (holiday, sick day).
pub async fn add_time_off(
    deps: &Deps,
    who: &impl Principal,
    provider: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    reason: &str,
    origin: &Origin,
) -> Result<Uuid, AppError> {
    who.require(Permission::Record(RecordKind::Provider, Action::Update))?;
    if from >= until {
        return Err(AppError::field(
            "until",
            "time off must end after it starts",
        ));
    }
    let id = Uuid::now_v7();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Provider, Action::Update),
            origin,
        )
        .await?;
    let added = sqlx::query!(
        "INSERT INTO time_off (id, tenant_id, provider_id, during, reason) \
         SELECT $1, $2, id, tstzrange($4, $5), $6 FROM providers WHERE id = $3 AND tenant_id = $2",
        id,
        who.tenant_id(),
        provider,
        from as _,
        until as _,
        reason.trim(),
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::NotFound("no such provider".into()));
    }
    tx.audit(Entry {
        action: "provider.time_off_added",
        entity_type: "provider",
        entity_id: Some(provider),
        changes: Changes::new()
            .field("from", None, Some(from))
            .field("until", None, Some(until)),
    })
    .await?;
    tx.changed(Entity::Providers);
    tx.commit().await?;
    Ok(id)
}

/// Whole days off, `first` to `last` inclusive, in the provider's own zone.
pub async fn add_days_off(
    deps: &Deps,
    who: &impl Principal,
    provider: Uuid,
    first: NaiveDate,
    last: NaiveDate,
    reason: &str,
    origin: &Origin,
) -> Result<Uuid, AppError> {
    who.require(Permission::Record(RecordKind::Provider, Action::Update))?;
    if last < first {
        return Err(AppError::field("last", "the last day is before the first"));
    }
    if (last - first).num_days() > 366 {
        return Err(AppError::field(
            "last",
            "time off is at most a year at a time",
        ));
    }
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Provider, Action::Update),
        )
        .await?;
    let zone = provider_zone(tx.conn(), who.tenant_id(), provider).await?;
    tx.commit().await?;
    let zone = zone.ok_or_else(|| AppError::NotFound("no such provider".into()))?;
    let from = instant(zone, first.and_time(NaiveTime::MIN));
    let until = instant(zone, (last + Duration::days(1)).and_time(NaiveTime::MIN));
    add_time_off(deps, who, provider, from, until, reason, origin).await
}

pub async fn remove_time_off(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Provider, Action::Update),
            origin,
        )
        .await?;
    let provider = sqlx::query_scalar!(
        "DELETE FROM time_off WHERE id = $1 AND tenant_id = $2 RETURNING provider_id",
        id,
        who.tenant_id(),
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such time off".into()))?;
    tx.audit(Entry {
        action: "provider.time_off_removed",
        entity_type: "provider",
        entity_id: Some(provider),
        changes: Changes::new().field("time_off_id", Some(id), None::<Uuid>),
    })
    .await?;
    tx.changed(Entity::Providers);
    tx.commit().await?;
    Ok(())
}

pub async fn list_providers(
    deps: &Deps,
    who: &impl Principal,
) -> Result<Vec<ProviderView>, AppError> {
    let read = Permission::Record(RecordKind::Provider, Action::Read);
    deps.read_cached(
        who,
        read,
        Namespace::Providers,
        "all",
        |mut tx| async move {
            let tenant = tx.tenant();
            load(tx.conn(), tenant, None, deps.clock.now()).await
        },
    )
    .await
}

pub async fn get_provider(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<ProviderView, AppError> {
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::Provider, Action::Read))
        .await?;
    let view = load(tx.conn(), who.tenant_id(), Some(id), deps.clock.now())
        .await?
        .pop();
    tx.commit().await?;
    view.ok_or_else(|| AppError::NotFound("no such provider".into()))
}

/// One provider (archived too) or all active ones, by name, with their hours.
/// Time off that ended before `now` (the app's clock) is left out.
pub(super) async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<ProviderView>, AppError> {
    // One provider by id (archived too), or every active one.
    let rows = sqlx::query!(
        "SELECT id, name, time_zone, colour, user_id FROM providers WHERE tenant_id = $1 \
           AND ($2::uuid IS NULL OR id = $2) AND ($2::uuid IS NOT NULL OR archived_at IS NULL) \
         ORDER BY lower(name), id",
        tenant,
        id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let hours = sqlx::query!(
        r#"SELECT provider_id, weekday, starts AS "starts: NaiveTime", ends AS "ends: NaiveTime"
           FROM working_hours WHERE tenant_id = $1 AND provider_id = ANY($2) ORDER BY weekday, starts"#,
        tenant,
        &ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    let off = sqlx::query!(
        r#"SELECT provider_id, id, lower(during) AS "starts_at!: DateTime<Utc>",
                  upper(during) AS "ends_at!: DateTime<Utc>", reason
           FROM time_off WHERE tenant_id = $1 AND provider_id = ANY($2) AND upper(during) > $3
           ORDER BY lower(during)"#,
        tenant,
        &ids,
        now as _,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| ProviderView {
            hours: hours
                .iter()
                .filter(|h| h.provider_id == p.id)
                .filter_map(|h| {
                    Some(WorkingSpan {
                        weekday: weekday_from_number(h.weekday)?,
                        starts: h.starts,
                        ends: h.ends,
                    })
                })
                .collect(),
            time_off: off
                .iter()
                .filter(|o| o.provider_id == p.id)
                .map(|o| TimeOffView {
                    id: o.id,
                    starts_at: o.starts_at,
                    ends_at: o.ends_at,
                    reason: o.reason.clone(),
                })
                .collect(),
            id: p.id,
            name: p.name,
            time_zone: p.time_zone,
            colour: p.colour,
            user_id: p.user_id,
        })
        .collect())
}
