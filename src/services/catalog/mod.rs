//! What a business offers and who and what does it: services, providers
//! with their working hours and time off, resources. Each is created,
//! listed, changed and archived (never deleted: appointments point at them).

mod providers;
mod resources;
mod services;

pub use providers::{
    add_days_off, add_time_off, archive_provider, create_provider, get_provider, list_providers,
    remove_time_off, update_provider, ProviderInput,
};
pub use resources::{
    archive_resource, create_resource, get_resource, list_resources, update_resource,
};
pub use services::{
    archive_service, create_service, get_service, list_services, update_service, ServiceInput,
};

use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        form::FieldErrors,
        records::parse_colour,
        roles::{Action, Permission, RecordKind},
        views::{ProviderView, ResourceView, ServiceView},
    },
    error::AppError,
};

/// Everything a business offers: active services, providers and resources.
pub type Catalog = (Vec<ServiceView>, Vec<ProviderView>, Vec<ResourceView>);

/// The whole catalog in one transaction (the settings pages, the booking dialog).
pub async fn list_all(deps: &Deps, who: &impl Principal) -> Result<Catalog, AppError> {
    require_read(who)?;
    let read = Permission::Record(RecordKind::Service, Action::Read);
    deps.read_cached(who, read, Namespace::Catalog, "all", |mut tx| async move {
        let tenant = tx.tenant();
        load_all(tx.conn(), tenant, deps.clock.now()).await
    })
    .await
}

/// `Forbidden` unless `who` may read services, providers and resources.
pub(crate) fn require_read(who: &impl Principal) -> Result<(), AppError> {
    for kind in [
        RecordKind::Service,
        RecordKind::Provider,
        RecordKind::Resource,
    ] {
        who.require(Permission::Record(kind, Action::Read))?;
    }
    Ok(())
}

/// The whole catalog inside the caller's transaction.
pub(crate) async fn load_all(
    conn: &mut PgConnection,
    tenant: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Catalog, AppError> {
    Ok((
        services::load(conn, tenant, None, false).await?,
        providers::load(conn, tenant, None, now).await?,
        resources::load(conn, tenant, None).await?,
    ))
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

const KIND_HINT: &str = "a resource kind is a short lower-case word such as room or chair";

/// The catalog's own table of `kind`, its name in messages and its cache entity.
fn catalog_table(kind: RecordKind) -> (&'static str, &'static str, Entity) {
    match kind {
        RecordKind::Service => ("services", "service", Entity::Services),
        RecordKind::Provider => ("providers", "provider", Entity::Providers),
        _ => ("resources", "resource", Entity::Resources),
    }
}

/// Sets `archived_at` on a service, provider or resource.
async fn archive(
    deps: &Deps,
    who: &impl Principal,
    kind: RecordKind,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let (table, entity, cached) = catalog_table(kind);
    let mut tx = deps
        .work(who, Permission::Record(kind, Action::Delete), origin)
        .await?;
    // Runtime-built: the table is one of three, named by `kind`.
    let done = sqlx::query(&format!(
        "UPDATE {table} SET archived_at = now() WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL"
    ))
    .bind(id)
    .bind(who.tenant_id())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound(format!("no such {entity}")));
    }
    let action = match entity {
        "service" => "service.archived",
        "provider" => "provider.archived",
        _ => "resource.archived",
    };
    tx.audit(Entry {
        action,
        entity_type: entity,
        entity_id: Some(id),
        changes: Changes::new(),
    })
    .await?;
    tx.changed(cached);
    tx.commit().await?;
    Ok(())
}
