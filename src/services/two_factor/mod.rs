//! Two-factor sign-in: TOTP (RFC 6238) set up from any authenticator app,
//! single-use recovery codes, browsers trusted for 30 days, and a business
//! that requires two-factor sign-in from everyone after a grace period.
//!
//! Secrets are sealed at rest (`ENCRYPTION_KEY`) and read only on the system
//! path. A code is accepted once: the step it matched is remembered, so a
//! code seen over someone's shoulder cannot be replayed in its 30 seconds.
//! Wrong codes count towards the same lock-out as wrong passwords.

mod enrolment;
mod policy;

pub use enrolment::{begin, disable, enable, new_recovery_codes};
pub use policy::{policy, set_policy};

use chrono::{DateTime, Duration, Utc};
use totp_rs::{Algorithm, Totp};
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::Origin,
    auth::{
        throttle::{self, ThrottleKeys},
        tokens, Staff,
    },
    domain::two_factor::{SecondFactor, TwoFactorView, TRUSTED_BROWSER_DAYS},
    error::AppError,
};

const ISSUER: &str = "Frontdesk";
const SECRET_BYTES: usize = 20;
/// One step either side: the phone's clock may be half a minute off.
const SKEW: u16 = 1;
const STEP_SECS: u64 = 30;

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp, AppError> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(SKEW)
        .with_step_duration(STEP_SECS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER.to_string()))
        .with_account_name(account.to_string())
        .build()
        .map_err(|e| AppError::internal(e.to_string()))
}

fn unix_secs(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

/// The time step `code` matches (by the app's clock) for the sealed secret.
fn matching_step(
    deps: &Deps,
    sealed: &[u8],
    key_id: &str,
    code: &str,
) -> Result<Option<u64>, AppError> {
    let secret = deps
        .config
        .auth
        .encryption_key
        .open(sealed, key_id)
        .map_err(AppError::internal)?;
    Ok(totp(secret, "check")?.check(code, unix_secs(deps.clock.now())))
}

/// The signed-in person's second factor, and what their business requires.
pub async fn status(deps: &Deps, staff: &Staff) -> Result<TwoFactorView, AppError> {
    let mut tx = deps.system("two-factor status", &Origin::default()).await?;
    let counts = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL) AS "enabled!",
                  (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS "codes!",
                  (SELECT count(*) FROM trusted_browsers WHERE user_id = $1 AND expires_at > $2) AS "browsers!""#,
        staff.user_id,
        deps.clock.now() as _,
    )
    .fetch_one(tx.conn())
    .await?;
    let required_from = required_from(tx.conn(), staff.tenant_id).await?;
    tx.commit().await?;
    Ok(TwoFactorView {
        enabled: counts.enabled,
        recovery_codes_left: u32::try_from(counts.codes).unwrap_or(0),
        trusted_browsers: u32::try_from(counts.browsers).unwrap_or(0),
        required_from,
    })
}

/// When the business's requirement applies to its members, if it has one.
async fn required_from(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT two_factor_required_at + make_interval(days => two_factor_grace_days)
             AS "due: DateTime<Utc>" FROM tenants WHERE id = $1"#,
        tenant
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Whether signing in as `user` needs a second step: two-factor is on and
/// this browser is not trusted (`trusted_token`, from its cookie).
pub async fn needed(
    deps: &Deps,
    user: Uuid,
    trusted_token: Option<&str>,
) -> Result<bool, AppError> {
    let mut tx = deps.system("two-factor check", &Origin::default()).await?;
    let needed: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL)
             AND NOT EXISTS (SELECT 1 FROM trusted_browsers
                             WHERE user_id = $1 AND token_hash = $2 AND expires_at > $3) AS "needed!""#,
        user,
        trusted_token.map(tokens::hash_token).unwrap_or_default(),
        deps.clock.now() as _
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(needed)
}

/// Checks the second step of `user`'s sign-in. Wrong codes count towards
/// the account's and the address's lock-out, like wrong passwords.
pub async fn verify(deps: &Deps, user: Uuid, text: &str, origin: &Origin) -> Result<(), AppError> {
    let code = SecondFactor::parse(text).map_err(|e| AppError::field("code", e.to_string()))?;
    let keys = ThrottleKeys::new(&format!("2fa:{user}"), origin.ip_hash.as_deref());
    if let Some(until) = throttle::locked_until(&deps.pool, &keys).await? {
        return Err(super::accounts::locked(until));
    }
    let mut tx = deps.system("two-factor sign-in", origin).await?;
    let accepted = match &code {
        SecondFactor::Totp(code) => {
            let row = sqlx::query!(
                "SELECT secret_sealed, key_id, last_used_step FROM user_totp \
                 WHERE user_id = $1 AND enabled_at IS NOT NULL FOR UPDATE",
                user,
            )
            .fetch_optional(tx.conn())
            .await?;
            match row {
                Some(totp) => {
                    let last = totp.last_used_step;
                    let step = matching_step(deps, &totp.secret_sealed, &totp.key_id, code)?
                        .and_then(|s| i64::try_from(s).ok());
                    match step {
                        Some(step) if last.is_some_and(|last| step <= last) => {
                            tx.rollback().await?;
                            return Err(AppError::field(
                                "code",
                                "that code was used already; wait for the next one in your app",
                            ));
                        }
                        Some(step) => {
                            sqlx::query!(
                                "UPDATE user_totp SET last_used_step = $2 WHERE user_id = $1",
                                user,
                                step
                            )
                            .execute(tx.conn())
                            .await?;
                            true
                        }
                        None => false,
                    }
                }
                None => false,
            }
        }
        SecondFactor::Recovery(code) => {
            sqlx::query!(
                "UPDATE recovery_codes SET used_at = now() \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                user,
                tokens::hash_token(code)
            )
            .execute(tx.conn())
            .await?
            .rows_affected()
                == 1
        }
    };
    if !accepted {
        tx.rollback().await?;
        let (lock, failures) =
            throttle::record_failure(&deps.pool, &deps.config.auth, &keys).await?;
        if let Some(until) = lock {
            tracing::warn!("two-factor sign-in locked after repeated failures");
            return Err(super::accounts::locked(until));
        }
        tokio::time::sleep(throttle::delay_after(failures)).await;
        return Err(AppError::field(
            "code",
            "that code is not right (or a recovery code was used already)",
        ));
    }
    tx.commit().await?;
    throttle::clear_account(&deps.pool, &keys).await?;
    Ok(())
}

/// Remembers this browser for 30 days; the token goes into its cookie.
pub async fn trust_browser(deps: &Deps, user: Uuid) -> Result<String, AppError> {
    let (token, hash) = tokens::new_token();
    let mut tx = deps.system("trust browser", &Origin::default()).await?;
    sqlx::query!("INSERT INTO trusted_browsers (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)", Uuid::now_v7(), user, hash, (deps.clock.now() + Duration::days(TRUSTED_BROWSER_DAYS)) as _)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(token)
}
