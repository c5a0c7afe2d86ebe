//! Row-level isolation, enforced by PostgreSQL even for queries that forget
//! to filter by tenant.

use crate::support;

use frontdesk::services::work::testing::begin_tenant;
use sqlx::Row;
use support::seed_two_tenants as seed;
use uuid::Uuid;

#[tokio::test]
async fn an_unfiltered_select_sees_only_the_current_tenant() {
    let s = seed().await;
    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();

    let tenants: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM tenants")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(tenants, vec![s.tenant_a]);
    let members: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM memberships")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(members, vec![s.user_a]);
    let users: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM users")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(users, vec![s.user_a]);

    // Guessing the other tenant's ids finds nothing.
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1")
        .bind(s.tenant_b)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, None);
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(s.user_b)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test]
async fn the_other_tenant_cannot_be_written() {
    let s = seed().await;

    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    let changed = sqlx::query("UPDATE memberships SET role = 'reader' WHERE tenant_id = $1")
        .bind(s.tenant_b)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(s.user_b)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.unwrap();

    // Inserting a row for another tenant is refused by the policy's check.
    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    let err =
        sqlx::query("INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'staff')")
            .bind(s.tenant_b)
            .bind(s.user_a)
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    let role: String = sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1")
        .bind(s.user_b)
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert_eq!(role, "owner", "tenant B's row is untouched");
}

#[tokio::test]
async fn password_hashes_are_out_of_reach_inside_a_tenant() {
    let s = seed().await;
    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    let err = sqlx::query("SELECT password_hash FROM users")
        .fetch_all(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn no_tenant_set_means_no_rows_and_settings_end_with_the_transaction() {
    let s = seed().await;

    // The app role without a tenant sees nothing.
    let mut tx = s.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE frontdesk_app")
        .execute(&mut *tx)
        .await
        .unwrap();
    let count = support::count(&mut *tx, "SELECT count(*) FROM memberships").await;
    assert_eq!(count, 0);
    tx.rollback().await.unwrap();

    // The pool has one connection: the next user of it is back to the connecting role.
    let tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    tx.commit().await.unwrap();
    let row = sqlx::query(
        "SELECT current_user::text AS who, current_setting('app.tenant_id', true) AS tenant",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_ne!(
        row.get::<String, _>("who"),
        frontdesk::services::work::APP_ROLE
    );
    assert_eq!(
        row.get::<Option<String>, _>("tenant").unwrap_or_default(),
        ""
    );
    let all = support::count(&s.pool, "SELECT count(*) FROM memberships").await;
    assert_eq!(all, 2, "the system path sees every tenant");
}
