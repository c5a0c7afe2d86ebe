//! Value types of accounts and tenants, parsed the same way in the browser
//! form and on the server.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::zone::Zone;

/// An email address as staff type it: trimmed, one `@`, a dotted domain.
/// Compared case-insensitively by the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("an email address has at most 254 characters")]
    TooLong,
    #[error("this is not an email address; expected a form like name@example.com")]
    Malformed,
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = text.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(domain_ok && local_ok) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name of a person or a business: 1 to 200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("enter a name")]
    Empty,
    #[error("a name has at most 200 characters")]
    TooLong,
    #[error("a name must not contain control characters")]
    ControlCharacters,
}

impl DisplayName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: &str) -> Result<Self, DisplayNameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(DisplayNameError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(DisplayNameError::ControlCharacters);
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The short name of a tenant in addresses: `a-z`, `0-9` and inner hyphens, 1 to 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("enter a short name for addresses")]
    Empty,
    #[error("the short name has at most 63 characters")]
    TooLong,
    #[error(
        "the short name may use only a-z, 0-9 and hyphens, and must not start or end with a hyphen"
    )]
    Malformed,
}

impl Slug {
    pub const MAX_CHARS: usize = 63;

    pub fn parse(text: &str) -> Result<Self, SlugError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SlugError::Empty);
        }
        if text.len() > Self::MAX_CHARS {
            return Err(SlugError::TooLong);
        }
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !allowed || text.starts_with('-') || text.ends_with('-') {
            return Err(SlugError::Malformed);
        }
        Ok(Self(text.to_string()))
    }

    /// A slug derived from a business name ("Zoë's Studio" -> "zo-s-studio"),
    /// or `None` when the name has no letters or digits to build one from.
    pub fn suggest(name: &str) -> Option<Self> {
        let mut slug = String::new();
        for c in name.trim().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug: String = slug.chars().take(Self::MAX_CHARS).collect();
        Self::parse(slug.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZoneName(Zone);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error("choose a time zone")]
    Empty,
    #[error("'{0}' is not a time zone; expected an IANA name such as Europe/Berlin")]
    Unknown(String),
}

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<Self, TimeZoneError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TimeZoneError::Empty);
        }
        Zone::from_str(text)
            .map(Self)
            .map_err(|_| TimeZoneError::Unknown(text.chars().take(64).collect()))
    }

    pub fn tz(self) -> Zone {
        self.0
    }

    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    /// The canonical zone names (no legacy aliases), for pickers.
    pub fn choices() -> impl Iterator<Item = &'static str> {
        super::zone::names::NAMES.iter().copied()
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "ann@example.com",
            " Ann.Lee+desk@Clinic.example.org ",
            "a@b.co",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Email::parse("  ").unwrap_err(), EmailError::Empty);
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann lee@example.com",
            "ann@exa mple.com",
            "ann@-x.com",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err(),
                EmailError::Malformed,
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err(), EmailError::TooLong);
        assert_eq!(Email::parse(" a@b.co ").unwrap().as_str(), "a@b.co");
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse("  Ann  ").unwrap().as_str(), "Ann");
        assert_eq!(
            DisplayName::parse(" ").unwrap_err(),
            DisplayNameError::Empty
        );
        assert_eq!(
            DisplayName::parse(&"x".repeat(201)).unwrap_err(),
            DisplayNameError::TooLong
        );
        assert_eq!(
            DisplayName::parse("a\u{0}b").unwrap_err(),
            DisplayNameError::ControlCharacters
        );
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("north-clinic-2").is_ok());
        for bad in ["North", "-a", "a-", "a_b", "a b"] {
            assert_eq!(Slug::parse(bad).unwrap_err(), SlugError::Malformed, "{bad}");
        }
        assert_eq!(
            Slug::parse(&"a".repeat(64)).unwrap_err(),
            SlugError::TooLong
        );
        assert_eq!(
            Slug::suggest("Zoë's  Studio!").unwrap().as_str(),
            "zo-s-studio"
        );
        assert_eq!(
            Slug::suggest("  Physio Nord  ").unwrap().as_str(),
            "physio-nord"
        );
        assert_eq!(Slug::suggest("¡¡!!"), None);
        assert_eq!(Slug::suggest(&"ab ".repeat(40)).unwrap().as_str().len(), 62);
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            TimeZoneName::parse(" Europe/Berlin ").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZoneName::parse("").unwrap_err(), TimeZoneError::Empty);
        assert!(matches!(
            TimeZoneName::parse("Mars/Olympus"),
            Err(TimeZoneError::Unknown(_))
        ));
        assert!(TimeZoneName::choices().any(|z| z == "America/New_York"));
        assert!(TimeZoneName::choices().all(|z| TimeZoneName::parse(z).is_ok()));
        let json = serde_json::to_string(&TimeZoneName::parse("Asia/Tokyo").unwrap()).unwrap();
        assert_eq!(json, "\"Asia/Tokyo\"");
    }
}
