//! API keys for the public REST API: created and revoked by owners and
//! admins, stored as a hash, shown in full once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::{tokens, ApiClient, Principal, Staff},
    domain::{
        account::DisplayName,
        api_scopes::ApiScope,
        form::FieldErrors,
        roles::Permission,
        views::{ApiKeyView, CreatedApiKey},
    },
    error::AppError,
};

/// Every key starts with this, so secret scanners and people recognise it.
pub const KEY_PREFIX: &str = "fdk_";
/// How much of the key the UI shows.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 8;

/// A key as stored, without its hash.
struct KeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn view(row: KeyRow) -> ApiKeyView {
    ApiKeyView {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        // Scopes were parsed when stored; one that no longer exists is dropped.
        scopes: row.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

pub async fn list(deps: &Deps, staff: &Staff) -> Result<Vec<ApiKeyView>, AppError> {
    let mut tx = deps.read(staff, Permission::ManageApiKeys).await?;
    let rows = sqlx::query_as!(
        KeyRow,
        r#"SELECT id, name, prefix, scopes, created_at AS "created_at: DateTime<Utc>",
                  last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_keys WHERE tenant_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC"#,
        staff.tenant_id,
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
}

pub async fn create(
    deps: &Deps,
    staff: &Staff,
    name: &str,
    scopes: &[String],
    origin: &Origin,
) -> Result<CreatedApiKey, AppError> {
    staff.require(Permission::ManageApiKeys)?;
    super::email_verification::require_verified(deps, staff.user_id).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(name));
    let mut parsed: Vec<ApiScope> = scopes
        .iter()
        .filter_map(|s| errors.check("scopes", s.parse::<ApiScope>()))
        .collect();
    parsed.sort();
    parsed.dedup();
    if parsed.is_empty() && errors.get("scopes").is_none() {
        errors.add("scopes", "choose at least one scope");
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };

    let (token, _) = tokens::new_token();
    let secret = format!("{KEY_PREFIX}{token}");
    let prefix: String = secret.chars().take(SHOWN_CHARS).collect();
    let id = Uuid::now_v7();
    let scope_names: Vec<String> = parsed.iter().map(ToString::to_string).collect();
    let mut tx = deps.work(staff, Permission::ManageApiKeys, origin).await?;
    let row = sqlx::query_as!(
        KeyRow,
        r#"INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, name, prefix, scopes, created_at AS "created_at: DateTime<Utc>",
                     last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>""#,
        id,
        staff.tenant_id,
        name.as_str(),
        &prefix,
        tokens::hash_token(&secret),
        &scope_names,
        staff.user_id,
    )
    .fetch_one(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "api_key.created",
        entity_type: "api_key",
        entity_id: Some(id),
        changes: Changes::new()
            .field("name", None, Some(name.as_str()))
            .field("scopes", None, Some(&scope_names)),
    })
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key: view(row),
        secret,
    })
}

pub async fn revoke(
    deps: &Deps,
    staff: &Staff,
    key: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps.work(staff, Permission::ManageApiKeys, origin).await?;
    let revoked = sqlx::query!("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL", key, staff.tenant_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(AppError::NotFound("no such active API key".into()));
    }
    tx.audit(Entry {
        action: "api_key.revoked",
        entity_type: "api_key",
        entity_id: Some(key),
        changes: Changes::new(),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The client a presented key belongs to, or `InvalidCredentials` when it is
/// unknown or revoked.
pub async fn authenticate(deps: &Deps, presented: &str) -> Result<ApiClient, AppError> {
    let rejected = || AppError::InvalidCredentials("The API key is invalid or revoked.".into());
    if !presented.starts_with(KEY_PREFIX) {
        return Err(rejected());
    }
    let mut tx = deps
        .system("authenticate API key", &Origin::default())
        .await?;
    let row = sqlx::query!(
        "UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1 AND revoked_at IS NULL \
         RETURNING id, tenant_id, scopes",
        tokens::hash_token(presented),
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let row = row.ok_or_else(rejected)?;
    Ok(ApiClient {
        key_id: row.id,
        tenant_id: row.tenant_id,
        scopes: row.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
    })
}
