//! Server functions: thin adapters from the pages to `frontdesk::services`.
//! Each is a public endpoint under `/api/<name>` and checks the caller itself.

pub mod accounts;
pub mod catalog;
pub mod clients;
pub mod scheduling;
pub mod settings;
pub mod team;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use frontdesk::{audit::Origin, auth::Staff, error::AppError, services::Deps};
    use http::request::Parts;
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

    pub fn signed_in() -> Option<Staff> {
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<Staff>().copied())
    }

    pub fn origin() -> Origin {
        use_context::<Parts>()
            .and_then(|parts| parts.extensions.get::<Origin>().cloned())
            .unwrap_or_default()
    }

    pub async fn session() -> Result<Session, UiError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|e| ui_error(AppError::internal(e.to_string())))
    }
}
