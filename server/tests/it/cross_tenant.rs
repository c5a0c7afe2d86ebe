//! Tenant A's staff never reach tenant B's rows: not by listing, not by
//! guessing ids, not through a query that forgot its tenant filter.

use crate::support;

use frontdesk::services::work::testing;

use frontdesk::{
    audit::Origin,
    auth::Staff,
    domain::roles::Role,
    error::AppError,
    services::{api_keys, audit_log, team, tenants},
};
use reqwest::StatusCode;
use support::{add_member, count, sign_up, Browser, TestApp};
use uuid::Uuid;

struct Business {
    owner: Browser,
    staff: Staff,
    member: Uuid,
    invitation: Uuid,
    api_key: Uuid,
}

async fn business(app: &TestApp, name: &str, domain: &str) -> Business {
    let owner = sign_up(app, name, &format!("owner@{domain}")).await;
    add_member(app, &owner, &format!("staff@{domain}"), "staff").await;
    let invitation = owner
        .call_ok(
            "invite",
            &[("email", &format!("pending@{domain}")), ("role", "reader")],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let api_key = owner
        .call_ok(
            "create-api-key",
            &[("name", "Site"), ("scopes[0]", "clients:read")],
        )
        .await["key"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let me = owner.whoami().await;
    let staff = Staff {
        user_id: me["user_id"].as_str().unwrap().parse().unwrap(),
        tenant_id: me["tenant"]["id"].as_str().unwrap().parse().unwrap(),
        role: Role::Owner,
    };
    let member = sqlx::query_scalar("SELECT id FROM users WHERE email = $1::citext")
        .bind(format!("staff@{domain}"))
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    Business {
        owner,
        staff,
        member,
        invitation,
        api_key,
    }
}

/// The tables that hold tenant data, with the columns the app role may read
/// (password and key hashes are not among them).
const TENANT_TABLES: [(&str, &str, &str); 7] = [
    ("tenants", "id, name, slug, time_zone, created_at", "id"),
    ("memberships", "*", "tenant_id"),
    ("audit_log", "*", "tenant_id"),
    ("invitations", "*", "tenant_id"),
    (
        "api_keys",
        "id, tenant_id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at",
        "tenant_id",
    ),
    ("users", "id, email, name, created_at", "id"),
    // The invitation emails; the jobs of no business (schedules) are seen by none.
    ("jobs", "*", "tenant_id"),
];

#[tokio::test]
async fn every_table_shows_a_tenant_only_its_own_rows() {
    let app = TestApp::spawn().await;
    let a = business(&app, "North Clinic", "north.example").await;
    let b = business(&app, "South Salon", "south.example").await;
    let pool = &app.deps.pool;

    for (table, columns, tenant_column) in TENANT_TABLES {
        let total = count(pool, &format!("SELECT count(*) FROM {table}")).await;
        let mut seen = Vec::new();
        for business in [&a, &b] {
            let tenant = business.staff.tenant_id;
            let mut tx = testing::begin_tenant(pool, tenant).await.unwrap();
            // No WHERE clause: row-level security alone decides.
            let rows: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM (SELECT {columns} FROM {table}) t"
            ))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            let expected = if table == "users" {
                count(
                    pool,
                    &format!("SELECT count(*) FROM memberships WHERE tenant_id = '{tenant}'"),
                )
                .await
            } else {
                count(
                    pool,
                    &format!("SELECT count(*) FROM {table} WHERE {tenant_column} = '{tenant}'"),
                )
                .await
            };
            assert!(rows > 0, "{table}: the tenant sees its own rows");
            assert_eq!(rows, expected, "{table}: exactly the tenant's rows");
            if table != "users" && table != "tenants" {
                let foreign: i64 = sqlx::query_scalar(&format!(
                    "SELECT count(*) FROM {table} WHERE {tenant_column} <> $1"
                ))
                .bind(tenant)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
                assert_eq!(
                    foreign, 0,
                    "{table}: another tenant's rows, asked for directly"
                );
            }
            tx.rollback().await.unwrap();
            seen.push(rows);
        }
        let total = if table == "jobs" {
            count(
                pool,
                "SELECT count(*) FROM jobs WHERE tenant_id IS NOT NULL",
            )
            .await
        } else {
            total
        };
        if table != "users" {
            assert_eq!(
                seen.iter().sum::<i64>(),
                total,
                "{table}: the two tenants see disjoint parts"
            );
        }
    }

    // Secrets are not even readable by the app role, in any tenant.
    for (table, column) in [("users", "password_hash"), ("api_keys", "key_hash")] {
        let mut tx = testing::begin_tenant(pool, a.staff.tenant_id)
            .await
            .unwrap();
        let err = sqlx::query(&format!("SELECT {column} FROM {table}"))
            .fetch_all(&mut *tx)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{table}.{column}: {err}"
        );
    }
    // Account tables outside any tenant are closed to the app role.
    for table in [
        "password_resets",
        "sign_in_throttle",
        "tower_sessions.session",
    ] {
        let mut tx = testing::begin_tenant(pool, a.staff.tenant_id)
            .await
            .unwrap();
        let err = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&mut *tx)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{table}: {err}"
        );
    }
}

