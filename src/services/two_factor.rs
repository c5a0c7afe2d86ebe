//! Two-factor sign-in: TOTP (RFC 6238) set up from any authenticator app,
//! single-use recovery codes, browsers trusted for 30 days, and a business
//! that requires two-factor sign-in from everyone after a grace period.
//!
//! Secrets are sealed at rest (`ENCRYPTION_KEY`) and read only on the system
//! path. A code is accepted once: the step it matched is remembered, so a
//! code seen over someone's shoulder cannot be replayed in its 30 seconds.
//! Wrong codes count towards the same lock-out as wrong passwords.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use totp_rs::{Algorithm, Totp};
use uuid::Uuid;

use super::{
    accounts::{audit_own_account, verify_password},
    Deps,
};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::{
        throttle::{self, ThrottleKeys},
        tokens, Staff,
    },
    domain::{
        roles::{Permission, Role},
        two_factor::{
            SecondFactor, TotpEnrolment, TwoFactorPolicyView, TwoFactorView, RECOVERY_ALPHABET,
            RECOVERY_CODES, RECOVERY_LEN, TRUSTED_BROWSER_DAYS,
        },
    },
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
    let (enabled, codes, browsers): (bool, i64, i64) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL), \
                (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL), \
                (SELECT count(*) FROM trusted_browsers WHERE user_id = $1 AND expires_at > $2)",
    )
    .bind(staff.user_id)
    .bind(deps.clock.now())
    .fetch_one(tx.conn())
    .await?;
    let required_from = required_from(tx.conn(), staff.tenant_id).await?;
    tx.commit().await?;
    Ok(TwoFactorView {
        enabled,
        recovery_codes_left: u32::try_from(codes).unwrap_or(0),
        trusted_browsers: u32::try_from(browsers).unwrap_or(0),
        required_from,
    })
}

/// When the business's requirement applies to its members, if it has one.
async fn required_from(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT two_factor_required_at + make_interval(days => two_factor_grace_days) \
         FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Starts setting up: a new secret, not yet in force, and what the app needs.
pub async fn begin(deps: &Deps, staff: &Staff) -> Result<TotpEnrolment, AppError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    let key = &deps.config.auth.encryption_key;
    let mut tx = deps
        .system("two-factor enrolment", &Origin::default())
        .await?;
    let email: String = sqlx::query_scalar("SELECT email::text FROM users WHERE id = $1")
        .bind(staff.user_id)
        .fetch_one(tx.conn())
        .await?;
    let replaced = sqlx::query(
        "INSERT INTO user_totp (user_id, secret_sealed, key_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, key_id = $3, created_at = now(), \
           last_used_step = NULL WHERE user_totp.enabled_at IS NULL",
    )
    .bind(staff.user_id)
    .bind(key.seal(&secret))
    .bind(key.id())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if replaced == 0 {
        return Err(AppError::Conflict(
            "Two-factor sign-in is already on; turn it off first to set up another app.".into(),
        ));
    }
    tx.commit().await?;
    let totp = totp(secret, &email)?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| AppError::internal(e.to_string()))?;
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| AppError::internal(e.to_string()))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpEnrolment {
        secret: totp.secret().to_base32(),
        otpauth_url,
        qr_svg,
    })
}

/// Finishes setting up with a code from the app; returns the recovery codes
/// (shown once).
pub async fn enable(
    deps: &Deps,
    staff: &Staff,
    code: &str,
    origin: &Origin,
) -> Result<Vec<String>, AppError> {
    let Ok(SecondFactor::Totp(code)) = SecondFactor::parse(code) else {
        return Err(AppError::field(
            "code",
            "enter the 6-digit code your authenticator app shows",
        ));
    };
    let mut tx = deps.system("two-factor enable", origin).await?;
    let row: Option<(Vec<u8>, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT secret_sealed, key_id, enabled_at FROM user_totp WHERE user_id = $1 FOR UPDATE",
    )
    .bind(staff.user_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((sealed, key_id, None)) = row else {
        return Err(AppError::Conflict(
            "Start setting up two-factor sign-in first (or it is already on).".into(),
        ));
    };
    let Some(step) = matching_step(deps, &sealed, &key_id, &code)? else {
        return Err(AppError::field(
            "code",
            "that code does not match: check the app shows Frontdesk and try the current code",
        ));
    };
    sqlx::query("UPDATE user_totp SET enabled_at = now(), last_used_step = $2 WHERE user_id = $1")
        .bind(staff.user_id)
        .bind(i64::try_from(step).unwrap_or(i64::MAX))
        .execute(tx.conn())
        .await?;
    let codes = replace_recovery_codes(tx.conn(), staff.user_id).await?;
    audit_own_account(&mut tx, staff, "user.two_factor_enabled", Changes::new()).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-factor sign-in off, after the password; forgets trusted browsers.
pub async fn disable(
    deps: &Deps,
    staff: &Staff,
    password_text: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps.system("two-factor disable", origin).await?;
    verify_password(tx.conn(), staff.user_id, password_text).await?;
    for table in ["user_totp", "recovery_codes", "trusted_browsers"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(staff.user_id)
            .execute(tx.conn())
            .await?;
    }
    audit_own_account(&mut tx, staff, "user.two_factor_disabled", Changes::new()).await?;
    tx.commit().await?;
    Ok(())
}

/// Ten new recovery codes; the old ones stop working.
pub async fn new_recovery_codes(
    deps: &Deps,
    staff: &Staff,
    origin: &Origin,
) -> Result<Vec<String>, AppError> {
    let mut tx = deps.system("recovery codes", origin).await?;
    let on: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL)",
    )
    .bind(staff.user_id)
    .fetch_one(tx.conn())
    .await?;
    if !on {
        return Err(AppError::Conflict(
            "Recovery codes come with two-factor sign-in; set it up first.".into(),
        ));
    }
    let codes = replace_recovery_codes(tx.conn(), staff.user_id).await?;
    audit_own_account(
        &mut tx,
        staff,
        "user.recovery_codes_replaced",
        Changes::new(),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    conn: &mut sqlx::PgConnection,
    user: Uuid,
) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    let codes = fresh_recovery_codes();
    for code in &codes {
        sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(tokens::hash_token(code))
            .execute(&mut *conn)
            .await?;
    }
    Ok(codes)
}

