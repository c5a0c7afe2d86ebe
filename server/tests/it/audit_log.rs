//! The audit log: written in the tenant's transaction, isolated, append-only.

use crate::support;

use frontdesk::{
    audit::{Actor, Changes, Entry, Origin},
    services::work::testing,
    services::work::testing::begin_tenant,
};
use support::seed_two_tenants;
use uuid::Uuid;

fn rename_entry(tenant: Uuid) -> Entry<'static> {
    Entry {
        action: "tenant.rename",
        entity_type: "tenant",
        entity_id: Some(tenant),
        changes: Changes::new().field("name", Some("Clinic A"), Some("Clinic A North")),
    }
}

#[tokio::test]
async fn an_entry_is_written_in_the_tenant_transaction_and_seen_only_there() {
    let s = seed_two_tenants().await;
    let origin = Origin {
        request_id: Some("req-1".into()),
        ip_hash: Some("ab12".into()),
    };

    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    let id = testing::audit(
        &mut tx,
        Actor::User(s.user_a),
        &origin,
        rename_entry(s.tenant_a),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    let row: (Uuid, String, Option<Uuid>, String, serde_json::Value) = sqlx::query_as(
        "SELECT tenant_id, actor_kind, actor_id, request_id, changes FROM audit_log WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(row.0, s.tenant_a, "the tenant comes from the transaction");
    assert_eq!((row.1.as_str(), row.2), ("user", Some(s.user_a)));
    assert_eq!(row.3, "req-1");
    assert_eq!(
        row.4,
        serde_json::json!({"name": {"old": "Clinic A", "new": "Clinic A North"}})
    );
    tx.rollback().await.unwrap();

    let mut tx = begin_tenant(&s.pool, s.tenant_b).await.unwrap();
    let seen = support::count(&mut *tx, "SELECT count(*) FROM audit_log").await;
    assert_eq!(seen, 0, "tenant B sees none of A's entries");
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_entry() {
    let s = seed_two_tenants().await;
    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    testing::audit(
        &mut tx,
        Actor::System,
        &Origin::default(),
        rename_entry(s.tenant_a),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let count = support::count(&s.pool, "SELECT count(*) FROM audit_log").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn entries_cannot_be_changed_or_deleted() {
    let s = seed_two_tenants().await;
    let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
    testing::audit(
        &mut tx,
        Actor::User(s.user_a),
        &Origin::default(),
        rename_entry(s.tenant_a),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Not by the app role...
    for statement in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
    ] {
        let mut tx = begin_tenant(&s.pool, s.tenant_a).await.unwrap();
        let err = sqlx::query(statement).execute(&mut *tx).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{statement}: {err}"
        );
    }
    // ...nor by the owner of the table.
    for statement in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
    ] {
        let err = sqlx::query(statement).execute(&s.pool).await.unwrap_err();
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'tenant.rename'")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(count, 1);

    // Deleting the whole tenant on the explicit purge path removes its entries.
    let mut tx = s.pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.audit_purge', 'on', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM tenants WHERE id = $1")
        .bind(s.tenant_a)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let count = support::count(&s.pool, "SELECT count(*) FROM audit_log").await;
    assert_eq!(count, 0);
}
