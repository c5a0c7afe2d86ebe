//! Reading the audit log: newest first, filtered by entity type and actor,
//! paginated by a cursor (entry ids are UUIDv7, so they sort by time).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Deps;
use crate::{
    auth::Staff,
    domain::{
        roles::Permission,
        views::{AuditEntryView, AuditPage},
    },
    error::AppError,
};

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub actor: Option<Uuid>,
    /// Continue after this entry (the `next` of the previous page).
    pub after: Option<Uuid>,
    pub limit: Option<u32>,
}

pub async fn list(deps: &Deps, staff: &Staff, filter: &AuditFilter) -> Result<AuditPage, AppError> {
    let limit = filter.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut tx = deps.read(staff, Permission::ReadAuditLog).await?;
    let rows = sqlx::query!(
        r#"SELECT a.id, a.created_at AS "at: DateTime<Utc>", a.actor_kind, a.actor_id,
                  coalesce(u.name, k.name) AS actor_name, a.action, a.entity_type, a.entity_id,
                  a.request_id, a.changes
           FROM audit_log a
           LEFT JOIN users u ON a.actor_kind = 'user' AND u.id = a.actor_id
           LEFT JOIN api_keys k ON a.actor_kind = 'api_key' AND k.id = a.actor_id
           WHERE a.tenant_id = $1
             AND ($2::text IS NULL OR a.entity_type = $2)
             AND ($3::uuid IS NULL OR a.actor_id = $3)
             AND ($4::uuid IS NULL OR a.id < $4)
           ORDER BY a.id DESC LIMIT $5"#,
        staff.tenant_id,
        filter.entity_type.as_deref().filter(|t| !t.is_empty()),
        filter.actor,
        filter.after,
        i64::from(limit) + 1,
    )
    .fetch_all(tx.conn())
    .await?;
    let entity_types: Vec<String> = sqlx::query_scalar!(
        "SELECT DISTINCT entity_type FROM audit_log WHERE tenant_id = $1 ORDER BY 1",
        staff.tenant_id
    )
    .fetch_all(tx.conn())
    .await?;
    let actors = sqlx::query!(
        "SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tenant_id = $1 ORDER BY u.name",
        staff.tenant_id,
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|a| (a.id, a.name))
    .collect();
    tx.commit().await?;

    let more = rows.len() > limit as usize;
    let entries: Vec<AuditEntryView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditEntryView {
            id: r.id,
            at: r.at,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            request_id: r.request_id,
            changes: r.changes.to_string(),
        })
        .collect();
    let next = more
        .then(|| entries.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(AuditPage {
        entries,
        next,
        entity_types,
        actors,
    })
}
