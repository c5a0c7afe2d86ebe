//! Client files on the `fs` backend, through HTTP: upload over REST and from
//! the staff UI's endpoint, signed links (valid, tampered, expired, another
//! tenant's), refused names and contents that leave nothing behind, a
//! database failure after the object was stored, delete and the sweep.

use crate::support;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use axum::Router;
use frontdesk::{
    ratelimit::PolicyKind,
    storage::{Disposition, Grant},
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::{add_client, api_key, count, rest, sign_up, staff_of, TestApp};
use uuid::Uuid;

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf0, 0xaa, 0xbe, 0xf0,
    0x1f, 0x00, 0x05, 0x3d, 0x02, 0x95, 0x9f, 0x99, 0x97, 0xe6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// The start of a Windows program.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00PE\x00\x00";

struct Business {
    app: TestApp,
    key: String,
    client: Uuid,
    tenant: Uuid,
}

async fn business(app: TestApp, name: &str) -> Business {
    let owner = sign_up(&app, name, &format!("owner@{}.test", name.to_lowercase())).await;
    let staff = staff_of(&owner).await;
    let key = api_key(&owner, &["files:write", "clients:read"]).await;
    let client = add_client(&app, &staff, "Ann Example").await;
    Business {
        app,
        key,
        client,
        tenant: staff.tenant_id,
    }
}

async fn upload(b: &Business, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    support::upload_file(&b.app, &b.key, b.client, name, bytes).await
}

fn fs_root(app: &TestApp) -> PathBuf {
    app.deps.config.storage.fs_root.clone()
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn upload_list_download_and_delete_over_rest() {
    let b = business(TestApp::spawn().await, "Upload").await;
    let (status, file) = upload(&b, "Intake form.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["name"], "Intake form.pdf");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["size_bytes"], PDF.len());
    use sha2::Digest;
    assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(PDF)));
    assert_eq!(file["uploaded_by"], "API key Integration");

    // The row holds the storage key, never a path; the object is under it.
    let (key, legacy): (String, Option<String>) =
        sqlx::query_as("SELECT storage_key, legacy_path FROM client_files")
            .fetch_one(&b.app.deps.pool)
            .await
            .unwrap();
    let prefix = format!("tenants/{}/clients/{}/", b.tenant, b.client);
    assert!(
        key.starts_with(&prefix) && key.ends_with("_Intake_form.pdf"),
        "{key}"
    );
    assert!(legacy.is_none());
    assert_eq!(std::fs::read(fs_root(&b.app).join(&key)).unwrap(), PDF);

    let (status, list) = rest(
        &b.app,
        &b.key,
        Method::GET,
        &format!("/api/v1/clients/{}/files", b.client),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The download link is absolute, works without a session, and says attachment.
    let download = list[0]["download_url"].as_str().unwrap();
    assert!(download.starts_with("http://"), "{download}");
    let got = reqwest::get(download).await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let h = got.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"Intake form.pdf\""));
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(got.bytes().await.unwrap(), PDF);
    let preview = reqwest::get(list[0]["preview_url"].as_str().unwrap())
        .await
        .unwrap();
    assert!(preview.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));

    // One link by id, for handing on.
    let id = file["id"].as_str().unwrap();
    let (status, link) = rest(
        &b.app,
        &b.key,
        Method::GET,
        &format!("/api/v1/files/{id}/link"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(link["expires_at"].is_string());

    let (status, _) = rest(
        &b.app,
        &b.key,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !fs_root(&b.app).join(&key).exists(),
        "the object is removed"
    );
    assert_eq!(
        count(&b.app.deps.pool, "SELECT count(*) FROM client_files").await,
        0
    );
    assert_eq!(
        count(&b.app.deps.pool, "SELECT count(*) FROM storage_cleanup").await,
        0
    );
    assert_eq!(
        reqwest::get(download).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = rest(
        &b.app,
        &b.key,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let audit = count(
        &b.app.deps.pool,
        "SELECT count(*) FROM audit_log WHERE action IN ('file.uploaded', 'file.deleted')",
    )
    .await;
    assert_eq!(audit, 2);
}

/// `url` with the query parameter `name` set to `value`.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

#[tokio::test]
async fn signed_links_refuse_tampering_expiry_and_other_tenants_alike() {
    let app = TestApp::spawn().await;
    let a = business(app, "Alpha").await;
    let (_, file) = upload(&a, "photo.png", PNG).await;
    let url = file["preview_url"].as_str().unwrap().to_string();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);

    // Tenant B of the same server, with a file of its own.
    let owner_b = sign_up(&a.app, "Beta", "owner@beta.test").await;
    let staff_b = staff_of(&owner_b).await;
    let client_b = add_client(&a.app, &staff_b, "Bo").await;
    let key_b = api_key(&owner_b, &["files:write"]).await;
    let b = Business {
        app: TestApp::spawn_beside(&a.app, |_| {}).await,
        key: key_b,
        client: client_b,
        tenant: staff_b.tenant_id,
    };
    let (status, file_b) = upload(&b, "theirs.png", PNG).await;
    assert_eq!(status, StatusCode::CREATED);
    let key_b: String = sqlx::query_scalar("SELECT storage_key FROM client_files WHERE id = $1")
        .bind(file_b["id"].as_str().unwrap().parse::<Uuid>().unwrap())
        .fetch_one(&a.app.deps.pool)
        .await
        .unwrap();
    // B's object lives in B's server's directory; copy it to A's so that
    // only the link decides.
    let a_copy = fs_root(&a.app).join(&key_b);
    std::fs::create_dir_all(a_copy.parent().unwrap()).unwrap();
    std::fs::write(&a_copy, PNG).unwrap();

    let key_a = url
        .split("/files/signed/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let tampered = [
        url.replace(&key_a, &key_b),
        url.replace(&key_a, &key_a.replace("photo.png", "other.png")),
        with_param(&url, "tenant", &b.tenant.to_string()),
        with_param(&url, "expires", "4102444800"),
        with_param(&url, "disposition", "attachment"),
        with_param(&url, "type", "text/html"),
        with_param(&url, "name", "photo.html"),
        with_param(&url, "signature", &"0".repeat(64)),
        with_param(&url, "signature", "not-hex"),
        url.split('?').next().unwrap().to_string(),
    ];
    let mut bodies = Vec::new();
    for link in &tampered {
        let response = reqwest::get(link).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{link}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "link_invalid", "{link}");
        bodies.push(body["error"]["message"].clone());
    }
    assert!(bodies
        .iter()
        .all(|m| m == "this link is invalid or has expired"));

    // Properly signed, but expired.
    let signer = a.app.deps.storage.signer();
    let grant = |tenant: Uuid, key: &str, expires: i64| Grant {
        tenant,
        key: key.to_string(),
        expires,
        disposition: Disposition::Inline,
        content_type: "image/png".into(),
        name: "photo.png".into(),
    };
    let now = chrono::Utc::now().timestamp();
    let expired = signer.link(&grant(a.tenant, &key_a, now - 1));
    assert_eq!(a.app.get(&expired).await.status(), StatusCode::FORBIDDEN);
    let fresh = signer.link(&grant(a.tenant, &key_a, now + 60));
    assert_eq!(a.app.get(&fresh).await.status(), StatusCode::OK);
    // Signed with the server's own secret for tenant A, naming B's object:
    // the key is outside A's prefix.
    let cross = signer.link(&grant(a.tenant, &key_b, now + 60));
    assert_eq!(a.app.get(&cross).await.status(), StatusCode::FORBIDDEN);
    // A valid signature for a key that names nothing looks the same as a bad one.
    let missing_key = key_a.replace("photo.png", "missing.png");
    let missing = a
        .app
        .get(&signer.link(&grant(a.tenant, &missing_key, now + 60)))
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["message"], bodies[0]);
}