/// Ten random codes (the generator is not held across an await).
fn fresh_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect()
        })
        .collect()
}

/// Whether signing in as `user` needs a second step: two-factor is on and
/// this browser is not trusted (`trusted_token`, from its cookie).
pub async fn needed(
    deps: &Deps,
    user: Uuid,
    trusted_token: Option<&str>,
) -> Result<bool, AppError> {
    let mut tx = deps.system("two-factor check", &Origin::default()).await?;
    let needed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL) \
           AND NOT EXISTS (SELECT 1 FROM trusted_browsers \
                           WHERE user_id = $1 AND token_hash = $2 AND expires_at > $3)",
    )
    .bind(user)
    .bind(trusted_token.map(tokens::hash_token).unwrap_or_default())
    .bind(deps.clock.now())
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
            let row: Option<(Vec<u8>, String, Option<i64>)> = sqlx::query_as(
                "SELECT secret_sealed, key_id, last_used_step FROM user_totp \
                 WHERE user_id = $1 AND enabled_at IS NOT NULL FOR UPDATE",
            )
            .bind(user)
            .fetch_optional(tx.conn())
            .await?;
            match row {
                Some((sealed, key_id, last)) => {
                    let step = matching_step(deps, &sealed, &key_id, code)?
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
                            sqlx::query(
                                "UPDATE user_totp SET last_used_step = $2 WHERE user_id = $1",
                            )
                            .bind(user)
                            .bind(step)
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
            sqlx::query(
                "UPDATE recovery_codes SET used_at = now() \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user)
            .bind(tokens::hash_token(code))
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
    sqlx::query(
        "INSERT INTO trusted_browsers (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(Uuid::now_v7())
    .bind(user)
    .bind(hash)
    .bind(deps.clock.now() + Duration::days(TRUSTED_BROWSER_DAYS))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The business's requirement and who does not meet it yet (owners).
pub async fn policy(deps: &Deps, staff: &Staff) -> Result<TwoFactorPolicyView, AppError> {
    require_owner(staff)?;
    let mut tx = deps.system("two-factor policy", &Origin::default()).await?;
    let (required_since, grace_days): (Option<DateTime<Utc>>, i32) = sqlx::query_as(
        "SELECT two_factor_required_at, two_factor_grace_days FROM tenants WHERE id = $1",
    )
    .bind(staff.tenant_id)
    .fetch_one(tx.conn())
    .await?;
    let members_without: Vec<String> = sqlx::query_scalar(
        "SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tenant_id = $1 AND NOT EXISTS \
           (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL) \
         ORDER BY lower(u.name)",
    )
    .bind(staff.tenant_id)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(TwoFactorPolicyView {
        required_since,
        grace_days,
        members_without,
    })
}

/// Requires two-factor sign-in from every member after `grace_days`, or not.
pub async fn set_policy(
    deps: &Deps,
    staff: &Staff,
    required: bool,
    grace_days: i32,
    origin: &Origin,
) -> Result<(), AppError> {
    require_owner(staff)?;
    if !(0..=90).contains(&grace_days) {
        return Err(AppError::field(
            "grace_days",
            "the grace period is 0 to 90 days",
        ));
    }
    let mut tx = deps.work(staff, Permission::ManageSettings, origin).await?;
    sqlx::query(
        "UPDATE tenants SET two_factor_grace_days = $2, two_factor_required_at = CASE \
           WHEN NOT $3 THEN NULL ELSE coalesce(two_factor_required_at, $4) END WHERE id = $1",
    )
    .bind(staff.tenant_id)
    .bind(grace_days)
    .bind(required)
    .bind(deps.clock.now())
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "tenant.two_factor_policy_changed",
        entity_type: "tenant",
        entity_id: Some(staff.tenant_id),
        changes: Changes::new()
            .field("two_factor_required", None::<bool>, Some(required))
            .field("two_factor_grace_days", None::<i32>, Some(grace_days)),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

fn require_owner(staff: &Staff) -> Result<(), AppError> {
    if staff.role == Role::Owner {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
