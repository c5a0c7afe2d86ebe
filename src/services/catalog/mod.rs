//! What a business offers and who and what does it: services, providers
//! with their working hours and time off, resources. Each is created,
//! listed, changed and archived (never deleted: appointments point at them).

mod providers;
mod resources;
mod services;

pub use providers::{
    add_days_off, add_time_off, archive_provider, create_provider, get_provider, list_providers,
    remove_time_off, update_provider, ProviderInput,
};
pub use resources::{
    archive_resource, create_resource, get_resource, list_resources, update_resource,
};
pub use services::{
    archive_service, create_service, get_service, list_services, update_service, ServiceInput,
};

use crate::domain::{form::FieldErrors, records::parse_colour};

/// The colour given, or `default` when none was.
fn colour_or(errors: &mut FieldErrors, text: &str, default: &str) -> Option<String> {
    if text.trim().is_empty() {
        Some(default.to_string())
    } else {
        errors.check("colour", parse_colour(text))
    }
}

fn valid_kind(kind: &str) -> bool {
    let mut chars = kind.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && kind.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

const KIND_HINT: &str = "a resource kind is a short lower-case word such as room or chair";
