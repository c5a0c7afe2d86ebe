//! What the UI shows: the shapes server functions return to the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{api_scopes::ApiScope, roles::Role, time_format::TimeFormat};

/// The signed-in staff member, the tenant they work in, and where else they may switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub tenant: TenantChoice,
    pub tenants: Vec<TenantChoice>,
    /// The business requires two-factor sign-in and this person has not set
    /// it up: from when it is enforced.
    #[serde(default)]
    pub two_factor_due: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the person opened the link sent to their address.
    #[serde(default)]
    pub email_verified: bool,
}

impl SessionView {
    pub fn role(&self) -> Role {
        self.tenant.role
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantChoice {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    #[serde(default)]
    pub time_format: TimeFormat,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What the person following an invitation link sees before accepting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub tenant_name: String,
    pub email: String,
    pub role: Role,
    /// Whether an account with this email exists (then accepting asks for its password).
    pub has_account: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// The user's or key's name when it still exists.
    pub actor_name: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// `{"field": {"old": .., "new": ..}}` as JSON text.
    pub changes: String,
    /// The entry told with names and the business's time.
    pub sentence: String,
}

/// One page of the audit log, newest first; `next` continues after the last entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next: Option<String>,
    /// The entity types and actors the filters offer.
    pub entity_types: Vec<String>,
    pub actors: Vec<(Uuid, String)>,
    /// The business's zone, which the entries' times are shown in.
    pub time_zone: String,
    #[serde(default)]
    pub time_format: TimeFormat,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to recognise it; never enough to use it.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClientView {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    pub tags: Vec<String>,
    pub email_reminders: bool,
    pub archived: bool,
}

/// A page of clients in name order; `next` continues after the last one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClientPage {
    pub clients: Vec<ClientView>,
    pub next: Option<String>,
}

/// A saved client, with other clients already using the same email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SavedClient {
    pub client: ClientView,
    pub same_email: Vec<ClientView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ServiceView {
    pub id: Uuid,
    pub name: String,
    pub duration_minutes: i32,
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub colour: String,
    pub resource_kinds: Vec<String>,
    pub provider_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ProviderView {
    pub id: Uuid,
    pub name: String,
    pub time_zone: String,
    pub colour: String,
    pub user_id: Option<Uuid>,
    /// The weekly working hours, in the provider's zone.
    pub hours: Vec<crate::domain::scheduling::WorkingSpan>,
    /// Time off that has not ended yet, soonest first.
    pub time_off: Vec<TimeOffView>,
}

/// A span when a provider does not work (holiday, training, sick day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TimeOffView {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ResourceView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AppointmentView {
    pub id: Uuid,
    pub client_id: Uuid,
    pub client_name: String,
    pub service_id: Uuid,
    pub service_name: String,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub resource_ids: Vec<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: crate::domain::records::AppointmentStatus,
    pub notes: String,
    pub override_reason: Option<String>,
    /// The weekly series this appointment belongs to, if any.
    pub series_id: Option<Uuid>,
    pub cancel_reason: Option<String>,
    /// The service's colour, for the calendar.
    pub colour: String,
}

/// One day of the dashboard's chart, in the business's zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub date: chrono::NaiveDate,
    /// Appointments that are not cancelled.
    pub active: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub no_show: i64,
}

/// The dashboard: a fortnight around today, and today's agenda.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub today: chrono::NaiveDate,
    /// The moment the dashboard was read, by the app's clock (for late and in progress).
    #[serde(default)]
    pub now: DateTime<Utc>,
    pub time_zone: String,
    #[serde(default)]
    pub time_format: TimeFormat,
    /// The 7 days before today, today and the 7 days after, in order.
    pub days: Vec<DayCount>,
    /// Totals over the 7 days before today (cancelled ones included).
    pub past_total: i64,
    pub past_completed: i64,
    pub past_cancelled: i64,
    pub past_no_show: i64,
    pub new_clients: i64,
    /// Providers with the most appointments in the fortnight, busiest first.
    pub busiest: Vec<(String, i64)>,
    pub agenda: Vec<AppointmentView>,
}

impl DashboardView {
    /// `part` as a whole percentage of the past week's appointments.
    pub fn rate(&self, part: i64) -> u32 {
        if self.past_total == 0 {
            0
        } else {
            ((part * 100 + self.past_total / 2) / self.past_total) as u32
        }
    }
}

/// What the calendar shows for a range: everything needed to draw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarView {
    pub time_zone: String,
    #[serde(default)]
    pub time_format: TimeFormat,
    /// The minutes a click on the grid snaps to (the business's booking step).
    pub step_minutes: u32,
    pub providers: Vec<ProviderView>,
    pub resources: Vec<ResourceView>,
    pub services: Vec<ServiceView>,
    pub appointments: Vec<AppointmentView>,
    /// The provider a one-provider view (a week) shows; its appointments
    /// are the only ones loaded.
    #[serde(default)]
    pub shown_provider: Option<Uuid>,
}

/// The first free time the finder found: when, and with whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct FreeSlotView {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub starts_at: DateTime<Utc>,
}

/// A file on a client's record. The links work until `links_expire_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClientFileView {
    pub id: Uuid,
    pub client_id: Uuid,
    /// The name it was uploaded with.
    pub name: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: Option<String>,
    /// Who uploaded it: a team member's name, or the API key's.
    pub uploaded_by: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    /// Saves the file (`Content-Disposition: attachment`). None while the
    /// file still waits to be moved into storage.
    pub download_url: Option<String>,
    /// Shows images and PDFs in place.
    pub preview_url: Option<String>,
    pub links_expire_at: Option<DateTime<Utc>>,
}

impl ClientFileView {
    pub fn kind(&self) -> Option<crate::domain::files::FileKind> {
        let ext = self.name.rsplit_once('.')?.1;
        crate::domain::files::FileKind::from_extension(ext)
    }
}

/// One of the signed-in person's sessions, for their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    pub id: Uuid,
    /// "Chrome 131 on Windows 10", or what the browser called itself.
    pub browser: String,
    pub address: String,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session this list was asked from.
    pub current: bool,
}
