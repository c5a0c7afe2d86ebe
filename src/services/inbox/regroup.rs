//! Staff correcting the threading: merging two conversations of one mailbox
//! into one, and splitting a message (with the replies to it) off into a
//! conversation of its own. Both are audited; a split conversation is kept
//! apart from then on (see `threading`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        inbox::{subject_key, MergeChoice},
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    services::Deps,
};

const READ: Permission = Permission::Record(RecordKind::Message, Action::Read);
const UPDATE: Permission = Permission::Record(RecordKind::Message, Action::Update);

/// The conversations `id` can be merged into: the same mailbox and the same
/// client (or, without one, the same correspondent), newest first.
pub async fn merge_choices(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<Vec<MergeChoice>, AppError> {
    let mut read = deps.read(who, READ).await?;
    let choices = sqlx::query_as!(
        MergeChoice,
        r#"SELECT o.id, o.subject, o.last_message_at AS "last_message_at: DateTime<Utc>",
                  (SELECT count(*) FROM mail_messages m WHERE m.conversation_id = o.id) AS "messages!"
           FROM mail_conversations c
           JOIN mail_conversations o ON o.tenant_id = c.tenant_id AND o.mailbox_id = c.mailbox_id
                AND o.id <> c.id
                AND (o.client_id = c.client_id OR o.correspondent = c.correspondent)
           WHERE c.id = $1 AND c.tenant_id = $2
           ORDER BY o.last_message_at DESC, o.id LIMIT 30"#,
        id,
        who.tenant_id(),
    )
    .fetch_all(read.conn())
    .await?;
    read.commit().await?;
    Ok(choices)
}

/// Moves every message of `source` into `into` and removes `source`. The
/// conversation merged into keeps its client, the person looking after it
/// and whether it is archived, taking the source's where it has none.
pub async fn merge(
    deps: &Deps,
    who: &impl Principal,
    source: Uuid,
    into: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    if source == into {
        return Err(AppError::field(
            "into",
            "a conversation cannot be merged into itself",
        ));
    }
    let tenant = who.tenant_id();
    let mut work = deps.work(who, UPDATE, origin).await?;
    let found = sqlx::query!(
        r#"SELECT c.id, c.mailbox_id, b.name AS mailbox_name FROM mail_conversations c
           JOIN mailboxes b ON b.id = c.mailbox_id
           WHERE c.id = ANY($1) AND c.tenant_id = $2 ORDER BY c.id FOR UPDATE OF c"#,
        &[source, into],
        tenant,
    )
    .fetch_all(work.conn())
    .await?;
    let of = |id: Uuid| found.iter().find(|c| c.id == id);
    let Some(from) = of(source) else {
        return Err(AppError::NotFound("no such conversation".into()));
    };
    let Some(target) = of(into) else {
        return Err(AppError::field("into", "there is no such conversation"));
    };
    if from.mailbox_id != target.mailbox_id {
        return Err(AppError::field(
            "into",
            format!(
                "that conversation is in the mailbox {}, this one in {}: only conversations of one mailbox can be merged",
                target.mailbox_name, from.mailbox_name
            ),
        ));
    }
    let moved = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM mail_messages WHERE conversation_id = $1"#,
        source
    )
    .fetch_one(work.conn())
    .await?;
    sqlx::query!(
        "UPDATE mail_conversations t SET
            assignee_id = coalesce(t.assignee_id, s.assignee_id),
            kept_apart = t.kept_apart OR s.kept_apart
         FROM mail_conversations s WHERE t.id = $1 AND s.id = $2",
        into,
        source,
    )
    .execute(work.conn())
    .await?;
    super::threading::merge(work.conn(), into, &[source]).await?;
    work.audit(Entry {
        action: "conversation.merge",
        entity_type: "conversation",
        entity_id: Some(into),
        changes: Changes::new()
            .field("merged", None::<Uuid>, Some(source))
            .field("messages", None::<i64>, Some(moved)),
    })
    .await?;
    work.commit().await
}

