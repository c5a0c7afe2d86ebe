//! Value types of the front desk's records.

use serde::{Deserialize, Serialize};

/// A phone number as people write it: digits with optional `+`, spaces,
/// dashes, dots and parentheses; 5 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a phone number may use digits, spaces, + - . ( ) only")]
    Characters,
    #[error("a phone number has 5 to 20 digits")]
    Length,
}

impl Phone {
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let text = text.trim();
        if !text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
            || text[1.min(text.len())..].contains('+')
        {
            return Err(PhoneError::Characters);
        }
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if !(5..=20).contains(&digits) {
            return Err(PhoneError::Length);
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as search compares it: its digits without leading zeros,
/// so that an international prefix (`00`) and a national trunk prefix (`0`)
/// drop away. The database keeps the same value in `clients.phone_digits`.
pub fn phone_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').to_string()
}

/// The digits to look for when a search looks like a phone number (only
/// phone characters, at least three digits); `None` for names and emails.
pub fn phone_query(text: &str) -> Option<String> {
    let text = text.trim();
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-./()".contains(c));
    let digits = phone_digits(text);
    (phone_like && digits.len() >= 3).then_some(digits)
}

/// Whether a stored number (as [`phone_digits`]) is the one searched for
/// (as [`phone_query`]): the search is part of it, or, for a number stored
/// without its country code, it ends the search. The client search runs the
/// same test in SQL.
pub fn phone_matches(stored: &str, query: &str) -> bool {
    !stored.is_empty() && (stored.contains(query) || (stored.len() >= 6 && query.ends_with(stored)))
}

/// An amount of money in minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("a price cannot be negative")]
    Negative,
    #[error("a currency is three capital letters such as EUR or USD")]
    Currency,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Result<Self, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative);
        }
        let currency = currency.trim();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(MoneyError::Currency);
        }
        Ok(Money {
            minor,
            currency: currency.to_string(),
        })
    }
}

/// A colour for the calendar, `#rrggbb` in lower case.
pub fn parse_colour(text: &str) -> Result<String, ColourError> {
    let text = text.trim().to_ascii_lowercase();
    let ok = text.len() == 7
        && text.starts_with('#')
        && text[1..].chars().all(|c| c.is_ascii_hexdigit());
    ok.then_some(text).ok_or(ColourError)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a colour is written #rrggbb, such as #4a7bd0")]
pub struct ColourError;

/// The state of an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum AppointmentStatus {
    Booked,
    Confirmed,
    /// The client is here (checked in at the desk).
    Arrived,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 6] = [
        AppointmentStatus::Booked,
        AppointmentStatus::Confirmed,
        AppointmentStatus::Arrived,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Confirmed => "confirmed",
            AppointmentStatus::Arrived => "arrived",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no_show",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// How staff read it.
    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Booked",
            AppointmentStatus::Confirmed => "Confirmed",
            AppointmentStatus::Arrived => "Arrived",
            AppointmentStatus::Completed => "Completed",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "No-show",
        }
    }
}

/// The order of the client list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClientSort {
    /// A to Z.
    #[default]
    Name,
    /// The most recently added first.
    Newest,
}

/// Which appointments of a series an edit touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Scope {
    /// Only the appointment at hand.
    #[default]
    This,
    /// It and every later appointment of its series.
    Following,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(Phone::parse("+49 (30) 123-456.78").is_ok());
        assert_eq!(Phone::parse("12 34").unwrap_err(), PhoneError::Length);
        assert_eq!(Phone::parse("call me").unwrap_err(), PhoneError::Characters);
        assert_eq!(
            Phone::parse("12+345678").unwrap_err(),
            PhoneError::Characters
        );
    }

    #[test]
    fn a_number_written_three_ways_finds_the_same_client() {
        for stored in ["+49 30 3106454", "030 3106454", "0049 (30) 310-6454"] {
            let stored = phone_digits(stored);
            for typed in ["+49303106454", "030 3106454", "3106454", "0049303106454"] {
                let query = phone_query(typed).expect("a phone search");
                assert!(
                    phone_matches(&stored, &query),
                    "{typed} finds a client stored as {stored}"
                );
            }
        }
    }

    #[test]
    fn phone_search_needs_digits_and_does_not_match_others() {
        assert_eq!(phone_digits("+49 (30) 310-6454"), "49303106454");
        assert_eq!(phone_query("Mia Novak"), None);
        assert_eq!(phone_query("mia@example.com"), None);
        assert_eq!(phone_query("0 1"), None);
        assert_eq!(phone_query(" 645 "), Some("645".into()));
        let stored = phone_digits("+49 30 3106454");
        assert!(!phone_matches(
            &stored,
            &phone_query("030 3106455").unwrap()
        ));
        assert!(!phone_matches(
            &stored,
            &phone_query("+44 20 3106454").unwrap()
        ));
        // A short stored number is not found at the end of every long search.
        assert!(!phone_matches("454", &phone_query("+49303106454").unwrap()));
        assert!(!phone_matches("", "303"));
    }

    #[test]
    fn money_and_colours() {
        assert_eq!(Money::new(6000, "EUR").unwrap().minor, 6000);
        assert_eq!(Money::new(-1, "EUR").unwrap_err(), MoneyError::Negative);
        assert_eq!(Money::new(1, "eur").unwrap_err(), MoneyError::Currency);
        assert_eq!(parse_colour(" #4A7BD0 ").unwrap(), "#4a7bd0");
        assert!(parse_colour("blue").is_err());
        for status in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(status.as_str()), Some(status));
        }
    }
}
