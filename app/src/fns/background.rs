//! Background work as staff see it: reminder states on appointments, the
//! jobs page, and the development outbox.

use frontdesk::domain::background::{JobsOverview, OutboxMessageView, ReminderView};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::ui_error,
    frontdesk::{
        error::AppError,
        services::{background, reminders},
    },
};

/// The reminder states of the appointments named (comma-separated ids).
#[server(prefix = "/api", endpoint = "appointment-reminders")]
pub async fn appointment_reminders(ids: String) -> Result<Vec<ReminderView>, UiError> {
    let ids: Vec<Uuid> = ids
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ui_error(AppError::BadRequest(
                "ids must be appointment ids separated by commas".into(),
            ))
        })?;
    reminders::for_appointments(&deps()?, &reader().await?, &ids)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "resend-reminder")]
pub async fn resend_reminder(appointment_id: Uuid) -> Result<ReminderView, UiError> {
    reminders::resend(&deps()?, &writer().await?, appointment_id, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "jobs")]
pub async fn load_jobs() -> Result<JobsOverview, UiError> {
    background::overview(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "retry-job")]
pub async fn retry_job(id: Uuid) -> Result<(), UiError> {
    background::retry(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "discard-job")]
pub async fn discard_job(id: Uuid) -> Result<(), UiError> {
    background::discard(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

/// The newest messages of the development outbox; development only.
#[server(prefix = "/api", endpoint = "dev-outbox")]
pub async fn dev_outbox() -> Result<Vec<OutboxMessageView>, UiError> {
    let deps = deps()?;
    let staff = reader().await?;
    let dir = match (deps.config.app_env, deps.mailer.outbox_dir()) {
        (frontdesk::config::AppEnv::Development, Some(dir)) => dir.to_path_buf(),
        _ => {
            return Err(ui_error(AppError::NotFound(
                "the outbox exists in development only, without SMTP_URL".into(),
            )))
        }
    };
    // A hundred small files of a development machine: read in place.
    frontdesk::mail::outbox::list(&dir, 100, staff.tenant_id)
        .map_err(|e| ui_error(AppError::internal(e)))
}

/// The business's reminder windows: hours before the start, and the optional second.
#[server(prefix = "/api", endpoint = "reminder-windows")]
pub async fn reminder_windows() -> Result<(i32, Option<i32>), UiError> {
    let windows = reminders::windows(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)?;
    Ok((windows.hours, windows.second_hours))
}

#[server(prefix = "/api", endpoint = "save-reminder-windows")]
pub async fn save_reminder_windows(
    reminder_hours: String,
    second_reminder_hours: String,
) -> Result<(i32, Option<i32>), UiError> {
    let windows = reminders::set_windows(
        &deps()?,
        &writer().await?,
        &reminder_hours,
        &second_reminder_hours,
        &origin(),
    )
    .await
    .map_err(ui_error)?;
    Ok((windows.hours, windows.second_hours))
}
