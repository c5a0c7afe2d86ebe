//! The team of a tenant: members, roles, invitations.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::jobs::SendEmail;
use super::Deps;
use crate::{
    audit::{Actor, Changes, Entry, Origin},
    auth::{password, session::parse_role, session::SessionAuth, tokens, Principal, Staff},
    domain::{
        account::{DisplayName, Email},
        form::FieldErrors,
        password::NewPassword,
        roles::{Permission, Role},
        views::{InvitationPreview, InvitationView, MemberView, TeamView},
    },
    error::AppError,
    jobs::NewJob,
    mail::templates,
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

/// Invites `email` with `role`: a single-use link valid for 7 days, sent by
/// email. Inviting the same address again replaces the earlier link.
pub async fn invite(
    deps: &Deps,
    staff: &Staff,
    email: &str,
    role: &str,
    origin: &Origin,
) -> Result<InvitationView, AppError> {
    staff.require(Permission::ManageTeam)?;
    super::email_verification::require_verified(deps, staff.user_id).await?;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(email));
    let role = errors.check("role", role.parse::<Role>());
    let (Some(email), Some(role)) = (email, role) else {
        return Err(AppError::Invalid(errors));
    };
    check_may_assign(staff, role)?;

    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let already: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tenant_id = $1 AND u.email = $2::citext)",
    )
    .bind(staff.tenant_id)
    .bind(email.as_str())
    .fetch_one(tx.conn())
    .await?;
    if already {
        return Err(AppError::field(
            "email",
            "this person is already a member of the team",
        ));
    }
    sqlx::query(
        "UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1 AND email = $2::citext \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(staff.tenant_id)
    .bind(email.as_str())
    .execute(tx.conn())
    .await?;
    let (token, hash) = tokens::new_token();
    let id = Uuid::now_v7();
    let expires_at = Utc::now() + INVITATION_VALID_FOR;
    sqlx::query(
        "INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(staff.tenant_id)
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(hash)
    .bind(staff.user_id)
    .bind(expires_at)
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "invitation.created",
        entity_type: "invitation",
        entity_id: Some(id),
        changes: Changes::new()
            .field("email", None, Some(email.as_str()))
            .field("role", None, Some(role.as_str())),
    })
    .await?;
    let (business, inviter): (String, String) = sqlx::query_as(
        "SELECT t.name, u.name FROM tenants t, users u WHERE t.id = $1 AND u.id = $2",
    )
    .bind(staff.tenant_id)
    .bind(staff.user_id)
    .fetch_one(tx.conn())
    .await?;
    let link = deps.link(&format!("/accept-invitation?token={token}"));
    // Sent by a worker once the invitation has committed.
    let message = templates::invitation(email.as_str(), &inviter, &business, role.as_str(), &link);
    tx.enqueue(NewJob::new(SendEmail(message)).priority(0))
        .await?;
    tx.commit().await?;
    Ok(InvitationView {
        id,
        email: email.as_str().to_string(),
        role,
        invited_by: Some(inviter),
        expires_at,
    })
}

