//! Replies and new messages from the inbox. The message is built and stored with its own
//! Message-ID before anything is sent (so a retry sends the same message,
//! and the sync recognises it in the Sent folder), In-Reply-To and
//! References follow RFC 5322, and an `inbox.send` job sends it through the
//! mailbox's SMTP server (or the site's), then appends it to the mailbox's
//! Sent folder once.

use chrono::Utc;
use lettre::message::{Mailbox, Message};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    attach::{self, Attached},
    store::mail_object_key,
    sync,
};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        inbox::{reply_subject, subject_key, Direction, SendState},
        live::{Change, Topic},
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    imap,
    jobs::{Job, JobContext, JobError, NewJob},
    ratelimit::PolicyKind,
    services::{work::Work, Deps},
};

const WRITE: Permission = Permission::Record(RecordKind::Message, Action::Create);

/// How many earlier ids a reply's References keeps (the first and the latest).
const MAX_REFERENCES: usize = 20;

/// Sends one message staff wrote, then files it in the Sent folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMailboxMessage {
    pub message: Uuid,
}

impl Job for SendMailboxMessage {
    const KIND: &'static str = "inbox.send";
    const PRIORITY: i16 = 10;
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        let tenant = ctx
            .job
            .tenant_id
            .ok_or_else(|| JobError::Permanent("a message to send names no business".into()))?;
        send(&ctx, tenant, self.message).await
    }
}

/// The References of a reply to a message with `refs` and `message_id`:
/// its own references then it, keeping the first and the latest ones.
pub fn references(refs: &[String], message_id: &str) -> Vec<String> {
    let mut all: Vec<String> = refs.to_vec();
    all.push(message_id.to_string());
    if all.len() > MAX_REFERENCES {
        let tail = all.split_off(all.len() - (MAX_REFERENCES - 1));
        all.truncate(1);
        all.extend(tail);
    }
    all
}

