//! Files on client records: upload (streamed into storage, checked on the
//! way), list with expiring links, delete, and the sweep that removes
//! objects nobody needs any more.
//!
//! An object and its row come and go together. Before an upload starts, a
//! `storage_cleanup` row for its key is committed; the transaction that
//! inserts the file's row removes it. If anything fails in between (bad
//! content, a dropped connection, the database, a crash) the object is
//! deleted at once, or by the sweep once the cleanup row is due. Deleting a
//! file records its key for cleanup in the same transaction.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Actor, Changes, Entry, Origin},
    auth::Principal,
    domain::{
        files::FileName,
        roles::{Action, Permission, RecordKind},
        views::ClientFileView,
    },
    error::AppError,
    storage::{self, sniff, Disposition, SignedUrl},
};

/// Streams `body` into storage as a file of `client_id` named `name`.
/// `declared` is the size the request announced, when it did.
pub async fn upload<S, E>(
    deps: &Deps,
    who: &impl Principal,
    client_id: Uuid,
    name: &str,
    declared: Option<u64>,
    body: S,
    origin: &Origin,
) -> Result<ClientFileView, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: std::fmt::Display,
{
    who.require(Permission::Record(RecordKind::File, Action::Create))?;
    let limits = &deps.config.uploads;
    let name = FileName::parse(name, &limits.allowed)
        .map_err(|e| AppError::field("file", e.to_string()))?;
    if declared.is_some_and(|n| n > limits.max_bytes) {
        return Err(AppError::FileTooLarge {
            limit_bytes: limits.max_bytes,
        });
    }
    let tenant = who.tenant_id();
    let now = chrono::Utc::now();
    let key = storage::client_file_key(tenant, client_id, now, &name);

    let mut tx = deps
        .read(who, Permission::Record(RecordKind::File, Action::Create))
        .await?;
    let archived = sqlx::query_scalar!(
        r#"SELECT archived_at IS NOT NULL AS "archived!" FROM clients WHERE id = $1 AND tenant_id = $2"#,
        client_id,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    match archived {
        None => return Err(AppError::NotFound("no such client".into())),
        Some(true) => {
            return Err(AppError::Conflict(
                "this client is archived; restore the client to add files".into(),
            ))
        }
        Some(false) => {}
    }
    // The sweep treats an upload still unfinished after an hour as abandoned.
    sqlx::query!(
        "INSERT INTO storage_cleanup (storage_key, tenant_id, reason, due_at) \
         VALUES ($1, $2, 'upload', now() + interval '1 hour')",
        &key,
        tenant,
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;

    let stored = match store(deps, &key, &name, body).await {
        Ok(stored) => stored,
        Err(err) => {
            discard(deps, tenant, &key).await;
            return Err(err);
        }
    };

    match record(deps, who, client_id, &key, &name, &stored, origin).await {
        Ok(id) => get(deps, who, id).await,
        Err(err) => {
            tracing::warn!(error = %err, "file row not written; removing its object");
            discard(deps, tenant, &key).await;
            Err(err)
        }
    }
}

struct Stored {
    size: u64,
    sha256: [u8; 32],
}

/// Writes the stream to `key`, checking the content against the name's type
/// from the first bytes and the size all the way; aborts on any problem.
async fn store<S, E>(deps: &Deps, key: &str, name: &FileName, body: S) -> Result<Stored, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: std::fmt::Display,
{
    let max = deps.config.uploads.max_bytes;
    let kind = name.kind();
    let mut writer = deps.storage.writer(key, kind.mime()).await?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    // The first bytes wait until there are enough to tell the type.
    let mut head: Option<Vec<u8>> = Some(Vec::with_capacity(sniff::SNIFF_BYTES));
    let mut body = std::pin::pin!(body);

    let outcome: Result<(), AppError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map_err(|e| AppError::BadRequest(format!("the upload was interrupted ({e})")))?;
            size += chunk.len() as u64;
            if size > max {
                return Err(AppError::FileTooLarge { limit_bytes: max });
            }
            hasher.update(&chunk);
            match head.as_mut() {
                Some(buf) => {
                    buf.extend_from_slice(&chunk);
                    if buf.len() >= sniff::SNIFF_BYTES {
                        let buf = head.take().unwrap_or_default();
                        sniff::check(kind, &buf, false)
                            .map_err(|e| AppError::field("file", e.to_string()))?;
                        writer
                            .write(Bytes::from(buf))
                            .await
                            .map_err(storage_write)?;
                    }
                }
                None => writer.write(chunk).await.map_err(storage_write)?,
            }
        }
        if let Some(buf) = head.take() {
            if buf.is_empty() {
                return Err(AppError::field("file", "the file is empty"));
            }
            sniff::check(kind, &buf, true).map_err(|e| AppError::field("file", e.to_string()))?;
            writer
                .write(Bytes::from(buf))
                .await
                .map_err(storage_write)?;
        }
        writer.close().await.map_err(storage_write)?;
        Ok(())
    }
    .await;

    match outcome {
        Ok(()) => Ok(Stored {
            size,
            sha256: hasher.finalize().into(),
        }),
        Err(err) => {
            if let Err(e) = writer.abort().await {
                tracing::debug!(error = %e, "aborting the storage write failed");
            }
            Err(err)
        }
    }
}

