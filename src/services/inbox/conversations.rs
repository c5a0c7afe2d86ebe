//! Reading and tidying conversations: the inbox list with its filters, one
//! conversation with its messages, read and unread, archive, and which
//! client a conversation belongs to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        inbox::{
            AttachmentView, ConversationSummary, ConversationView, Direction, MessageView,
            SendState,
        },
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    services::Deps,
};

const READ: Permission = Permission::Record(RecordKind::Message, Action::Read);
const UPDATE: Permission = Permission::Record(RecordKind::Message, Action::Update);

/// Which conversations the list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationFilter {
    pub unread: bool,
    pub unassigned: bool,
    pub archived: bool,
    /// Archived and open ones alike (a client's history), whatever `archived` says.
    pub any_state: bool,
    /// Only those this team member looks after ("Mine").
    pub assignee: Option<Uuid>,
    pub mailbox: Option<Uuid>,
    pub client: Option<Uuid>,
    /// Words in the subject, the sender or the text.
    pub search: Option<String>,
    pub limit: Option<i64>,
}

/// The conversations matching `filter`, newest first.
pub async fn list(
    deps: &Deps,
    who: &impl Principal,
    filter: &ConversationFilter,
) -> Result<Vec<ConversationSummary>, AppError> {
    let mut read = deps.read(who, READ).await?;
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_', '\\'], "")));
    let limit = filter.limit.unwrap_or(100).clamp(1, 500);
    // The page of conversations is chosen first (ordered by the list
    // index, stopping at the limit); counts and snippets are then read for
    // those rows only. Unread and search find their messages once (by the
    // unread and trigram indexes), not conversation by conversation.
    let rows = sqlx::query_as!(
        ConversationSummary,
        r#"WITH page AS (
               SELECT c.* FROM mail_conversations c
               WHERE c.tenant_id = $1
                 AND ($9 OR (c.archived_at IS NOT NULL) = $2)
                 AND ($3::uuid IS NULL OR c.mailbox_id = $3)
                 AND ($4::uuid IS NULL OR c.client_id = $4)
                 AND (NOT $5 OR c.client_id IS NULL)
                 AND ($10::uuid IS NULL OR c.assignee_id = $10)
                 AND (NOT $6 OR c.id IN (SELECT m.conversation_id FROM mail_messages m
                                         WHERE m.tenant_id = $1 AND NOT m.seen AND m.direction = 'in'))
                 AND ($7::text IS NULL OR c.id IN (
                        SELECT m.conversation_id FROM mail_messages m WHERE m.tenant_id = $1
                          AND (lower(m.subject) || ' ' || lower(m.from_address::text) || ' ' || lower(m.body_text)) LIKE $7))
                 AND EXISTS (SELECT 1 FROM mail_messages m WHERE m.conversation_id = c.id)
               ORDER BY c.last_message_at DESC, c.id DESC
               LIMIT $8)
           SELECT c.id, c.mailbox_id, c.subject, c.correspondent::text AS "correspondent!", c.client_id,
                  cl.name AS "client_name?", c.last_message_at AS "last_message_at: DateTime<Utc>",
                  s.messages AS "messages!", s.unread AS "unread!",
                  coalesce(left(l.body_text, 160), '') AS "snippet!", c.archived_at IS NOT NULL AS "archived!",
                  c.assignee_id, u.name AS "assignee_name?"
           FROM page c
           LEFT JOIN clients cl ON cl.id = c.client_id
           LEFT JOIN users u ON u.id = c.assignee_id
           CROSS JOIN LATERAL (SELECT count(*) AS messages,
                                      count(*) FILTER (WHERE NOT m.seen AND m.direction = 'in') AS unread
                               FROM mail_messages m WHERE m.conversation_id = c.id) s
           LEFT JOIN LATERAL (SELECT m.body_text FROM mail_messages m WHERE m.conversation_id = c.id
                              ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) l ON true
           ORDER BY c.last_message_at DESC, c.id DESC"#,
        who.tenant_id(),
        filter.archived,
        filter.mailbox,
        filter.client,
        filter.unassigned,
        filter.unread,
        search,
        limit,
        filter.any_state,
        filter.assignee,
    )
    .fetch_all(read.conn())
    .await?;
    Ok(rows)
}