fn bracketed(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("<{id}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The checks every message staff write passes; returns the text to send.
fn check_text(text: &str) -> Result<&str, AppError> {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return Err(AppError::field("text", "write the message first"));
    }
    if text.chars().count() > 100_000 {
        return Err(AppError::field(
            "text",
            "a message has at most 100,000 characters",
        ));
    }
    Ok(text)
}

/// One business may send so much mail a minute and a day
/// (`RATE_LIMIT_MAIL_SEND`), checked before anything is written.
async fn within_send_limit(deps: &Deps, tenant: Uuid) -> Result<(), AppError> {
    let key = tenant.to_string();
    match deps.limiter.spend(PolicyKind::MailSend, &key, false).await {
        Some(decision) if !decision.allowed => Err(decision.error()),
        _ => Ok(()),
    }
}

/// A message on its way out, before it is built.
struct Draft {
    mailbox: Uuid,
    conversation: Uuid,
    from_address: String,
    from_name: Option<String>,
    to: String,
    subject: String,
    in_reply_to: Option<String>,
    refs: Vec<String>,
    attached: Vec<Attached>,
}

/// Builds the message with its own Message-ID, stores it (bytes in the
/// file storage, fields in PostgreSQL), audits it and enqueues its
/// sending, all in `work`. Returns the message's id.
async fn queue(
    deps: &Deps,
    who: &impl Principal,
    work: &mut Work<'_>,
    draft: Draft,
    text: &str,
) -> Result<Uuid, AppError> {
    let tenant = who.tenant_id();
    let domain = draft
        .from_address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "frontdesk.invalid".into());
    let id = Uuid::now_v7();
    let message_id = format!("{}@{domain}", id.simple());
    let from = Mailbox::new(
        draft.from_name.clone(),
        draft
            .from_address
            .parse()
            .map_err(|_| AppError::Conflict("the mailbox's address cannot send mail".into()))?,
    );
    let to: Mailbox = draft.to.parse().map_err(|_| {
        AppError::Conflict(format!("'{}' is not an address mail can go to", draft.to))
    })?;
    let now = deps.clock.now();
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(draft.subject.clone())
        .date(now.into())
        .message_id(Some(format!("<{message_id}>")));
    if let Some(parent) = &draft.in_reply_to {
        builder = builder
            .in_reply_to(format!("<{parent}>"))
            .references(bracketed(&draft.refs));
    }
    let raw = builder
        .multipart(attach::body(text, &draft.attached))
        .map_err(|e| AppError::internal(format!("the message could not be built: {e}")))?
        .formatted();
    let raw_key = mail_object_key(tenant, &Sha256::digest(&raw));
    super::store::put(&deps.storage, &raw_key, "message/rfc822", &raw).await?;
    let who_id = match who.actor() {
        crate::audit::Actor::User(user) => Some(user),
        _ => None,
    };
    sqlx::query!(
        "INSERT INTO mail_messages (id, tenant_id, mailbox_id, conversation_id, message_id, in_reply_to,
             thread_refs, subject, from_address, from_name, to_addresses, sent_at, direction, body_text,
             seen, raw_key, size_bytes, send_state, sent_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, true, $15, $16, $17, $18)",
        id,
        tenant,
        draft.mailbox,
        draft.conversation,
        message_id,
        draft.in_reply_to,
        &draft.refs,
        draft.subject,
        draft.from_address as _,
        draft.from_name,
        &[draft.to.clone()],
        now as _,
        Direction::Out as Direction,
        text,
        raw_key,
        raw.len() as i64,
        SendState::Queued as SendState,
        who_id,
    )
    .execute(work.conn())
    .await?;
    attach::record(deps, work, tenant, id, &draft.attached).await?;
    sqlx::query!(
        "UPDATE mail_conversations SET last_message_at = greatest(last_message_at, $2),
                subject_key = CASE WHEN subject_key = '' THEN $3 ELSE subject_key END
         WHERE id = $1",
        draft.conversation,
        now as _,
        subject_key(&draft.subject),
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: "message.send",
        entity_type: "conversation",
        entity_id: Some(draft.conversation),
        changes: Changes::new()
            .field("to", None, Some(draft.to))
            .field("subject", None, Some(draft.subject))
            .field(
                "attachments",
                None,
                (!draft.attached.is_empty()).then(|| {
                    draft
                        .attached
                        .iter()
                        .map(|a| a.file_name.clone())
                        .collect::<Vec<_>>()
                }),
            ),
    })
    .await?;
    work.enqueue(NewJob::new(SendMailboxMessage { message: id }).for_business(tenant))
        .await?;
    Ok(id)
}

/// Writes a reply to the conversation's correspondent, with `attachments`
/// (files of the conversation's client); returns the message's id.
pub async fn reply(
    deps: &Deps,
    who: &impl Principal,
    conversation: Uuid,
    text: &str,
    attachments: &[Uuid],
    origin: &Origin,
) -> Result<Uuid, AppError> {
    let text = check_text(text)?;
    let tenant = who.tenant_id();
    let mut work = deps.work(who, WRITE, origin).await?;
    let found = sqlx::query!(
        r#"SELECT c.mailbox_id, c.correspondent::text AS "correspondent!", c.subject, c.client_id,
                  m.from_address::text AS "from_address!", m.from_name
           FROM mail_conversations c JOIN mailboxes m ON m.id = c.mailbox_id
           WHERE c.id = $1 AND c.tenant_id = $2"#,
        conversation,
        tenant,
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such conversation".into()))?;
    if found.correspondent.is_empty() {
        return Err(AppError::Conflict(
            "this conversation has no address to reply to".into(),
        ));
    }
    let attached = attach::client_files(deps, who, &mut work, found.client_id, attachments).await?;
    within_send_limit(deps, tenant).await?;
    // The reply answers the latest message from the other side (or the latest at all).
    let parent = sqlx::query!(
        "SELECT message_id, thread_refs, subject FROM mail_messages WHERE conversation_id = $1
         ORDER BY (direction = 'in') DESC, sent_at DESC, id DESC LIMIT 1",
        conversation,
    )
    .fetch_optional(work.conn())
    .await?;
    let (in_reply_to, refs, subject) = match &parent {
        Some(p) => (
            Some(p.message_id.clone()),
            references(&p.thread_refs, &p.message_id),
            reply_subject(&p.subject),
        ),
        None => (None, Vec::new(), reply_subject(&found.subject)),
    };
    let draft = Draft {
        mailbox: found.mailbox_id,
        conversation,
        from_address: found.from_address,
        from_name: found.from_name,
        to: found.correspondent,
        subject,
        in_reply_to,
        refs,
        attached,
    };
    let id = queue(deps, who, &mut work, draft, text).await?;
    work.commit().await?;
    Ok(id)
}

/// A new message to a client, starting a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub client: Uuid,
    /// The mailbox to send from; `None`: the business's first by name.
    pub mailbox: Option<Uuid>,
    pub subject: String,
    pub text: String,
    /// Files of the client to attach.
    #[serde(default)]
    pub attachments: Vec<Uuid>,
}

