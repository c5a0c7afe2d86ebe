//! Client files on the `s3` backend against a real S3-compatible server
//! (s3rver) that the tests start on their own port: upload, presigned
//! download over HTTP, expiry, delete, and the store being down.

use crate::support;

use std::time::Duration;

use axum::Router;
use frontdesk::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{
    add_client, api_key, count, rest,
    s3::{use_s3, S3Server},
    sign_up, staff_of, upload_file, TestApp,
};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn spawn(store: &S3Server, bucket: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(
        |c| {
            use_s3(c, store, bucket);
            configure(c);
        },
        Router::new(),
    )
    .await
}

#[tokio::test]
async fn upload_presigned_download_expiry_and_delete() {
    let store = S3Server::start(&["frontdesk-files"]).await;
    let app = spawn(&store, "frontdesk-files", |c| {
        c.storage.url_ttl = Duration::from_secs(3)
    })
    .await;
    let owner = sign_up(&app, "Cloud", "owner@cloud.test").await;
    let staff = staff_of(&owner).await;
    let key = api_key(&owner, &["files:write"]).await;
    let client = add_client(&app, &staff, "Dee").await;

    let health: Value = app.get("/api/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["storage"]["backend"], "s3");
    assert_eq!(health["checks"]["storage"]["status"], "ok");

    let (status, file) = upload_file(&app, &key, client, "Consent form.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let storage_key: String = sqlx::query_scalar("SELECT storage_key FROM client_files")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert!(app.deps.storage.exists(&storage_key).await.unwrap());

    // Presigned by the store itself: it serves the file directly.
    let url = file["download_url"].as_str().unwrap();
    assert!(
        url.starts_with(&store.endpoint()) && url.contains("X-Amz-Signature="),
        "{url}"
    );
    assert!(url.contains("X-Amz-Expires=3&"), "{url}");
    let got = reqwest::get(url).await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(got.bytes().await.unwrap(), PDF);
    // A link naming another access key is refused by the store.
    let forged = url.replace("X-Amz-Credential=S3RVER", "X-Amz-Credential=NOBODY");
    assert_eq!(
        reqwest::get(&forged).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // After the link's lifetime the store refuses it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        reqwest::get(url).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // A fresh link works again.
    let (_, fresh) = rest(
        &app,
        &key,
        Method::GET,
        &format!("/api/v1/files/{}/link", file["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        reqwest::get(fresh["url"].as_str().unwrap())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let (status, _) = rest(
        &app,
        &key,
        Method::DELETE,
        &format!("/api/v1/files/{}", file["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!app.deps.storage.exists(&storage_key).await.unwrap());
    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM storage_cleanup").await,
        0
    );
}

#[tokio::test]
async fn a_store_outage_fails_uploads_cleanly_and_deletes_are_retried() {
    let mut store = S3Server::start(&["outage"]).await;
    let app = spawn(&store, "outage", |_| {}).await;
    let owner = sign_up(&app, "Outage", "owner@outage.test").await;
    let staff = staff_of(&owner).await;
    let key = api_key(&owner, &["files:write"]).await;
    let client = add_client(&app, &staff, "Eve").await;
    let (status, file) = upload_file(&app, &key, client, "before.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);

    let first_key: String = sqlx::query_scalar("SELECT storage_key FROM client_files")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    store.stop();
    let (status, body) = upload_file(&app, &key, client, "during.pdf", PDF).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["error"]["message"],
        "file storage is unavailable; try again shortly"
    );
    let health: Value = app.get("/api/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["storage"]["status"], "down");
    assert_eq!(
        health["status"], "ok",
        "storage is not required for the rest"
    );

    // The row goes now; the object's removal waits for the store.
    let (status, _) = rest(
        &app,
        &key,
        Method::DELETE,
        &format!("/api/v1/files/{}", file["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let pool = &app.deps.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM client_files").await, 0);
    let pending = count(
        pool,
        "SELECT count(*) FROM storage_cleanup WHERE last_error IS NOT NULL",
    )
    .await;
    assert!(pending >= 1, "the failed delete is recorded");
    let report = frontdesk::services::files::sweep(&app.deps, 100)
        .await
        .unwrap();
    assert_eq!(report.removed, 0);
    assert!(report.failed >= 1);

    // Back again, with the deleted file's object still there until the sweep.
    store.restart().await;
    assert!(app.deps.storage.exists(&first_key).await.unwrap());
    sqlx::query("UPDATE storage_cleanup SET due_at = now()")
        .execute(pool)
        .await
        .unwrap();
    let report = frontdesk::services::files::sweep(&app.deps, 100)
        .await
        .unwrap();
    assert_eq!(report.failed, 0);
    assert!(!app.deps.storage.exists(&first_key).await.unwrap());
    assert_eq!(count(pool, "SELECT count(*) FROM storage_cleanup").await, 0);
    let (status, _) = upload_file(&app, &key, client, "after.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED);
}
