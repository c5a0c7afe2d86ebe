//! What an API key may do: read or write one kind of record.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::roles::{Action, Permission, RecordKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiScope {
    pub kind: RecordKind,
    pub write: bool,
}

impl ApiScope {
    /// Every scope, in the order the UI lists them.
    pub fn all() -> Vec<ApiScope> {
        RecordKind::ALL
            .into_iter()
            .flat_map(|kind| [false, true].map(|write| ApiScope { kind, write }))
            .collect()
    }

    /// Whether this scope covers `permission`: writing covers create, update and delete.
    pub fn covers(self, permission: Permission) -> bool {
        match permission {
            Permission::Record(kind, action) => {
                kind == self.kind && (self.write || action == Action::Read)
            }
            _ => false,
        }
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access = if self.write { "write" } else { "read" };
        write!(f, "{}:{access}", self.kind.plural())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope '{0}'; expected a record kind and access such as clients:read or appointments:write")]
pub struct UnknownScope(pub String);

impl FromStr for ApiScope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownScope(s.chars().take(64).collect());
        let (kind, access) = s.trim().split_once(':').ok_or_else(unknown)?;
        let kind = RecordKind::ALL
            .into_iter()
            .find(|k| k.plural() == kind)
            .ok_or_else(unknown)?;
        let write = match access {
            "read" => false,
            "write" => true,
            _ => return Err(unknown()),
        };
        Ok(ApiScope { kind, write })
    }
}

impl Serialize for ApiScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ApiScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_scope() {
        let all = ApiScope::all();
        assert_eq!(all.len(), RecordKind::ALL.len() * 2);
        for scope in all {
            assert_eq!(scope.to_string().parse::<ApiScope>().unwrap(), scope);
        }
        assert_eq!(
            "clients:write".parse::<ApiScope>().unwrap(),
            ApiScope {
                kind: RecordKind::Client,
                write: true
            }
        );
        for bad in ["clients", "clients:admin", "planets:read", ""] {
            assert!(bad.parse::<ApiScope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn read_covers_only_reading_and_never_administration() {
        let read = ApiScope {
            kind: RecordKind::Client,
            write: false,
        };
        let write = ApiScope {
            kind: RecordKind::Client,
            write: true,
        };
        assert!(read.covers(Permission::Record(RecordKind::Client, Action::Read)));
        assert!(!read.covers(Permission::Record(RecordKind::Client, Action::Update)));
        assert!(write.covers(Permission::Record(RecordKind::Client, Action::Delete)));
        assert!(!write.covers(Permission::Record(RecordKind::Appointment, Action::Read)));
        assert!(!write.covers(Permission::ManageTeam));
    }
}
