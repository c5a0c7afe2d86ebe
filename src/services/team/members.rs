//! Members: changing roles and removing people, keeping an owner.

use sqlx::PgConnection;
use uuid::Uuid;

use super::check_may_assign;
use crate::services::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::{Principal, Staff},
    domain::roles::{Permission, Role},
    error::AppError,
};

/// The member's current role, locked; and, when `role` touches ownership,
/// a check that another owner remains.
async fn lock_member(conn: &mut PgConnection, staff: &Staff, user: Uuid) -> Result<Role, AppError> {
    sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE"#,
        staff.tenant_id,
        user,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::NotFound("no such member".into()))
}

async fn ensure_another_owner(
    conn: &mut PgConnection,
    tenant: Uuid,
    leaving: Uuid,
) -> Result<(), AppError> {
    // Locks every owner row, so two owners cannot demote each other at once.
    let owners = sqlx::query_scalar!(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = $2 FOR UPDATE",
        tenant,
        Role::Owner as Role,
    )
    .fetch_all(&mut *conn)
    .await?;
    if owners.iter().all(|o| *o == leaving) {
        return Err(AppError::Conflict(
            "A business needs at least one owner: make someone else owner first.".into(),
        ));
    }
    Ok(())
}

/// Changes a member's role. Changing one's own role takes away one's own
/// rights, so it needs `confirmed_own` as well: a slip of the role menu must
/// not lock the owner out.
pub async fn change_role(
    deps: &Deps,
    staff: &Staff,
    user: Uuid,
    role: &str,
    confirmed_own: bool,
    origin: &Origin,
) -> Result<(), AppError> {
    staff.require(Permission::ManageTeam)?;
    let role: Role = role
        .parse()
        .map_err(|e: crate::domain::roles::UnknownRole| AppError::field("role", e.to_string()))?;
    if user == staff.user_id && role != staff.role && !confirmed_own {
        return Err(AppError::field(
            "confirm",
            format!(
                "This is your own role: as {} you lose rights you have now. Tick the confirmation to change it.",
                role.as_str()
            ),
        ));
    }
    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let old = lock_member(tx.conn(), staff, user).await?;
    check_may_assign(staff, old)?;
    check_may_assign(staff, role)?;
    if old == role {
        return Ok(());
    }
    if old == Role::Owner {
        ensure_another_owner(tx.conn(), staff.tenant_id, user).await?;
    }
    sqlx::query!(
        "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
        staff.tenant_id,
        user,
        role as Role,
    )
    .execute(tx.conn())
    .await?;
    tx.access_changed(user);
    tx.audit(Entry {
        action: "member.role_changed",
        entity_type: "member",
        entity_id: Some(user),
        changes: Changes::new().field("role", Some(old.as_str()), Some(role.as_str())),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_member(
    deps: &Deps,
    staff: &Staff,
    user: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    if user == staff.user_id {
        return Err(AppError::Conflict(
            "You cannot remove yourself from the business: another owner or admin can.".into(),
        ));
    }
    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let old = lock_member(tx.conn(), staff, user).await?;
    check_may_assign(staff, old)?;
    if old == Role::Owner {
        ensure_another_owner(tx.conn(), staff.tenant_id, user).await?;
    }
    sqlx::query!(
        "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2",
        staff.tenant_id,
        user,
    )
    .execute(tx.conn())
    .await?;
    tx.access_changed(user);
    tx.audit(Entry {
        action: "member.removed",
        entity_type: "member",
        entity_id: Some(user),
        changes: Changes::new().field("role", Some(old.as_str()), None),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}
