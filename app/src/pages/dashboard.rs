//! The dashboard: the first screen staff see in the morning.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <section class="cards" aria-label="Today at a glance">
            <article class="card">
                <h2>"Now"</h2>
                <LocalClock />
            </article>
            <article class="card">
                <h2>"Appointments today"</h2>
                <p class="muted">"Your schedule appears here once the calendar is set up."</p>
            </article>
            <article class="card">
                <h2>"Unread messages"</h2>
                <p class="muted">"Client conversations appear here once a mailbox is connected."</p>
            </article>
        </section>
    }
}

/// The date and time on the desk's own computer, ticking once the page is live.
/// The server cannot know the viewer's clock, so it renders a placeholder.
#[component]
fn LocalClock() -> impl IntoView {
    let now = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        now.set(Some(local_time_text()));
        let handle = set_interval_with_handle(
            move || now.set(Some(local_time_text())),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <p class="clock" data-testid="clock">
            {move || now.get().unwrap_or_else(|| "--:--".to_string())}
        </p>
    }
}

#[cfg(feature = "hydrate")]
fn local_time_text() -> String {
    let date = js_sys::Date::new_0();
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "long"),
        ("day", "numeric"),
        ("month", "long"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("second", "2-digit"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date.to_locale_string("default", &options).into()
}

#[cfg(not(feature = "hydrate"))]
fn local_time_text() -> String {
    String::new()
}
