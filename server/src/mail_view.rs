//! Showing mail safely. A message's HTML (sanitised when it was stored) is
//! served as a document of its own for a sandboxed frame of the inbox, with
//! a policy that lets nothing run, post or load from elsewhere; remote
//! images only when staff ask (`?images=1`). Inline `cid:` images and
//! attachments are served from storage to signed-in staff of the business.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Extension,
};
use frontdesk::{auth::Staff, error::AppError, services::inbox::conversations};
use serde::Deserialize;

use crate::{api::parse_id, files::FILE_CSP, AppState};

#[derive(Debug, Deserialize)]
pub struct BodyQuery {
    pub images: Option<String>,
}

/// The frame's policy: no script, form, frame or font; images from this
/// site (inline parts) and, once asked for, from anywhere.
fn body_csp(origin: &str, remote_images: bool) -> String {
    let remote = if remote_images { " https: http:" } else { "" };
    format!(
        "default-src 'none'; img-src 'self' {origin} data:{remote}; style-src 'unsafe-inline'; \
         form-action 'none'; base-uri 'none'; frame-ancestors 'self'; \
         sandbox allow-popups allow-popups-to-escape-sandbox"
    )
}

const FRAME_STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0;padding:4px 2px;\
color:#1d2330;overflow-wrap:anywhere}img{max-width:100%;height:auto}table{max-width:100%}";

/// `GET /inbox/messages/{id}/body`.
pub async fn body(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    Path(id): Path<String>,
    Query(query): Query<BodyQuery>,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return AppError::Unauthorized.into_response();
    };
    let id = match parse_id(&id, "message") {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let (html, parts) = match conversations::message_html(&state.deps, &staff, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return AppError::NotFound("this message has no HTML".into()).into_response(),
        Err(err) => return err.into_response(),
    };
    let mut html = html;
    for (content_id, attachment) in parts {
        html = html.replace(
            &format!("src=\"cid:{content_id}\""),
            &format!("src=\"/inbox/attachments/{attachment}?inline=1\""),
        );
    }
    let document = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">\
         <style>{FRAME_STYLE}</style></head><body>{html}</body></html>"
    );
    let origin = state
        .config
        .http
        .public_url
        .trim_end_matches('/')
        .to_string();
    let mut response = document.into_response();
    let h = response.headers_mut();
    let remote = query.images.as_deref() == Some("1");
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
        (header::CONTENT_SECURITY_POLICY, body_csp(&origin, remote)),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
        (header::REFERRER_POLICY, "no-referrer".to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct AttachmentQuery {
    pub inline: Option<String>,
}

/// `GET /inbox/attachments/{id}`: a download; an image shown in place with `?inline=1`.
pub async fn attachment(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    Path(id): Path<String>,
    Query(query): Query<AttachmentQuery>,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return AppError::Unauthorized.into_response();
    };
    let id = match parse_id(&id, "attachment") {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    let (name, content_type, key) = match conversations::attachment(&state.deps, &staff, id).await {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let (size, stream) = match state.deps.storage.stream(&key).await {
        Ok(found) => found,
        Err(err) => return AppError::from(err).into_response(),
    };
    let inline = query.inline.as_deref() == Some("1")
        && content_type.starts_with("image/")
        && content_type != "image/svg+xml";
    let disposition = if inline {
        frontdesk::storage::Disposition::Inline
    } else {
        frontdesk::storage::Disposition::Attachment
    };
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type.clone()),
        (header::CONTENT_LENGTH, size.to_string()),
        (header::CONTENT_DISPOSITION, disposition.header_value(&name)),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (header::CONTENT_SECURITY_POLICY, FILE_CSP.to_string()),
        (header::CACHE_CONTROL, "private, max-age=300".to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_wait_for_the_click() {
        let closed = body_csp("https://desk.example", false);
        assert!(!closed.contains("https:;") && !closed.contains(" http:"));
        assert!(closed.contains("sandbox") && closed.contains("default-src 'none'"));
        assert!(!closed.contains("allow-scripts"));
        assert!(body_csp("https://desk.example", true).contains("https: http:"));
    }
}
