//! Frontdesk's Leptos application: the HTML shell, the routes and the pages.
//!
//! Built twice: with `ssr` into the server, with `hydrate` into the browser.

mod layout;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    layout::AppLayout,
    pages::{dashboard::DashboardPage, not_found::NotFoundPage, section::SectionPage},
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/frontdesk.css" />
        <Title formatter=|page: String| format!("{page} · Frontdesk") />
        <Router>
            <AppLayout>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("calendar") view=|| view! { <SectionPage section=layout::Section::Calendar /> } />
                    <Route path=path!("inbox") view=|| view! { <SectionPage section=layout::Section::Inbox /> } />
                    <Route path=path!("clients") view=|| view! { <SectionPage section=layout::Section::Clients /> } />
                    <Route path=path!("settings") view=|| view! { <SectionPage section=layout::Section::Settings /> } />
                </Routes>
            </AppLayout>
        </Router>
    }
}