pub async fn revoke_invitation(
    deps: &Deps,
    staff: &Staff,
    invitation: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let role: Option<String> = sqlx::query_scalar(
        "UPDATE invitations SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL RETURNING role",
    )
    .bind(invitation)
    .bind(staff.tenant_id)
    .fetch_optional(tx.conn())
    .await?;
    let role = role.ok_or_else(|| AppError::NotFound("no such pending invitation".into()))?;
    check_may_assign(staff, parse_role(&role)?)?;
    tx.audit(Entry {
        action: "invitation.revoked",
        entity_type: "invitation",
        entity_id: Some(invitation),
        changes: Changes::new(),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

struct OpenInvitation {
    id: Uuid,
    tenant_id: Uuid,
    tenant_name: String,
    email: String,
    role: Role,
}

/// The invitation behind `token`, locked for update, or the reason it cannot be used.
async fn open_invitation(conn: &mut PgConnection, token: &str) -> Result<OpenInvitation, AppError> {
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT i.id, i.tenant_id, t.name, i.email::text, i.role, i.expires_at, i.accepted_at, i.revoked_at \
         FROM invitations i JOIN tenants t ON t.id = i.tenant_id WHERE i.token_hash = $1 FOR UPDATE OF i",
    )
    .bind(tokens::hash_token(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, tenant_id, tenant_name, email, role, expires_at, accepted_at, revoked_at)) = row
    else {
        return Err(AppError::NotFound(INVITATION_INVALID.into()));
    };
    if accepted_at.is_some() {
        return Err(AppError::Conflict(INVITATION_USED.into()));
    }
    if revoked_at.is_some() {
        return Err(AppError::NotFound(INVITATION_INVALID.into()));
    }
    if expires_at <= Utc::now() {
        return Err(AppError::Conflict(INVITATION_EXPIRED.into()));
    }
    Ok(OpenInvitation {
        id,
        tenant_id,
        tenant_name,
        email,
        role: parse_role(&role)?,
    })
}

/// What the invitation link offers, for the page that accepts it.
pub async fn preview_invitation(deps: &Deps, token: &str) -> Result<InvitationPreview, AppError> {
    let mut tx = deps
        .system("preview invitation", &Origin::default())
        .await?;
    let invitation = open_invitation(tx.conn(), token).await?;
    let has_account: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1::citext)")
            .bind(&invitation.email)
            .fetch_one(tx.conn())
            .await?;
    tx.rollback().await?;
    Ok(InvitationPreview {
        tenant_name: invitation.tenant_name,
        email: invitation.email,
        role: invitation.role,
        has_account,
    })
}

/// Accepting an invitation: a new person chooses a name and password; a
/// person with an account confirms with their password.
#[derive(Debug, Clone, Default)]
pub struct Acceptance {
    pub token: String,
    pub name: String,
    pub password: String,
}

/// Joins the invited tenant (creating the account when needed); returns the
/// session to continue with, in the new tenant. The link works once.
pub async fn accept_invitation(
    deps: &Deps,
    input: Acceptance,
    origin: &Origin,
) -> Result<SessionAuth, AppError> {
    let mut tx = deps.system("accept invitation", origin).await?;
    let invitation = open_invitation(tx.conn(), &input.token).await?;
    let existing: Option<(Uuid, String, i32)> = sqlx::query_as(
        "SELECT id, password_hash, session_generation FROM users WHERE email = $1::citext FOR UPDATE",
    )
    .bind(&invitation.email)
    .fetch_optional(tx.conn())
    .await?;
    let (user_id, generation) = match existing {
        Some((user_id, hash, generation)) => {
            if !password::verify(&input.password, Some(&hash))
                .await
                .map_err(AppError::internal)?
            {
                return Err(AppError::field(
                    "password",
                    "the password of your existing account is incorrect",
                ));
            }
            (user_id, generation)
        }
        None => {
            let mut errors = FieldErrors::new();
            let name = errors.check("name", DisplayName::parse(&input.name));
            let new_password = errors.check("password", NewPassword::parse(&input.password));
            let (Some(name), Some(new_password)) = (name, new_password) else {
                return Err(AppError::Invalid(errors));
            };
            let hash = password::hash(&new_password)
                .await
                .map_err(AppError::internal)?;
            let user_id = Uuid::now_v7();
            sqlx::query(
                // The invitation's link went to this address: it is verified.
                "INSERT INTO users (id, email, name, password_hash, email_verified_at) \
                 VALUES ($1, $2, $3, $4, now())",
            )
            .bind(user_id)
            .bind(&invitation.email)
            .bind(name.as_str())
            .bind(hash)
            .execute(tx.conn())
            .await?;
            (user_id, 0)
        }
    };
    tx.enter_tenant(invitation.tenant_id, Actor::User(user_id))
        .await?;
    let joined = sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(invitation.tenant_id)
    .bind(user_id)
    .bind(invitation.role.as_str())
    .execute(tx.conn())
    .await?
    .rows_affected();
    sqlx::query("UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1")
        .bind(invitation.id)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    let _actor = Actor::User(user_id);
    tx.audit(Entry {
        action: "invitation.accepted",
        entity_type: "invitation",
        entity_id: Some(invitation.id),
        changes: Changes::new(),
    })
    .await?;
    if joined > 0 {
        tx.audit(Entry {
            action: "member.added",
            entity_type: "member",
            entity_id: Some(user_id),
            changes: Changes::new()
                .field("email", None, Some(invitation.email.as_str()))
                .field("role", None, Some(invitation.role.as_str())),
        })
        .await?;
    }
    tx.commit().await?;
    Ok(SessionAuth {
        user_id,
        tenant_id: invitation.tenant_id,
        generation,
    })
}

/// The member's current role, locked; and, when `role` touches ownership,
/// a check that another owner remains.
async fn lock_member(conn: &mut PgConnection, staff: &Staff, user: Uuid) -> Result<Role, AppError> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(staff.tenant_id)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?;
    parse_role(&role.ok_or_else(|| AppError::NotFound("no such member".into()))?)
}

async fn ensure_another_owner(
    conn: &mut PgConnection,
    tenant: Uuid,
    leaving: Uuid,
) -> Result<(), AppError> {
    // Locks every owner row, so two owners cannot demote each other at once.
    let owners: Vec<Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    if owners.iter().all(|o| *o == leaving) {
        return Err(AppError::Conflict(
            "A business needs at least one owner: make someone else owner first.".into(),
        ));
    }
    Ok(())
}

pub async fn change_role(
    deps: &Deps,
    staff: &Staff,
    user: Uuid,
    role: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    staff.require(Permission::ManageTeam)?;
    let role: Role = role
        .parse()
        .map_err(|e: crate::domain::roles::UnknownRole| AppError::field("role", e.to_string()))?;
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
    sqlx::query("UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2")
        .bind(staff.tenant_id)
        .bind(user)
        .bind(role.as_str())
        .execute(tx.conn())
        .await?;
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
    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let old = lock_member(tx.conn(), staff, user).await?;
    check_may_assign(staff, old)?;
    if old == Role::Owner {
        ensure_another_owner(tx.conn(), staff.tenant_id, user).await?;
    }
    sqlx::query("DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2")
        .bind(staff.tenant_id)
        .bind(user)
        .execute(tx.conn())
        .await?;
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