/// What [`compose`] started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composed {
    pub conversation: Uuid,
    pub message: Uuid,
}

/// Writes a new message to a client from one of the business's mailboxes.
pub async fn compose(
    deps: &Deps,
    who: &impl Principal,
    input: &NewMessage,
    origin: &Origin,
) -> Result<Composed, AppError> {
    let subject = input.subject.trim();
    if subject.is_empty() || subject.chars().count() > 200 || subject.chars().any(char::is_control)
    {
        return Err(AppError::field(
            "subject",
            "give the message a subject of 1 to 200 characters on one line",
        ));
    }
    let text = check_text(&input.text)?;
    let tenant = who.tenant_id();
    let mut work = deps.work(who, WRITE, origin).await?;
    let client = sqlx::query!(
        r#"SELECT name, email::text AS email, archived_at IS NOT NULL AS "archived!"
           FROM clients WHERE id = $1 AND tenant_id = $2"#,
        input.client,
        tenant,
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| AppError::field("client", "there is no such client"))?;
    let Some(to) = client.email.filter(|e| !e.is_empty()) else {
        return Err(AppError::field(
            "client",
            format!("{} has no email address; add one first", client.name),
        ));
    };
    if client.archived {
        return Err(AppError::field(
            "client",
            format!("{} is archived; restore the client first", client.name),
        ));
    }
    let mailbox = sqlx::query!(
        r#"SELECT id, from_address::text AS "from_address!", from_name FROM mailboxes
           WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id = $2)
           ORDER BY name, id LIMIT 1"#,
        tenant,
        input.mailbox,
    )
    .fetch_optional(work.conn())
    .await?
    .ok_or_else(|| match input.mailbox {
        Some(_) => AppError::field("mailbox", "there is no such mailbox"),
        None => AppError::Conflict("connect a mailbox in Settings > Mailboxes first".into()),
    })?;
    let attached =
        attach::client_files(deps, who, &mut work, Some(input.client), &input.attachments).await?;
    within_send_limit(deps, tenant).await?;
    let conversation = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO mail_conversations (id, tenant_id, mailbox_id, client_id, correspondent, subject,
                                         subject_key, last_message_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        conversation,
        tenant,
        mailbox.id,
        input.client,
        to.to_lowercase() as _,
        subject,
        subject_key(subject),
        deps.clock.now() as _,
    )
    .execute(work.conn())
    .await?;
    let draft = Draft {
        mailbox: mailbox.id,
        conversation,
        from_address: mailbox.from_address,
        from_name: mailbox.from_name,
        to,
        subject: subject.to_string(),
        in_reply_to: None,
        refs: Vec::new(),
        attached,
    };
    let message = queue(deps, who, &mut work, draft, text).await?;
    work.commit().await?;
    Ok(Composed {
        conversation,
        message,
    })
}

