//! The team page and invitations.

use frontdesk::domain::views::{InvitationPreview, InvitationView, TeamView};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{anonymous, deps, origin, reader, session, writer},
    crate::errors::ssr::ui_error,
    frontdesk::{auth::session as sessions, services::team},
};

#[server(prefix = "/api", endpoint = "team")]
pub async fn load_team() -> Result<TeamView, UiError> {
    team::team(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "invite")]
pub async fn invite(email: String, role: String) -> Result<InvitationView, UiError> {
    team::invite(&deps()?, &writer().await?, &email, &role, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "revoke-invitation")]
pub async fn revoke_invitation(invitation: Uuid) -> Result<(), UiError> {
    team::revoke_invitation(&deps()?, &writer().await?, invitation, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "change-role")]
pub async fn change_role(user: Uuid, role: String, confirm: Option<String>) -> Result<(), UiError> {
    let confirmed = confirm.is_some_and(|c| !c.is_empty());
    team::change_role(
        &deps()?,
        &writer().await?,
        user,
        &role,
        confirmed,
        &origin(),
    )
    .await
    .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "remove-member")]
pub async fn remove_member(user: Uuid) -> Result<(), UiError> {
    team::remove_member(&deps()?, &writer().await?, user, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "invitation")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, UiError> {
    anonymous().await?;
    team::preview_invitation(&deps()?, &token)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "accept-invitation")]
pub async fn accept_invitation(
    token: String,
    name: Option<String>,
    password: String,
) -> Result<(), UiError> {
    anonymous().await?;
    let input = team::Acceptance {
        token,
        name: name.unwrap_or_default(),
        password,
    };
    let auth = team::accept_invitation(&deps()?, input, &origin())
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/");
    Ok(())
}
