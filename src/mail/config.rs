//! Outgoing email's settings (`MAIL_*`, `SMTP_*`).

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The From header, such as `Frontdesk <no-reply@example.com>`.
    pub from: String,
    /// Where the development outbox writes messages (one `.eml` file each).
    pub outbox_dir: std::path::PathBuf,
    /// `smtp://` (STARTTLS with `?tls=required`), `smtps://` (TLS), with
    /// credentials; unset means the outbox. Holds a password.
    pub smtp_url: Option<SecretString>,
    /// Per SMTP conversation.
    pub smtp_timeout: Duration,
    /// Whether the development outbox page answers callers other than
    /// this machine (loopback); off by default.
    pub outbox_remote: bool,
}

impl MailConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(MailConfig {
            from: env.parse_with(
                "MAIL_FROM",
                "Frontdesk <no-reply@frontdesk.localhost>".to_string(),
                "an address such as Frontdesk <no-reply@example.com>",
                |v| {
                    v.parse::<lettre::message::Mailbox>()
                        .ok()
                        .map(|_| v.to_string())
                },
            )?,
            outbox_dir: env.string("MAIL_OUTBOX_DIR", ".data/outbox").into(),
            smtp_url: env.parse_with(
                "SMTP_URL",
                None,
                "an smtp:// or smtps:// URL such as smtps://user:password@smtp.example.com",
                |v| {
                    (v.starts_with("smtp://") || v.starts_with("smtps://"))
                        .then(|| Some(SecretString::from(v)))
                },
            )?,
            smtp_timeout: env.seconds("SMTP_TIMEOUT_SECS", 20)?,
            outbox_remote: env.flag("DEV_OUTBOX_REMOTE", false)?,
        })
    }
}
