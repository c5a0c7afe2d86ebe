//! Signing up, signing in, passwords and their reset.

use chrono::{Duration, Utc};
use uuid::Uuid;

use super::jobs::SendEmail;
use super::work::Work;
use super::{is_unique_violation, Deps};
use crate::{
    audit::{Actor, Changes, Entry, Origin},
    auth::{
        password,
        session::SessionAuth,
        throttle::{self, ThrottleKeys},
        tokens, Principal, Staff,
    },
    domain::{
        account::{DisplayName, Email, Slug, TimeZoneName},
        form::FieldErrors,
        password::NewPassword,
        roles::Role,
        time_format::TimeFormat,
    },
    error::AppError,
    jobs::NewJob,
    mail::templates,
};

/// The one answer for an unknown email and a wrong password.
pub const WRONG_CREDENTIALS: &str = "The email or password is incorrect.";
/// How long a password-reset link works.
pub const RESET_VALID_FOR: Duration = Duration::hours(1);

#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub business_name: String,
    pub slug: String,
    pub time_zone: String,
    /// Taken from the browser's language at sign-up; changed in settings.
    pub time_format: TimeFormat,
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Creates a tenant and its owner; returns the owner's new session.
pub async fn sign_up(deps: &Deps, input: SignUp, origin: &Origin) -> Result<SessionAuth, AppError> {
    let mut errors = FieldErrors::new();
    let business = errors.check("business_name", DisplayName::parse(&input.business_name));
    let slug = if input.slug.trim().is_empty() {
        Slug::suggest(&input.business_name)
            .ok_or(())
            .map_err(|_| {
                errors.add(
                    "slug",
                    "enter a short name for addresses (a-z, 0-9, hyphens)",
                )
            })
            .ok()
    } else {
        errors.check("slug", Slug::parse(&input.slug))
    };
    let time_zone = errors.check("time_zone", TimeZoneName::parse(&input.time_zone));
    let name = errors.check("name", DisplayName::parse(&input.name));
    let email = errors.check("email", Email::parse(&input.email));
    let new_password = errors.check("password", NewPassword::parse(&input.password));
    let (Some(business), Some(slug), Some(time_zone), Some(name), Some(email), Some(new_password)) =
        (business, slug, time_zone, name, email, new_password)
    else {
        return Err(AppError::Invalid(errors));
    };
    let hash = password::hash(&new_password)
        .await
        .map_err(AppError::internal)?;

    let tenant_id = Uuid::now_v7();
    let user_id = Uuid::now_v7();
    let mut tx = deps.system("sign up", origin).await?;
    sqlx::query!(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2::text::citext, $3, $4)",
        user_id,
        email.as_str(),
        name.as_str(),
        &hash,
    )
    .execute(tx.conn())
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "users_email_key") {
            AppError::field(
                "email",
                "an account with this email exists; sign in instead",
            )
        } else {
            e.into()
        }
    })?;
    sqlx::query!(
        "INSERT INTO tenants (id, name, slug, time_zone, time_format) VALUES ($1, $2, $3, $4, $5)",
        tenant_id,
        business.as_str(),
        slug.as_str(),
        time_zone.as_str(),
        input.time_format.as_str(),
    )
    .execute(tx.conn())
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "tenants_slug_key") {
            AppError::field(
                "slug",
                format!("'{}' is taken; choose another short name", slug.as_str()),
            )
        } else {
            e.into()
        }
    })?;
    sqlx::query!(
        "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)",
        tenant_id,
        user_id,
        Role::Owner as Role,
    )
    .execute(tx.conn())
    .await?;
    super::email_verification::send_link(&mut tx, deps, user_id, email.as_str()).await?;
    tx.enter_tenant(tenant_id, Actor::User(user_id)).await?;
    tx.audit(Entry {
        action: "tenant.created",
        entity_type: "tenant",
        entity_id: Some(tenant_id),
        changes: Changes::new()
            .field("name", None, Some(business.as_str()))
            .field("slug", None, Some(slug.as_str()))
            .field("time_zone", None, Some(time_zone.as_str()))
            .field("time_format", None, Some(input.time_format.as_str())),
    })
    .await?;
    tx.audit(Entry {
        action: "member.added",
        entity_type: "member",
        entity_id: Some(user_id),
        changes: Changes::new()
            .field("email", None, Some(email.as_str()))
            .field("role", None, Some(Role::Owner.as_str())),
    })
    .await?;
    tx.commit().await?;
    Ok(SessionAuth {
        user_id,
        tenant_id,
        generation: 0,
    })
}

