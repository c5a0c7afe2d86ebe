//! The `frontdesk` binary as an operator runs it.

mod support;

use std::process::Command;

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
