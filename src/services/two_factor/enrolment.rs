//! Setting up an authenticator app, turning two-factor sign-in off, and recovery codes.

use rand::Rng;
use uuid::Uuid;

use super::{matching_step, totp, SECRET_BYTES};
use crate::services::{
    accounts::{audit_own_account, verify_password},
    Deps,
};
use crate::{
    audit::{Changes, Origin},
    auth::{tokens, Staff},
    domain::two_factor::{
        SecondFactor, TotpEnrolment, RECOVERY_ALPHABET, RECOVERY_CODES, RECOVERY_LEN,
    },
    error::AppError,
};

/// Starts setting up: a new secret, not yet in force, and what the app needs.
pub async fn begin(deps: &Deps, staff: &Staff) -> Result<TotpEnrolment, AppError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    let key = &deps.config.auth.encryption_key;
    let mut tx = deps
        .system("two-factor enrolment", &Origin::default())
        .await?;
    let email: String = sqlx::query_scalar!(
        r#"SELECT email::text AS "email!" FROM users WHERE id = $1"#,
        staff.user_id
    )
    .fetch_one(tx.conn())
    .await?;
    let replaced = sqlx::query!(
        "INSERT INTO user_totp (user_id, secret_sealed, key_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, key_id = $3, created_at = now(), \
           last_used_step = NULL WHERE user_totp.enabled_at IS NULL",
        staff.user_id,
        key.seal(&secret),
        key.id()
    )
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
    let pending = sqlx::query!(
        "SELECT secret_sealed, key_id FROM user_totp WHERE user_id = $1 AND enabled_at IS NULL FOR UPDATE",
        staff.user_id,
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(pending) = pending else {
        return Err(AppError::Conflict(
            "Start setting up two-factor sign-in first (or it is already on).".into(),
        ));
    };
    let Some(step) = matching_step(deps, &pending.secret_sealed, &pending.key_id, &code)? else {
        return Err(AppError::field(
            "code",
            "that code does not match: check the app shows Frontdesk and try the current code",
        ));
    };
    sqlx::query!(
        "UPDATE user_totp SET enabled_at = now(), last_used_step = $2 WHERE user_id = $1",
        staff.user_id,
        i64::try_from(step).unwrap_or(i64::MAX)
    )
    .execute(tx.conn())
    .await?;
    let codes = replace_recovery_codes(tx.conn(), staff.user_id).await?;
    tx.access_changed(staff.user_id);
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
    sqlx::query!("DELETE FROM user_totp WHERE user_id = $1", staff.user_id)
        .execute(tx.conn())
        .await?;
    tx.access_changed(staff.user_id);
    sqlx::query!(
        "DELETE FROM recovery_codes WHERE user_id = $1",
        staff.user_id
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "DELETE FROM trusted_browsers WHERE user_id = $1",
        staff.user_id
    )
    .execute(tx.conn())
    .await?;
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
    let on: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL) AS "on!""#,
        staff.user_id
    )
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
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user)
        .execute(&mut *conn)
        .await?;
    let codes = fresh_recovery_codes();
    for code in &codes {
        sqlx::query!(
            "INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)",
            Uuid::now_v7(),
            user,
            tokens::hash_token(code)
        )
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
