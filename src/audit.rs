//! Writing the audit log: one entry per change to tenant data, in the same
//! transaction as the change, so an entry exists exactly when the change does.

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use sqlx::PgConnection;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    ApiKey(Uuid),
    /// Schedules, jobs and maintenance.
    System,
}

impl Actor {
    fn kind_and_id(self) -> (&'static str, Option<Uuid>) {
        match self {
            Actor::User(id) => ("user", Some(id)),
            Actor::ApiKey(id) => ("api_key", Some(id)),
            Actor::System => ("system", None),
        }
    }
}

/// Where a change came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub request_id: Option<String>,
    /// A keyed hash of the client IP (see `telemetry::hash_for_log`), never the IP.
    pub ip_hash: Option<String>,
}

/// The changed fields, old and new. Fields whose name marks a secret are
/// recorded as changed without their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

const SECRET_MARKERS: [&str; 5] = ["password", "secret", "token", "key_hash", "api_key"];

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `field` when `old` and `new` differ; `None` stands for absent.
    pub fn field<T: Serialize + PartialEq>(
        mut self,
        field: &str,
        old: Option<T>,
        new: Option<T>,
    ) -> Self {
        if old == new {
            return self;
        }
        let name = field.to_ascii_lowercase();
        let value = if SECRET_MARKERS.iter().any(|m| name.contains(m)) {
            serde_json::json!({ "redacted": true })
        } else {
            serde_json::json!({ "old": old, "new": new })
        };
        self.0.insert(field.to_string(), value);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// One audit entry.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub changes: Changes,
}

/// Appends `entry` to the current tenant's audit log, in the transaction
/// `conn` is in (a unit of work's: see `services::work`).
pub(crate) async fn record(
    conn: &mut PgConnection,
    actor: Actor,
    origin: &Origin,
    entry: Entry<'_>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let (actor_kind, actor_id) = actor.kind_and_id();
    sqlx::query!(
        "INSERT INTO audit_log (id, actor_kind, actor_id, action, entity_type, entity_id, request_id, ip_hash, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        actor_kind,
        actor_id,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        origin.request_id.as_deref(),
        origin.ip_hash.as_deref(),
        entry.changes.into_value()
    )
    .execute(conn)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_what_changed() {
        let changes = Changes::new()
            .field("name", Some("Ann"), Some("Anna"))
            .field("time_zone", Some("Europe/Berlin"), Some("Europe/Berlin"))
            .field("phone", None, Some("+49 30 1234567"));
        assert_eq!(
            changes.into_value(),
            serde_json::json!({
                "name": {"old": "Ann", "new": "Anna"},
                "phone": {"old": null, "new": "+49 30 1234567"},
            })
        );
    }

    #[test]
    fn secret_fields_are_recorded_without_values() {
        let changes = Changes::new()
            .field(
                "password_hash",
                Some("$argon2id$old"),
                Some("$argon2id$new"),
            )
            .field("reset_token", None, Some("abc"));
        let json = changes.into_value().to_string();
        assert!(!json.contains("argon2") && !json.contains("abc"), "{json}");
        assert!(
            json.contains(r#""password_hash":{"redacted":true}"#),
            "{json}"
        );
    }
}
