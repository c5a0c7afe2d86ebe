//! Two-factor sign-in as the pages see it: the codes people type, and the
//! state of a person's second factor. Wasm-safe, so the form checks a code
//! the same way the server does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;
/// The characters of recovery codes: no 0/o, 1/l/i to misread.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters per recovery code (shown as two groups of five).
pub const RECOVERY_LEN: usize = 10;
/// How long "trust this browser" lasts.
pub const TRUSTED_BROWSER_DAYS: i64 = 30;

/// A second-factor code as typed: six digits from the authenticator app,
/// or a recovery code. Spaces and hyphens are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecondFactorError {
    #[error("enter the 6-digit code from your authenticator app, or a recovery code")]
    Empty,
    #[error("a code is 6 digits (from your authenticator app) or 10 letters and digits (a recovery code)")]
    Malformed,
}

impl SecondFactor {
    pub fn parse(text: &str) -> Result<Self, SecondFactorError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        if compact.is_empty() {
            return Err(SecondFactorError::Empty);
        }
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::Totp(compact));
        }
        if compact.len() == RECOVERY_LEN && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            return Ok(Self::Recovery(compact));
        }
        Err(SecondFactorError::Malformed)
    }
}

/// `abcde-fghjk` from the ten characters of a recovery code.
pub fn format_recovery_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

/// A person's second factor, for their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TwoFactorView {
    pub enabled: bool,
    pub recovery_codes_left: u32,
    pub trusted_browsers: u32,
    /// Set when the current business requires two-factor sign-in: from when
    /// it is enforced for this person (the end of the grace period).
    pub required_from: Option<DateTime<Utc>>,
}

/// What the authenticator app needs, shown once while setting up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// `otpauth://totp/...`, what the QR code holds.
    pub otpauth_url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// The business's requirement, for its settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorPolicyView {
    pub required_since: Option<DateTime<Utc>>,
    pub grace_days: i32,
    /// Members without two-factor sign-in yet.
    pub members_without: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_recognised_as_typed() {
        assert_eq!(
            SecondFactor::parse(" 123 456 "),
            Ok(SecondFactor::Totp("123456".into()))
        );
        assert_eq!(
            SecondFactor::parse("ABCDE-FGHJK"),
            Ok(SecondFactor::Recovery("abcdefghjk".into()))
        );
        assert_eq!(SecondFactor::parse(""), Err(SecondFactorError::Empty));
        assert_eq!(
            SecondFactor::parse("12345"),
            Err(SecondFactorError::Malformed)
        );
        assert_eq!(
            SecondFactor::parse("abcde-fghj0"),
            Err(SecondFactorError::Malformed)
        );
        assert_eq!(format_recovery_code("abcdefghjk"), "abcde-fghjk");
    }
}
