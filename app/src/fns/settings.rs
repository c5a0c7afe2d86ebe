//! Settings: the booking step, the audit log and API keys.

use frontdesk::domain::views::{ApiKeyView, AuditPage, CreatedApiKey};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, session, writer},
    crate::errors::ssr::{is_plain_form_post, ui_error},
    frontdesk::{
        error::AppError,
        services::{api_keys, audit_log, tenants},
    },
};

#[server(prefix = "/api", endpoint = "booking-step")]
pub async fn booking_step() -> Result<u32, UiError> {
    tenants::booking_step(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "save-booking-step")]
pub async fn save_booking_step(booking_step: String) -> Result<u32, UiError> {
    tenants::set_booking_step(&deps()?, &writer().await?, &booking_step, &origin())
        .await
        .map_err(ui_error)
}

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
    audit_log::list(&deps()?, &reader().await?, &filter)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "api-keys")]
pub async fn load_api_keys() -> Result<Vec<ApiKeyView>, UiError> {
    api_keys::list(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

/// Where a key created by a plain form post waits for the page it returns to.
#[cfg(feature = "ssr")]
const NEW_KEY: &str = "new_api_key";

#[server(prefix = "/api", endpoint = "create-api-key")]
pub async fn create_api_key(
    name: String,
    scopes: Option<Vec<String>>,
) -> Result<CreatedApiKey, UiError> {
    let scopes = scopes.unwrap_or_default();
    let created = api_keys::create(&deps()?, &writer().await?, &name, &scopes, &origin())
        .await
        .map_err(ui_error)?;
    if is_plain_form_post() {
        // Without JavaScript the answer is a redirect: the page shows the key once from the session.
        session()
            .await?
            .insert(NEW_KEY, &created.secret)
            .await
            .map_err(|e| ui_error(AppError::internal(e)))?;
    }
    Ok(created)
}

/// The key created by the last plain form post, once; then it is gone.
#[server(prefix = "/api", endpoint = "new-api-key")]
pub async fn take_new_api_key() -> Result<Option<String>, UiError> {
    reader().await?;
    session()
        .await?
        .remove::<String>(NEW_KEY)
        .await
        .map_err(|e| ui_error(AppError::internal(e)))
}

#[server(prefix = "/api", endpoint = "revoke-api-key")]
pub async fn revoke_api_key(key: Uuid) -> Result<(), UiError> {
    api_keys::revoke(&deps()?, &writer().await?, key, &origin())
        .await
        .map_err(ui_error)
}
