//! `frontdesk storage migrate` and `frontdesk storage verify`, run as an
//! operator runs them, on rows that hold paths under a legacy uploads directory.

use crate::support;

use std::{path::Path, process::Command};

use sha2::Digest;
use support::{add_client, count, sign_up, staff_of, TestApp};
use uuid::Uuid;

fn frontdesk(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .env("STORAGE_FS_ROOT", &app.deps.config.storage.fs_root)
        .env("LOG_LEVEL", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn legacy_row(app: &TestApp, tenant: Uuid, client: Uuid, path: &str, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO client_files (id, tenant_id, client_id, legacy_path, original_name, content_type, size_bytes) \
         VALUES ($1, $2, $3, $4, $5, 'application/octet-stream', 0)",
    )
    .bind(id)
    .bind(tenant)
    .bind(client)
    .bind(path)
    .bind(name)
    .execute(&app.deps.pool)
    .await
    .unwrap();
    id
}

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, bytes).unwrap();
}

#[tokio::test]
async fn migrate_moves_legacy_files_resumably_and_verify_finds_disagreements() {
    let app = TestApp::spawn().await;
    let owner = sign_up(&app, "Legacy", "owner@legacy.test").await;
    let staff = staff_of(&owner).await;
    let client = add_client(&app, &staff, "Flo").await;
    let legacy = std::env::temp_dir().join(format!("frontdesk-legacy-{}", Uuid::now_v7().simple()));
    let pdf = b"%PDF-1.4 legacy intake\n%%EOF\n".to_vec();
    let png = b"\x89PNG\r\n\x1a\n legacy photo".to_vec();
    write(&legacy, "flo/intake.pdf", &pdf);
    write(&legacy, "flo/Photo 1.png", &png);
    std::fs::write(std::env::temp_dir().join("outside-legacy.txt"), b"secret").unwrap();

    let intake = legacy_row(
        &app,
        staff.tenant_id,
        client,
        "flo/intake.pdf",
        "intake.pdf",
    )
    .await;
    let photo = legacy_row(
        &app,
        staff.tenant_id,
        client,
        "flo/Photo 1.png",
        "Photo 1.png",
    )
    .await;
    let gone = legacy_row(&app, staff.tenant_id, client, "flo/gone.pdf", "gone.pdf").await;
    let outside = legacy_row(
        &app,
        staff.tenant_id,
        client,
        "../outside-legacy.txt",
        "x.txt",
    )
    .await;

    let from = legacy.display().to_string();
    let (ok, out) = frontdesk(&app, &["storage", "migrate", "--from", &from]);
    assert!(!ok, "failures make the run fail: {out}");
    assert!(
        out.contains("storage migrate: moved 2, skipped 0, failed 2"),
        "{out}"
    );
    assert!(
        out.contains("flo/gone.pdf: not found under --from"),
        "{out}"
    );
    assert!(
        out.contains("../outside-legacy.txt: the path leads outside --from"),
        "{out}"
    );

    let pool = &app.deps.pool;
    // Each moved file is audited in its business, as the system's change.
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM audit_log WHERE action = 'file.migrate' AND actor_kind = 'system' AND entity_type = 'file'"
        )
        .await,
        2
    );
    for (id, bytes) in [(intake, &pdf), (photo, &png)] {
        let (key, sha, size, path): (String, Vec<u8>, i64, Option<String>) = sqlx::query_as(
            "SELECT storage_key, sha256, size_bytes, legacy_path FROM client_files WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(
            key.starts_with(&format!("tenants/{}/clients/{client}/", staff.tenant_id)),
            "{key}"
        );
        assert_eq!(sha, sha2::Sha256::digest(bytes).to_vec());
        assert_eq!(size as usize, bytes.len());
        assert!(path.is_none());
        assert_eq!(&app.deps.storage.read(&key).await.unwrap()[..], &bytes[..]);
    }
    let photo_key: String =
        sqlx::query_scalar("SELECT storage_key FROM client_files WHERE id = $1")
            .bind(photo)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(photo_key.ends_with("_Photo_1.png"), "{photo_key}");

    // The operator removes the two broken rows; an interrupted run left one
    // file stored but its row not yet updated.
    sqlx::query("DELETE FROM client_files WHERE id = ANY($1)")
        .bind(vec![gone, outside])
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE client_files SET storage_key = NULL, sha256 = NULL, legacy_path = 'flo/Photo 1.png' WHERE id = $1")
        .bind(photo)
        .execute(pool)
        .await
        .unwrap();
    let (ok, out) = frontdesk(&app, &["storage", "migrate", "--from", &from]);
    assert!(ok, "{out}");
    assert!(out.contains("moved 0, skipped 1, failed 0"), "{out}");
    let (ok, out) = frontdesk(&app, &["storage", "migrate", "--from", &from]);
    assert!(ok && out.contains("moved 0, skipped 0, failed 0"), "{out}");
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM client_files WHERE storage_key IS NULL"
        )
        .await,
        0
    );

    let (ok, out) = frontdesk(&app, &["storage", "verify"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("2 files checked, 0 missing objects, 0 orphan objects"),
        "{out}"
    );

    // An object gone, and one nobody knows.
    app.deps.storage.delete(&photo_key).await.unwrap();
    let stray = format!("tenants/{}/clients/{client}/stray.bin", staff.tenant_id);
    let mut w = app
        .deps
        .storage
        .writer(&stray, "application/octet-stream")
        .await
        .unwrap();
    w.write(bytes::Bytes::from_static(b"?")).await.unwrap();
    w.close().await.unwrap();
    let (ok, out) = frontdesk(&app, &["storage", "verify"]);
    assert!(!ok);
    assert!(out.contains("1 missing objects, 1 orphan objects"), "{out}");
    assert!(out.contains(&format!("missing: {photo_key}")), "{out}");
    assert!(out.contains(&format!("orphan: {stray}")), "{out}");
}
