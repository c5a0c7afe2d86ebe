//! Live updates: what the server tells open pages when something changes.
//!
//! A change names only the kind of record, which record and how it changed;
//! the page refetches through its usual (checked) server functions.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::roles::{Action, Permission, RecordKind};

/// What a page may follow. Each is read with one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Appointments,
    Clients,
    Files,
    /// Services, providers and rooms.
    Catalog,
    /// Conversations, messages and mailboxes.
    Inbox,
    /// Members, invitations and API keys.
    Team,
    /// The business's own settings (name, time zone, time format).
    Settings,
    /// The background jobs page.
    Jobs,
}

impl Topic {
    pub const ALL: [Topic; 8] = [
        Topic::Appointments,
        Topic::Clients,
        Topic::Files,
        Topic::Catalog,
        Topic::Inbox,
        Topic::Team,
        Topic::Settings,
        Topic::Jobs,
    ];

    /// The topic of an audited record type (`entity_type` of an audit entry);
    /// `None` for what no page of a business follows (a person's own account).
    pub fn of_record(entity_type: &str) -> Option<Topic> {
        Some(match entity_type {
            "appointment" => Topic::Appointments,
            "client" => Topic::Clients,
            "file" => Topic::Files,
            "service" | "provider" | "resource" => Topic::Catalog,
            "conversation" | "message" | "mailbox" => Topic::Inbox,
            "member" | "invitation" | "api_key" => Topic::Team,
            "tenant" => Topic::Settings,
            "job" => Topic::Jobs,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Appointments => "appointments",
            Topic::Clients => "clients",
            Topic::Files => "files",
            Topic::Catalog => "catalog",
            Topic::Inbox => "inbox",
            Topic::Team => "team",
            Topic::Settings => "settings",
            Topic::Jobs => "jobs",
        }
    }

    pub fn parse(word: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == word)
    }

    /// What a session must hold to be told of changes in this topic; `None`
    /// when every member reads it.
    pub fn permission(self) -> Option<Permission> {
        let read = |kind| Some(Permission::Record(kind, Action::Read));
        match self {
            Topic::Appointments => read(RecordKind::Appointment),
            Topic::Clients => read(RecordKind::Client),
            Topic::Files => read(RecordKind::File),
            Topic::Catalog => read(RecordKind::Service),
            Topic::Inbox => read(RecordKind::Message),
            Topic::Team => Some(Permission::ManageTeam),
            Topic::Jobs => Some(Permission::ManageSettings),
            Topic::Settings => None,
        }
    }
}

/// One change as a page receives it (the `data` of an SSE `change` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub topic: Topic,
    /// The record, when the change is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The audit action (`appointment.move`) or what the system did
    /// (`message.received`).
    pub action: String,
}

/// The SSE event names: a change, or "reload what you show" after a gap.
pub const EVENT_CHANGE: &str = "change";
pub const EVENT_RESYNC: &str = "resync";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;

    #[test]
    fn topics_round_trip_through_their_words() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
            let json = serde_json::to_string(&topic).unwrap();
            assert_eq!(json, format!("\"{}\"", topic.as_str()));
        }
        assert_eq!(Topic::parse("secrets"), None);
    }

    #[test]
    fn a_reader_follows_records_but_not_the_team_or_jobs() {
        let follows = |role: Role, topic: Topic| topic.permission().is_none_or(|p| role.allows(p));
        for topic in [
            Topic::Appointments,
            Topic::Clients,
            Topic::Inbox,
            Topic::Settings,
        ] {
            assert!(follows(Role::Reader, topic), "{topic:?}");
        }
        assert!(!follows(Role::Reader, Topic::Team));
        assert!(!follows(Role::Reader, Topic::Jobs));
        assert!(follows(Role::Owner, Topic::Jobs));
    }

    #[test]
    fn audited_records_map_to_topics() {
        assert_eq!(Topic::of_record("appointment"), Some(Topic::Appointments));
        assert_eq!(Topic::of_record("conversation"), Some(Topic::Inbox));
        assert_eq!(Topic::of_record("user"), None);
    }
}
