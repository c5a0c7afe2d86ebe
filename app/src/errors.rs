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

    /// What went wrong as sentences for a person: each field's problem
    /// ("This service needs a room."), or the message when no field has one.
    pub fn sentences(&self) -> Vec<String> {
        if self.fields.is_empty() {
            return vec![self.message.clone()];
        }
        let mut out: Vec<String> = self
            .fields
            .iter()
            .map(|(_, problem)| {
                let mut chars = problem.trim().chars();
                let mut text: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                if !text.ends_with(['.', '!', '?']) {
                    text.push('.');
                }
                text
            })
            .collect();
        out.dedup();
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_problems_read_as_sentences_without_field_names() {
        let mut fields = FieldErrors::new();
        fields.add("resource_ids", "this service needs a room");
        let e = UiError {
            code: "invalid".into(),
            message: "Check the highlighted fields.".into(),
            fields,
        };
        assert_eq!(e.sentences(), ["This service needs a room."]);
        let plain = UiError {
            code: "conflict".into(),
            message: "Kai is with Mia Novak 14:55–15:25.".into(),
            fields: FieldErrors::new(),
        };
        assert_eq!(plain.sentences(), ["Kai is with Mia Novak 14:55–15:25."]);
    }
}