fn storage_write(err: opendal::Error) -> AppError {
    storage::StorageError::Backend(err).into()
}

/// The file's row, in the transaction that also drops the upload's cleanup record.
async fn record(
    deps: &Deps,
    who: &impl Principal,
    client_id: Uuid,
    key: &str,
    name: &FileName,
    stored: &Stored,
    origin: &Origin,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    let (user, api_key) = match who.actor() {
        Actor::User(u) => (Some(u), None),
        Actor::ApiKey(k) => (None, Some(k)),
        Actor::System => (None, None),
    };
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::File, Action::Create),
            origin,
        )
        .await?;
    sqlx::query!(
        "INSERT INTO client_files (id, tenant_id, client_id, storage_key, original_name, content_type, \
         size_bytes, sha256, uploaded_by, uploaded_by_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        id,
        who.tenant_id(),
        client_id,
        key,
        name.as_str(),
        name.kind().mime(),
        i64::try_from(stored.size).unwrap_or(i64::MAX),
        stored.sha256.as_slice(),
        user,
        api_key,
    )
    .execute(tx.conn())
    .await?;
    forget_cleanup(tx.conn(), key).await?;
    tx.audit(Entry {
        action: "file.uploaded",
        entity_type: "client",
        entity_id: Some(client_id),
        changes: Changes::new()
            .field("file", None, Some(&name.as_str()))
            .field("size_bytes", None, Some(&stored.size))
            .field("sha256", None, Some(&hex::encode(stored.sha256))),
    })
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The object under `key` no longer needs removing.
async fn forget_cleanup(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM storage_cleanup WHERE storage_key = $1", key)
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// Removes an unwanted object now; when that fails, its cleanup record is
/// made due so the sweep retries.
async fn discard(deps: &Deps, tenant: Uuid, key: &str) {
    let removed = deps.storage.delete(key).await;
    let result = async {
        let mut tx = deps.in_business(tenant, "discard a stored object").await?;
        match &removed {
            Ok(()) => forget_cleanup(tx.conn(), key).await?,
            Err(err) => {
                sqlx::query!(
                    "UPDATE storage_cleanup SET due_at = now(), last_error = $2 WHERE storage_key = $1",
                    key,
                    err.to_string(),
                )
                .execute(tx.conn())
                .await?;
            }
        }
        tx.commit().await
    }
    .await;
    if let Err(err) = &removed {
        tracing::warn!(error = %err, "removing an unwanted object failed; the sweep retries");
    }
    if let Err(err) = result {
        tracing::warn!(error = %err, "cleanup record not updated; the sweep retries when it is due");
    }
}

/// A file's row with the name of who uploaded it.
struct FileRow {
    id: Uuid,
    client_id: Uuid,
    storage_key: Option<String>,
    original_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: Option<Vec<u8>>,
    uploaded_by: Option<String>,
    created_at: DateTime<Utc>,
}

async fn view(deps: &Deps, tenant: Uuid, row: FileRow) -> Result<ClientFileView, AppError> {
    let mut file = ClientFileView {
        id: row.id,
        client_id: row.client_id,
        name: row.original_name,
        content_type: row.content_type,
        size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
        sha256: row.sha256.map(hex::encode),
        uploaded_by: row.uploaded_by,
        uploaded_at: row.created_at,
        download_url: None,
        preview_url: None,
        links_expire_at: None,
    };
    if let Some(key) = row.storage_key {
        let download = link_for(
            deps,
            tenant,
            &key,
            &file.name,
            &file.content_type,
            Disposition::Attachment,
        )
        .await?;
        if file.kind().is_some_and(|k| k.previewable()) {
            let preview = link_for(
                deps,
                tenant,
                &key,
                &file.name,
                &file.content_type,
                Disposition::Inline,
            )
            .await?;
            file.preview_url = Some(preview.url);
        }
        file.download_url = Some(download.url);
        file.links_expire_at = Some(download.expires_at);
    }
    Ok(file)
}

async fn link_for(
    deps: &Deps,
    tenant: Uuid,
    key: &str,
    name: &str,
    content_type: &str,
    disposition: Disposition,
) -> Result<SignedUrl, AppError> {
    Ok(deps
        .storage
        .signed_url(tenant, key, name, content_type, disposition)
        .await?)
}

/// The files of a client, newest first, with fresh links.
pub async fn list(
    deps: &Deps,
    who: &impl Principal,
    client_id: Uuid,
) -> Result<Vec<ClientFileView>, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::File, Action::Read))
        .await?;
    let exists = sqlx::query_scalar!(
        "SELECT 1 AS one FROM clients WHERE id = $1 AND tenant_id = $2",
        client_id,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    if exists.is_none() {
        return Err(AppError::NotFound("no such client".into()));
    }
    let rows = rows(tx.conn(), tenant, Some(client_id), None).await?;
    tx.commit().await?;
    let mut files = Vec::with_capacity(rows.len());
    for row in rows {
        files.push(view(deps, tenant, row).await?);
    }
    Ok(files)
}

