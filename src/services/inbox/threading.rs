//! Which conversation a message belongs to.
//!
//! By its threading headers first (JWZ-style, as sets rather than a tree):
//! the conversations of the messages it answers, and of the messages that
//! answer it and arrived before it. When those are several conversations,
//! the message joins them into the oldest. Headers are only looked up, never
//! followed, so a References cycle cannot loop. Mail without threading
//! headers joins a recent conversation with the same correspondent and
//! subject; otherwise a new conversation begins. Conversations staff split
//! are never joined again: a message that answers several of them goes
//! where the message it answers directly is.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{domain::inbox::subject_key, error::AppError};

/// How long a conversation takes subject-only replies.
const SUBJECT_WINDOW_DAYS: i64 = 30;

/// What threading needs of a message.
pub(super) struct Threadable<'a> {
    pub tenant: Uuid,
    pub mailbox: Uuid,
    pub message_id: &'a str,
    pub thread_refs: &'a [String],
    pub subject: &'a str,
    /// The other side's address (the sender of mail in, the recipient of mail out).
    pub correspondent: &'a str,
    pub at: DateTime<Utc>,
    pub incoming: bool,
}

/// The conversation `message` goes in, created or merged as needed.
pub(super) async fn place(
    conn: &mut PgConnection,
    message: &Threadable<'_>,
) -> Result<Uuid, AppError> {
    let mut found: Vec<Uuid> = sqlx::query_scalar!(
        r#"SELECT c.id AS "id!" FROM mail_conversations c
           WHERE c.id IN (SELECT conversation_id FROM mail_messages
                          WHERE mailbox_id = $1 AND (message_id = ANY($2) OR thread_refs @> ARRAY[$3]))
           ORDER BY c.created_at, c.id"#,
        message.mailbox,
        message.thread_refs,
        message.message_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let key = subject_key(message.subject);
    if found.is_empty() && message.thread_refs.is_empty() && !key.is_empty() {
        found = sqlx::query_scalar!(
            "SELECT id FROM mail_conversations
             WHERE mailbox_id = $1 AND correspondent = $2 AND subject_key = $3 AND last_message_at > $4
             ORDER BY last_message_at DESC LIMIT 1",
            message.mailbox,
            message.correspondent as _,
            key,
            (message.at - Duration::days(SUBJECT_WINDOW_DAYS)) as _,
        )
        .fetch_all(&mut *conn)
        .await?;
    }
    let conversation = match found.split_first() {
        Some((&target, [])) => target,
        Some((&target, others)) => {
            if kept_apart(conn, &found).await? {
                nearest_parent(conn, message).await?.unwrap_or(target)
            } else {
                merge(conn, target, others).await?;
                target
            }
        }
        None => create(conn, message, &key).await?,
    };
    // New mail in brings an archived conversation back; the subject is the
    // first one the conversation had.
    sqlx::query!(
        "UPDATE mail_conversations SET last_message_at = greatest(last_message_at, $2),
                archived_at = CASE WHEN $3 THEN NULL ELSE archived_at END,
                client_id = coalesce(client_id, (SELECT id FROM clients WHERE tenant_id = $4
                            AND email = $5 AND archived_at IS NULL ORDER BY created_at LIMIT 1))
         WHERE id = $1",
        conversation,
        message.at as _,
        message.incoming,
        message.tenant,
        message.correspondent as _,
    )
    .execute(&mut *conn)
    .await?;
    Ok(conversation)
}

/// Whether staff split any of `conversations`: then they stay apart.
async fn kept_apart(conn: &mut PgConnection, conversations: &[Uuid]) -> Result<bool, AppError> {
    let kept = sqlx::query_scalar!(
        r#"SELECT bool_or(kept_apart) AS "kept!" FROM mail_conversations WHERE id = ANY($1)"#,
        conversations
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(kept)
}

/// The conversation of the message `message` answers directly: the last of
/// its references that is stored (In-Reply-To comes last).
async fn nearest_parent(
    conn: &mut PgConnection,
    message: &Threadable<'_>,
) -> Result<Option<Uuid>, AppError> {
    let found = sqlx::query_scalar!(
        "SELECT conversation_id FROM mail_messages
         WHERE mailbox_id = $1 AND message_id = ANY($2)
         ORDER BY array_position($2, message_id) DESC LIMIT 1",
        message.mailbox,
        message.thread_refs,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found)
}

async fn create(
    conn: &mut PgConnection,
    message: &Threadable<'_>,
    key: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO mail_conversations (id, tenant_id, mailbox_id, correspondent, subject, subject_key, last_message_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        message.tenant,
        message.mailbox,
        message.correspondent as _,
        message.subject,
        key,
        message.at as _,
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Moves every message of `others` into `target` and removes them; the
/// target keeps its client unless it had none.
pub(super) async fn merge(
    conn: &mut PgConnection,
    target: Uuid,
    others: &[Uuid],
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE mail_conversations t SET
            client_id = coalesce(t.client_id, (SELECT o.client_id FROM mail_conversations o
                                               WHERE o.id = ANY($2) AND o.client_id IS NOT NULL LIMIT 1)),
            last_message_at = greatest(t.last_message_at, (SELECT max(o.last_message_at)
                                                           FROM mail_conversations o WHERE o.id = ANY($2)))
         WHERE t.id = $1",
        target,
        others,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE mail_messages SET conversation_id = $1 WHERE conversation_id = ANY($2)",
        target,
        others
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM mail_conversations WHERE id = ANY($1)", others)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
