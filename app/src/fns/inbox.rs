//! The inbox: conversations, messages, and the mailboxes behind them.

use frontdesk::domain::inbox::{
    ConversationSummary, ConversationView, MailboxInput, MailboxView, MergeChoice, SyncFailureView,
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{deps, origin, reader, writer},
    crate::errors::ssr::ui_error,
    frontdesk::services::inbox::{
        conversations::{self, ConversationFilter},
        mailboxes, regroup,
    },
};

/// The conversation list. `show` is `unread`, `unassigned`, `mine` or
/// `archived` (anything else: everything open).
#[server(prefix = "/api", endpoint = "conversations")]
pub async fn load_conversations(
    show: Option<String>,
    mailbox: Option<Uuid>,
    client: Option<Uuid>,
    q: Option<String>,
) -> Result<Vec<ConversationSummary>, UiError> {
    let show = show.unwrap_or_default();
    let who = reader().await?;
    let filter = ConversationFilter {
        unread: show == "unread",
        unassigned: show == "unassigned",
        archived: show == "archived",
        // A client's page shows their whole history.
        any_state: client.is_some(),
        assignee: (show == "mine").then_some(who.user_id),
        mailbox,
        client,
        search: q,
        limit: None,
    };
    conversations::list(&deps()?, &who, &filter)
        .await
        .map_err(ui_error)
}

/// One conversation with its messages.
#[server(prefix = "/api", endpoint = "conversation")]
pub async fn load_conversation(id: Uuid) -> Result<ConversationView, UiError> {
    conversations::view(&deps()?, &reader().await?, id)
        .await
        .map_err(ui_error)
}

/// Replies to the conversation's correspondent from its mailbox.
#[server(prefix = "/api", endpoint = "send-reply")]
pub async fn send_reply(
    conversation: Uuid,
    text: String,
    attachments: Option<Vec<Uuid>>,
) -> Result<Uuid, UiError> {
    frontdesk::services::inbox::send::reply(
        &deps()?,
        &writer().await?,
        conversation,
        &text,
        &attachments.unwrap_or_default(),
        &origin(),
    )
    .await
    .map_err(ui_error)
}

/// Starts a conversation with a client: a new message from a mailbox.
#[server(prefix = "/api", endpoint = "compose-message")]
pub async fn compose_message(
    client: Uuid,
    mailbox: Option<Uuid>,
    subject: String,
    text: String,
    attachments: Option<Vec<Uuid>>,
) -> Result<Uuid, UiError> {
    let input = frontdesk::services::inbox::send::NewMessage {
        client,
        mailbox,
        subject,
        text,
        attachments: attachments.unwrap_or_default(),
    };
    frontdesk::services::inbox::send::compose(&deps()?, &writer().await?, &input, &origin())
        .await
        .map(|c| c.conversation)
        .map_err(ui_error)
}

/// Makes the sender of an unassigned conversation a client; returns the client.
#[server(prefix = "/api", endpoint = "client-from-sender")]
pub async fn client_from_sender(conversation: Uuid, name: String) -> Result<Uuid, UiError> {
    conversations::client_from_sender(&deps()?, &writer().await?, conversation, &name, &origin())
        .await
        .map_err(ui_error)
}

/// "Take it" or "Let go".
#[server(prefix = "/api", endpoint = "take-conversation")]
pub async fn take_conversation(id: Uuid, take: bool) -> Result<(), UiError> {
    conversations::take(&deps()?, &writer().await?, id, take, &origin())
        .await
        .map_err(ui_error)
}

/// Copies an attachment into the conversation's client's files.
#[server(prefix = "/api", endpoint = "save-attachment")]
pub async fn save_attachment(id: Uuid) -> Result<String, UiError> {
    conversations::save_attachment(&deps()?, &writer().await?, id, &origin())
        .await
        .map(|file| file.name)
        .map_err(ui_error)
}