/// A client's files (newest first, at most 500) or one file by id.
async fn rows(
    conn: &mut PgConnection,
    tenant: Uuid,
    client: Option<Uuid>,
    id: Option<Uuid>,
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as!(
        FileRow,
        r#"SELECT f.id, f.client_id, f.storage_key, f.original_name, f.content_type, f.size_bytes,
                  f.sha256, coalesce(u.name, 'API key ' || k.name) AS uploaded_by,
                  f.created_at AS "created_at: DateTime<Utc>"
           FROM client_files f LEFT JOIN users u ON u.id = f.uploaded_by
           LEFT JOIN api_keys k ON k.id = f.uploaded_by_key
           WHERE f.tenant_id = $1 AND ($2::uuid IS NULL OR f.client_id = $2)
             AND ($3::uuid IS NULL OR f.id = $3)
           ORDER BY f.created_at DESC, f.id DESC LIMIT 500"#,
        tenant,
        client,
        id,
    )
    .fetch_all(&mut *conn)
    .await
}

/// One file, with fresh links.
pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<ClientFileView, AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::File, Action::Read))
        .await?;
    let row = rows(tx.conn(), tenant, None, Some(id)).await?.pop();
    tx.commit().await?;
    let row = row.ok_or_else(|| AppError::NotFound("no such file".into()))?;
    view(deps, tenant, row).await
}

/// Deletes the file's row now and its object right after; an object that
/// cannot be deleted now is retried by the sweep.
pub async fn delete(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let tenant = who.tenant_id();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::File, Action::Delete),
            origin,
        )
        .await?;
    let gone = sqlx::query!(
        "DELETE FROM client_files WHERE id = $1 AND tenant_id = $2 \
         RETURNING client_id, storage_key, original_name",
        id,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such file".into()))?;
    if let Some(key) = &gone.storage_key {
        sqlx::query!(
            "INSERT INTO storage_cleanup (storage_key, tenant_id, reason, due_at) VALUES ($1, $2, 'deleted', now()) \
             ON CONFLICT (storage_key) DO UPDATE SET reason = 'deleted', due_at = now()",
            key,
            tenant,
        )
        .execute(tx.conn())
        .await?;
    }
    tx.audit(Entry {
        action: "file.deleted",
        entity_type: "client",
        entity_id: Some(gone.client_id),
        changes: Changes::new().field("file", Some(&gone.original_name), None),
    })
    .await?;
    tx.commit().await?;
    if let Some(key) = gone.storage_key {
        discard(deps, tenant, &key).await;
    }
    Ok(())
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    pub removed: usize,
    pub failed: usize,
}

/// Removes the objects whose cleanup is due (deleted files, abandoned
/// uploads), up to `limit`; failures are retried later with growing waits.
/// Instances sweeping at once take different rows.
pub async fn sweep(deps: &Deps, limit: i64) -> Result<Sweep, AppError> {
    let mut tx = deps.system("storage cleanup", &Origin::default()).await?;
    // A key that has a file row again is not to be removed; forget it.
    sqlx::query!(
        "DELETE FROM storage_cleanup c WHERE EXISTS (SELECT 1 FROM client_files f WHERE f.storage_key = c.storage_key)",
    )
    .execute(tx.conn())
    .await?;
    let due = sqlx::query!(
        "SELECT storage_key, attempts FROM storage_cleanup WHERE due_at <= now() \
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    .fetch_all(tx.conn())
    .await?;
    let mut report = Sweep::default();
    for cleanup in due {
        let (key, attempts) = (cleanup.storage_key, cleanup.attempts);
        match deps.storage.delete(&key).await {
            Ok(()) => {
                forget_cleanup(tx.conn(), &key).await?;
                report.removed += 1;
            }
            Err(err) => {
                let wait = Duration::from_secs(60 << attempts.clamp(0, 10) as u32)
                    .min(Duration::from_secs(24 * 3600));
                sqlx::query!(
                    "UPDATE storage_cleanup SET attempts = attempts + 1, last_error = $2, \
                     due_at = now() + make_interval(secs => $3) WHERE storage_key = $1",
                    &key,
                    err.to_string(),
                    wait.as_secs_f64(),
                )
                .execute(tx.conn())
                .await?;
                report.failed += 1;
            }
        }
    }
    tx.commit().await?;
    if report.removed + report.failed > 0 {
        tracing::info!(
            removed = report.removed,
            failed = report.failed,
            "storage cleanup"
        );
    }
    Ok(report)
}
