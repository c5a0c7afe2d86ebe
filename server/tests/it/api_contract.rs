//! The REST API against its own OpenAPI document, with schemathesis (PyPI)
//! running every check on every operation: no 5xx, no response that breaks
//! the schema, no schema-invalid input accepted, no status or content type
//! the document does not name. Exceptions are in `schemathesis.toml` and
//! below, each with its reason.

use crate::support;

use std::path::PathBuf;

use axum::Router;
use reqwest::Method;
use serde_json::json;
use support::{api_key, rest, sign_up, TestApp};

/// `TEST_SCHEMATHESIS`, else `schemathesis` on PATH or in ~/.local/bin.
fn schemathesis() -> PathBuf {
    if let Ok(path) = std::env::var("TEST_SCHEMATHESIS") {
        return path.into();
    }
    let local = std::env::var("HOME")
        .map(|home| PathBuf::from(home).join(".local/bin/schemathesis"))
        .unwrap_or_default();
    if local.exists() {
        local
    } else {
        "schemathesis".into()
    }
}

#[tokio::test]
async fn the_rest_api_keeps_its_openapi_contract() {
    let app = TestApp::spawn_with(|c| c.rate_limit.enabled = false, Router::new()).await;
    let owner = sign_up(&app, "Contract Clinic", "owner@contract.example").await;
    let scopes = [
        "clients:read",
        "clients:write",
        "appointments:read",
        "appointments:write",
        "services:read",
        "services:write",
        "providers:read",
        "providers:write",
        "resources:read",
        "resources:write",
        "files:read",
        "files:write",
    ];
    let key = api_key(&owner, &scopes).await;
    // Records for the reads and changes to find.
    for (path, body) in [
        (
            "/api/v1/clients",
            json!({"name": "Mia Novak", "email": "mia@example.com"}),
        ),
        (
            "/api/v1/providers",
            json!({"name": "Kai", "time_zone": "Europe/Berlin"}),
        ),
        (
            "/api/v1/resources",
            json!({"name": "Room 1", "kind": "room"}),
        ),
        (
            "/api/v1/services",
            json!({"name": "Check-up", "duration_minutes": 30, "currency": "EUR"}),
        ),
    ] {
        let (status, body) = rest(&app, &key, Method::POST, path, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {body}");
    }

    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/schemathesis.toml");
    let mut command = std::process::Command::new(schemathesis());
    // It keeps state in the working directory: not in the repository.
    command.current_dir(std::env::temp_dir());
    command
        .arg("--config-file")
        .arg(&config)
        .args(["--no-color", "run"])
        .arg(app.url("/api/v1/openapi.json"))
        .args([
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "20261202",
        ])
        // DELETE archives clients, services, providers and resources: the
        // record stays readable (with `archived_at`), because past
        // appointments and the audit log still name it.
        .args(["--exclude-checks", "use_after_free"])
        .args(["--workers", "1", "--request-timeout", "20"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {key}"));
    // The server runs on this test's runtime; schemathesis waits on its own thread.
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("schemathesis runs (scripts/bootstrap.sh test installs it from PyPI)");
    let report = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect();
    println!("{}", summary.join("\n"));
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("generated"), "{report}");
    assert!(!report.contains("Server error"), "{report}");
}
