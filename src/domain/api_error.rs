//! The JSON body of every error response, shared by the server and the browser.

use serde::{Deserialize, Serialize};

use super::form::FieldErrors;

/// `{ "error": { "code", "message", "request_id" } }`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable, machine-readable code such as `not_found` or `payload_too_large`.
    pub code: String,
    /// A sentence a person can act on. Never carries internal details.
    pub message: String,
    /// The request id, to quote when reporting a problem.
    pub request_id: Option<String>,
    /// Per-field problems when the input was invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<std::collections::BTreeMap<String, String>>))]
    pub fields: Option<FieldErrors>,
    /// For 429: the limit that was reached (`read`, `write`, `sign_in`, `api`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// For 429: seconds until a retry can succeed (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ApiErrorBody {
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: Option<String>,
    ) -> Self {
        Self {
            error: ApiError {
                code: code.into(),
                message: message.into(),
                request_id,
                fields: None,
                limit: None,
                retry_after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_to_the_documented_shape() {
        let body = ApiErrorBody::new("not_found", "No such page.", Some("r-1".into()));
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "No such page.", "request_id": "r-1"}})
        );
    }
}
