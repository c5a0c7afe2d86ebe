//! The inbox: each business's mailboxes synced over IMAP, their messages
//! kept (raw in storage, parsed in PostgreSQL) and grouped into
//! conversations per client.
//!
//! `mailboxes` (settings, "Test connection", "Sync now"), `sync` (the jobs
//! and the per-folder cursor), `store` (keeping one message), `send` (replies), `attach` (client files sent with them), `threading`
//! (which conversation it joins), `conversations` (what staff read and tidy),
//! `regroup` (merge and split), `seen` (read and unread back to the server).

pub mod attach;
pub mod conversations;
pub mod mailboxes;
pub mod regroup;
pub mod seen;
pub mod send;
pub mod store;
pub mod sync;
mod threading;

pub use seen::PushSeen;
pub use send::SendMailboxMessage;
pub use sync::{ScanMailboxes, SyncMailbox};
