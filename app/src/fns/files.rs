//! A client's files: list with fresh links, delete. Uploads go to
//! `POST /files/clients/{id}` directly, so the browser can show progress.

use frontdesk::domain::views::ClientFileView;
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::ui_error,
    frontdesk::services::files,
};

#[server(prefix = "/api", endpoint = "client-files")]
pub async fn client_files(client_id: Uuid) -> Result<Vec<ClientFileView>, UiError> {
    files::list(&deps()?, &reader().await?, client_id)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "delete-client-file")]
pub async fn delete_client_file(id: Uuid) -> Result<(), UiError> {
    files::delete(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}
