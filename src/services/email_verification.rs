//! Verified email: sign-up sends a single-use link (24 hours) to the
//! address. Until it is opened the person can sign in and work, is reminded,
//! and cannot invite others or create API keys, which would act on the
//! strength of an address nobody has shown to be theirs.
//!
//! Changing the address works the same way: the account moves to the new
//! address only when the link sent there is opened, and the old address is
//! told at once, so a takeover cannot happen silently.

use chrono::Duration;
use uuid::Uuid;

use super::{
    accounts::{audit_own_account, verify_password},
    jobs::SendEmail,
    work::Work,
    Deps,
};
use crate::{
    audit::{Changes, Origin},
    auth::{tokens, Staff},
    domain::account::Email,
    error::AppError,
    jobs::NewJob,
    mail::{templates, OutgoingEmail},
};

/// How long a verification link works.
pub const LINK_VALID_FOR: Duration = Duration::hours(24);

/// Records a new link for `email` and sends it, inside the caller's transaction.
pub(crate) async fn send_link(
    work: &mut Work<'_>,
    deps: &Deps,
    user: Uuid,
    email: &str,
) -> Result<(), AppError> {
    send_link_of_kind(work, deps, user, email, "verify").await
}

async fn send_link_of_kind(
    work: &mut Work<'_>,
    deps: &Deps,
    user: Uuid,
    email: &str,
    kind: &str,
) -> Result<(), AppError> {
    let (token, hash) = tokens::new_token();
    sqlx::query!(
        "INSERT INTO email_verifications (id, user_id, email, kind, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        user,
        email,
        kind,
        hash,
        (deps.clock.now() + LINK_VALID_FOR) as _
    )
    .execute(work.conn())
    .await?;
    let link = deps.link(&format!("/verify-email?token={token}"));
    send(work, templates::verify_email(email, &link)).await
}

/// Sends account mail through the queue, inside the caller's transaction.
async fn send(work: &mut Work<'_>, message: OutgoingEmail) -> Result<(), AppError> {
    work.enqueue(NewJob::new(SendEmail(message)).priority(0))
        .await?;
    Ok(())
}

/// Asks to move the signed-in person's account to `new_email`, after their
/// password: a link goes to the new address, a notice to the old one.
pub async fn request_change(
    deps: &Deps,
    staff: &Staff,
    new_email: &str,
    password_text: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let new_email = Email::parse(new_email).map_err(|e| AppError::field("email", e.to_string()))?;
    let mut tx = deps.system("change email", origin).await?;
    verify_password(tx.conn(), staff.user_id, password_text).await?;
    let current: String = sqlx::query_scalar!(
        r#"SELECT email::text AS "email!" FROM users WHERE id = $1"#,
        staff.user_id
    )
    .fetch_one(tx.conn())
    .await?;
    if current.eq_ignore_ascii_case(new_email.as_str()) {
        return Err(AppError::field("email", "this is your address already"));
    }
    let taken: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1::text::citext) AS "taken!""#,
        new_email.as_str()
    )
    .fetch_one(tx.conn())
    .await?;
    if taken {
        return Err(AppError::field(
            "email",
            "another account uses this address; sign in to that one instead",
        ));
    }
    send_link_of_kind(&mut tx, deps, staff.user_id, new_email.as_str(), "change").await?;
    let notice = templates::email_change_requested(&current, new_email.as_str());
    send(&mut tx, notice).await?;
    audit_own_account(
        &mut tx,
        staff,
        "user.email_change_requested",
        Changes::new().field("email", Some(current.as_str()), Some(new_email.as_str())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the signed-in person a new link (the earlier ones keep working
/// until they expire).
pub async fn resend(deps: &Deps, staff: &Staff) -> Result<(), AppError> {
    let mut tx = deps
        .system("resend verification", &Origin::default())
        .await?;
    let user = sqlx::query!(
        r#"SELECT email::text AS "email!", email_verified_at IS NOT NULL AS "verified!"
           FROM users WHERE id = $1"#,
        staff.user_id,
    )
    .fetch_one(tx.conn())
    .await?;
    if user.verified {
        return Err(AppError::Conflict(
            "Your email address is verified already.".into(),
        ));
    }
    send_link(&mut tx, deps, staff.user_id, &user.email).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens a link: the address it was sent to is verified, if it is still the
/// account's. Used, expired and unknown links get the same refusal.
pub async fn verify(deps: &Deps, token: &str, origin: &Origin) -> Result<(), AppError> {
    let now = deps.clock.now();
    let mut tx = deps.system("verify email", origin).await?;
    let used = sqlx::query!(
        r#"UPDATE email_verifications SET used_at = $2
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
           RETURNING user_id, email::text AS "email!", kind"#,
        tokens::hash_token(token),
        now as _,
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|u| (u.user_id, u.email, u.kind));
    let updated = match used {
        // A change: the account moves to the confirmed address, unless
        // another account took it meanwhile.
        Some((user, email, kind)) if kind == "change" => {
            sqlx::query!(
                "UPDATE users SET email = $2, email_verified_at = $3 WHERE id = $1 \
               AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = $2::citext AND o.id <> $1)",
                user,
                email,
                now as _
            )
            .execute(tx.conn())
            .await?
        }
        Some((user, email, _)) => {
            sqlx::query!(
                "UPDATE users SET email_verified_at = coalesce(email_verified_at, $3) \
             WHERE id = $1 AND email = $2::citext",
                user,
                email,
                now as _
            )
            .execute(tx.conn())
            .await?
        }
        None => return Err(AppError::LinkInvalid),
    };
    let verified = updated.rows_affected() == 1;
    if !verified {
        return Err(AppError::LinkInvalid);
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses what needs a verified address (inviting, API keys).
pub(crate) async fn require_verified(deps: &Deps, user: Uuid) -> Result<(), AppError> {
    let mut tx = deps.system("email verified?", &Origin::default()).await?;
    let verified: bool = sqlx::query_scalar!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!" FROM users WHERE id = $1"#,
        user
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    if verified {
        Ok(())
    } else {
        Err(AppError::EmailUnverified)
    }
}
