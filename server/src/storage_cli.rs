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
use frontdesk::{
    config::Config,
    db::{self, Pool},
    domain::files::{storage_name, FileKind},
    storage::Storage,
    tools::storage::{self as storage_rows, Expected, LegacyFile, Stored},
};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

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
    let rows = storage_rows::legacy_files(&pool).await?;

    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    for file in rows {
        bar.set_message(file.original_name.clone());
        let legacy = file.legacy_path.clone();
        match move_one(&pool, &storage, &root, &file).await {
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
    pool: &Pool,
    storage: &Storage,
    root: &Path,
    file_row: &LegacyFile,
) -> Result<Moved, String> {
    let (legacy, name) = (&file_row.legacy_path, &file_row.original_name);
    let (tenant, client) = (file_row.tenant_id, file_row.client_id);
    let path = std::fs::canonicalize(root.join(legacy))
        .map_err(|e| format!("not found under --from ({e})"))?;
    if !path.starts_with(root) {
        return Err("the path leads outside --from".into());
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let key = format!(
        "tenants/{tenant}/clients/{client}/{}_{}",
        file_row.created_at.format("%Y%m%dT%H%M%S%.6fZ"),
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
    let update = storage_rows::mark_moved(
        pool,
        file_row,
        Stored {
            key: &key,
            sha256: sha,
            size,
            content_type,
        },
    );
    update
        .await
        .map_err(|e| format!("the row could not be updated ({e})"))?;
    Ok(if already { Moved::Already } else { Moved::Now })
}

pub async fn verify(config: Config) -> Outcome {
    let pool = db::pool(&config.database)?;
    let storage = Storage::from_config(&config.storage)?;
    let Expected {
        keys,
        waiting,
        pending_deletes: pending,
    } = storage_rows::expected(&pool).await?;

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
