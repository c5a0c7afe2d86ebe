//! Keeping a message: the raw bytes and attachments go to object storage
//! under content-addressed keys (the same bytes, one object), the parsed
//! fields to PostgreSQL, unique per mailbox by Message-ID. Storing a message
//! that is already there only records where it now is on the server.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::threading::{self, Threadable};
use crate::{
    domain::inbox::{Direction, SendState},
    error::AppError,
    mail::parse::{self, ParsedAttachment, ParsedMessage},
    storage::{self, Storage},
};

/// A message parsed and its objects written, ready for its transaction.
pub(super) struct Prepared {
    pub parsed: ParsedMessage,
    pub raw_key: String,
    pub size: usize,
    pub attachments: Vec<StoredAttachment>,
}

pub(super) struct StoredAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content_id: Option<String>,
    pub inline: bool,
    pub size: usize,
    pub key: String,
    pub sha256: Vec<u8>,
}

/// Where on the server a message was found.
pub(super) struct Location<'a> {
    pub folder: &'a str,
    pub uid: u32,
    pub seen: bool,
    pub internal_date: Option<DateTime<Utc>>,
}

/// Why a message was not prepared.
pub(super) enum PrepareError {
    /// The message itself is broken: recorded, and the sync goes on.
    Unreadable(String),
    /// Storage failed: the sync stops and tries again later.
    Storage(AppError),
}

/// The key of content-addressed mail bytes of `tenant`.
pub fn mail_object_key(tenant: Uuid, sha256: &[u8]) -> String {
    format!(
        "{}mail/{}",
        storage::tenant_prefix(tenant),
        hex::encode(sha256)
    )
}

pub(super) async fn put(
    storage: &Storage,
    key: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<(), AppError> {
    // The same key always holds the same bytes: a second write is harmless.
    let mut writer = storage.writer(key, content_type).await?;
    writer
        .write(bytes.to_vec())
        .await
        .map_err(|e| AppError::Unavailable(format!("storage: {e}")))?;
    writer
        .close()
        .await
        .map_err(|e| AppError::Unavailable(format!("storage: {e}")))?;
    Ok(())
}

/// Parses `raw` and writes it and its attachments to storage.
pub(super) async fn prepare(
    storage: &Storage,
    tenant: Uuid,
    raw: &[u8],
) -> Result<Prepared, PrepareError> {
    let parsed = parse::parse(raw).map_err(|e| PrepareError::Unreadable(e.to_string()))?;
    let hash = Sha256::digest(raw);
    let raw_key = mail_object_key(tenant, &hash);
    put(storage, &raw_key, "message/rfc822", raw)
        .await
        .map_err(PrepareError::Storage)?;
    let mut attachments = Vec::with_capacity(parsed.attachments.len());
    for ParsedAttachment {
        file_name,
        content_type,
        content_id,
        inline,
        bytes,
    } in &parsed.attachments
    {
        let sha256 = Sha256::digest(bytes).to_vec();
        let key = mail_object_key(tenant, &sha256);
        put(storage, &key, content_type, bytes)
            .await
            .map_err(PrepareError::Storage)?;
        attachments.push(StoredAttachment {
            file_name: file_name.clone(),
            content_type: content_type.clone(),
            content_id: content_id.clone(),
            inline: *inline,
            size: bytes.len(),
            key,
            sha256,
        });
    }
    let mut parsed = parsed;
    // The bytes are in storage now; the row needs only what they said.
    parsed.attachments.clear();
    Ok(Prepared {
        parsed,
        raw_key,
        size: raw.len(),
        attachments,
    })
}

/// Stores a prepared message of `mailbox` found at `location`; returns
/// whether it is new. `own_address` tells mail staff sent from elsewhere.
pub(super) async fn insert(
    conn: &mut PgConnection,
    tenant: Uuid,
    mailbox: Uuid,
    own_address: &str,
    sent_folder: bool,
    prepared: &Prepared,
    location: &Location<'_>,
) -> Result<bool, AppError> {
    let parsed = &prepared.parsed;
    let moved = sqlx::query!(
        "UPDATE mail_messages SET folder = $3, uid = $4, seen = $5 OR direction = 'out', expunged_at = NULL,
                send_state = CASE WHEN send_state = 'queued' THEN 'sent' ELSE send_state END,
                appended_at = coalesce(appended_at, CASE WHEN $6 THEN now() END)
         WHERE mailbox_id = $1 AND message_id = $2",
        mailbox,
        parsed.message_id,
        location.folder,
        i64::from(location.uid),
        location.seen,
        sent_folder,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved > 0 {
        return Ok(false);
    }
    let outgoing = sent_folder || parsed.from_address.eq_ignore_ascii_case(own_address);
    let direction = if outgoing {
        Direction::Out
    } else {
        Direction::In
    };
    let correspondent = if outgoing {
        parsed.to.first().cloned().unwrap_or_default()
    } else {
        parsed.from_address.clone()
    };
    let at = parsed
        .date
        .or(location.internal_date)
        .unwrap_or_else(Utc::now);
    let conversation = threading::place(
        conn,
        &Threadable {
            tenant,
            mailbox,
            message_id: &parsed.message_id,
            thread_refs: &parsed.thread_refs,
            subject: &parsed.subject,
            correspondent: &correspondent,
            at,
            incoming: !outgoing,
        },
    )
    .await?;
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO mail_messages (id, tenant_id, mailbox_id, conversation_id, message_id, in_reply_to,
             thread_refs, subject, from_address, from_name, to_addresses, cc_addresses, sent_at, direction,
             body_text, body_html, seen, folder, uid, raw_key, size_bytes, send_state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        id,
        tenant,
        mailbox,
        conversation,
        parsed.message_id,
        parsed.in_reply_to,
        &parsed.thread_refs,
        parsed.subject,
        parsed.from_address as _,
        parsed.from_name,
        &parsed.to,
        &parsed.cc,
        at as _,
        direction as Direction,
        parsed.text.replace('\0', ""),
        parsed.html.as_ref().map(|h| h.replace('\0', "")),
        location.seen || outgoing,
        location.folder,
        i64::from(location.uid),
        prepared.raw_key,
        prepared.size as i64,
        outgoing.then_some(SendState::Sent) as Option<SendState>,
    )
    .execute(&mut *conn)
    .await?;
    for attachment in &prepared.attachments {
        sqlx::query!(
            "INSERT INTO mail_attachments (id, tenant_id, message_id, file_name, content_type, content_id,
                                           inline, size_bytes, storage_key, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            Uuid::now_v7(),
            tenant,
            id,
            attachment.file_name,
            attachment.content_type,
            attachment.content_id,
            attachment.inline,
            attachment.size as i64,
            attachment.key,
            attachment.sha256,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}