/// Splits `message`, with the messages in its conversation that answer it
/// (directly or further down), off into a new conversation, which it
/// returns. The rest of the conversation must keep at least one message.
pub async fn split(
    deps: &Deps,
    who: &impl Principal,
    message: Uuid,
    origin: &Origin,
) -> Result<Uuid, AppError> {
    let tenant = who.tenant_id();
    let mut work = deps.work(who, UPDATE, origin).await?;
    let found = sqlx::query!(
        r#"SELECT m.conversation_id, m.message_id, m.subject, m.direction,
                  m.from_address::text AS "from_address!", m.to_addresses,
                  c.client_id, c.correspondent::text AS "correspondent!"
           FROM mail_messages m JOIN mail_conversations c ON c.id = m.conversation_id
           WHERE m.id = $1 AND m.tenant_id = $2
           FOR UPDATE OF c"#,
        message,
        tenant,
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such message".into()))?;
    let source = found.conversation_id;
    // The message and everything in the conversation that answers it.
    let part = sqlx::query_scalar!(
        r#"WITH RECURSIVE part(id, message_id) AS (
               SELECT id, message_id FROM mail_messages WHERE id = $1
               UNION
               SELECT m.id, m.message_id FROM mail_messages m JOIN part p ON m.thread_refs @> ARRAY[p.message_id]
               WHERE m.conversation_id = $2
           )
           SELECT id AS "id!" FROM part"#,
        message,
        source,
    )
    .fetch_all(work.conn())
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM mail_messages WHERE conversation_id = $1"#,
        source
    )
    .fetch_one(work.conn())
    .await?;
    if part.len() as i64 >= total {
        return Err(AppError::Conflict(if total == 1 {
            "this message is the whole conversation: there is nothing to split it from".into()
        } else {
            "every other message of this conversation answers this one, so splitting it off would take the whole conversation".into()
        }));
    }
    let correspondent = if found.direction == "out" {
        found.to_addresses.first().cloned().unwrap_or_default()
    } else {
        found.from_address.clone()
    };
    // The client with the address, else the conversation's when it is the
    // same correspondent.
    let client = sqlx::query_scalar!(
        "SELECT id FROM clients WHERE tenant_id = $1 AND email = $2::citext AND archived_at IS NULL
         ORDER BY created_at LIMIT 1",
        tenant,
        correspondent.as_str() as _,
    )
    .fetch_optional(work.conn())
    .await?
    .or(found
        .client_id
        .filter(|_| correspondent.eq_ignore_ascii_case(&found.correspondent)));
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO mail_conversations (id, tenant_id, mailbox_id, client_id, correspondent, subject,
                                         subject_key, last_message_at, assignee_id, kept_apart)
         SELECT $1, c.tenant_id, c.mailbox_id, $3, $4, $5, $6,
                (SELECT max(sent_at) FROM mail_messages WHERE id = ANY($7)), c.assignee_id, true
         FROM mail_conversations c WHERE c.id = $2",
        id,
        source,
        client,
        correspondent.as_str() as _,
        found.subject,
        subject_key(&found.subject),
        &part,
    )
    .execute(work.conn())
    .await?;
    sqlx::query!(
        "UPDATE mail_messages SET conversation_id = $1 WHERE id = ANY($2)",
        id,
        &part
    )
    .execute(work.conn())
    .await?;
    sqlx::query!(
        "UPDATE mail_conversations SET kept_apart = true,
                last_message_at = (SELECT max(sent_at) FROM mail_messages WHERE conversation_id = $1)
         WHERE id = $1",
        source
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: "conversation.split",
        entity_type: "conversation",
        entity_id: Some(id),
        changes: Changes::new()
            .field("split_from", None::<Uuid>, Some(source))
            .field("messages", None::<i64>, Some(part.len() as i64)),
    })
    .await?;
    work.commit().await?;
    Ok(id)
}
