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
    auth::{session::parse_role, Principal, Staff},
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
    let rows: Vec<(Uuid, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.id, u.name, u.email::text, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 ORDER BY u.name, u.id",
    )
    .bind(staff.tenant_id)
    .fetch_all(tx.conn())
    .await?;
    let members = rows
        .into_iter()
        .map(|(user_id, name, email, role, joined_at)| {
            Ok(MemberView {
                user_id,
                name,
                email,
                role: parse_role(&role)?,
                joined_at,
            })
        })
        .collect::<Result<_, AppError>>()?;
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
    type Row = (Uuid, String, String, Option<String>, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.id, i.email::text, i.role, u.name, i.expires_at FROM invitations i \
         LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.tenant_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now() \
         ORDER BY i.created_at DESC",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, email, role, invited_by, expires_at)| {
            Ok(InvitationView {
                id,
                email,
                role: parse_role(&role)?,
                invited_by,
                expires_at,
            })
        })
        .collect()
}

/// Only owners hand out or take away ownership.
fn check_may_assign(staff: &Staff, role: Role) -> Result<(), AppError> {
    staff.require(Permission::ManageTeam)?;
    if role == Role::Owner && staff.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    Ok(())
}
