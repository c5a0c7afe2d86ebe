//! Clients: search, read with their timeline, create and edit.

use frontdesk::domain::{
    records::ClientSort,
    views::{AppointmentView, ClientFileView, ClientPage, ClientView, SavedClient},
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::{is_plain_form_post, ui_error},
    frontdesk::services::{
        appointments,
        clients::{self, ClientInput},
        files,
    },
};

#[server(prefix = "/api", endpoint = "clients")]
pub async fn search_clients(
    query: String,
    after: Option<String>,
    archived: Option<bool>,
    sort: Option<ClientSort>,
) -> Result<ClientPage, UiError> {
    clients::list_sorted(
        &deps()?,
        &reader().await?,
        &query,
        after.as_deref(),
        archived.unwrap_or(false),
        sort.unwrap_or_default(),
    )
    .await
    .map_err(ui_error)
}

/// How many clients the top bar's search shows; the clients page lists them all.
pub const QUICK_CLIENTS: usize = 6;

/// What the top bar's search finds: the first clients (one more than shown,
/// to tell whether there are more), and the next appointments of those shown.
#[server(prefix = "/api", endpoint = "quick-search")]
pub async fn quick_search(
    query: String,
) -> Result<(Vec<ClientView>, Vec<AppointmentView>), UiError> {
    let (deps, who) = (deps()?, reader().await?);
    let page = clients::list_sorted(&deps, &who, &query, None, false, ClientSort::default())
        .await
        .map_err(ui_error)?;
    let found: Vec<ClientView> = page.clients.into_iter().take(QUICK_CLIENTS + 1).collect();
    let shown: Vec<Uuid> = found.iter().take(QUICK_CLIENTS).map(|c| c.id).collect();
    let upcoming = appointments::upcoming_for_clients(&deps, &who, &shown, 4)
        .await
        .map_err(ui_error)?;
    Ok((found, upcoming))
}

/// A client's page: the record, their appointments with each one's
/// reminder state, their files, and their email conversations.
pub type ClientDetails = (
    ClientView,
    Vec<AppointmentView>,
    Vec<ClientFileView>,
    Vec<frontdesk::domain::background::ReminderView>,
    Vec<frontdesk::domain::inbox::ConversationSummary>,
);

#[server(prefix = "/api", endpoint = "client")]
pub async fn load_client(id: Uuid) -> Result<ClientDetails, UiError> {
    let (deps, who) = (deps()?, reader().await?);
    let client = clients::get(&deps, &who, id).await.map_err(ui_error)?;
    let timeline = appointments::for_client(&deps, &who, id)
        .await
        .map_err(ui_error)?;
    let files = files::list(&deps, &who, id).await.map_err(ui_error)?;
    let ids: Vec<Uuid> = timeline.iter().map(|a| a.id).collect();
    let reminders = frontdesk::services::reminders::for_appointments(&deps, &who, &ids)
        .await
        .map_err(ui_error)?;
    let filter = frontdesk::services::inbox::conversations::ConversationFilter {
        client: Some(id),
        any_state: true,
        ..Default::default()
    };
    let mail = frontdesk::services::inbox::conversations::list(&deps, &who, &filter)
        .await
        .map_err(ui_error)?;
    Ok((client, timeline, files, reminders, mail))
}

/// Creates (no `id`) or changes a client. A plain form post lands on the client's page.
#[server(prefix = "/api", endpoint = "save-client")]
pub async fn save_client(
    id: Option<Uuid>,
    name: String,
    email: String,
    phone: String,
    notes: String,
    tags: String,
    email_reminders: Option<String>,
) -> Result<SavedClient, UiError> {
    let input = ClientInput {
        name,
        email,
        phone,
        notes,
        tags: tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        email_reminders: email_reminders.is_some(),
    };
    let (deps, who) = (deps()?, writer().await?);
    let saved = match id {
        None => clients::create(&deps, &who, &input, &origin()).await,
        Some(id) => clients::update(&deps, &who, id, &input, &origin()).await,
    }
    .map_err(ui_error)?;
    if is_plain_form_post() {
        leptos_axum::redirect(&format!("/clients/{}", saved.client.id));
    }
    Ok(saved)
}

#[server(prefix = "/api", endpoint = "restore-client")]
pub async fn restore_client(id: Uuid) -> Result<(), UiError> {
    clients::restore(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)?;
    if is_plain_form_post() {
        leptos_axum::redirect(&format!("/clients/{id}"));
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "archive-client")]
pub async fn archive_client(id: Uuid) -> Result<(), UiError> {
    clients::archive(&deps()?, &writer().await?, id, &origin())
        .await
        .map(drop)
        .map_err(ui_error)?;
    if is_plain_form_post() {
        leptos_axum::redirect("/clients");
    }
    Ok(())
}