#[tokio::test]
async fn every_tenant_table_forces_row_level_security() {
    let app = TestApp::spawn().await;
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&app.deps.pool)
    .await
    .unwrap();
    // Schedule runs are the app's own bookkeeping, no business's data.
    let global = ["password_resets", "sign_in_throttle", "schedule_runs"];
    // Jobs that span businesses (schedules, cleanup) belong to none; the
    // policy still confines a business to its own jobs.
    let shared = ["jobs"];
    // A person's second factor belongs to them, not to a business: forced
    // row-level security with only the system path let in.
    let personal = [
        "user_totp",
        "recovery_codes",
        "trusted_browsers",
        "user_sessions",
        "email_verifications",
    ];
    for (table, enabled, forced) in &tables {
        if global.contains(&table.as_str()) {
            continue;
        }
        assert!(
            *enabled && *forced,
            "{table} must enable and force row-level security"
        );
        if table != "tenants" && table != "users" && !personal.contains(&table.as_str()) {
            let not_null: bool = sqlx::query_scalar(
                "SELECT is_nullable = 'NO' FROM information_schema.columns WHERE table_name = $1 AND column_name = 'tenant_id'",
            )
            .bind(table)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap_or_else(|_| panic!("{table} has a tenant_id column"));
            assert!(
                not_null || shared.contains(&table.as_str()),
                "{table}.tenant_id is NOT NULL"
            );
            let indexed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%(tenant_id%')",
            )
            .bind(table)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
            assert!(indexed, "{table} has an index leading with tenant_id");
        }
    }
    assert!(tables.len() >= 8, "{tables:?}");
}

