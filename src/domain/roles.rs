//! Roles and the permission matrix: who may do what with which kind of record.
//!
//! Wasm-safe, so the UI hides what the server would refuse; the services
//! check the same matrix on every call.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A member's role in one tenant, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum Role {
    Owner,
    Admin,
    Staff,
    Reader,
}

/// The kinds of tenant records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Client,
    Appointment,
    Service,
    Provider,
    Resource,
    File,
    Message,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Record(RecordKind, Action),
    /// Invite, change roles, remove members.
    ManageTeam,
    /// Business name, time zone, and the tenant's configuration.
    ManageSettings,
    ReadAuditLog,
    ManageApiKeys,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Client,
        RecordKind::Appointment,
        RecordKind::Service,
        RecordKind::Provider,
        RecordKind::Resource,
        RecordKind::File,
        RecordKind::Message,
    ];

    /// The name in API paths and scopes.
    pub fn plural(self) -> &'static str {
        match self {
            RecordKind::Client => "clients",
            RecordKind::Appointment => "appointments",
            RecordKind::Service => "services",
            RecordKind::Provider => "providers",
            RecordKind::Resource => "resources",
            RecordKind::File => "files",
            RecordKind::Message => "messages",
        }
    }
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Staff, Role::Reader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Reader => "reader",
        }
    }

    /// The matrix. Owners and admins may do everything a permission names
    /// (what only an owner may do, such as removing the last owner, is a rule
    /// of the team service, not a permission); staff run the day; readers look.
    pub fn allows(self, permission: Permission) -> bool {
        use Action::*;
        use RecordKind::*;
        match self {
            Role::Owner | Role::Admin => true,
            Role::Staff => match permission {
                Permission::Record(
                    Client | Appointment | File | Message,
                    Read | Create | Update,
                ) => true,
                // Mistaken uploads are removed by whoever works with the client.
                Permission::Record(File, Delete) => true,
                Permission::Record(Service | Provider | Resource, Read) => true,
                _ => false,
            },
            Role::Reader => matches!(permission, Permission::Record(_, Read)),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}'; expected owner, admin, staff or reader")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [RecordKind; 7] = RecordKind::ALL;
    const ACTIONS: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];
    const ADMINISTRATION: [Permission; 4] = [
        Permission::ManageTeam,
        Permission::ManageSettings,
        Permission::ReadAuditLog,
        Permission::ManageApiKeys,
    ];

    /// The matrix written out as a table: R C U D per record kind for staff.
    fn staff_expected(kind: RecordKind, action: Action) -> bool {
        let row = match kind {
            RecordKind::Client | RecordKind::Appointment | RecordKind::Message => "RCU-",
            RecordKind::File => "RCUD",
            RecordKind::Service | RecordKind::Provider | RecordKind::Resource => "R---",
        };
        let column = ACTIONS.iter().position(|a| *a == action).unwrap();
        row.as_bytes()[column] != b'-'
    }

    #[test]
    fn owners_and_admins_may_do_everything() {
        for role in [Role::Owner, Role::Admin] {
            for kind in KINDS {
                for action in ACTIONS {
                    assert!(
                        role.allows(Permission::Record(kind, action)),
                        "{role} {kind:?} {action:?}"
                    );
                }
            }
            for p in ADMINISTRATION {
                assert!(role.allows(p), "{role} {p:?}");
            }
        }
    }

    #[test]
    fn staff_run_the_day_but_do_not_administer() {
        for kind in KINDS {
            for action in ACTIONS {
                assert_eq!(
                    Role::Staff.allows(Permission::Record(kind, action)),
                    staff_expected(kind, action),
                    "{kind:?} {action:?}"
                );
            }
        }
        for p in ADMINISTRATION {
            assert!(!Role::Staff.allows(p), "{p:?}");
        }
    }

    #[test]
    fn readers_only_read_records() {
        for kind in KINDS {
            for action in ACTIONS {
                assert_eq!(
                    Role::Reader.allows(Permission::Record(kind, action)),
                    action == Action::Read,
                    "{kind:?} {action:?}"
                );
            }
        }
        for p in ADMINISTRATION {
            assert!(!Role::Reader.allows(p));
        }
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        let err = "superuser".parse::<Role>().unwrap_err();
        assert!(err
            .to_string()
            .contains("expected owner, admin, staff or reader"));
    }
}
