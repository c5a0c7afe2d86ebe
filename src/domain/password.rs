//! A new password, checked the same way in the browser form and on the server.

use std::fmt;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 256;

/// A password that meets the policy. Its `Debug` never shows the text.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_CHARS} characters")]
    TooLong,
    #[error("the password must not be only spaces")]
    Blank,
}

impl NewPassword {
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        let chars = text.chars().count();
        if text.trim().is_empty() && !text.is_empty() {
            return Err(PasswordError::Blank);
        }
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(text.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_long_enough_passwords_including_unicode() {
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert!(NewPassword::parse("ümlaute-äöü!").is_ok());
    }

    #[test]
    fn rejects_short_long_and_blank_with_a_reason() {
        assert_eq!(
            NewPassword::parse("short").unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(257)).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(
            NewPassword::parse("            ").unwrap_err(),
            PasswordError::Blank
        );
        assert!(NewPassword::parse("short")
            .unwrap_err()
            .to_string()
            .contains("at least 10"));
    }

    #[test]
    fn debug_hides_the_text() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
