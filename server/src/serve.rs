//! Serving with graceful shutdown.

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
};

use tokio::{net::TcpListener, sync::oneshot};

use axum::Router;

use crate::{router::router_with, AppState};

/// Serves until `shutdown` resolves, then stops accepting connections and lets
/// in-flight requests finish, for at most `SHUTDOWN_TIMEOUT_SECS`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, state, Router::new(), shutdown).await
}

/// [`serve`] with `extra` routes under the same middleware.
pub async fn serve_router(
    listener: TcpListener,
    state: AppState,
    extra: Router<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let grace = state.config.http.shutdown_timeout;
    let drain = state.config.http.shutdown_drain;
    let draining = state.draining.clone();
    let pool = state.pool.clone();
    if let Some(redis) = &state.deps.redis {
        // Starting on the in-process stand-ins is fine, but a moment's wait
        // lets the first requests share limits and cache already.
        if redis.wait_until_connected(REDIS_START_WAIT).await {
            tracing::info!("Redis connected: cache and rate limits are shared");
        } else {
            redis.failed("start-up", &"no connection yet; retrying in the background");
        }
    }
    let cache = state.deps.cache.clone();
    // Changes committed by any instance, for this instance's open pages.
    let live = state.live.clone();
    let listener_task = state.config.live.enabled.then(|| {
        tokio::spawn(frontdesk::live::listener::listen(
            state.pool.clone(),
            live.clone(),
            state.deps.cache.clone(),
        ))
    });
    // Jobs and schedules (sessions, storage cleanup, reminders, email).
    let background = state
        .config
        .jobs
        .in_serve
        .then(|| frontdesk::services::jobs::start_background(&state.deps));
    let cache_log = tokio::spawn(async move {
        let mut every = tokio::time::interval(CACHE_LOG_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            cache.log_counts();
        }
    });

    // The metrics' own listener, for a network the public cannot reach.
    let metrics_server = match state.config.metrics.addr {
        Some(metrics_addr) => {
            let listener = TcpListener::bind(metrics_addr).await?;
            tracing::info!(url = %format!("http://{}{}", listener.local_addr()?, crate::metrics::PATH), "metrics are served");
            Some(tokio::spawn(
                axum::serve(listener, crate::metrics::router(state.clone())).into_future(),
            ))
        }
        None => None,
    };
    let app = router_with(state, extra);

    let (started_tx, started_rx) = oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        draining.store(true, std::sync::atomic::Ordering::SeqCst);
        if !drain.is_zero() {
            tracing::info!(
                ?drain,
                "shutting down: not ready, still serving while traffic moves away"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
        // Live streams never finish by themselves.
        live.close();
        let _ = started_tx.send(());
    });
    tracing::info!(url = %format!("http://{addr}"), "frontdesk is listening");

    let deadline = async move {
        if started_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server.into_future() => result?,
        () = deadline => tracing::warn!(?grace, "in-flight requests did not finish in time; stopping anyway"),
    }
    cache_log.abort();
    if let Some(task) = listener_task {
        task.abort();
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    if let Some(background) = background {
        background.shutdown().await;
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long start-up waits for the first Redis connection.
const REDIS_START_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// How often the cache's hit, miss and error counts are logged.
const CACHE_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
