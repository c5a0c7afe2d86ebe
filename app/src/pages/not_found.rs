//! Shown for any address no route matches, with a real 404 status.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Title text="Page not found" />
        <main class="auth" id="main" data-hydrated=move || hydrated.get().then_some("true")>
            <p class="brand">"Frontdesk"</p>
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"There is nothing at this address. " <a href="/">"Go to the dashboard"</a></p>
            </section>
        </main>
    }
}