#[tokio::test]
async fn services_refuse_another_tenants_rows_even_with_their_ids() {
    let app = TestApp::spawn().await;
    let a = business(&app, "North Clinic", "north.example").await;
    let b = business(&app, "South Salon", "south.example").await;
    let (deps, origin, staff) = (&app.deps, Origin::default(), &a.staff);
    let before = snapshot(&app, b.staff.tenant_id).await;

    let not_found = |r: Result<(), AppError>, what: &str| {
        assert!(matches!(r, Err(AppError::NotFound(_))), "{what}: {r:?}");
    };
    not_found(
        team::change_role(deps, staff, b.member, "admin", false, &origin).await,
        "change B's member",
    );
    not_found(
        team::change_role(deps, staff, b.staff.user_id, "reader", false, &origin).await,
        "demote B's owner",
    );
    not_found(
        team::remove_member(deps, staff, b.member, &origin).await,
        "remove B's member",
    );
    not_found(
        team::revoke_invitation(deps, staff, b.invitation, &origin).await,
        "revoke B's invitation",
    );
    not_found(
        api_keys::revoke(deps, staff, b.api_key, &origin).await,
        "revoke B's API key",
    );
    assert!(matches!(
        tenants::switch(deps, staff, b.staff.tenant_id).await,
        Err(AppError::Forbidden)
    ));

    let team = team::team(deps, staff).await.unwrap();
    assert!(
        team.members
            .iter()
            .all(|m| m.email.ends_with("@north.example")),
        "{team:?}"
    );
    assert!(team
        .invitations
        .iter()
        .all(|i| i.email.ends_with("@north.example")));
    let keys = api_keys::list(deps, staff).await.unwrap();
    assert!(keys.iter().all(|k| k.id != b.api_key));
    let log = audit_log::list(deps, staff, &Default::default())
        .await
        .unwrap();
    let b_entries: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM audit_log WHERE tenant_id = $1")
        .bind(b.staff.tenant_id)
        .fetch_all(&deps.pool)
        .await
        .unwrap();
    assert!(log.entries.iter().all(|e| !b_entries.contains(&e.id)));
    let by_b = audit_log::list(
        deps,
        staff,
        &audit_log::AuditFilter {
            actor: Some(b.staff.user_id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        by_b.entries.is_empty(),
        "filtering by B's owner finds nothing in A"
    );
    assert!(log.actors.iter().all(|(id, _)| *id != b.staff.user_id));

    assert_eq!(
        snapshot(&app, b.staff.tenant_id).await,
        before,
        "B's data is unchanged"
    );
}

#[tokio::test]
async fn http_refuses_another_tenants_rows_even_with_their_ids() {
    let app = TestApp::spawn().await;
    let a = business(&app, "North Clinic", "north.example").await;
    let b = business(&app, "South Salon", "south.example").await;
    let before = snapshot(&app, b.staff.tenant_id).await;
    let (member, invitation, key, tenant) = (
        b.member.to_string(),
        b.invitation.to_string(),
        b.api_key.to_string(),
        b.staff.tenant_id.to_string(),
    );
    type Attempt<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode);
    let attempts: [Attempt; 5] = [
        (
            "change-role",
            vec![("user", &member), ("role", "admin")],
            StatusCode::NOT_FOUND,
        ),
        (
            "remove-member",
            vec![("user", &member)],
            StatusCode::NOT_FOUND,
        ),
        (
            "revoke-invitation",
            vec![("invitation", &invitation)],
            StatusCode::NOT_FOUND,
        ),
        ("revoke-api-key", vec![("key", &key)], StatusCode::NOT_FOUND),
        (
            "switch-tenant",
            vec![("tenant", &tenant)],
            StatusCode::FORBIDDEN,
        ),
    ];
    for (endpoint, form, expected) in attempts {
        let status = a.owner.call(endpoint, &form).await.status();
        assert_eq!(status, expected, "{endpoint}");
    }
    let team = a.owner.call_ok("team", &[]).await.to_string();
    assert!(!team.contains("south.example"), "{team}");
    let log = a
        .owner
        .call_ok("audit-log", &[("actor", &b.staff.user_id.to_string())])
        .await;
    assert_eq!(log["entries"], serde_json::json!([]));
    assert_eq!(
        snapshot(&app, b.staff.tenant_id).await,
        before,
        "B's data is unchanged"
    );
    // B's owner still works in B.
    assert_eq!(b.owner.whoami().await["tenant"]["name"], "South Salon");
}

/// Everything about one tenant that the attempts above could have changed.
async fn snapshot(app: &TestApp, tenant: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT format('%s %s', user_id, role) FROM memberships WHERE tenant_id = $1 \
         UNION ALL SELECT format('%s %s %s', id, role, revoked_at) FROM invitations WHERE tenant_id = $1 \
         UNION ALL SELECT format('%s %s', id, revoked_at) FROM api_keys WHERE tenant_id = $1 \
         UNION ALL SELECT format('audit %s', count(*)) FROM audit_log WHERE tenant_id = $1 \
         ORDER BY 1",
    )
    .bind(tenant)
    .fetch_all(&app.deps.pool)
    .await
    .unwrap()
}

/// On managed PostgreSQL the connecting role is no superuser and row-level
/// security applies to it too: outside a tenant it sees nothing, unless its
/// transaction is on the system path; the app role never is.
#[tokio::test]
async fn the_system_path_is_the_only_way_across_tenants_for_a_non_superuser() {
    let app = TestApp::spawn().await;
    business(&app, "North Clinic", "north.example").await;
    business(&app, "South Salon", "south.example").await;
    let pool = &app.deps.pool;
    let role = format!("frontdesk_owner_{}", Uuid::now_v7().simple());
    for statement in [
        format!("CREATE ROLE {role} NOSUPERUSER NOBYPASSRLS"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT frontdesk_app TO {role}"),
    ] {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    let users_seen = |system: bool, app_role: bool| {
        let role = role.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(&format!("SET LOCAL ROLE {role}"))
                .execute(&mut *tx)
                .await
                .unwrap();
            if system {
                sqlx::query("SELECT set_config('app.system', 'on', true)")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            if app_role {
                sqlx::query("SET LOCAL ROLE frontdesk_app")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM (SELECT id FROM users) u")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            seen
        }
    };
    let total = count(pool, "SELECT count(*) FROM users").await;
    assert_eq!(
        users_seen(false, false).await,
        0,
        "no tenant, no system path: nothing"
    );
    assert_eq!(
        users_seen(true, false).await,
        total,
        "the system path sees every account"
    );
    assert_eq!(
        users_seen(true, true).await,
        0,
        "the app role cannot use the system path"
    );
    for statement in [
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"),
        format!("DROP ROLE {role}"),
    ] {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
}
