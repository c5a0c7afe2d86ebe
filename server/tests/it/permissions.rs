//! Every role against the permission matrix, through the services and
//! through HTTP: what the matrix allows works, what it denies is refused.

use crate::support;

use frontdesk::{
    audit::Origin,
    auth::Staff,
    domain::roles::{Permission, Role},
    error::AppError,
    services::{api_keys, audit_log, team, tenants},
};
use reqwest::StatusCode;
use support::{add_member, sign_up, Browser, TestApp};
use uuid::Uuid;

/// A business with an owner, two readers to act on, a pending invitation,
/// an API key, and a member with `role` (the owner itself for `Owner`).
struct Setup {
    actor: Browser,
    staff: Staff,
    target_role: Uuid,
    target_remove: Uuid,
    invitation: Uuid,
    api_key: Uuid,
}

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1::citext")
        .bind(email)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap()
}

async fn setup(app: &TestApp, role: Role) -> Setup {
    let business = format!("Clinic {}", Uuid::now_v7().simple());
    let owner_email = format!("owner-{}@example.com", Uuid::now_v7().simple());
    let owner = sign_up(app, &business, &owner_email).await;
    let tenant_id: Uuid = owner.whoami().await["tenant"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut targets = Vec::new();
    for _ in 0..2 {
        let email = format!("target-{}@example.com", Uuid::now_v7().simple());
        add_member(app, &owner, &email, "reader").await;
        targets.push(user_id(app, &email).await);
    }
    let invitation: Uuid = owner
        .call_ok(
            "invite",
            &[
                (
                    "email",
                    &format!("pending-{}@example.com", Uuid::now_v7().simple()),
                ),
                ("role", "staff"),
            ],
        )
        .await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let api_key: Uuid = owner
        .call_ok(
            "create-api-key",
            &[("name", "Site"), ("scopes[0]", "clients:read")],
        )
        .await["key"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (actor, email) = if role == Role::Owner {
        (owner, owner_email)
    } else {
        let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
        (add_member(app, &owner, &email, role.as_str()).await, email)
    };
    let staff = Staff {
        user_id: user_id(app, &email).await,
        tenant_id,
        role,
    };
    Setup {
        actor,
        staff,
        target_role: targets[0],
        target_remove: targets[1],
        invitation,
        api_key,
    }
}

const OPERATIONS: [(&str, Option<Permission>); 11] = [
    ("team", None),
    ("invite", Some(Permission::ManageTeam)),
    ("change-role", Some(Permission::ManageTeam)),
    ("remove-member", Some(Permission::ManageTeam)),
    ("revoke-invitation", Some(Permission::ManageTeam)),
    ("audit-log", Some(Permission::ReadAuditLog)),
    ("api-keys", Some(Permission::ManageApiKeys)),
    ("create-api-key", Some(Permission::ManageApiKeys)),
    ("revoke-api-key", Some(Permission::ManageApiKeys)),
    ("update-settings", Some(Permission::ManageSettings)),
    ("save-booking-step", Some(Permission::ManageSettings)),
];

async fn through_service(app: &TestApp, s: &Setup, operation: &str) -> Result<(), AppError> {
    let deps = &app.deps;
    let origin = Origin::default();
    let staff = &s.staff;
    match operation {
        "team" => team::team(deps, staff).await.map(drop),
        "invite" => team::invite(deps, staff, "new@example.com", "reader", &origin)
            .await
            .map(drop),
        "change-role" => {
            team::change_role(deps, staff, s.target_role, "staff", false, &origin).await
        }
        "remove-member" => team::remove_member(deps, staff, s.target_remove, &origin).await,
        "revoke-invitation" => team::revoke_invitation(deps, staff, s.invitation, &origin).await,
        "audit-log" => audit_log::list(deps, staff, &Default::default())
            .await
            .map(drop),
        "api-keys" => api_keys::list(deps, staff).await.map(drop),
        "create-api-key" => api_keys::create(deps, staff, "Key", &["clients:read".into()], &origin)
            .await
            .map(drop),
        "revoke-api-key" => api_keys::revoke(deps, staff, s.api_key, &origin).await,
        "update-settings" => {
            let input = tenants::BusinessSettings {
                name: "Renamed".into(),
                time_zone: "UTC".into(),
                time_format: "12h".into(),
            };
            tenants::update_settings(deps, staff, &input, &origin).await
        }
        "save-booking-step" => tenants::set_booking_step(deps, staff, "10", &origin)
            .await
            .map(drop),
        other => panic!("unknown operation {other}"),
    }
}

async fn through_http(s: &Setup, operation: &str) -> StatusCode {
    let (role_target, remove_target, invitation, key) = (
        s.target_role.to_string(),
        s.target_remove.to_string(),
        s.invitation.to_string(),
        s.api_key.to_string(),
    );
    let form: Vec<(&str, &str)> = match operation {
        "invite" => vec![("email", "new@example.com"), ("role", "reader")],
        "change-role" => vec![("user", &role_target), ("role", "staff")],
        "remove-member" => vec![("user", &remove_target)],
        "revoke-invitation" => vec![("invitation", &invitation)],
        "create-api-key" => vec![("name", "Key"), ("scopes[0]", "clients:read")],
        "revoke-api-key" => vec![("key", &key)],
        "update-settings" => vec![
            ("name", "Renamed"),
            ("time_zone", "UTC"),
            ("time_format", "12h"),
        ],
        "save-booking-step" => vec![("booking_step", "10")],
        _ => vec![],
    };
    let endpoint = if operation == "team" {
        "team"
    } else {
        operation
    };
    s.actor.call(endpoint, &form).await.status()
}

fn allowed(role: Role, permission: Option<Permission>) -> bool {
    permission.is_none_or(|p| role.allows(p))
}

#[tokio::test]
async fn every_role_through_the_services() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let s = setup(&app, role).await;
        for (operation, permission) in OPERATIONS {
            let result = through_service(&app, &s, operation).await;
            if allowed(role, permission) {
                assert!(result.is_ok(), "{role} {operation}: {result:?}");
            } else {
                assert!(
                    matches!(result, Err(AppError::Forbidden)),
                    "{role} {operation}: {result:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_role_through_http() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let s = setup(&app, role).await;
        for (operation, permission) in OPERATIONS {
            let status = through_http(&s, operation).await;
            if allowed(role, permission) {
                assert!(status.is_success(), "{role} {operation}: {status}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {operation}");
            }
        }
    }
    // Signed out, every one of them asks to sign in.
    let stranger = Browser::new(&app);
    for (operation, _) in OPERATIONS {
        let status = stranger.call(operation, &[]).await.status();
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
            "{operation}: {status}"
        );
    }
}

#[tokio::test]
async fn only_owners_hand_out_ownership() {
    let app = TestApp::spawn().await;
    let s = setup(&app, Role::Admin).await;
    let target = s.target_role.to_string();
    let promote = s
        .actor
        .call("change-role", &[("user", &target), ("role", "owner")])
        .await;
    assert_eq!(promote.status(), StatusCode::FORBIDDEN);
    let invite = s
        .actor
        .call(
            "invite",
            &[("email", "boss@example.com"), ("role", "owner")],
        )
        .await;
    assert_eq!(invite.status(), StatusCode::FORBIDDEN);
    // An admin cannot remove or demote an owner either.
    let owner: Uuid = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'owner'",
    )
    .bind(s.staff.tenant_id)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    let remove = s
        .actor
        .call("remove-member", &[("user", &owner.to_string())])
        .await;
    assert_eq!(remove.status(), StatusCode::FORBIDDEN);
}
