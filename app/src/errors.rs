//! The error server functions return to the page: a code, a sentence for
//! people, and per-field problems shown next to the inputs.

use frontdesk::domain::form::FieldErrors;
use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub fields: FieldErrors,
}

impl UiError {
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).map(str::to_string)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(err: ServerFnErrorErr) -> Self {
        // Malformed input is the caller's mistake: 400, not 500.
        #[cfg(feature = "ssr")]
        if matches!(
            err,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_)
        ) {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::BAD_REQUEST);
            }
        }
        let message = match err {
            ServerFnErrorErr::Request(_) => {
                "The server could not be reached; check the connection and try again.".to_string()
            }
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                "The form was incomplete; reload the page and try again.".to_string()
            }
            _ => "Something went wrong; try again.".to_string(),
        };
        UiError {
            code: "request_failed".into(),
            message,
            fields: FieldErrors::new(),
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::UiError;
    use frontdesk::error::AppError;
    use http::{header, request::Parts};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    /// A form posted by the browser itself (no JavaScript): it is answered
    /// with a redirect back to the page.
    pub fn is_plain_form_post() -> bool {
        use_context::<Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        })
    }

    /// Maps a service error for the page. A plain HTML form post keeps the
    /// redirect that carries the error back to the form; other callers get
    /// the error's HTTP status.
    pub fn ui_error(err: AppError) -> UiError {
        let status = err.status();
        let body = err.body();
        if status.is_server_error() {
            tracing::error!(error = %err, "server function failed");
        }
        if !is_plain_form_post() {
            if let Some(response) = use_context::<ResponseOptions>() {
                response.set_status(status);
                if let Some(retry_after) = err.retry_after() {
                    if let Ok(value) =
                        http::HeaderValue::from_str(&retry_after.as_secs().max(1).to_string())
                    {
                        response.insert_header(header::RETRY_AFTER, value);
                    }
                }
            }
        }
        UiError {
            code: body.error.code,
            message: body.error.message,
            fields: body.error.fields.unwrap_or_default(),
        }
    }
}