/// Checks the email and password, with throttling; returns the new session.
///
/// Unknown emails and wrong passwords get the same answer after the same
/// work (an argon2 verification either way).
pub async fn sign_in(
    deps: &Deps,
    email: &str,
    password_text: &str,
    origin: &Origin,
) -> Result<SessionAuth, AppError> {
    let mut errors = FieldErrors::new();
    errors.check("email", Email::parse(email));
    if password_text.is_empty() {
        errors.add("password", "enter your password");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let keys = ThrottleKeys::new(email, origin.ip_hash.as_deref());
    if let Some(until) = throttle::locked_until(&deps.pool, &keys).await? {
        return Err(locked(until));
    }

    let mut tx = deps.system("sign in", origin).await?;
    let account = sqlx::query!(
        "SELECT id, password_hash, session_generation FROM users WHERE email = $1::text::citext",
        email.trim(),
    )
    .fetch_optional(tx.conn())
    .await?;
    let matches = password::verify(
        password_text,
        account.as_ref().map(|a| a.password_hash.as_str()),
    )
    .await
    .map_err(AppError::internal)?;
    let account = match (matches, account) {
        (true, Some(account)) => account,
        _ => {
            tx.rollback().await?;
            let (lock, failures) =
                throttle::record_failure(&deps.pool, &deps.config.auth, &keys).await?;
            if let Some(until) = lock {
                tracing::warn!("sign-in locked after repeated failures");
                return Err(locked(until));
            }
            tokio::time::sleep(throttle::delay_after(failures)).await;
            return Err(AppError::InvalidCredentials(WRONG_CREDENTIALS.into()));
        }
    };
    let (user_id, generation) = (account.id, account.session_generation);
    let tenant_id = sqlx::query_scalar!(
        "SELECT tenant_id FROM memberships WHERE user_id = $1 ORDER BY created_at LIMIT 1",
        user_id,
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    throttle::clear_account(&deps.pool, &keys).await?;
    let Some(tenant_id) = tenant_id else {
        return Err(AppError::Conflict(
            "This account is no longer a member of any business; ask a colleague to invite you again.".into(),
        ));
    };
    Ok(SessionAuth {
        user_id,
        tenant_id,
        generation,
    })
}

pub(crate) fn locked(until: chrono::DateTime<Utc>) -> AppError {
    let (message, retry_after) = throttle::lockout_message(until);
    AppError::RateLimited {
        message,
        retry_after,
        limit: None,
    }
}

/// Changes the signed-in user's password after checking the current one.
/// Every other session of the user ends; the returned session continues.
pub async fn change_password(
    deps: &Deps,
    staff: &Staff,
    current: &str,
    new: &str,
    origin: &Origin,
) -> Result<SessionAuth, AppError> {
    let new_password =
        NewPassword::parse(new).map_err(|e| AppError::field("new_password", e.to_string()))?;
    let mut tx = deps.system("change password", origin).await?;
    let stored = sqlx::query_scalar!(
        "SELECT password_hash FROM users WHERE id = $1 FOR UPDATE",
        staff.user_id,
    )
    .fetch_one(tx.conn())
    .await?;
    if !password::verify(current, Some(&stored))
        .await
        .map_err(AppError::internal)?
    {
        return Err(AppError::field(
            "current_password",
            "the current password is incorrect",
        ));
    }
    let hash = password::hash(&new_password)
        .await
        .map_err(AppError::internal)?;
    let generation = set_password(&mut tx, staff.user_id, &hash).await?;
    audit_password(
        &mut tx,
        staff.tenant_id,
        staff.user_id,
        "user.password_changed",
    )
    .await?;
    tx.commit().await?;
    Ok(SessionAuth {
        user_id: staff.user_id,
        tenant_id: staff.tenant_id,
        generation,
    })
}

/// Ends every session of the user, on every device (the caller ends its own).
pub async fn sign_out_everywhere(
    deps: &Deps,
    staff: &Staff,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps.system("sign out everywhere", origin).await?;
    sqlx::query!(
        "UPDATE users SET session_generation = session_generation + 1 WHERE id = $1",
        staff.user_id,
    )
    .execute(tx.conn())
    .await?;
    tx.access_changed(staff.user_id);
    tx.enter_tenant(staff.tenant_id, Actor::User(staff.user_id))
        .await?;
    tx.audit(Entry {
        action: "user.signed_out_everywhere",
        entity_type: "user",
        entity_id: Some(staff.user_id),
        changes: Changes::new(),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Emails a reset link when the account exists. Answers the same either way.
pub async fn request_password_reset(
    deps: &Deps,
    email: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::field("email", e.to_string()))?;
    let mut tx = deps.system("request password reset", origin).await?;
    let user = sqlx::query!(
        r#"SELECT id, email::text AS "email!" FROM users WHERE email = $1::text::citext"#,
        email.as_str(),
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(user) = user else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(());
    };
    let (token, hash) = tokens::new_token();
    sqlx::query!(
        "INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        user.id,
        hash,
        (Utc::now() + RESET_VALID_FOR) as _,
    )
    .execute(tx.conn())
    .await?;
    let link = deps.link(&format!("/reset-password?token={token}"));
    let email = templates::password_reset(&user.email, &link);
    tx.enqueue(NewJob::new(SendEmail(email)).priority(0))
        .await?;
    tx.commit().await?;
    Ok(())
}

pub const RESET_LINK_INVALID: &str =
    "This reset link is invalid, already used or expired; ask for a new one.";

/// Sets a new password with a reset token. The token works once; every
/// session of the user ends.
pub async fn reset_password(
    deps: &Deps,
    token: &str,
    new: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let new_password =
        NewPassword::parse(new).map_err(|e| AppError::field("password", e.to_string()))?;
    let mut tx = deps.system("reset password", origin).await?;
    let user_id = sqlx::query_scalar!(
        "UPDATE password_resets SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
        tokens::hash_token(token),
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(user_id) = user_id else {
        return Err(AppError::field("token", RESET_LINK_INVALID));
    };
    // Older links stop working too.
    sqlx::query!(
        "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user_id,
    )
    .execute(tx.conn())
    .await?;
    let hash = password::hash(&new_password)
        .await
        .map_err(AppError::internal)?;
    set_password(&mut tx, user_id, &hash).await?;
    let account = sqlx::query!(
        r#"SELECT u.email::text AS "email!",
                  coalesce(array_agg(m.tenant_id) FILTER (WHERE m.tenant_id IS NOT NULL), '{}') AS "tenants!"
           FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = $1 GROUP BY u.email"#,
        user_id,
    )
    .fetch_one(tx.conn())
    .await?;
    for tenant in account.tenants {
        audit_password(&mut tx, tenant, user_id, "user.password_reset").await?;
    }
    tx.commit().await?;
    throttle::clear_account(&deps.pool, &ThrottleKeys::new(&account.email, None)).await?;
    Ok(())
}

/// Sets the password and ends every session of the user (a new generation).
async fn set_password(tx: &mut Work<'_>, user_id: Uuid, hash: &str) -> Result<i32, AppError> {
    let generation = sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, session_generation = session_generation + 1 \
         WHERE id = $1 RETURNING session_generation",
        user_id,
        hash,
    )
    .fetch_one(tx.conn())
    .await?;
    tx.access_changed(user_id);
    Ok(generation)
}

/// Checks `password_text` against the person's stored password (system path);
/// a mismatch is a problem with the form's `password` field.
pub(crate) async fn verify_password(
    conn: &mut sqlx::PgConnection,
    user: Uuid,
    password_text: &str,
) -> Result<(), AppError> {
    let stored = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user)
        .fetch_one(conn)
        .await?;
    if password::verify(password_text, Some(&stored))
        .await
        .map_err(AppError::internal)?
    {
        Ok(())
    } else {
        Err(AppError::field("password", "the password is incorrect"))
    }
}

/// Records a change someone made to their own account in the audit log of
/// the business they work in.
pub(crate) async fn audit_own_account(
    work: &mut Work<'_>,
    staff: &Staff,
    action: &str,
    changes: Changes,
) -> Result<(), AppError> {
    work.enter_tenant(staff.tenant_id, staff.actor()).await?;
    work.audit(Entry {
        action,
        entity_type: "user",
        entity_id: Some(staff.user_id),
        changes,
    })
    .await?;
    Ok(())
}

async fn audit_password(
    work: &mut Work<'_>,
    tenant: Uuid,
    user_id: Uuid,
    action: &str,
) -> Result<(), AppError> {
    work.enter_tenant(tenant, Actor::User(user_id)).await?;
    work.audit(Entry {
        action,
        entity_type: "user",
        entity_id: Some(user_id),
        changes: Changes::new().field("password_hash", Some("old"), Some("new")),
    })
    .await?;
    Ok(())
}
