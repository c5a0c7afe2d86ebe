//! The calendar, bookings and the dashboard.

use chrono::{DateTime, NaiveDate, Utc};
use frontdesk::domain::{
    records::{AppointmentStatus, Scope},
    views::{AppointmentView, CalendarView, DashboardView, FreeSlotView},
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::ui_error,
    frontdesk::{
        domain::scheduling::Recurrence,
        services::{
            appointments::{self, Booking, Edit},
            availability,
            calendar::{self, Range},
            clients, dashboard,
        },
    },
};

#[server(prefix = "/api", endpoint = "calendar")]
pub async fn load_calendar(
    from: NaiveDate,
    days: i64,
    provider: Option<Uuid>,
    resource: Option<Uuid>,
    /// One provider's appointments only (a week): `provider`, or the
    /// reader's own, else the first.
    #[server(default)]
    one_provider: bool,
) -> Result<CalendarView, UiError> {
    let range = Range {
        from,
        days,
        provider_id: provider,
        resource_id: resource,
        one_provider,
    };
    calendar::range(&deps()?, &reader().await?, range)
        .await
        .map_err(ui_error)
}

/// The first free time for a service from `after` (never before now),
/// with one provider or any.
#[server(prefix = "/api", endpoint = "next-free")]
pub async fn next_free(
    service: Uuid,
    provider: Option<Uuid>,
    after: Option<DateTime<Utc>>,
) -> Result<Option<FreeSlotView>, UiError> {
    let deps = deps()?;
    let now = deps.clock.now();
    let after = after.map_or(now, |a| a.max(now));
    availability::next_free(&deps, &reader().await?, service, provider, after)
        .await
        .map_err(ui_error)
}

/// The client a booking is for: their name and the service they had last.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClientForBooking {
    pub id: Uuid,
    pub name: String,
    pub last_service: Option<Uuid>,
}

#[server(prefix = "/api", endpoint = "booking-client")]
pub async fn booking_client(id: Uuid) -> Result<ClientForBooking, UiError> {
    let (deps, who) = (deps()?, reader().await?);
    let client = clients::get(&deps, &who, id).await.map_err(ui_error)?;
    let timeline = appointments::for_client(&deps, &who, id)
        .await
        .map_err(ui_error)?;
    let now = deps.clock.now();
    let kept = || {
        timeline
            .iter()
            .filter(|a| a.status != AppointmentStatus::Cancelled)
    };
    // The latest one that has begun; else the next one booked.
    let last = kept()
        .filter(|a| a.starts_at <= now)
        .max_by_key(|a| a.starts_at)
        .or_else(|| kept().min_by_key(|a| a.starts_at));
    Ok(ClientForBooking {
        id: client.id,
        name: client.name,
        last_service: last.map(|a| a.service_id),
    })
}

#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn load_dashboard() -> Result<DashboardView, UiError> {
    dashboard::overview(&deps()?, &reader().await?, None)
        .await
        .map_err(ui_error)
}

/// What the booking dialog sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BookingForm {
    pub client_id: Uuid,
    pub service_id: Uuid,
    pub provider_id: Uuid,
    /// An empty list is left out of the form encoding altogether.
    #[serde(default)]
    pub resource_ids: Vec<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub notes: String,
    pub override_reason: Option<String>,
    /// Repeat every this many weeks (none: a single appointment).
    pub repeat_weeks: Option<u32>,
    pub repeat_count: Option<u32>,
    pub repeat_until: Option<NaiveDate>,
}

#[server(prefix = "/api", endpoint = "book")]
pub async fn book(form: BookingForm) -> Result<Vec<AppointmentView>, UiError> {
    let booking = Booking {
        client_id: form.client_id,
        service_id: form.service_id,
        provider_id: form.provider_id,
        resource_ids: form.resource_ids,
        starts_at: Some(form.starts_at),
        notes: form.notes,
        override_reason: form.override_reason,
    };
    let (deps, who) = (deps()?, writer().await?);
    match form.repeat_weeks {
        None => appointments::book(&deps, &who, &booking, &origin())
            .await
            .map(|v| vec![v]),
        Some(every_weeks) => {
            let rule = Recurrence {
                every_weeks,
                until: form.repeat_until,
                count: form.repeat_count,
            };
            appointments::book_series(&deps, &who, &booking, rule, &origin()).await
        }
    }
    .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "reschedule")]
pub async fn reschedule(
    id: Uuid,
    starts_at: DateTime<Utc>,
    override_reason: Option<String>,
    scope: Scope,
) -> Result<Vec<AppointmentView>, UiError> {
    appointments::reschedule_scoped(
        &deps()?,
        &writer().await?,
        id,
        starts_at,
        override_reason.as_deref(),
        scope,
        &origin(),
    )
    .await
    .map_err(ui_error)
}

/// What the edit form (and a drop on another provider) sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditForm {
    pub service_id: Uuid,
    pub provider_id: Uuid,
    #[serde(default)]
    pub resource_ids: Vec<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub notes: String,
    pub override_reason: Option<String>,
}

#[server(prefix = "/api", endpoint = "edit-appointment")]
pub async fn edit_appointment(id: Uuid, form: EditForm) -> Result<AppointmentView, UiError> {
    let edit = Edit {
        provider_id: form.provider_id,
        service_id: form.service_id,
        resource_ids: form.resource_ids,
        starts_at: Some(form.starts_at),
        notes: form.notes,
        override_reason: form.override_reason,
    };
    appointments::edit(&deps()?, &writer().await?, id, &edit, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "cancel")]
pub async fn cancel(
    id: Uuid,
    reason: String,
    scope: Scope,
) -> Result<Vec<AppointmentView>, UiError> {
    appointments::cancel_scoped(&deps()?, &writer().await?, id, &reason, scope, &origin())
        .await
        .map_err(ui_error)
}

/// Takes back a cancellation: the appointment is `back_to` again.
#[server(prefix = "/api", endpoint = "undo-cancel")]
pub async fn undo_cancel(id: Uuid, back_to: AppointmentStatus) -> Result<AppointmentView, UiError> {
    appointments::undo_cancel(&deps()?, &writer().await?, id, back_to, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "set-status")]
pub async fn set_status(id: Uuid, status: AppointmentStatus) -> Result<AppointmentView, UiError> {
    appointments::set_status(&deps()?, &writer().await?, id, status, &origin())
        .await
        .map_err(ui_error)
}