#[tokio::test]
async fn bad_names_and_disguised_or_oversize_contents_leave_nothing_behind() {
    let app = TestApp::spawn_with(|c| c.uploads.max_bytes = 20000, Router::new()).await;
    let b = business(app, "Strict").await;
    for (name, problem) in [
        ("../escape.pdf", "may not contain '/'"),
        ("..\\escape.pdf", "may not contain '/'"),
        ("/etc/passwd.txt", "may not contain '/'"),
        ("%2e%2e%2fescape.pdf", "encoded path separator"),
        ("%252e%252e%252fescape.pdf", "encoded path separator"),
        ("a\0b.pdf", "control character"),
        ("a%00b.pdf", "control character"),
        (".hidden.pdf", "may not start with a dot"),
        ("setup.exe", "'exe' are not accepted"),
        ("no-extension", "not accepted"),
    ] {
        let (status, body) = upload(&b, name, PDF).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(problem), "{name}: {message}");
    }
    let (status, body) = upload(&b, "invoice.pdf", EXE).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = body["error"]["fields"]["file"][0]
        .as_str()
        .unwrap_or_default()
        .to_string()
        + body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("a Windows program") && message.contains("not a PDF"),
        "{message}"
    );
    let (status, body) = upload(&b, "notes.txt", b"text\0with nul").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = upload(&b, "empty.txt", b"").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Over the limit: refused by the announced length...
    let big = vec![b'a'; 20001];
    let (status, body) = upload(&b, "big.txt", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upload limit of 20 KB (20000 bytes)"),
        "{body}"
    );
    // ...and while streaming, when no length is announced.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..30).map(|_| Ok(vec![b'a'; 1000])).collect();
    let response = b
        .app
        .client
        .post(b.app.url(&format!("/api/v1/clients/{}/files", b.client)))
        .query(&[("name", "stream.txt")])
        .bearer_auth(&b.key)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let pool = &b.app.deps.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM client_files").await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM storage_cleanup").await, 0);
    assert_eq!(files_under(&fs_root(&b.app)), Vec::<PathBuf>::new());

    // Within the limit, the same content is fine.
    let (status, _) = upload(&b, "ok.txt", &big[..20000]).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_failure_after_storing_the_object_removes_it() {
    let app = TestApp::spawn_with(
        |c| c.database.statement_timeout = Duration::from_millis(1500),
        Router::new(),
    )
    .await;
    let b = business(app, "Fault").await;
    // Another session holds the files table: inserting the row times out
    // after the object has been written.
    let mut blocker = b.app.deps.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE client_files IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let (status, body) = upload(&b, "scan.pdf", PDF).await;
    blocker.rollback().await.unwrap();
    assert!(status.is_server_error(), "{status} {body}");
    assert_eq!(
        body["error"]["message"], "internal error",
        "no detail leaks"
    );

    let pool = &b.app.deps.pool;
    assert_eq!(count(pool, "SELECT count(*) FROM client_files").await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM storage_cleanup").await, 0);
    assert_eq!(files_under(&fs_root(&b.app)), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn the_sweep_removes_abandoned_uploads_and_keeps_files_in_use() {
    let b = business(TestApp::spawn().await, "Sweep").await;
    let (_, kept) = upload(&b, "kept.png", PNG).await;
    let kept_key: String = sqlx::query_scalar("SELECT storage_key FROM client_files")
        .fetch_one(&b.app.deps.pool)
        .await
        .unwrap();
    // An upload whose server died after writing the object: its cleanup
    // record is all that is left, due now. And one still in progress.
    let storage = &b.app.deps.storage;
    let prefix = format!("tenants/{}/clients/{}/", b.tenant, b.client);
    for (name, due) in [
        ("crashed.pdf", "now() - interval '1 minute'"),
        ("in-progress.pdf", "now() + interval '1 hour'"),
    ] {
        let key = format!("{prefix}{name}");
        let mut w = storage.writer(&key, "application/pdf").await.unwrap();
        w.write(bytes::Bytes::from_static(PDF)).await.unwrap();
        w.close().await.unwrap();
        sqlx::query(&format!(
            "INSERT INTO storage_cleanup (storage_key, tenant_id, reason, due_at) VALUES ($1, $2, 'upload', {due})"
        ))
        .bind(&key)
        .bind(b.tenant)
        .execute(&b.app.deps.pool)
        .await
        .unwrap();
    }
    // A stale record for the key of a file that exists is dropped, not acted on.
    sqlx::query("INSERT INTO storage_cleanup (storage_key, tenant_id, reason, due_at) VALUES ($1, $2, 'upload', now() - interval '1 day')")
        .bind(&kept_key)
        .bind(b.tenant)
        .execute(&b.app.deps.pool)
        .await
        .unwrap();

    let report = frontdesk::services::files::sweep(&b.app.deps, 100)
        .await
        .unwrap();
    assert_eq!(report.removed, 1);
    assert!(!storage
        .exists(&format!("{prefix}crashed.pdf"))
        .await
        .unwrap());
    assert!(storage
        .exists(&format!("{prefix}in-progress.pdf"))
        .await
        .unwrap());
    assert!(storage.exists(&kept_key).await.unwrap());
    let left: Vec<String> = sqlx::query_scalar("SELECT storage_key FROM storage_cleanup")
        .fetch_all(&b.app.deps.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![format!("{prefix}in-progress.pdf")]);
    assert_eq!(kept["name"], "kept.png");
}

#[tokio::test]
async fn roles_tenants_and_the_upload_limit_are_enforced() {
    let app = TestApp::spawn_with(
        |c| support::limit(c, PolicyKind::Upload, "2/h"),
        Router::new(),
    )
    .await;
    let owner = sign_up(&app, "Roles", "owner@roles.test").await;
    let staff = staff_of(&owner).await;
    let client = add_client(&app, &staff, "Cy").await;

    // Staff upload from the page's endpoint with their session.
    let reader = support::add_member(&app, &owner, "reader@roles.test", "reader").await;
    let post = |browser: &support::Browser, name: &str| {
        let request = browser
            .client
            .post(app.url(&format!("/files/clients/{client}")))
            .query(&[("name", name)])
            .header("origin", app.url(""))
            .header("sec-fetch-site", "same-origin")
            .body(PNG.to_vec());
        async move { request.send().await.unwrap() }
    };
    let denied = post(&reader, "r.png").await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    let first = post(&owner, "one.png").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        first.headers()["ratelimit-policy"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap(),
        "2"
    );
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    let file: Value = first.json().await.unwrap();
    assert!(file["download_url"]
        .as_str()
        .unwrap()
        .starts_with("/files/signed/"));
    assert_eq!(post(&owner, "two.png").await.status(), StatusCode::CREATED);
    let third = post(&owner, "three.png").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["error"]["limit"], "upload");

    // Readers list and open files, but do not delete them.
    let listed = reader
        .call_ok("client-files", &[("client_id", &client.to_string())])
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let id = file["id"].as_str().unwrap();
    let refused = reader.call("delete-client-file", &[("id", id)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Another business sees none of it.
    let other = sign_up(&app, "Other", "owner@other.test").await;
    let other_key = api_key(&other, &["files:write"]).await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/files/{id}")),
        (Method::GET, format!("/api/v1/clients/{client}/files")),
        (Method::DELETE, format!("/api/v1/files/{id}")),
    ] {
        let (status, _) = rest(&app, &other_key, method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }

    owner.call_ok("delete-client-file", &[("id", id)]).await;
    let listed = owner
        .call_ok("client-files", &[("client_id", &client.to_string())])
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn health_reports_the_storage_backend_and_openapi_lists_file_endpoints() {
    let app = TestApp::spawn().await;
    let health: Value = app.get("/api/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["storage"]["status"], "ok");
    assert_eq!(health["checks"]["storage"]["backend"], "fs");
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths["/api/v1/clients/{id}/files"]["post"].is_object());
    assert!(paths["/api/v1/clients/{id}/files"]["get"].is_object());
    assert!(paths["/api/v1/files/{id}"]["delete"].is_object());
    assert!(paths["/api/v1/files/{id}/link"]["get"].is_object());
}
