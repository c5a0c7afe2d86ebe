//! Who is asking: the client's origin (request id, hashed address) and, for
//! a signed-in session, the staff member. Both go into the request's
//! extensions, where server functions and handlers find them. Pages that
//! need an account send signed-out visitors to the sign-in page.

use app::routes::{is_public_page, SIGN_IN, SIGN_UP};
use axum::{
    extract::{Request, State},
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use frontdesk::secrecy::ExposeSecret;
use frontdesk::{
    audit::Origin,
    auth::session,
    error::AppError,
    telemetry::{hash_for_log, hash_user_id},
};
use tower_sessions::Session;

use crate::{
    middleware::{
        client::ClientIp, paths::is_static, request_id::request_id_of, text_input::is_server_fn,
    },
    AppState,
};

pub async fn load_principal(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = request.extensions().get::<ClientIp>().map(|c| c.0);
    let origin = Origin {
        request_id: request_id_of(&request),
        ip_hash: ip
            .map(|ip| hash_for_log(state.config.log.hash_key.expose_secret(), &ip.to_string())),
    };
    request.extensions_mut().insert(origin);
    if let Some(ip) = ip {
        request.extensions_mut().insert(ClientIp(ip));
    }

    let path = request.uri().path().to_owned();
    // Prometheus carries a token, not a session.
    if is_static(&path) || path == crate::metrics::PATH {
        return next.run(request).await;
    }
    let resolved = match request.extensions().get::<Session>().cloned() {
        Some(session) => {
            let meta = session::SessionMeta {
                user_agent: request
                    .headers()
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string(),
                address: ip,
            };
            match session::resolve(
                &session,
                state.deps.sessions(),
                state.deps.clock.now(),
                &meta,
            )
            .await
            {
                Ok(resolved) => resolved,
                Err(err) => return err.into_response(),
            }
        }
        None => None,
    };
    let is_page =
        request.method() == Method::GET && !path.starts_with("/api/") && accepts_html(&request);
    match resolved {
        Some((staff, overdue)) => {
            if is_page && (path == SIGN_IN || path == SIGN_UP) {
                return Redirect::to("/").into_response();
            }
            // The business requires two-factor sign-in and the grace period
            // is over: the profile, to set it up, is all that is open.
            if overdue && is_page && path != PROFILE {
                return Redirect::to(&format!("{PROFILE}#two-factor")).into_response();
            }
            if overdue && is_server_fn(&path) && !OPEN_WHILE_OVERDUE.contains(&&path[5..]) {
                return AppError::TwoFactorRequired.into_response();
            }
            sentry::configure_scope(|scope| {
                scope.set_tag("business", staff.tenant_id);
                scope.set_tag("user", hash_user_id(staff.user_id));
            });
            request.extensions_mut().insert(staff);
        }
        None if is_page && !is_public_page(&path) => {
            let target = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next = if target == "/" {
                String::new()
            } else {
                format!("?next={}", encode(target))
            };
            return Redirect::to(&format!("{SIGN_IN}{next}")).into_response();
        }
        None => {}
    }
    next.run(request).await
}

const PROFILE: &str = "/profile";

/// What someone whose business requires two-factor sign-in may still do
/// before setting it up: see who they are, set it up, sign out (and, for
/// the owner, change the requirement).
const OPEN_WHILE_OVERDUE: [&str; 10] = [
    "whoami",
    "two-factor",
    "two-factor-begin",
    "two-factor-enable",
    "two-factor-policy",
    "save-two-factor-policy",
    "change-password",
    "switch-tenant",
    "sign-out",
    "sign-out-everywhere",
];

fn accepts_html(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.contains("text/html") || v.contains("*/*"))
}

fn encode(path: &str) -> String {
    form_urlencoded::byte_serialize(path.as_bytes()).collect()
}
