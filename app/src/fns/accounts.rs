//! Signing up, in and out; passwords; the current user and switching tenants.

use frontdesk::domain::{
    two_factor::{TotpEnrolment, TwoFactorPolicyView, TwoFactorView},
    views::{SessionEntry, SessionView},
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::errors::UiError;

#[cfg(feature = "ssr")]
use {
    super::ctx::{
        anonymous, browser_time_format, deps, origin, reader, session, sign_in_attempt, signed_in,
        writer,
    },
    crate::errors::ssr::ui_error,
    crate::routes::safe_next,
    frontdesk::{
        auth::session as sessions,
        services::{accounts, email_verification, tenants, two_factor, user_sessions},
    },
};

#[server(prefix = "/api", endpoint = "sign-up")]
pub async fn sign_up(
    business_name: String,
    slug: String,
    time_zone: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), UiError> {
    anonymous().await?;
    let deps = deps()?;
    let input = accounts::SignUp {
        business_name,
        slug,
        time_zone,
        time_format: browser_time_format(),
        name,
        email,
        password,
    };
    let auth = accounts::sign_up(&deps, input, &origin())
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), UiError> {
    sign_in_attempt(&email).await?;
    let deps = deps()?;
    let auth = accounts::sign_in(&deps, &email, &password, &origin())
        .await
        .map_err(ui_error)?;
    let session = session().await?;
    let target = safe_next(next.as_deref());
    let trusted = super::ctx::cookie(TRUSTED_BROWSER_COOKIE);
    if two_factor::needed(&deps, auth.user_id, trusted.as_deref())
        .await
        .map_err(ui_error)?
    {
        sessions::start_pending(&session, auth, deps.clock.now())
            .await
            .map_err(ui_error)?;
        leptos_axum::redirect(&frontdesk::auth::redirect::with_next(
            crate::routes::SIGN_IN_CODE,
            &target,
        ));
        return Ok(());
    }
    sessions::start(&session, auth).await.map_err(ui_error)?;
    leptos_axum::redirect(&target);
    Ok(())
}

/// The cookie of a browser trusted for 30 days after a second step.
#[cfg(feature = "ssr")]
const TRUSTED_BROWSER_COOKIE: &str = "frontdesk_trusted";

/// The second step of signing in: a code from the authenticator app or a
/// recovery code. Limited like the password (per account, per address and
/// account), and wrong codes count towards the same lock-out.
#[server(prefix = "/api", endpoint = "sign-in-code")]
pub async fn sign_in_code(
    code: String,
    trust: Option<String>,
    next: Option<String>,
) -> Result<(), UiError> {
    let deps = deps()?;
    let session = session().await?;
    let Some(auth) = sessions::pending(&session, deps.clock.now())
        .await
        .map_err(ui_error)?
    else {
        return Err(ui_error(frontdesk::error::AppError::Unauthorized));
    };
    sign_in_attempt(&format!("2fa:{}", auth.user_id)).await?;
    two_factor::verify(&deps, auth.user_id, &code, &origin())
        .await
        .map_err(ui_error)?;
    sessions::finish_pending(&session, auth)
        .await
        .map_err(ui_error)?;
    if trust.is_some_and(|t| !t.is_empty() && t != "false") {
        let token = two_factor::trust_browser(&deps, auth.user_id)
            .await
            .map_err(ui_error)?;
        super::ctx::set_cookie(
            TRUSTED_BROWSER_COOKIE,
            &token,
            chrono::Duration::days(frontdesk::domain::two_factor::TRUSTED_BROWSER_DAYS),
        );
    }
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// The signed-in person's second factor.
#[server(prefix = "/api", endpoint = "two-factor")]
pub async fn two_factor_status() -> Result<TwoFactorView, UiError> {
    two_factor::status(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

/// Starts setting up an authenticator app: the secret and its QR code.
#[server(prefix = "/api", endpoint = "two-factor-begin")]
pub async fn two_factor_begin() -> Result<TotpEnrolment, UiError> {
    two_factor::begin(&deps()?, &writer().await?)
        .await
        .map_err(ui_error)
}

/// Confirms the app with a code; the recovery codes, shown once.
#[server(prefix = "/api", endpoint = "two-factor-enable")]
pub async fn two_factor_enable(code: String) -> Result<Vec<String>, UiError> {
    let staff = writer().await?;
    sign_in_attempt(&format!("2fa:{}", staff.user_id)).await?;
    two_factor::enable(&deps()?, &staff, &code, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "two-factor-disable")]
pub async fn two_factor_disable(password: String) -> Result<(), UiError> {
    two_factor::disable(&deps()?, &writer().await?, &password, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "two-factor-recovery-codes")]
pub async fn two_factor_recovery_codes() -> Result<Vec<String>, UiError> {
    two_factor::new_recovery_codes(&deps()?, &writer().await?, &origin())
        .await
        .map_err(ui_error)
}

/// The business's two-factor requirement (owners).
#[server(prefix = "/api", endpoint = "two-factor-policy")]
pub async fn two_factor_policy() -> Result<TwoFactorPolicyView, UiError> {
    two_factor::policy(&deps()?, &reader().await?)
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "save-two-factor-policy")]
pub async fn save_two_factor_policy(
    required: Option<String>,
    grace_days: String,
) -> Result<(), UiError> {
    let grace: i32 = grace_days.trim().parse().map_err(|_| {
        ui_error(frontdesk::error::AppError::field(
            "grace_days",
            "enter a number of days from 0 to 90",
        ))
    })?;
    let required = required.is_some_and(|r| !r.is_empty() && r != "false");
    two_factor::set_policy(&deps()?, &writer().await?, required, grace, &origin())
        .await
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), UiError> {
    let deps = deps()?;
    sessions::sign_out(&session().await?, deps.sessions(), deps.clock.now())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect(crate::routes::SIGN_IN);
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), UiError> {
    let staff = writer().await?;
    let deps = deps()?;
    accounts::sign_out_everywhere(&deps, &staff, &origin())
        .await
        .map_err(ui_error)?;
    sessions::sign_out(&session().await?, deps.sessions(), deps.clock.now())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect(crate::routes::SIGN_IN);
    Ok(())
}

#[server(prefix = "/api", endpoint = "forgot-password")]
pub async fn forgot_password(email: String) -> Result<(), UiError> {
    anonymous().await?;
    accounts::request_password_reset(&deps()?, &email, &origin())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), UiError> {
    anonymous().await?;
    accounts::reset_password(&deps()?, &token, &password, &origin())
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/signin?reset=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), UiError> {
    let staff = writer().await?;
    let auth = accounts::change_password(
        &deps()?,
        &staff,
        &current_password,
        &new_password,
        &origin(),
    )
    .await
    .map_err(ui_error)?;
    // A privilege change: the session continues under a new id.
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    Ok(())
}

/// The signed-in user and their tenants; `None` when signed out.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SessionView>, UiError> {
    let Some(staff) = signed_in() else {
        return Ok(None);
    };
    tenants::session_view(&deps()?, &staff)
        .await
        .map(Some)
        .map_err(ui_error)
}

#[server(prefix = "/api", endpoint = "switch-tenant")]
pub async fn switch_tenant(tenant: Uuid) -> Result<(), UiError> {
    let staff = writer().await?;
    let auth = tenants::switch(&deps()?, &staff, tenant)
        .await
        .map_err(ui_error)?;
    sessions::start(&session().await?, auth)
        .await
        .map_err(ui_error)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "update-settings")]
pub async fn update_settings(
    name: String,
    time_zone: String,
    time_format: String,
) -> Result<(), UiError> {
    let input = tenants::BusinessSettings {
        name,
        time_zone,
        time_format,
    };
    tenants::update_settings(&deps()?, &writer().await?, &input, &origin())
        .await
        .map_err(ui_error)
}

/// The signed-in person's open sessions, this one marked.
#[server(prefix = "/api", endpoint = "sessions")]
pub async fn list_sessions() -> Result<Vec<SessionEntry>, UiError> {
    let staff = reader().await?;
    let current = sessions::current_id(&session().await?)
        .await
        .map_err(ui_error)?;
    user_sessions::list(&deps()?, &staff, current)
        .await
        .map_err(ui_error)
}

/// Ends one of the person's other sessions.
#[server(prefix = "/api", endpoint = "end-session")]
pub async fn end_session(id: Uuid) -> Result<(), UiError> {
    user_sessions::end(&deps()?, &writer().await?, id, &origin())
        .await
        .map_err(ui_error)
}

/// Opens a verification link (signed in or not).
#[server(prefix = "/api", endpoint = "verify-email")]
pub async fn verify_email(token: String) -> Result<(), UiError> {
    anonymous().await?;
    email_verification::verify(&deps()?, &token, &origin())
        .await
        .map_err(ui_error)?;
    let target = if signed_in().is_some() {
        "/profile?verified=1"
    } else {
        "/signin?verified=1"
    };
    leptos_axum::redirect(target);
    Ok(())
}

/// Sends the signed-in person a new verification link.
#[server(prefix = "/api", endpoint = "resend-verification")]
pub async fn resend_verification() -> Result<(), UiError> {
    email_verification::resend(&deps()?, &writer().await?)
        .await
        .map_err(ui_error)
}

/// Moves the account to another address once a link sent there is opened.
#[server(prefix = "/api", endpoint = "change-email")]
pub async fn change_email(email: String, password: String) -> Result<(), UiError> {
    let staff = writer().await?;
    sign_in_attempt(&format!("email-change:{}", staff.user_id)).await?;
    email_verification::request_change(&deps()?, &staff, &email, &password, &origin())
        .await
        .map_err(ui_error)
}
