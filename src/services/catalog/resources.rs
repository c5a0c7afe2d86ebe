//! Resources: rooms, chairs and equipment an appointment can hold.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{valid_kind, KIND_HINT};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        account::DisplayName,
        form::FieldErrors,
        roles::{Action, Permission, RecordKind},
        views::ResourceView,
    },
    error::AppError,
    services::Deps,
};

fn validate(name: &str, kind: &str) -> Result<(String, String), AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(name));
    let kind = kind.trim().to_lowercase();
    if !valid_kind(&kind) {
        errors.add("kind", KIND_HINT);
    }
    match name {
        Some(name) if errors.is_empty() => Ok((name.as_str().to_string(), kind)),
        _ => Err(AppError::Invalid(errors)),
    }
}

pub async fn create_resource(
    deps: &Deps,
    who: &impl Principal,
    name: &str,
    kind: &str,
    origin: &Origin,
) -> Result<ResourceView, AppError> {
    who.require(Permission::Record(RecordKind::Resource, Action::Create))?;
    let (name, kind) = validate(name, kind)?;
    let id = Uuid::now_v7();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Resource, Action::Create),
            origin,
        )
        .await?;
    sqlx::query!(
        "INSERT INTO resources (id, tenant_id, name, kind) VALUES ($1, $2, $3, $4)",
        id,
        who.tenant_id(),
        &name,
        &kind,
    )
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "resource.created",
        entity_type: "resource",
        entity_id: Some(id),
        changes: Changes::new()
            .field("name", None, Some(&name))
            .field("kind", None, Some(&kind)),
    })
    .await?;
    tx.changed(Entity::Resources);
    tx.commit().await?;
    Ok(ResourceView { id, name, kind })
}

pub async fn update_resource(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    name: &str,
    kind: &str,
    origin: &Origin,
) -> Result<ResourceView, AppError> {
    who.require(Permission::Record(RecordKind::Resource, Action::Update))?;
    let (name, kind) = validate(name, kind)?;
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Resource, Action::Update),
            origin,
        )
        .await?;
    let old = sqlx::query!(
        r#"UPDATE resources r SET name = $3, kind = $4 FROM (SELECT name, kind FROM resources
           WHERE id = $1 AND tenant_id = $2 AND archived_at IS NULL FOR UPDATE) old
           WHERE r.id = $1 AND r.tenant_id = $2 RETURNING old.name AS "name!", old.kind AS "kind!""#,
        id,
        who.tenant_id(),
        &name,
        &kind,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such resource".into()))?;
    let (old_name, old_kind) = (old.name, old.kind);
    tx.audit(Entry {
        action: "resource.updated",
        entity_type: "resource",
        entity_id: Some(id),
        changes: Changes::new()
            .field("name", Some(&old_name), Some(&name))
            .field("kind", Some(&old_kind), Some(&kind)),
    })
    .await?;
    tx.changed(Entity::Resources);
    tx.commit().await?;
    Ok(ResourceView { id, name, kind })
}

pub async fn archive_resource(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    super::archive(deps, who, RecordKind::Resource, id, origin).await
}

pub async fn list_resources(
    deps: &Deps,
    who: &impl Principal,
) -> Result<Vec<ResourceView>, AppError> {
    let read = Permission::Record(RecordKind::Resource, Action::Read);
    deps.read_cached(
        who,
        read,
        Namespace::Resources,
        "all",
        |mut tx| async move {
            let tenant = tx.tenant();
            load(tx.conn(), tenant, None).await
        },
    )
    .await
}

pub async fn get_resource(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<ResourceView, AppError> {
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::Resource, Action::Read))
        .await?;
    let view = load(tx.conn(), who.tenant_id(), Some(id)).await?.pop();
    tx.commit().await?;
    view.ok_or_else(|| AppError::NotFound("no such resource".into()))
}

/// One resource (archived too) or all active ones, by kind and name.
pub(super) async fn load(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Option<Uuid>,
) -> Result<Vec<ResourceView>, AppError> {
    Ok(sqlx::query_as!(
        ResourceView,
        "SELECT id, name, kind FROM resources WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id = $2) \
           AND ($2::uuid IS NOT NULL OR archived_at IS NULL) ORDER BY kind, lower(name), id",
        tenant,
        id,
    )
    .fetch_all(&mut *conn)
    .await?)
}
