//! The whole HTTP surface: API routes, Leptos pages, static files, and the
//! layers every response passes through.

use std::{any::Any, sync::Arc};

use app::{shell, App};
use axum::{
    extract::DefaultBodyLimit,
    http::{Request, StatusCode},
    middleware::{from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use frontdesk::{error::AppError, telemetry};
use leptos::{nonce::Nonce, prelude::*};
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

use crate::{
    api, files, health,
    middleware::{
        client::client_address,
        csrf::{reject_cross_site, TrustedOrigin},
        dev_outbox::guard_dev_outbox,
        error_bodies::{json_error_bodies, BodyLimit},
        error_tracking,
        principal::load_principal,
        rate_limit::rate_limit,
        request_id::{
            drop_malformed_request_id, request_id_of, scope_request_id, MakeRequestUuidV7,
            X_REQUEST_ID,
        },
        security_headers::{security_headers, SecurityPolicy},
        session_cache::CachedStore,
        session_outage::{session_outage, OutageAwareStore},
        static_cache::static_cache,
        text_input::refuse_control_characters,
    },
    AppState,
};

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The router with `extra` routes mounted under the same layers (tools and
/// tests that need an endpoint of their own get the full middleware stack).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let body_limit = config.http.body_limit_bytes;
    let policy = Arc::new(SecurityPolicy::from_config(&config));

    let routes = generate_route_list(App);
    let context = {
        let deps = state.deps.clone();
        move || {
            provide_request_nonce();
            provide_context(deps.clone());
        }
    };
    let sessions = session_layer(&state);
    let trusted = TrustedOrigin::of_public_url(&config.http.public_url);
    let api = api::v1();
    let pages = {
        let options = state.leptos.clone();
        move || shell(options.clone())
    };

    // On the app's port only behind its token; see `metrics`.
    let extra = if config.metrics.token.is_some() {
        extra.route(crate::metrics::PATH, get(crate::metrics::metrics))
    } else {
        extra
    };
    // Reads envelopes of its own size; see `browser_errors`.
    let reports = if state.browser_errors.is_some() {
        Router::new().route(
            crate::browser_errors::PATH,
            axum::routing::post(crate::browser_errors::tunnel),
        )
    } else {
        Router::new()
    };
    let routed = extra
        .route("/api/health", get(health::health))
        .route("/api/health/live", get(health::live))
        .route("/api/health/ready", get(health::ready))
        .merge(api.routes)
        .route("/files/signed/{*key}", get(files::signed))
        .route("/api/live", get(crate::live::stream))
        .route("/inbox/messages/{id}/body", get(crate::mail_view::body))
        .route("/inbox/attachments/{id}", get(crate::mail_view::attachment))
        .route(
            "/api/cron/{schedule}",
            axum::routing::post(crate::cron::trigger),
        )
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .leptos_routes_with_context(&state, routes, context.clone(), pages)
        // Everything above reads bodies of at most REQUEST_BODY_LIMIT_BYTES.
        .route_layer(DefaultBodyLimit::max(body_limit))
        .route_layer(RequestBodyLimitLayer::new(body_limit))
        // Uploads stream their body into storage and stop at UPLOAD_MAX_BYTES.
        .merge(api.streaming)
        .merge(reports)
        .route(
            "/files/clients/{id}",
            axum::routing::post(files::staff_upload),
        )
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(from_fn_with_state(state.clone(), rate_limit))
        .layer(from_fn_with_state(state.clone(), load_principal))
        .layer(from_fn_with_state(state.clone(), guard_dev_outbox))
        .layer(from_fn_with_state(state.clone(), client_address))
        .layer(sessions)
        .layer(from_fn(session_outage))
        .layer(from_fn_with_state(
            BodyLimit(body_limit),
            refuse_control_characters,
        ))
        .layer(from_fn_with_state(trusted, reject_cross_site))
        // Layers run outside-in from the last one added to the first.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.http.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(BodyLimit(body_limit), json_error_bodies))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    // The path only: query strings may carry tokens.
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        request_id = %request_id_of(req).unwrap_or_default(),
                    )
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                )
                // Where the failure happened logged it as an error already.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(from_fn_with_state(policy, security_headers))
        .layer(from_fn_with_state(
            Arc::<str>::from(format!("/{}/", config.site.pkg_dir.trim_matches('/'))),
            static_cache,
        ));
    // What nobody reads costs nothing: without a DSN no request is
    // described for Sentry, without a scraper no request is counted.
    let tracked = state.deps.errors.client().is_some();
    let counted = config.metrics.is_served();
    let routed = if tracked {
        routed.layer(from_fn(error_tracking::name_by_route))
    } else {
        routed
    };
    let routed = if counted {
        routed.layer(from_fn_with_state(
            state.deps.metrics.clone(),
            crate::middleware::metrics::measure,
        ))
    } else {
        routed
    };
    let routed = if tracked {
        routed
            .layer(error_tracking::http_layer())
            .layer(error_tracking::hub_layer(state.deps.errors.clone()))
    } else {
        routed
    };
    routed
        .layer(from_fn(scope_request_id))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuidV7))
        .layer(from_fn(drop_malformed_request_id))
        .with_state(state)
}

/// Hands the nonce of the request's `Content-Security-Policy` header to the
/// renderer, which puts it on every script it emits.
fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

async fn api_not_found() -> AppError {
    AppError::NotFound("there is no such API endpoint".into())
}

/// A panic becomes a plain 500; what it said goes to the log (error
/// tracking has it from the panic hook already).
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(target: telemetry::REPORTED, panic = %detail, "handler panicked");
    let err = AppError::Internal("handler panicked".into());
    (err.status(), axum::Json(err.body())).into_response()
}

/// Sessions in PostgreSQL, behind an HttpOnly, SameSite=Lax cookie that is
/// Secure (and `__Host-` prefixed) when the app is served over HTTPS.
fn session_layer(
    state: &AppState,
) -> SessionManagerLayer<OutageAwareStore<CachedStore<PostgresStore>>> {
    let https = state.config.http.is_https();
    let idle = state.config.auth.session_idle;
    let store = CachedStore::new(
        PostgresStore::new(state.pool.clone()),
        state.deps.cache.clone(),
        state.config.auth.session_refresh,
    );
    SessionManagerLayer::new(OutageAwareStore(store))
        .with_name(if https {
            "__Host-frontdesk"
        } else {
            "frontdesk_session"
        })
        .with_http_only(true)
        .with_secure(https)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        // Saved on every request, so the idle timeout counts from the last
        // one; the store writes it only every SESSION_REFRESH_SECS.
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            i64::try_from(idle.as_secs()).unwrap_or(i64::MAX),
        )))
}
