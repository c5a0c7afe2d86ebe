//! Server functions: thin adapters from the pages to `frontdesk::services`.
//! Each is a public endpoint under `/api/<name>` and checks the caller itself.

pub mod accounts;
pub mod background;
pub mod catalog;
pub mod clients;
pub mod files;
pub mod inbox;
pub mod scheduling;
pub mod settings;
pub mod team;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use frontdesk::{
        audit::Origin,
        auth::Staff,
        error::AppError,
        ratelimit::{Counted, Exempt, PolicyKind},
        services::Deps,
    };
    use http::{request::Parts, HeaderName, HeaderValue};
    use leptos::prelude::*;
    use tower_sessions::Session;

    use crate::errors::{ssr::ui_error, UiError};

    pub fn deps() -> Result<Deps, UiError> {
        use_context::<Deps>()
            .ok_or_else(|| ui_error(AppError::internal("services are not in context")))
    }

    /// The signed-in staff member (resolved by the server's middleware).
    pub fn staff() -> Result<Staff, UiError> {
        signed_in().ok_or_else(|| ui_error(AppError::Unauthorized))
    }

    /// The signed-in staff member, counted against the `read` limit.
    pub async fn reader() -> Result<Staff, UiError> {
        counted(PolicyKind::Read).await
    }

    /// The signed-in staff member, counted against the `write` limit.
    pub async fn writer() -> Result<Staff, UiError> {
        counted(PolicyKind::Write).await
    }

    async fn counted(policy: PolicyKind) -> Result<Staff, UiError> {
        let staff = staff()?;
        let deps = deps()?;
        let key = format!("{}:{}:{}", staff.tenant_id, staff.user_id, address());
        limit(&deps, policy, &key).await?;
        Ok(staff)
    }

    /// A request without an account, counted per address.
    pub async fn anonymous() -> Result<(), UiError> {
        let deps = deps()?;
        limit(&deps, PolicyKind::Anonymous, &address()).await
    }

    /// A sign-in attempt, counted per account, per address and account,
    /// and against the address's much higher ceiling (an office signs in
    /// from one address). Accounts are keyed by a hash of the email, so no
    /// address is stored in the limiter.
    pub async fn sign_in_attempt(email: &str) -> Result<(), UiError> {
        let deps = deps()?;
        let address = address();
        limit(&deps, PolicyKind::SignInAddress, &address).await?;
        let account = frontdesk::telemetry::hash_for_log(
            frontdesk::secrecy::ExposeSecret::expose_secret(&deps.config.log.hash_key),
            &email.trim().to_lowercase(),
        );
        limit(&deps, PolicyKind::SignIn, &format!("account:{account}")).await?;
        limit(
            &deps,
            PolicyKind::SignIn,
            &format!("ip:{address}:account:{account}"),
        )
        .await
    }

    /// Spends one request of `policy` for `key`; sets the `RateLimit-*`
    /// headers and, when the budget is spent, fails with 429.
    pub async fn limit(deps: &Deps, policy: PolicyKind, key: &str) -> Result<(), UiError> {
        // Allow-listed, or a page the edge layer has counted already.
        let exempt = use_context::<Parts>().is_some_and(|p| {
            p.extensions.get::<Exempt>().is_some() || p.extensions.get::<Counted>().is_some()
        });
        let Some(decision) = deps.limiter.spend(policy, key, exempt).await else {
            return Ok(());
        };
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            for (name, value) in decision.headers() {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.insert_header(HeaderName::from_static(name), value);
                }
            }
        }
        if decision.allowed {
            Ok(())
        } else {
            Err(ui_error(decision.error()))
        }
    }

    /// The keyed hash of the client's address (never the address itself).
    fn address() -> String {
        origin().ip_hash.unwrap_or_else(|| "unknown".into())
    }

    pub fn signed_in() -> Option<Staff> {
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<Staff>().copied())
    }

    pub fn origin() -> Origin {
        use_context::<Parts>()
            .and_then(|parts| parts.extensions.get::<Origin>().cloned())
            .unwrap_or_default()
    }

    /// The time format of the language the browser asks for first.
    pub fn browser_time_format() -> frontdesk::domain::time_format::TimeFormat {
        use_context::<Parts>()
            .and_then(|parts| {
                let header = parts.headers.get(http::header::ACCEPT_LANGUAGE)?;
                header.to_str().ok().map(str::to_owned)
            })
            .map(|value| frontdesk::domain::time_format::TimeFormat::of_locale(&value))
            .unwrap_or_default()
    }

    /// The value of the request's cookie `name`.
    pub fn cookie(name: &str) -> Option<String> {
        let parts = use_context::<Parts>()?;
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    }

    /// Sets an HttpOnly, SameSite=Lax cookie (Secure under https) on the response.
    pub fn set_cookie(name: &str, value: &str, max_age: chrono::Duration) {
        let secure = deps().is_ok_and(|d| d.config.http.is_https());
        let cookie = format!(
            "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            max_age.num_seconds(),
            if secure { "; Secure" } else { "" }
        );
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            HeaderValue::from_str(&cookie),
        ) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }

    pub async fn session() -> Result<Session, UiError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|e| ui_error(AppError::internal(e.to_string())))
    }
}
