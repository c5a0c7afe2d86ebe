//! `<meta name="error-reporting">`: where the page sends its errors (read
//! by the browser entry point). Rendered only when `SENTRY_BROWSER_DSN` is set.

use leptos::prelude::*;

#[component]
pub fn ErrorReportingMeta() -> impl IntoView {
    // The shell is rendered on the server only.
    #[cfg(feature = "ssr")]
    let settings = use_context::<frontdesk::services::Deps>().and_then(|deps| {
        let errors = &deps.config.errors;
        let dsn = errors.browser_dsn.as_ref()?.to_string();
        let release = frontdesk::telemetry::error_tracking::RELEASE;
        Some((dsn, release, errors.environment.clone()))
    });
    #[cfg(not(feature = "ssr"))]
    let settings: Option<(String, &str, String)> = None;
    settings.map(|(dsn, release, environment)| {
        view! {
            <meta
                name="error-reporting"
                content=dsn
                data-release=release
                data-environment=environment
            />
        }
    })
}
