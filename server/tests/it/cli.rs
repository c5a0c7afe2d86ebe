//! The `frontdesk` binary as an operator runs it.

use crate::support;

use std::process::Command;

use sqlx::Connection;

fn frontdesk(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap()
}

#[test]
fn a_malformed_variable_stops_start_up_naming_it() {
    for args in [&["check-config"][..], &["serve"], &[]] {
        let out = frontdesk(args, &[("REQUEST_BODY_LIMIT_BYTES", "two megs")]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("REQUEST_BODY_LIMIT_BYTES")
                && stderr.contains("expected a size in bytes"),
            "{stderr}"
        );
    }
}

#[test]
fn check_config_redacts_secrets() {
    let out = frontdesk(
        &["check-config"],
        &[(
            "DATABASE_URL",
            "postgres://app:hunter2@db.internal/frontdesk",
        )],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("configuration is valid"));
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[tokio::test]
async fn check_config_refuses_what_serve_refuses_and_serve_refuses_before_migrating() {
    // A database name nobody has: `serve` would create and migrate it first.
    let db = support::TestDb::create().await;
    let url = format!("{}_never", db.url);
    for (variable, value) in [("SMTP_URL", "smtp://"), ("REDIS_URL", "redis://:secret@")] {
        let vars = [(variable, value), ("DATABASE_URL", url.as_str())];
        let checked = frontdesk(&["check-config"], &vars);
        assert_eq!(checked.status.code(), Some(2), "{variable}");
        let stderr = String::from_utf8_lossy(&checked.stderr);
        assert!(stderr.contains(variable), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
        let served = frontdesk(&["serve"], &vars);
        assert!(!served.status.success(), "{variable}");
    }
    let mut admin = sqlx::PgConnection::connect(&support::admin_url())
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(format!("{}_never", db.name))
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(
        !exists,
        "serve created or migrated a database before refusing its settings"
    );
}

#[tokio::test]
async fn migrate_creates_the_database_and_applies_every_migration() {
    // A name no database has yet: `migrate` must create it.
    let db = support::TestDb::create().await;
    let url = format!("{}_new", db.url);
    let out = frontdesk(
        &["migrate"],
        &[("DATABASE_URL", url.as_str()), ("LOG_FORMAT", "json")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let logged = String::from_utf8_lossy(&out.stdout);
    assert!(
        logged
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "JSON lines: {logged}"
    );

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, frontdesk::db::MIGRATOR.iter().count());
    pool.close().await;
    let created = support::TestDb {
        name: format!("{}_new", db.name),
        url,
    };

    // Running it again is a no-op.
    assert!(
        frontdesk(&["migrate"], &[("DATABASE_URL", created.url.as_str())])
            .status
            .success()
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let db = support::TestDb::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("serve")
        .env_clear()
        .envs([
            ("DATABASE_URL", db.url.as_str()),
            ("LEPTOS_SITE_ADDR", addr.as_str()),
            ("LOG_FORMAT", "json"),
        ])
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let health = format!("http://{addr}/api/health");
    let mut healthy = false;
    for _ in 0..100 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server came up");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut logged = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut logged).unwrap();
        (status, logged)
    })
    .await
    .unwrap();
    assert!(out.0.success(), "exit status {:?}", out.0);
    assert!(
        out.1.contains("shutting down") && out.1.contains("\"stopped\""),
        "{}",
        out.1
    );
}
