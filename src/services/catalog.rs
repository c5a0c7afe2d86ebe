//! What a business offers and who and what does it: services, providers
//! with their working hours and time off, resources.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{self, Changes, Entry, Origin},
    auth::Principal,
    db,
    domain::{
        account::{DisplayName, TimeZoneName},
        form::FieldErrors,
        records::{parse_colour, Money},
        roles::{Action, Permission, RecordKind},
        scheduling::WorkingSpan,
        views::{ProviderView, ResourceView, ServiceView},
    },
    error::AppError,
};

#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    pub name: String,
    pub duration_minutes: i32,
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub colour: String,
    pub resource_kinds: Vec<String>,
    pub provider_ids: Vec<Uuid>,
}

pub async fn create_service(
    deps: &Deps,
    who: &impl Principal,
    input: &ServiceInput,
    origin: &Origin,
) -> Result<ServiceView, AppError> {
    who.require(Permission::Record(RecordKind::Service, Action::Create))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name));
    if !(5..=1440).contains(&input.duration_minutes) {
        errors.add("duration_minutes", "a service lasts 5 to 1440 minutes");
    }
    for (field, minutes) in [
        ("buffer_before_minutes", input.buffer_before_minutes),
        ("buffer_after_minutes", input.buffer_after_minutes),
    ] {
        if !(0..=240).contains(&minutes) {
            errors.add(field, "a buffer is 0 to 240 minutes");
        }
    }
    let money = errors.check("price", Money::new(input.price_minor, &input.currency));
    let colour = colour_or(&mut errors, &input.colour, "#4a7bd0");
    if input.resource_kinds.iter().any(|k| !valid_kind(k)) {
        errors.add(
            "resource_kinds",
            "a resource kind is a short lower-case word such as room or chair",
        );
    }
    let (Some(name), Some(money), Some(colour)) = (name, money, colour) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    sqlx::query(
        "INSERT INTO services (id, tenant_id, name, duration_minutes, price_minor, currency, buffer_before_minutes, \
         buffer_after_minutes, colour, resource_kinds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(who.tenant_id())
    .bind(name.as_str())
    .bind(input.duration_minutes)
    .bind(money.minor)
    .bind(&money.currency)
    .bind(input.buffer_before_minutes)
    .bind(input.buffer_after_minutes)
    .bind(&colour)
    .bind(&input.resource_kinds)
    .execute(&mut *tx)
    .await?;
    for provider in &input.provider_ids {
        let linked = sqlx::query(
            "INSERT INTO service_providers (tenant_id, service_id, provider_id) \
             SELECT $1, $2, id FROM providers WHERE id = $3 AND tenant_id = $1",
        )
        .bind(who.tenant_id())
        .bind(id)
        .bind(provider)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if linked == 0 {
            return Err(AppError::field(
                "provider_ids",
                format!("there is no provider {provider}"),
            ));
        }
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "service.created",
            entity_type: "service",
            entity_id: Some(id),
            changes: Changes::new()
                .field("name", None, Some(name.as_str()))
                .field("duration_minutes", None, Some(input.duration_minutes))
                .field("price_minor", None, Some(money.minor)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ServiceView {
        id,
        name: name.as_str().to_string(),
        duration_minutes: input.duration_minutes,
        price_minor: money.minor,
        currency: money.currency,
        buffer_before_minutes: input.buffer_before_minutes,
        buffer_after_minutes: input.buffer_after_minutes,
        colour,
        resource_kinds: input.resource_kinds.clone(),
        provider_ids: input.provider_ids.clone(),
    })
}

/// The colour given, or `default` when none was.
fn colour_or(errors: &mut FieldErrors, text: &str, default: &str) -> Option<String> {
    if text.trim().is_empty() {
        Some(default.to_string())
    } else {
        errors.check("colour", parse_colour(text))
    }
}

fn valid_kind(kind: &str) -> bool {
    let mut chars = kind.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && kind.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[derive(Debug, Clone, Default)]
pub struct ProviderInput {
    pub name: String,
    pub time_zone: String,
    pub colour: String,
    pub user_id: Option<Uuid>,
    pub hours: Vec<WorkingSpan>,
}

pub async fn create_provider(
    deps: &Deps,
    who: &impl Principal,
    input: &ProviderInput,
    origin: &Origin,
) -> Result<ProviderView, AppError> {
    who.require(Permission::Record(RecordKind::Provider, Action::Create))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name));
    let zone = errors.check("time_zone", TimeZoneName::parse(&input.time_zone));
    let colour = colour_or(&mut errors, &input.colour, "#2f855a");
    if input.hours.iter().any(|h| h.starts >= h.ends) {
        errors.add("hours", "each working span must end after it starts");
    }
    let (Some(name), Some(zone), Some(colour)) = (name, zone, colour) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    sqlx::query("INSERT INTO providers (id, tenant_id, name, time_zone, colour, user_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(who.tenant_id())
        .bind(name.as_str())
        .bind(zone.as_str())
        .bind(&colour)
        .bind(input.user_id)
        .execute(&mut *tx)
        .await?;
    for span in &input.hours {
        sqlx::query("INSERT INTO working_hours (id, tenant_id, provider_id, weekday, starts, ends) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7())
            .bind(who.tenant_id())
            .bind(id)
            .bind(span.weekday.number_from_monday() as i16)
            .bind(span.starts)
            .bind(span.ends)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "provider.created",
            entity_type: "provider",
            entity_id: Some(id),
            changes: Changes::new()
                .field("name", None, Some(name.as_str()))
                .field("time_zone", None, Some(zone.as_str())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ProviderView {
        id,
        name: name.as_str().to_string(),
        time_zone: zone.as_str().to_string(),
        colour,
        user_id: input.user_id,
    })
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
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    let added = sqlx::query(
        "INSERT INTO time_off (id, tenant_id, provider_id, during, reason) \
         SELECT $1, $2, id, tstzrange($4, $5), $6 FROM providers WHERE id = $3 AND tenant_id = $2",
    )
    .bind(id)
    .bind(who.tenant_id())
    .bind(provider)
    .bind(from)
    .bind(until)
    .bind(reason.trim())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::NotFound("no such provider".into()));
    }
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "provider.time_off_added",
            entity_type: "provider",
            entity_id: Some(provider),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn create_resource(
    deps: &Deps,
    who: &impl Principal,
    name: &str,
    kind: &str,
    origin: &Origin,
) -> Result<ResourceView, AppError> {
    who.require(Permission::Record(RecordKind::Resource, Action::Create))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(name));
    let kind = kind.trim().to_lowercase();
    if !valid_kind(&kind) {
        errors.add(
            "kind",
            "a resource kind is a short lower-case word such as room or chair",
        );
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let id = Uuid::now_v7();
    let mut tx = db::begin_tenant(&deps.pool, who.tenant_id()).await?;
    sqlx::query("INSERT INTO resources (id, tenant_id, name, kind) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(who.tenant_id())
        .bind(name.as_str())
        .bind(&kind)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        who.actor(),
        origin,
        Entry {
            action: "resource.created",
            entity_type: "resource",
            entity_id: Some(id),
            changes: Changes::new()
                .field("name", None, Some(name.as_str()))
                .field("kind", None, Some(&kind)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ResourceView {
        id,
        name: name.as_str().to_string(),
        kind,
    })
}
