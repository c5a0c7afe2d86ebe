//! Verified email: sign-up sends a single-use link (24 hours) to the
//! address. Until it is opened the person can sign in and work, is reminded,
//! and cannot invite others or create API keys, which would act on the
//! strength of an address nobody has shown to be theirs.

use chrono::Duration;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::Origin,
    auth::{tokens, Staff},
    db,
    error::AppError,
    jobs::{self, kinds},
    mail::templates,
};

/// How long a verification link works.
pub const LINK_VALID_FOR: Duration = Duration::hours(24);

/// Records a new link for `email` and sends it, inside the caller's transaction.
pub(crate) async fn send_link(
    conn: &mut sqlx::PgConnection,
    deps: &Deps,
    user: Uuid,
    email: &str,
) -> Result<(), AppError> {
    let (token, hash) = tokens::new_token();
    sqlx::query(
        "INSERT INTO email_verifications (id, user_id, email, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(user)
    .bind(email)
    .bind(hash)
    .bind(deps.clock.now() + LINK_VALID_FOR)
    .execute(&mut *conn)
    .await?;
    let link = deps.link(&format!("/verify-email?token={token}"));
    let message = templates::verify_email(email, &link);
    jobs::enqueue(
        conn,
        jobs::job(
            deps,
            kinds::EMAIL,
            serde_json::to_value(&message).map_err(AppError::internal)?,
        )
        .priority(0),
    )
    .await?;
    Ok(())
}

/// Sends the signed-in person a new link (the earlier ones keep working
/// until they expire).
pub async fn resend(deps: &Deps, staff: &Staff) -> Result<(), AppError> {
    let mut tx = db::begin_system(&deps.pool, "resend verification").await?;
    let (email, verified): (String, bool) = sqlx::query_as(
        "SELECT email::text, email_verified_at IS NOT NULL FROM users WHERE id = $1",
    )
    .bind(staff.user_id)
    .fetch_one(&mut *tx)
    .await?;
    if verified {
        return Err(AppError::Conflict(
            "Your email address is verified already.".into(),
        ));
    }
    send_link(&mut tx, deps, staff.user_id, &email).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens a link: the address it was sent to is verified, if it is still the
/// account's. Used, expired and unknown links get the same refusal.
pub async fn verify(deps: &Deps, token: &str, _origin: &Origin) -> Result<(), AppError> {
    let now = deps.clock.now();
    let mut tx = db::begin_system(&deps.pool, "verify email").await?;
    let used: Option<(Uuid, String)> = sqlx::query_as(
        "UPDATE email_verifications SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING user_id, email::text",
    )
    .bind(tokens::hash_token(token))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let verified = match used {
        Some((user, email)) => {
            sqlx::query(
                "UPDATE users SET email_verified_at = coalesce(email_verified_at, $3) \
             WHERE id = $1 AND email = $2::citext",
            )
            .bind(user)
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    if !verified {
        return Err(AppError::LinkInvalid);
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses what needs a verified address (inviting, API keys).
pub(crate) async fn require_verified(deps: &Deps, user: Uuid) -> Result<(), AppError> {
    let mut tx = db::begin_system(&deps.pool, "email verified?").await?;
    let verified: bool =
        sqlx::query_scalar("SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    if verified {
        Ok(())
    } else {
        Err(AppError::EmailUnverified)
    }
}
