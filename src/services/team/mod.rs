//! The team of a tenant: members, roles, invitations.

mod invitations;
mod members;

pub use invitations::{
    accept_invitation, invite, preview_invitation, revoke_invitation, Acceptance,
};
pub use members::{change_role, remove_member};

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    auth::{Principal, Staff},
    domain::{
        roles::{Permission, Role},
        views::{InvitationView, MemberView, TeamView},
    },
    error::AppError,
};

/// How long an invitation link works.
pub const INVITATION_VALID_FOR: Duration = Duration::days(7);

pub const INVITATION_INVALID: &str = "This invitation link is not valid; ask for a new invitation.";
pub const INVITATION_USED: &str = "This invitation has already been used; sign in instead.";
pub const INVITATION_EXPIRED: &str = "This invitation has expired; ask for a new one.";

/// Members for every member; pending invitations for those who manage the team.
pub async fn team(deps: &Deps, staff: &Staff) -> Result<TeamView, AppError> {
    // Every member sees the team: being one is the permission.
    let mut tx = deps.in_business(staff.tenant_id, "team").await?;
    let members = sqlx::query_as!(
        MemberView,
        r#"SELECT u.id AS user_id, u.name, u.email::text AS "email!", m.role AS "role: Role",
                  m.created_at AS "joined_at: DateTime<Utc>"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.tenant_id = $1 ORDER BY u.name, u.id"#,
        staff.tenant_id,
    )
    .fetch_all(tx.conn())
    .await?;
    let invitations = if staff.may(Permission::ManageTeam) {
        pending_invitations(tx.conn(), staff.tenant_id).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(TeamView {
        members,
        invitations,
    })
}

async fn pending_invitations(
    conn: &mut PgConnection,
    tenant: Uuid,
) -> Result<Vec<InvitationView>, AppError> {
    Ok(sqlx::query_as!(
        InvitationView,
        r#"SELECT i.id, i.email::text AS "email!", i.role AS "role: Role",
                  u.name AS "invited_by?", i.expires_at AS "expires_at: DateTime<Utc>"
           FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
           WHERE i.tenant_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
             AND i.expires_at > now()
           ORDER BY i.created_at DESC"#,
        tenant,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Only owners hand out or take away ownership.
fn check_may_assign(staff: &Staff, role: Role) -> Result<(), AppError> {
    staff.require(Permission::ManageTeam)?;
    if role == Role::Owner && staff.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    Ok(())
}
