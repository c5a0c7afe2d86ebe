//! Services: what is sold, how long it takes, what it costs and needs.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{colour_or, valid_kind, KIND_HINT};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        account::DisplayName,
        form::FieldErrors,
        records::Money,
        roles::{Action, Permission, RecordKind},
        views::ServiceView,
    },
    error::AppError,
    services::Deps,
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
    /// Who may perform it; empty means every provider.
    pub provider_ids: Vec<Uuid>,
}

struct Valid {
    name: String,
    money: Money,
    colour: String,
    kinds: Vec<String>,
}

fn validate(input: &ServiceInput) -> Result<Valid, AppError> {
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
    let mut kinds: Vec<String> = input
        .resource_kinds
        .iter()
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    kinds.sort();
    kinds.dedup();
    if kinds.iter().any(|k| !valid_kind(k)) {
        errors.add("resource_kinds", KIND_HINT);
    }
    match (name, money, colour) {
        (Some(name), Some(money), Some(colour)) if errors.is_empty() => Ok(Valid {
            name: name.as_str().to_string(),
            money,
            colour,
            kinds,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Replaces the providers who perform `service`; every id must be one of the tenant's.
async fn link_providers(
    conn: &mut PgConnection,
    tenant: Uuid,
    service: Uuid,
    providers: &[Uuid],
) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM service_providers WHERE service_id = $1 AND tenant_id = $2",
        service,
        tenant,
    )
    .execute(&mut *conn)
    .await?;
    let linked = sqlx::query!(
        "INSERT INTO service_providers (tenant_id, service_id, provider_id) \
         SELECT $1, $2, id FROM providers WHERE id = ANY($3) AND tenant_id = $1 AND archived_at IS NULL",
        tenant,
        service,
        providers,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let mut wanted = providers.to_vec();
    wanted.sort();
    wanted.dedup();
    if linked as usize != wanted.len() {
        return Err(AppError::field(
            "provider_ids",
            "one of the providers does not exist",
        ));
    }
    Ok(())
}

pub async fn create_service(
    deps: &Deps,
    who: &impl Principal,
    input: &ServiceInput,
    origin: &Origin,
) -> Result<ServiceView, AppError> {
    save(deps, who, None, input, origin).await
}

pub async fn update_service(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    input: &ServiceInput,
    origin: &Origin,
) -> Result<ServiceView, AppError> {
    save(deps, who, Some(id), input, origin).await
}

/// Writes a new service (`existing` is `None`) or replaces one, with its providers and audit entry.
async fn save(
    deps: &Deps,
    who: &impl Principal,
    existing: Option<Uuid>,
    input: &ServiceInput,
    origin: &Origin,
) -> Result<ServiceView, AppError> {
    let action = if existing.is_some() {
        Action::Update
    } else {
        Action::Create
    };
    let permission = Permission::Record(RecordKind::Service, action);
    who.require(permission)?;
    let valid = validate(input)?;
    let tenant = who.tenant_id();
    let mut tx = deps.work(who, permission, origin).await?;
    let (id, old) = match existing {
        None => (Uuid::now_v7(), None),
        Some(id) => {
            let old = load(tx.conn(), tenant, Some(id), false)
                .await?
                .pop()
                .ok_or_else(|| AppError::NotFound("no such service".into()))?;
            (id, Some(old))
        }
    };
    sqlx::query!(
        "INSERT INTO services (id, tenant_id, name, duration_minutes, price_minor, currency, buffer_before_minutes, \
         buffer_after_minutes, colour, resource_kinds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, duration_minutes = EXCLUDED.duration_minutes, \
           price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency, \
           buffer_before_minutes = EXCLUDED.buffer_before_minutes, buffer_after_minutes = EXCLUDED.buffer_after_minutes, \
           colour = EXCLUDED.colour, resource_kinds = EXCLUDED.resource_kinds",
        id,
        tenant,
        &valid.name,
        input.duration_minutes,
        valid.money.minor,
        &valid.money.currency,
        input.buffer_before_minutes,
        input.buffer_after_minutes,
        &valid.colour,
        &valid.kinds,
    )
    .execute(tx.conn())
    .await?;
    link_providers(tx.conn(), tenant, id, &input.provider_ids).await?;
    tx.audit(Entry {
        action: if old.is_some() {
            "service.updated"
        } else {
            "service.created"
        },
        entity_type: "service",
        entity_id: Some(id),
        changes: Changes::new()
            .field(
                "name",
                old.as_ref().map(|o| o.name.as_str()),
                Some(valid.name.as_str()),
            )
            .field(
                "duration_minutes",
                old.as_ref().map(|o| o.duration_minutes),
                Some(input.duration_minutes),
            )
            .field(
                "price_minor",
                old.as_ref().map(|o| o.price_minor),
                Some(valid.money.minor),
            ),
    })
    .await?;
    let view = load(tx.conn(), tenant, Some(id), false).await?.pop();
    tx.changed(Entity::Services);
    tx.commit().await?;
    view.ok_or_else(|| AppError::internal("a saved service is not readable"))
}

/// Takes a service off the menu; its appointments keep it.
pub async fn archive_service(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    super::archive(deps, who, RecordKind::Service, id, origin).await
}

pub async fn list_services(
    deps: &Deps,
    who: &impl Principal,
) -> Result<Vec<ServiceView>, AppError> {
    let read = Permission::Record(RecordKind::Service, Action::Read);
    deps.read_cached(who, read, Namespace::Services, "all", |mut tx| async move {
        let tenant = tx.tenant();
        load(tx.conn(), tenant, None, false).await
    })
    .await
}

pub async fn get_service(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<ServiceView, AppError> {
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::Service, Action::Read))
        .await?;
    let view = load(tx.conn(), who.tenant_id(), Some(id), true)
        .await?
        .pop();
    tx.commit().await?;
    view.ok_or_else(|| AppError::NotFound("no such service".into()))
}

/// One service (`id`) or all active ones, by name.
pub(super) async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Option<Uuid>,
    archived_too: bool,
) -> Result<Vec<ServiceView>, AppError> {
    Ok(sqlx::query_as!(
        ServiceView,
        r#"SELECT s.id, s.name, s.duration_minutes, s.price_minor, s.currency, s.buffer_before_minutes,
                  s.buffer_after_minutes, s.colour, s.resource_kinds,
                  coalesce((SELECT array_agg(x.provider_id ORDER BY x.provider_id) FROM service_providers x
                            WHERE x.service_id = s.id), '{}') AS "provider_ids!"
           FROM services s WHERE s.tenant_id = $1 AND ($2::uuid IS NULL OR s.id = $2)
             AND ($3 OR s.archived_at IS NULL) ORDER BY lower(s.name), s.id"#,
        tenant,
        id,
        archived_too,
    )
    .fetch_all(&mut *conn)
    .await?)
}
