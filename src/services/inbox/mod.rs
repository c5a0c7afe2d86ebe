//! The inbox: each business's mailboxes synced over IMAP, their messages
//! kept (raw in storage, parsed in PostgreSQL) and grouped into
//! conversations per client.
//!
//! `mailboxes` (settings, "Test connection", "Sync now"), `sync` (the jobs
//! and the per-folder cursor), `store` (keeping one message), `send` (replies), `threading`
//! (which conversation it joins), `conversations` (what staff read and tidy).

pub mod conversations;
pub mod mailboxes;
pub mod send;
pub mod store;
pub mod sync;
mod threading;

pub use send::SendMailboxMessage;
pub use sync::{ScanMailboxes, SyncMailbox};