/// The conversations this one can be merged into.
#[server(prefix = "/api", endpoint = "merge-choices")]
pub async fn load_merge_choices(id: Uuid) -> Result<Vec<MergeChoice>, UiError> {
    regroup::merge_choices(&deps()?, &reader().await?, id)
        .await
        .map_err(ui_error)
}

/// Merges conversation `id` into `into`; returns `into`.
#[server(prefix = "/api", endpoint = "merge-conversation")]
pub async fn merge_conversation(id: Uuid, into: Uuid) -> Result<Uuid, UiError> {
    regroup::merge(&deps()?, &writer().await?, id, into, &origin())
        .await
        .map(|()| into)
        .map_err(ui_error)
}

/// Splits a message (with the replies to it) into a conversation of its
/// own; returns the new conversation.
#[server(prefix = "/api", endpoint = "split-message")]
pub async fn split_message(message: Uuid) -> Result<Uuid, UiError> {
    regroup::split(&deps()?, &writer().await?, message, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "mark-conversation")]
pub async fn mark_conversation(id: Uuid, read: bool) -> Result<(), UiError> {
    conversations::mark_read(&deps()?, &writer().await?, id, read, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "archive-conversation")]
pub async fn archive_conversation(id: Uuid, archived: bool) -> Result<(), UiError> {
    conversations::archive(&deps()?, &writer().await?, id, archived, &origin())
        .await
        .map_err(ui_error)
}

/// Every mailbox with its sync health (the inbox's banner, settings).
#[server(prefix = "/api", endpoint = "mailboxes")]
pub async fn load_mailboxes() -> Result<Vec<MailboxView>, UiError> {
    mailboxes::list(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "mailbox-failures")]
pub async fn load_mailbox_failures(id: Uuid) -> Result<Vec<SyncFailureView>, UiError> {
    mailboxes::failures(&deps()?, &reader().await?, id)
        .await
        .map_err(ui_error)
}

/// Connects a mailbox (no `id`) or changes one.
#[server(prefix = "/api", endpoint = "save-mailbox")]
pub async fn save_mailbox(id: Option<Uuid>, input: MailboxInput) -> Result<MailboxView, UiError> {
    let (deps, who) = (deps()?, writer().await?);
    match id {
        None => mailboxes::create(&deps, &who, &input, &origin()).await,
        Some(id) => mailboxes::update(&deps, &who, id, &input, &origin()).await,
    }
    .map_err(ui_error)
}

/// Signs in with a saved mailbox's settings and says what worked or what failed.
#[server(prefix = "/api", endpoint = "test-mailbox")]
pub async fn test_mailbox(id: Uuid) -> Result<String, UiError> {
    let (deps, who) = (deps()?, writer().await?);
    let saved = mailboxes::get(&deps, &who, id).await.map_err(ui_error)?;
    let report = mailboxes::test_connection(&deps, &who, Some(id), &saved.input())
        .await
        .map_err(ui_error)?;
    let sending = match &report.smtp {
        Some(server) => format!("The SMTP server {server} accepted the sign-in."),
        None => "Mail goes out through this site's mail server.".into(),
    };
    Ok(format!(
        "Signed in. Folders: {}. Sent mail goes to {}. {sending}",
        report
            .folders
            .iter()
            .map(|f| frontdesk::imap::folder_display_name(f))
            .collect::<Vec<_>>()
            .join(", "),
        report
            .sent_folder
            .as_deref()
            .map(frontdesk::imap::folder_display_name)
            .unwrap_or_else(|| "no folder marked as Sent".into())
    ))
}

#[server(prefix = "/api", endpoint = "delete-mailbox")]
pub async fn delete_mailbox(id: Uuid) -> Result<(), UiError> {
    mailboxes::delete(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "sync-mailbox")]
pub async fn sync_mailbox(id: Uuid) -> Result<(), UiError> {
    mailboxes::sync_now(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

/// Fetches again the messages a mailbox's syncs could not take.
#[server(prefix = "/api", endpoint = "retry-mailbox-failures")]
pub async fn retry_mailbox_failures(id: Uuid) -> Result<(), UiError> {
    mailboxes::retry_failures(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}
