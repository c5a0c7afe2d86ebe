//! Booking: appointments that fit the provider's hours (or say why not),
//! keep buffers, and never double-book a provider or a resource. The
//! database's exclusion constraints decide races; the loser gets a 409
//! naming the appointment in the way.

mod book;
mod change;
mod edit;
mod read;
mod rules;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use book::{book, book_series};
pub use change::{cancel, cancel_scoped, reschedule, reschedule_scoped, set_status, undo_cancel};
pub use edit::{edit, Edit};
pub(crate) use read::load_many;
pub use read::{for_client, get, list, upcoming_for_clients, Listing, MAX_RANGE_DAYS, PAGE};
pub(crate) use rules::{provider_week, provider_zone};

#[derive(Debug, Clone, Default)]
pub struct Booking {
    pub client_id: Uuid,
    pub service_id: Uuid,
    pub provider_id: Uuid,
    pub resource_ids: Vec<Uuid>,
    pub starts_at: Option<DateTime<Utc>>,
    pub notes: String,
    /// Books outside the provider's working hours; the reason is kept.
    pub override_reason: Option<String>,
}
