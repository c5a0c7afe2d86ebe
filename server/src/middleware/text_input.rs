//! Refuses control characters in every text a request carries, before any
//! handler sees it: query strings, form bodies (server functions, plain
//! forms) and JSON bodies (the REST API). The rule is the domain's
//! ([`frontdesk::domain::text`]); the answer is 422 naming the field, so a
//! NUL byte never reaches PostgreSQL (which refuses it with an error that
//! would otherwise surface as a 500).
//!
//! Upload bodies are files, not text, and stream past untouched.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use frontdesk::{
    domain::{form::FieldErrors, text},
    error::AppError,
};
use serde_json::Value;

use super::error_bodies::BodyLimit;

pub async fn refuse_control_characters(
    State(limit): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    let server_fn = is_server_fn(request.uri().path());
    if let Some(query) = request.uri().query() {
        if let Some(field) = first_bad_pair(query.as_bytes()) {
            return refuse(field, server_fn);
        }
    }
    let kind = body_kind(&request);
    if kind == BodyKind::Other || is_upload(&request) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit.0) {
        // The body limit further in answers 413.
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit.0).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return AppError::PayloadTooLarge {
                limit_bytes: limit.0,
            }
            .into_response()
        }
    };
    let bad = match kind {
        BodyKind::Form => first_bad_pair(&bytes),
        BodyKind::Json => serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|value| first_bad_json(&value, String::new())),
        BodyKind::Other => None,
    };
    if let Some(field) = bad {
        return refuse(field, server_fn);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A field and the character it may not hold.
type Bad = (String, char);

fn first_bad_pair(encoded: &[u8]) -> Option<Bad> {
    form_urlencoded::parse(encoded).find_map(|(key, value)| {
        text::forbidden_control(&value)
            .or_else(|| text::forbidden_control(&key))
            .map(|c| (field_name(&key), c))
    })
}

fn first_bad_json(value: &Value, path: String) -> Option<Bad> {
    match value {
        Value::String(s) => text::forbidden_control(s).map(|c| (path_or_body(path), c)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_bad_json(item, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match text::forbidden_control(key) {
                Some(c) => Some((child, c)),
                None => first_bad_json(item, child),
            }
        }),
        _ => None,
    }
}

fn path_or_body(path: String) -> String {
    if path.is_empty() {
        "body".into()
    } else {
        path
    }
}

/// A field name fit to be shown: its own control characters replaced.
fn field_name(key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if name.is_empty() {
        "(unnamed field)".into()
    } else {
        name
    }
}

fn refuse((field, found): Bad, server_fn: bool) -> Response {
    let fields = FieldErrors::single(&field, text::control_message(found));
    let message = format!("{field}: {}", text::control_message(found));
    if server_fn {
        // The shape server functions answer errors in, so the page shows it by the field.
        let body = serde_json::json!({ "code": "invalid", "message": message, "fields": fields });
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    AppError::Invalid(fields).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(request: &Request) -> BodyKind {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return BodyKind::Other;
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if content_type.starts_with("application/json") || content_type.contains("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

/// The two upload endpoints stream files of up to `UPLOAD_MAX_BYTES`.
fn is_upload(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && (path.starts_with("/files/clients/")
            || (path.starts_with("/api/v1/clients/") && path.ends_with("/files")))
}

/// Server functions live at `/api/<name>`; the REST API, cron and health elsewhere under `/api/`.
pub(crate) fn is_server_fn(path: &str) -> bool {
    path.strip_prefix("/api/").is_some_and(|rest| {
        !rest.starts_with("v1/") && !rest.starts_with("cron/") && !rest.starts_with("health")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_with_the_control_character() {
        assert_eq!(
            first_bad_pair(b"name=Ann&notes=a%00b"),
            Some(("notes".into(), '\0'))
        );
        assert_eq!(first_bad_pair(b"notes=line%0Aone%09two"), None);
        let json = serde_json::json!({"client": {"tags": ["ok", "b\u{1}ad"]}});
        assert_eq!(
            first_bad_json(&json, String::new()),
            Some(("client.tags[1]".into(), '\u{1}'))
        );
        assert_eq!(
            first_bad_json(&serde_json::json!("x\u{7f}"), String::new()),
            Some(("body".into(), '\u{7f}'))
        );
    }

    #[test]
    fn only_server_functions_get_their_own_error_shape() {
        assert!(is_server_fn("/api/create-client"));
        assert!(!is_server_fn("/api/v1/clients"));
        assert!(!is_server_fn("/api/cron/reminders"));
        assert!(!is_server_fn("/clients"));
    }
}
