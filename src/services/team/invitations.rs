//! Invitations: sending, revoking, previewing and accepting them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    check_may_assign, INVITATION_EXPIRED, INVITATION_INVALID, INVITATION_USED, INVITATION_VALID_FOR,
};
use crate::services::{jobs::SendEmail, Deps};
use crate::{
    audit::{Actor, Changes, Entry, Origin},
    auth::{password, session::SessionAuth, tokens, Principal, Staff},
    domain::{
        account::{DisplayName, Email},
        form::FieldErrors,
        password::NewPassword,
        roles::{Permission, Role},
        views::{InvitationPreview, InvitationView},
    },
    error::AppError,
    jobs::NewJob,
    mail::templates,
};

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
    crate::services::email_verification::require_verified(deps, staff.user_id).await?;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(email));
    let role = errors.check("role", role.parse::<Role>());
    let (Some(email), Some(role)) = (email, role) else {
        return Err(AppError::Invalid(errors));
    };
    check_may_assign(staff, role)?;

    let mut tx = deps.work(staff, Permission::ManageTeam, origin).await?;
    let already = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.tenant_id = $1 AND u.email = $2::text::citext) AS "exists!""#,
        staff.tenant_id,
        email.as_str(),
    )
    .fetch_one(tx.conn())
    .await?;
    if already {
        return Err(AppError::field(
            "email",
            "this person is already a member of the team",
        ));
    }
    sqlx::query!(
        "UPDATE invitations SET revoked_at = now() WHERE tenant_id = $1 AND email = $2::text::citext \
         AND accepted_at IS NULL AND revoked_at IS NULL",
        staff.tenant_id,
        email.as_str(),
    )
    .execute(tx.conn())
    .await?;
    let (token, hash) = tokens::new_token();
    let id = Uuid::now_v7();
    let expires_at = Utc::now() + INVITATION_VALID_FOR;
    sqlx::query!(
        "INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at) \
         VALUES ($1, $2, $3::text::citext, $4, $5, $6, $7)",
        id,
        staff.tenant_id,
        email.as_str(),
        role as Role,
        hash,
        staff.user_id,
        expires_at as _,
    )
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
    let names = sqlx::query!(
        "SELECT t.name AS business, u.name AS inviter FROM tenants t, users u WHERE t.id = $1 AND u.id = $2",
        staff.tenant_id,
        staff.user_id,
    )
    .fetch_one(tx.conn())
    .await?;
    let link = deps.link(&format!("/accept-invitation?token={token}"));
    // Sent by a worker once the invitation has committed.
    let message = templates::invitation(
        email.as_str(),
        &names.inviter,
        &names.business,
        role.as_str(),
        &link,
    );
    tx.enqueue(NewJob::new(SendEmail(message)).priority(0))
        .await?;
    tx.commit().await?;
    Ok(InvitationView {
        id,
        email: email.as_str().to_string(),
        role,
        invited_by: Some(names.inviter),
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
    let role = sqlx::query_scalar!(
        r#"UPDATE invitations SET revoked_at = now() WHERE id = $1 AND tenant_id = $2
           AND accepted_at IS NULL AND revoked_at IS NULL RETURNING role AS "role: Role""#,
        invitation,
        staff.tenant_id,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such pending invitation".into()))?;
    check_may_assign(staff, role)?;
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
    let row = sqlx::query!(
        r#"SELECT i.id, i.tenant_id, t.name AS tenant_name, i.email::text AS "email!",
                  i.role AS "role: Role", i.expires_at AS "expires_at: DateTime<Utc>",
                  i.accepted_at IS NOT NULL AS "accepted!", i.revoked_at IS NOT NULL AS "revoked!"
           FROM invitations i JOIN tenants t ON t.id = i.tenant_id WHERE i.token_hash = $1 FOR UPDATE OF i"#,
        tokens::hash_token(token),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(AppError::NotFound(INVITATION_INVALID.into()));
    };
    if row.accepted {
        return Err(AppError::Conflict(INVITATION_USED.into()));
    }
    if row.revoked {
        return Err(AppError::NotFound(INVITATION_INVALID.into()));
    }
    if row.expires_at <= Utc::now() {
        return Err(AppError::Conflict(INVITATION_EXPIRED.into()));
    }
    Ok(OpenInvitation {
        id: row.id,
        tenant_id: row.tenant_id,
        tenant_name: row.tenant_name,
        email: row.email,
        role: row.role,
    })
}

/// What the invitation link offers, for the page that accepts it.
pub async fn preview_invitation(deps: &Deps, token: &str) -> Result<InvitationPreview, AppError> {
    let mut tx = deps
        .system("preview invitation", &Origin::default())
        .await?;
    let invitation = open_invitation(tx.conn(), token).await?;
    let has_account = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1::text::citext) AS "exists!""#,
        &invitation.email,
    )
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
    let existing = sqlx::query!(
        "SELECT id, password_hash, session_generation FROM users WHERE email = $1::text::citext FOR UPDATE",
        &invitation.email,
    )
    .fetch_optional(tx.conn())
    .await?;
    let (user_id, generation) = match existing {
        Some(account) => {
            if !password::verify(&input.password, Some(&account.password_hash))
                .await
                .map_err(AppError::internal)?
            {
                return Err(AppError::field(
                    "password",
                    "the password of your existing account is incorrect",
                ));
            }
            (account.id, account.session_generation)
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
            // The invitation's link went to this address: it is verified.
            sqlx::query!(
                "INSERT INTO users (id, email, name, password_hash, email_verified_at) \
                 VALUES ($1, $2::text::citext, $3, $4, now())",
                user_id,
                &invitation.email,
                name.as_str(),
                hash,
            )
            .execute(tx.conn())
            .await?;
            (user_id, 0)
        }
    };
    tx.enter_tenant(invitation.tenant_id, Actor::User(user_id))
        .await?;
    let joined = sqlx::query!(
        "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        invitation.tenant_id,
        user_id,
        invitation.role as Role,
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1",
        invitation.id,
        user_id,
    )
    .execute(tx.conn())
    .await?;
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
