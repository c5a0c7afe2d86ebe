//! Signing up, in and out; passwords; the current user and switching tenants.

use frontdesk::domain::views::SessionView;
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{anonymous, deps, origin, session, sign_in_attempt, signed_in, writer},
    crate::errors::ssr::ui_error,
    crate::routes::safe_next,
    frontdesk::{auth::session as sessions, services::accounts, services::tenants},
};

#[server(prefix = "/api", endpoint = "sign-up")]
pub async fn sign_up(
    business_name: String,
    slug: String,
    time_zone: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), UiError> {
    anonymous().await?;
    let deps = deps()?;
    let input = accounts::SignUp {
        business_name,
        slug,
        time_zone,
        name,
        email,
        password,
    };
    let auth = accounts::sign_up(&deps, input, &origin())
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), UiError> {
    sign_in_attempt(&email).await?;
    let deps = deps()?;
    let auth = accounts::sign_in(&deps, &email, &password, &origin())
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), UiError> {
    sessions::end(&session().await?).await.map_err(ui_error)?;
    leptos_axum::redirect(crate::routes::SIGN_IN);
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), UiError> {
    let staff = writer().await?;
    accounts::sign_out_everywhere(&deps()?, &staff, &origin())
        .await
        .map_err(ui_error)?;
    sessions::end(&session().await?).await.map_err(ui_error)?;
    leptos_axum::redirect(crate::routes::SIGN_IN);
    Ok(())
}

#[server(prefix = "/api", endpoint = "forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), UiError> {
    anonymous().await?;
    accounts::request_password_reset(&deps()?, &email, &origin())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), UiError> {
    anonymous().await?;
    accounts::reset_password(&deps()?, &token, &password, &origin())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/signin?reset=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), UiError> {
    let staff = writer().await?;
    let auth = accounts::change_password(
        &deps()?,
        &staff,
        &current_password,
        &new_password,
        &origin(),
    )
    .await
    .map_err(ui_error)?;
    // A privilege change: the session continues under a new id.
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    Ok(())
}

/// The signed-in user and their tenants; `None` when signed out.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SessionView>, UiError> {
    let Some(staff) = signed_in() else {
        return Ok(None);
    };
    tenants::session_view(&deps()?, &staff)
        .await
        .map(Some)
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "switch-tenant")]
pub async fn switch_tenant(tenant: Uuid) -> Result<(), UiError> {
    let staff = writer().await?;
    let auth = tenants::switch(&deps()?, &staff, tenant)
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "update-settings")]
pub async fn update_settings(name: String, time_zone: String) -> Result<(), UiError> {
    tenants::update_settings(&deps()?, &writer().await?, &name, &time_zone, &origin())
        .await
        .map_err(ui_error)
}
