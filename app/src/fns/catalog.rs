//! Settings for what the business offers: services, providers, resources.

// A server function takes one argument per form field, so plain forms post to it.
#![allow(clippy::too_many_arguments)]

use frontdesk::domain::views::{ProviderView, ResourceView, ServiceView};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::ui_error,
    frontdesk::{
        domain::{
            form::FieldErrors,
            form_values::{parse_day_grid, parse_day_hours, parse_minutes, parse_price},
            scheduling::weekday_from_number,
        },
        error::AppError,
        services::catalog::{self, ProviderInput, ServiceInput},
    },
};

/// Everything the settings pages and the booking dialog choose from.
pub type Catalog = (Vec<ServiceView>, Vec<ProviderView>, Vec<ResourceView>);

#[server(prefix = "/api", endpoint = "catalog")]
pub async fn load_catalog() -> Result<Catalog, UiError> {
    catalog::list_all(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "save-service")]
pub async fn save_service(
    id: Option<Uuid>,
    name: String,
    duration_minutes: String,
    price: String,
    currency: String,
    buffer_before_minutes: String,
    buffer_after_minutes: String,
    colour: String,
    resource_kinds: String,
    provider_ids: Option<Vec<Uuid>>,
) -> Result<ServiceView, UiError> {
    let mut errors = FieldErrors::new();
    let duration = errors.check(
        "duration_minutes",
        parse_minutes(&duration_minutes, 5, 1440),
    );
    let before = errors.check(
        "buffer_before_minutes",
        parse_minutes(or_zero(&buffer_before_minutes), 0, 240),
    );
    let after = errors.check(
        "buffer_after_minutes",
        parse_minutes(or_zero(&buffer_after_minutes), 0, 240),
    );
    let price = errors.check("price", parse_price(&price));
    let (Some(duration), Some(before), Some(after), Some(price)) = (duration, before, after, price)
    else {
        return Err(ui_error(AppError::Invalid(errors)));
    };
    let input = ServiceInput {
        name,
        duration_minutes: duration,
        price_minor: price,
        currency: currency.trim().to_uppercase(),
        buffer_before_minutes: before,
        buffer_after_minutes: after,
        colour,
        resource_kinds: resource_kinds.split(',').map(str::to_string).collect(),
        provider_ids: provider_ids.unwrap_or_default(),
    };
    let (deps, who) = (deps()?, writer().await?);
    match id {
        None => catalog::create_service(&deps, &who, &input, &origin()).await,
        Some(id) => catalog::update_service(&deps, &who, id, &input, &origin()).await,
    }
    .map_err(ui_error)
}

#[cfg(feature = "ssr")]
fn or_zero(text: &str) -> &str {
    if text.trim().is_empty() {
        "0"
    } else {
        text
    }
}

/// The week, Monday first, either as the settings grid sends it (`start`,
/// `end` and `breaks` per day) or as one text per day in `hours`, like
/// `09:00-12:00, 13:00-17:00` (the form the API and scripts use).
#[server(prefix = "/api", endpoint = "save-provider")]
pub async fn save_provider(
    id: Option<Uuid>,
    name: String,
    time_zone: String,
    colour: String,
    hours: Option<Vec<String>>,
    start: Option<Vec<String>>,
    end: Option<Vec<String>>,
    breaks: Option<Vec<String>>,
) -> Result<ProviderView, UiError> {
    let mut errors = FieldErrors::new();
    let mut spans = Vec::new();
    let at = |list: &Option<Vec<String>>, day: usize| {
        list.as_ref()
            .and_then(|l| l.get(day))
            .cloned()
            .unwrap_or_default()
    };
    let grid = start.is_some() || end.is_some();
    for day in 0..7 {
        let weekday = weekday_from_number(day as i16 + 1)
            .ok_or_else(|| ui_error(AppError::internal("weekday out of range")))?;
        let parsed = if grid {
            parse_day_grid(weekday, &at(&start, day), &at(&end, day), &at(&breaks, day))
        } else {
            parse_day_hours(weekday, &at(&hours, day))
        };
        if let Some(mut parsed) = errors.check(&format!("hours_{}", day + 1), parsed) {
            spans.append(&mut parsed);
        }
    }
    if !errors.is_empty() {
        return Err(ui_error(AppError::Invalid(errors)));
    }
    let input = ProviderInput {
        name,
        time_zone,
        colour,
        user_id: None,
        hours: spans,
    };
    let (deps, who) = (deps()?, writer().await?);
    match id {
        None => catalog::create_provider(&deps, &who, &input, &origin()).await,
        Some(id) => catalog::update_provider(&deps, &who, id, &input, &origin()).await,
    }
    .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "save-resource")]
pub async fn save_resource(
    id: Option<Uuid>,
    name: String,
    kind: String,
) -> Result<ResourceView, UiError> {
    let (deps, who) = (deps()?, writer().await?);
    match id {
        None => catalog::create_resource(&deps, &who, &name, &kind, &origin()).await,
        Some(id) => catalog::update_resource(&deps, &who, id, &name, &kind, &origin()).await,
    }
    .map_err(ui_error)
}

/// Whole days off for a provider, in the provider's zone.
#[server(prefix = "/api", endpoint = "add-days-off")]
pub async fn add_days_off(
    provider: Uuid,
    first: String,
    last: String,
    reason: String,
) -> Result<(), UiError> {
    let mut errors = FieldErrors::new();
    let day = |text: &str| {
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "choose a date")
    };
    let first = errors.check("first", day(&first));
    let last = errors.check("last", day(&last));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ui_error(AppError::Invalid(errors)));
    };
    catalog::add_days_off(
        &deps()?,
        &writer().await?,
        provider,
        first,
        last,
        &reason,
        &origin(),
    )
    .await
    .map(drop)
    .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "remove-time-off")]
pub async fn remove_time_off(id: Uuid) -> Result<(), UiError> {
    catalog::remove_time_off(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

/// Archives a service, provider or resource (`kind` says which).
#[server(prefix = "/api", endpoint = "archive-catalog")]
pub async fn archive_item(kind: String, id: Uuid) -> Result<(), UiError> {
    let (deps, who, origin) = (deps()?, writer().await?, origin());
    match kind.as_str() {
        "service" => catalog::archive_service(&deps, &who, id, &origin).await,
        "provider" => catalog::archive_provider(&deps, &who, id, &origin).await,
        "resource" => catalog::archive_resource(&deps, &who, id, &origin).await,
        _ => Err(AppError::field(
            "kind",
            "choose service, provider or resource",
        )),
    }
    .map_err(ui_error)
}