async fn send(ctx: &JobContext<Deps>, tenant: Uuid, message: Uuid) -> Result<(), JobError> {
    let deps = &ctx.deps;
    let mut work = deps.in_business(tenant, "mail send").await?;
    let row = sqlx::query!(
        r#"SELECT m.mailbox_id, m.message_id, m.raw_key, m.from_address::text AS "from_address!",
                  m.to_addresses, m.send_state AS "send_state: SendState", m.appended_at IS NOT NULL AS "appended!",
                  b.sent_folder
           FROM mail_messages m JOIN mailboxes b ON b.id = m.mailbox_id
           WHERE m.id = $1 AND m.tenant_id = $2"#,
        message,
        tenant,
    )
    .fetch_optional(work.conn())
    .await?;
    work.rollback().await?;
    let Some(row) = row else {
        // Its mailbox was removed since: nothing to send from.
        let mut work = deps.in_business(tenant, "mail send").await?;
        ctx.complete_in(work.conn()).await?;
        work.commit().await?;
        return Ok(());
    };
    let raw_key = row
        .raw_key
        .ok_or_else(|| JobError::Permanent("the message has no stored bytes".into()))?;
    let raw = deps.storage.read(&raw_key).await.map_err(AppError::from)?;
    let (imap_settings, relay) = sync::servers(deps, tenant, row.mailbox_id).await?;
    if row.send_state == Some(SendState::Queued) {
        let to = row.to_addresses.first().cloned().unwrap_or_default();
        // The mailbox's own SMTP server when it has one, else the site's.
        let sent = match relay {
            Some(relay) => relay.send_raw(&row.from_address, &to, &raw).await,
            None => {
                deps.mailer
                    .send_raw(&row.from_address, &to, &raw, Some(tenant))
                    .await
            }
        };
        match sent {
            Ok(()) => mark(deps, tenant, message, SendState::Sent, None).await?,
            Err(e) if e.is_transient() => return Err(JobError::Retry(e.to_string())),
            Err(e) => {
                mark(
                    deps,
                    tenant,
                    message,
                    SendState::Failed,
                    Some(e.to_string()),
                )
                .await?;
                let mut work = deps.in_business(tenant, "mail send").await?;
                ctx.complete_in(work.conn()).await?;
                work.commit().await?;
                return Ok(());
            }
        }
    }
    // Filed in Sent once, even when this step is retried.
    if !row.appended {
        if let Some(folder) = &row.sent_folder {
            let mut session = imap::connect(&imap_settings)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            session
                .append_once(folder, &row.message_id, &raw)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            session.logout().await;
        }
    }
    let mut work = deps.in_business(tenant, "mail send").await?;
    sqlx::query!(
        "UPDATE mail_messages SET appended_at = coalesce(appended_at, $2) WHERE id = $1",
        message,
        Utc::now() as _,
    )
    .execute(work.conn())
    .await?;
    ctx.complete_in(work.conn()).await?;
    work.commit().await?;
    Ok(())
}

async fn mark(
    deps: &Deps,
    tenant: Uuid,
    message: Uuid,
    state: SendState,
    error: Option<String>,
) -> Result<(), AppError> {
    let mut work = deps.in_business(tenant, "mail send").await?;
    sqlx::query!(
        "UPDATE mail_messages SET send_state = $2, send_error = $3 WHERE id = $1",
        message,
        state as SendState,
        error.map(|e| e.chars().take(1000).collect::<String>()),
    )
    .execute(work.conn())
    .await?;
    work.announce(Change {
        topic: Topic::Inbox,
        id: Some(message),
        action: format!("message.{}", state.as_str()),
    });
    work.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_keep_the_first_and_the_latest() {
        assert_eq!(references(&[], "a@x"), ["a@x"]);
        assert_eq!(references(&["r@x".into()], "a@x"), ["r@x", "a@x"]);
        let long: Vec<String> = (0..30).map(|n| format!("{n}@x")).collect();
        let kept = references(&long, "last@x");
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0], "0@x");
        assert_eq!(kept.last().unwrap(), "last@x");
        assert_eq!(kept[1], "12@x");
    }
}
