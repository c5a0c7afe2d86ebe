//! Client files attached to messages staff write: only the files of the
//! client written to, at most ten and 20 MB together, kept with the message
//! (content-addressed, like attachments of mail that arrives) so the
//! conversation still shows them after the file is deleted.

use lettre::message::{header::ContentType, Attachment, MultiPart, SinglePart};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::store::{mail_object_key, put};
use crate::{
    auth::Principal,
    domain::{
        files::human_size,
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    services::{work::Work, Deps},
};

pub const MAX_FILES: usize = 10;
/// What SMTP servers commonly take once base64 has grown it by a third.
pub const MAX_BYTES: i64 = 20 * 1024 * 1024;

/// A file on its way out with a message.
pub(super) struct Attached {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Reads the files `ids` of `client` (none: the conversation has no client).
pub(super) async fn client_files(
    deps: &Deps,
    who: &impl Principal,
    work: &mut Work<'_>,
    client: Option<Uuid>,
    ids: &[Uuid],
) -> Result<Vec<Attached>, AppError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    who.require(Permission::Record(RecordKind::File, Action::Read))?;
    let Some(client) = client else {
        return Err(AppError::field(
            "attachments",
            "this conversation belongs to no client yet, so there are no client files to attach",
        ));
    };
    if ids.len() > MAX_FILES {
        return Err(AppError::field(
            "attachments",
            format!("a message can carry at most {MAX_FILES} files"),
        ));
    }
    let rows = sqlx::query!(
        r#"SELECT original_name, content_type, size_bytes, storage_key AS "storage_key!"
           FROM client_files
           WHERE id = ANY($1) AND tenant_id = $2 AND client_id = $3 AND storage_key IS NOT NULL
           ORDER BY original_name, id"#,
        &ids,
        who.tenant_id(),
        client,
    )
    .fetch_all(work.conn())
    .await?;
    if rows.len() != ids.len() {
        return Err(AppError::field(
            "attachments",
            "a chosen file is not among the client's files (any more)",
        ));
    }
    let total: i64 = rows.iter().map(|r| r.size_bytes).sum();
    if total > MAX_BYTES {
        return Err(AppError::field(
            "attachments",
            format!(
                "the files add up to {}; a message can carry at most {}",
                human_size(total as u64),
                human_size(MAX_BYTES as u64)
            ),
        ));
    }
    let mut attached = Vec::with_capacity(rows.len());
    for row in rows {
        attached.push(Attached {
            bytes: deps.storage.read(&row.storage_key).await?.to_vec(),
            file_name: row.original_name,
            content_type: row.content_type,
        });
    }
    Ok(attached)
}

/// The body of a message: its text alone, or the text and the files.
pub(super) fn body(text: &str, attached: &[Attached]) -> MultiPart {
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text.to_string()));
    for file in attached {
        let content_type = ContentType::parse(&file.content_type)
            .unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("valid"));
        parts = parts.singlepart(
            Attachment::new(file.file_name.clone()).body(file.bytes.clone(), content_type),
        );
    }
    parts
}

/// Keeps the files with the stored message `message`.
pub(super) async fn record(
    deps: &Deps,
    work: &mut Work<'_>,
    tenant: Uuid,
    message: Uuid,
    attached: &[Attached],
) -> Result<(), AppError> {
    for file in attached {
        let sha256 = Sha256::digest(&file.bytes).to_vec();
        let key = mail_object_key(tenant, &sha256);
        put(&deps.storage, &key, &file.content_type, &file.bytes).await?;
        sqlx::query!(
            "INSERT INTO mail_attachments (id, tenant_id, message_id, file_name, content_type,
                                           inline, size_bytes, storage_key, sha256)
             VALUES ($1, $2, $3, $4, $5, false, $6, $7, $8)",
            Uuid::now_v7(),
            tenant,
            message,
            file.file_name,
            file.content_type,
            file.bytes.len() as i64,
            key,
            sha256,
        )
        .execute(work.conn())
        .await?;
    }
    Ok(())
}
