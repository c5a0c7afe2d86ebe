//! `frontdesk storage`'s reads and writes: files still at a legacy path, and
//! the keys storage should hold.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    audit::{Actor, Changes, Entry},
    db::Pool,
    error::AppError,
    services::Work,
};

/// A file whose content is still at a path of the legacy uploads directory.
pub struct LegacyFile {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: Uuid,
    pub legacy_path: String,
    pub original_name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn legacy_files(pool: &Pool) -> Result<Vec<LegacyFile>, AppError> {
    let mut work = Work::system(pool, "storage migrate").await?;
    let rows = sqlx::query_as!(
        LegacyFile,
        r#"SELECT id, tenant_id, client_id, legacy_path AS "legacy_path!", original_name,
                  created_at AS "created_at: DateTime<Utc>"
           FROM client_files WHERE storage_key IS NULL AND legacy_path IS NOT NULL
           ORDER BY created_at, id"#
    )
    .fetch_all(work.conn())
    .await?;
    work.commit().await?;
    Ok(rows)
}

/// Where a moved file's content now is.
pub struct Stored<'a> {
    pub key: &'a str,
    pub sha256: [u8; 32],
    pub size: u64,
    pub content_type: &'a str,
}

/// Points the file's row at its object (once: a row moved already stays as it is).
pub async fn mark_moved(
    pool: &Pool,
    file: &LegacyFile,
    stored: Stored<'_>,
) -> Result<(), AppError> {
    let mut work = Work::system(pool, "storage migrate").await?;
    work.enter_tenant(file.tenant_id, Actor::System).await?;
    let moved = sqlx::query!(
        "UPDATE client_files SET storage_key = $2, sha256 = $3, size_bytes = $4, content_type = $5, legacy_path = NULL \
         WHERE id = $1 AND storage_key IS NULL",
        file.id,
        stored.key,
        stored.sha256.as_slice(),
        i64::try_from(stored.size).unwrap_or(i64::MAX),
        stored.content_type
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    if moved > 0 {
        work.audit(Entry {
            action: "file.migrate",
            entity_type: "file",
            entity_id: Some(file.id),
            changes: Changes::new().field("storage", Some("legacy"), Some("object")),
        })
        .await?;
    }
    work.commit().await
}

/// What `storage verify` compares with the objects.
pub struct Expected {
    /// Keys rows point at.
    pub keys: Vec<String>,
    /// Rows still waiting for `storage migrate`.
    pub waiting: i64,
    /// Keys queued for deletion.
    pub pending_deletes: Vec<String>,
}

pub async fn expected(pool: &Pool) -> Result<Expected, AppError> {
    let mut work = Work::system(pool, "storage verify").await?;
    let keys = sqlx::query_scalar!(
        r#"SELECT storage_key AS "key!" FROM client_files WHERE storage_key IS NOT NULL"#
    )
    .fetch_all(work.conn())
    .await?;
    let waiting = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM client_files WHERE storage_key IS NULL"#
    )
    .fetch_one(work.conn())
    .await?;
    let pending_deletes = sqlx::query_scalar!("SELECT storage_key FROM storage_cleanup")
        .fetch_all(work.conn())
        .await?;
    work.commit().await?;
    Ok(Expected {
        keys,
        waiting,
        pending_deletes,
    })
}
