//! `frontdesk storage migrate --from <dir>`: moves files of a legacy uploads
//! directory (rows that hold a path under it) into the configured storage.
//! `frontdesk storage verify`: every row has its object; objects without a
//! row are reported.
//!
//! Migration is per file: each moved file's row is committed on its own, so
//! an interrupted run resumes where it stopped, and a second run finds
//! nothing left to do.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use bytes::Bytes;
use frontdesk::services::Work;
use frontdesk::{
    config::Config,
    db,
    domain::files::{storage_name, FileKind},
    storage::Storage,
};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// What a migration did.
#[derive(Debug, Default)]
pub struct Summary {
    pub moved: usize,
    pub skipped: usize,
    pub failed: Vec<(String, String)>,
}

pub async fn migrate(config: Config, from: PathBuf, remove_originals: bool) -> Outcome {
    let root = std::fs::canonicalize(&from)
        .map_err(|e| format!("--from {}: cannot be read ({e})", from.display()))?;
    let pool = db::pool(&config.database)?;
    let storage = Storage::from_config(&config.storage)?;
    let mut tx = Work::system(&pool, "storage migrate").await?;
    let rows: Vec<(Uuid, Uuid, Uuid, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, tenant_id, client_id, legacy_path, original_name, created_at FROM client_files \
         WHERE storage_key IS NULL AND legacy_path IS NOT NULL ORDER BY created_at, id",
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;

    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    for (id, tenant, client, legacy, name, created) in rows {
        bar.set_message(name.clone());
        match move_one(
            &pool,
            &storage,
            &root,
            (id, tenant, client),
            &legacy,
            &name,
            created,
        )
        .await
        {
            Ok(Moved::Now) => {
                summary.moved += 1;
                if remove_originals {
                    if let Err(e) = std::fs::remove_file(root.join(&legacy)) {
                        bar.println(format!("moved, but the original {legacy} stays: {e}"));
                    }
                }
            }
            Ok(Moved::Already) => summary.skipped += 1,
            Err(reason) => summary.failed.push((legacy, reason)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "storage migrate: moved {}, skipped {}, failed {}",
        summary.moved,
        summary.skipped,
        summary.failed.len()
    );
    for (path, reason) in &summary.failed {
        println!("  failed: {path}: {reason}");
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} files could not be moved; fix them and run again",
            summary.failed.len()
        )
        .into())
    }
}

enum Moved {
    Now,
    /// The object was stored by an earlier, interrupted run.
    Already,
}

/// Streams one legacy file into storage and points its row at it.
async fn move_one(
    pool: &sqlx::PgPool,
    storage: &Storage,
    root: &Path,
    (id, tenant, client): (Uuid, Uuid, Uuid),
    legacy: &str,
    name: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> Result<Moved, String> {
    let path = std::fs::canonicalize(root.join(legacy))
        .map_err(|e| format!("not found under --from ({e})"))?;
    if !path.starts_with(root) {
        return Err("the path leads outside --from".into());
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let key = format!(
        "tenants/{tenant}/clients/{client}/{}_{}",
        created.format("%Y%m%dT%H%M%S%.6fZ"),
        storage_name(stem, ext)
    );
    let content_type = FileKind::from_extension(ext)
        .map(|k| k.mime())
        .unwrap_or("application/octet-stream");

    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| format!("cannot be opened ({e})"))?;
    let already = storage.exists(&key).await.map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    let mut writer = if already {
        None
    } else {
        Some(
            storage
                .writer(&key, content_type)
                .await
                .map_err(|e| e.to_string())?,
        )
    };
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| format!("read failed ({e})"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        if let Some(w) = writer.as_mut() {
            w.write(Bytes::copy_from_slice(&buf[..n]))
                .await
                .map_err(|e| format!("storage write failed ({e})"))?;
        }
    }
    if let Some(w) = writer.as_mut() {
        w.close()
            .await
            .map_err(|e| format!("storage write failed ({e})"))?;
    }
    let sha: [u8; 32] = hasher.finalize().into();
    let update = async {
        let mut tx = Work::system(pool, "storage migrate")
            .await
            .map_err(frontdesk::error::AppError::from)?;
        sqlx::query(
            "UPDATE client_files SET storage_key = $2, sha256 = $3, size_bytes = $4, content_type = $5, legacy_path = NULL \
             WHERE id = $1 AND storage_key IS NULL",
        )
        .bind(id)
        .bind(&key)
        .bind(sha.as_slice())
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(content_type)
        .execute(tx.conn())
        .await
        .map_err(frontdesk::error::AppError::from)?;
        tx.commit().await
    };
    update
        .await
        .map_err(|e| format!("the row could not be updated ({e})"))?;
    Ok(if already { Moved::Already } else { Moved::Now })
}

pub async fn verify(config: Config) -> Outcome {
    let pool = db::pool(&config.database)?;
    let storage = Storage::from_config(&config.storage)?;
    let mut tx = Work::system(&pool, "storage verify").await?;
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT storage_key FROM client_files WHERE storage_key IS NOT NULL")
            .fetch_all(tx.conn())
            .await?;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM client_files WHERE storage_key IS NULL")
            .fetch_one(tx.conn())
            .await?;
    let pending: Vec<String> = sqlx::query_scalar("SELECT storage_key FROM storage_cleanup")
        .fetch_all(tx.conn())
        .await?;
    tx.commit().await?;

    let bar = ProgressBar::new(keys.len() as u64);
    let mut missing = Vec::new();
    for key in &keys {
        if !storage.exists(key).await? {
            missing.push(key.clone());
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let known: HashSet<&String> = keys.iter().chain(pending.iter()).collect();
    let orphans: Vec<String> = storage
        .list("tenants/")
        .await?
        .into_iter()
        .filter(|k| !known.contains(k))
        .collect();
    println!(
        "storage verify: {} files checked, {} missing objects, {} orphan objects, {} files waiting for `storage migrate`",
        keys.len(),
        missing.len(),
        orphans.len(),
        waiting
    );
    for key in &missing {
        println!("  missing: {key}");
    }
    for key in &orphans {
        println!("  orphan: {key}");
    }
    if missing.is_empty() && orphans.is_empty() {
        Ok(())
    } else {
        Err("storage and database disagree (see above)".into())
    }
}