/// One conversation with every message, oldest first.
pub async fn view(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<ConversationView, AppError> {
    let mut read = deps.read(who, READ).await?;
    let summary = sqlx::query_as!(
        ConversationSummary,
        r#"SELECT c.id, c.mailbox_id, c.subject, c.correspondent::text AS "correspondent!", c.client_id,
                  cl.name AS "client_name?", c.last_message_at AS "last_message_at: DateTime<Utc>",
                  (SELECT count(*) FROM mail_messages m WHERE m.conversation_id = c.id) AS "messages!",
                  (SELECT count(*) FROM mail_messages m WHERE m.conversation_id = c.id
                     AND NOT m.seen AND m.direction = 'in') AS "unread!",
                  '' AS "snippet!", c.archived_at IS NOT NULL AS "archived!",
                  c.assignee_id, u.name AS "assignee_name?"
           FROM mail_conversations c LEFT JOIN clients cl ON cl.id = c.client_id
           LEFT JOIN users u ON u.id = c.assignee_id
           WHERE c.id = $1 AND c.tenant_id = $2"#,
        id,
        who.tenant_id(),
    )
    .fetch_optional(read.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such conversation".into()))?;
    let mailbox_name = sqlx::query_scalar!(
        "SELECT name FROM mailboxes WHERE id = $1",
        summary.mailbox_id
    )
    .fetch_one(read.conn())
    .await?;
    let rows = sqlx::query!(
        r#"SELECT id, direction AS "direction: Direction", from_address::text AS "from_address!", from_name,
                  to_addresses, cc_addresses, subject, sent_at AS "sent_at: DateTime<Utc>", body_text,
                  body_html IS NOT NULL AS "has_html!", seen, send_state AS "send_state: SendState",
                  send_error, expunged_at IS NOT NULL AS "expunged!"
           FROM mail_messages WHERE conversation_id = $1 ORDER BY sent_at, id"#,
        id,
    )
    .fetch_all(read.conn())
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let attachments = sqlx::query!(
        "SELECT id, message_id, file_name, content_type, size_bytes, inline FROM mail_attachments
         WHERE message_id = ANY($1) ORDER BY file_name, id",
        &ids,
    )
    .fetch_all(read.conn())
    .await?;
    let messages = rows
        .into_iter()
        .map(|r| MessageView {
            attachments: attachments
                .iter()
                .filter(|a| a.message_id == r.id)
                .map(|a| AttachmentView {
                    id: a.id,
                    file_name: a.file_name.clone(),
                    content_type: a.content_type.clone(),
                    size_bytes: a.size_bytes,
                    inline: a.inline,
                })
                .collect(),
            id: r.id,
            direction: r.direction,
            from_address: r.from_address,
            from_name: r.from_name,
            to_addresses: r.to_addresses,
            cc_addresses: r.cc_addresses,
            subject: r.subject,
            sent_at: r.sent_at,
            body_text: r.body_text,
            has_html: r.has_html,
            seen: r.seen,
            send_state: r.send_state,
            send_error: r.send_error,
            expunged: r.expunged,
        })
        .collect();
    Ok(ConversationView {
        summary,
        mailbox_name,
        messages,
    })
}

/// Marks every message of a conversation read or unread.
pub async fn mark_read(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    read: bool,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut work = deps.work(who, UPDATE, origin).await?;
    let changed = sqlx::query!(
        "UPDATE mail_messages SET seen = $3 WHERE conversation_id = $1 AND tenant_id = $2
           AND direction = 'in' AND seen <> $3
         RETURNING mailbox_id, folder, uid",
        id,
        who.tenant_id(),
        read,
    )
    .fetch_all(work.conn())
    .await?;
    exists(&mut work, who.tenant_id(), id).await?;
    // The server learns it too, where the message still is.
    if let Some(mailbox) = changed.first().map(|m| m.mailbox_id) {
        let places = changed
            .iter()
            .filter_map(|m| Some((m.folder.clone()?, u32::try_from(m.uid?).ok()?)))
            .collect();
        if let Some(job) = super::seen::PushSeen::job(who.tenant_id(), mailbox, read, places) {
            work.enqueue(job).await?;
        }
    }
    let changed = changed.len();
    work.audit(Entry {
        action: if read {
            "conversation.read"
        } else {
            "conversation.unread"
        },
        entity_type: "conversation",
        entity_id: Some(id),
        changes: Changes::new().field("messages", None, Some(changed as i64)),
    })
    .await?;
    work.commit().await
}

async fn exists(
    work: &mut crate::services::work::Work<'_>,
    tenant: Uuid,
    id: Uuid,
) -> Result<(), AppError> {
    let found = sqlx::query_scalar!(
        "SELECT 1 AS one FROM mail_conversations WHERE id = $1 AND tenant_id = $2",
        id,
        tenant
    )
    .fetch_optional(work.conn())
    .await?;
    found
        .map(|_| ())
        .ok_or_else(|| AppError::NotFound("no such conversation".into()))
}

/// Archives a conversation (new mail in brings it back) or restores it.
pub async fn archive(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    archived: bool,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut work = deps.work(who, UPDATE, origin).await?;
    exists(&mut work, who.tenant_id(), id).await?;
    sqlx::query!(
        "UPDATE mail_conversations SET archived_at = CASE WHEN $3 THEN coalesce(archived_at, now()) END
         WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id(),
        archived,
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: if archived {
            "conversation.archive"
        } else {
            "conversation.restore"
        },
        entity_type: "conversation",
        entity_id: Some(id),
        changes: Changes::new().field("archived", Some(!archived), Some(archived)),
    })
    .await?;
    work.commit().await
}

/// Gives a conversation to another client (or to none: "Unassigned").
pub async fn assign(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    client: Option<Uuid>,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut work = deps.work(who, UPDATE, origin).await?;
    let old = sqlx::query_scalar!(
        "SELECT client_id FROM mail_conversations WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
        id,
        who.tenant_id()
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such conversation".into()))?;
    if let Some(client) = client {
        let known = sqlx::query_scalar!(
            "SELECT 1 AS one FROM clients WHERE id = $1 AND tenant_id = $2",
            client,
            who.tenant_id()
        )
        .fetch_optional(work.conn())
        .await?;
        if known.is_none() {
            return Err(AppError::field("client", "there is no such client"));
        }
    }
    sqlx::query!(
        "UPDATE mail_conversations SET client_id = $3 WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id(),
        client,
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: "conversation.assign",
        entity_type: "conversation",
        entity_id: Some(id),
        changes: Changes::new().field("client_id", old, client),
    })
    .await?;
    work.commit().await
}

/// "Take it" (`take`) or "Let go": whether the person asking looks after
/// the conversation. Only people take conversations, not API keys.
pub async fn take(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    take: bool,
    origin: &Origin,
) -> Result<(), AppError> {
    let crate::audit::Actor::User(user) = who.actor() else {
        return Err(AppError::Forbidden);
    };
    let mut work = deps.work(who, UPDATE, origin).await?;
    let old = sqlx::query_scalar!(
        "SELECT assignee_id FROM mail_conversations WHERE id = $1 AND tenant_id = $2 FOR UPDATE",
        id,
        who.tenant_id()
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such conversation".into()))?;
    let new = take.then_some(user);
    sqlx::query!(
        "UPDATE mail_conversations SET assignee_id = $3 WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id(),
        new,
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: "conversation.take",
        entity_type: "conversation",
        entity_id: Some(id),
        changes: Changes::new().field("assignee_id", old, new),
    })
    .await?;
    work.commit().await
}

/// The sanitised HTML of a message, with `cid:` images pointing at `parts`
/// (`{id}` stands for the attachment).
pub async fn message_html(
    deps: &Deps,
    who: &impl Principal,
    message: Uuid,
) -> Result<Option<(String, Vec<(String, Uuid)>)>, AppError> {
    let mut read = deps.read(who, READ).await?;
    let html = sqlx::query_scalar!(
        "SELECT body_html FROM mail_messages WHERE id = $1 AND tenant_id = $2",
        message,
        who.tenant_id()
    )
    .fetch_optional(read.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such message".into()))?;
    let Some(html) = html else { return Ok(None) };
    let parts = sqlx::query!(
        r#"SELECT content_id AS "content_id!", id FROM mail_attachments
           WHERE message_id = $1 AND content_id IS NOT NULL"#,
        message
    )
    .fetch_all(read.conn())
    .await?
    .into_iter()
    .map(|r| (r.content_id, r.id))
    .collect();
    Ok(Some((html, parts)))
}

/// An attachment's stored bytes: (file name, content type, storage key).
pub async fn attachment(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<(String, String, String), AppError> {
    let mut read = deps.read(who, READ).await?;
    let row = sqlx::query!(
        "SELECT file_name, content_type, storage_key FROM mail_attachments WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id()
    )
    .fetch_optional(read.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such attachment".into()))?;
    Ok((row.file_name, row.content_type, row.storage_key))
}

/// "Add as client": the sender of an unassigned conversation becomes a
/// client named `name` (or, when a client already has the address, that
/// one is used), and every unassigned conversation with the address is
/// theirs. Returns the client.
pub async fn client_from_sender(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    name: &str,
    origin: &Origin,
) -> Result<Uuid, AppError> {
    let tenant = who.tenant_id();
    let mut read = deps.read(who, READ).await?;
    let found = sqlx::query!(
        r#"SELECT correspondent::text AS "correspondent!", client_id FROM mail_conversations
           WHERE id = $1 AND tenant_id = $2"#,
        id,
        tenant,
    )
    .fetch_optional(read.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such conversation".into()))?;
    let known = sqlx::query_scalar!(
        "SELECT id FROM clients WHERE tenant_id = $1 AND email = $2::citext AND archived_at IS NULL
         ORDER BY created_at LIMIT 1",
        tenant,
        found.correspondent.as_str() as _,
    )
    .fetch_optional(read.conn())
    .await?;
    read.commit().await?;
    if found.client_id.is_some() {
        return Err(AppError::Conflict(
            "this conversation already belongs to a client".into(),
        ));
    }
    let client = match known {
        Some(client) => client,
        None => {
            let input = crate::services::clients::ClientInput {
                name: name.to_string(),
                email: found.correspondent.clone(),
                ..Default::default()
            };
            crate::services::clients::create(deps, who, &input, origin)
                .await?
                .client
                .id
        }
    };
    let mut work = deps.work(who, UPDATE, origin).await?;
    let taken = sqlx::query_scalar!(
        "UPDATE mail_conversations SET client_id = $3
         WHERE tenant_id = $1 AND correspondent = $2::citext AND client_id IS NULL RETURNING id",
        tenant,
        found.correspondent.as_str() as _,
        client,
    )
    .fetch_all(work.conn())
    .await?;
    for conversation in taken {
        work.audit(Entry {
            action: "conversation.assign",
            entity_type: "conversation",
            entity_id: Some(conversation),
            changes: Changes::new().field("client_id", None::<Uuid>, Some(client)),
        })
        .await?;
    }
    work.commit().await?;
    Ok(client)
}

/// "Save to client's files": an attachment of a client's conversation
/// becomes one of their files, with the checks of any upload (allowed
/// types, size, content matching the name).
pub async fn save_attachment(
    deps: &Deps,
    who: &impl Principal,
    attachment: Uuid,
    origin: &Origin,
) -> Result<crate::domain::views::ClientFileView, AppError> {
    let mut read = deps.read(who, READ).await?;
    let found = sqlx::query!(
        "SELECT a.file_name, a.storage_key, a.size_bytes, c.client_id
         FROM mail_attachments a
         JOIN mail_messages m ON m.id = a.message_id
         JOIN mail_conversations c ON c.id = m.conversation_id
         WHERE a.id = $1 AND a.tenant_id = $2",
        attachment,
        who.tenant_id(),
    )
    .fetch_optional(read.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such attachment".into()))?;
    read.commit().await?;
    let Some(client) = found.client_id else {
        return Err(AppError::Conflict(
            "this conversation belongs to no client yet: add the sender as a client first".into(),
        ));
    };
    let bytes = deps.storage.read(&found.storage_key).await?;
    let body = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    crate::services::files::upload(
        deps,
        who,
        client,
        &found.file_name,
        u64::try_from(found.size_bytes).ok(),
        body,
        origin,
    )
    .await
}
