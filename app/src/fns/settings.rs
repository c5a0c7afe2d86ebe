//! Settings: the audit log and API keys.

use frontdesk::domain::views::{ApiKeyView, AuditPage, CreatedApiKey};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, staff},
    crate::errors::ssr::ui_error,
    frontdesk::services::{api_keys, audit_log},
};

#[server(prefix = "/api", endpoint = "audit-log")]
pub async fn load_audit_log(
    entity_type: Option<String>,
    actor: Option<Uuid>,
    after: Option<Uuid>,
) -> Result<AuditPage, UiError> {
    let filter = audit_log::AuditFilter {
        entity_type,
        actor,
        after,
        limit: None,
    };
    audit_log::list(&deps()?, &staff()?, &filter)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "api-keys")]
pub async fn load_api_keys() -> Result<Vec<ApiKeyView>, UiError> {
    api_keys::list(&deps()?, &staff()?).await.map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "create-api-key")]
pub async fn create_api_key(
    name: String,
    scopes: Option<Vec<String>>,
) -> Result<CreatedApiKey, UiError> {
    api_keys::create(
        &deps()?,
        &staff()?,
        &name,
        &scopes.unwrap_or_default(),
        &origin(),
    )
    .await
    .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "revoke-api-key")]
pub async fn revoke_api_key(key: Uuid) -> Result<(), UiError> {
    api_keys::revoke(&deps()?, &staff()?, key, &origin())
        .await
        .map_err(ui_error)
}
