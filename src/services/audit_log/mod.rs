//! Reading the audit log: newest first, filtered by entity type and actor,
//! paginated by a cursor (entry ids are UUIDv7, so they sort by time), each
//! entry also told as a sentence.

mod sentence;

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
                  a.request_id, a.changes,
                  CASE a.entity_type
                    WHEN 'appointment' THEN (SELECT c.name FROM appointments ap JOIN clients c ON c.id = ap.client_id WHERE ap.id = a.entity_id)
                    WHEN 'client' THEN (SELECT name FROM clients WHERE id = a.entity_id)
                    WHEN 'provider' THEN (SELECT name FROM providers WHERE id = a.entity_id)
                    WHEN 'service' THEN (SELECT name FROM services WHERE id = a.entity_id)
                    WHEN 'resource' THEN (SELECT name FROM resources WHERE id = a.entity_id)
                    WHEN 'member' THEN (SELECT name FROM users WHERE id = a.entity_id)
                    WHEN 'user' THEN (SELECT name FROM users WHERE id = a.entity_id)
                    WHEN 'invitation' THEN (SELECT email::text FROM invitations WHERE id = a.entity_id)
                    WHEN 'api_key' THEN (SELECT name FROM api_keys WHERE id = a.entity_id)
                  END AS subject
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
    let clock = crate::services::calendar::tenant_clock(tx.conn(), staff.tenant_id).await?;
    let names: sentence::Names = sqlx::query!(
        r#"SELECT id AS "id!", name AS "name!" FROM providers WHERE tenant_id = $1
           UNION ALL SELECT id, name FROM services WHERE tenant_id = $1
           UNION ALL SELECT id, name FROM resources WHERE tenant_id = $1"#,
        staff.tenant_id,
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(|r| (r.id, r.name))
    .collect();
    tx.commit().await?;

    let more = rows.len() > limit as usize;
    let entries: Vec<AuditEntryView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            let actor = r.actor_name.clone().unwrap_or_else(|| {
                match r.actor_kind.as_str() {
                    "system" => "Frontdesk",
                    "api_key" => "A removed API key",
                    _ => "A former member",
                }
                .to_string()
            });
            let facts = sentence::Facts {
                actor: &actor,
                action: &r.action,
                subject: r.subject.as_deref(),
                changes: &r.changes,
            };
            let sentence = sentence::describe(&facts, &names, clock);
            AuditEntryView {
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
                sentence,
            }
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
        time_zone: clock.zone.name().to_string(),
        time_format: clock.format,
    })
}
