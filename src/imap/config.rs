//! The inbox's settings (`INBOX_*`): how long an IMAP step may take and how
//! much one sync batch fetches. Each mailbox's own server and password are
//! business data, entered in Settings > Mailboxes.

use std::time::Duration;

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxConfig {
    /// For each network step and each IMAP command.
    pub timeout: Duration,
    /// Messages fetched and stored per transaction.
    pub batch_messages: usize,
    /// Bytes fetched per batch (a larger single message is fetched alone).
    pub batch_bytes: u64,
}

impl InboxConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(InboxConfig {
            timeout: env.seconds("INBOX_IMAP_TIMEOUT_SECS", 30)?,
            batch_messages: env.parse_positive(
                "INBOX_SYNC_BATCH",
                100,
                "a whole number of messages above 0",
            )?,
            batch_bytes: env.parse_positive(
                "INBOX_SYNC_BATCH_BYTES",
                16 * 1024 * 1024,
                "a whole number of bytes above 0",
            )?,
        })
    }
}
