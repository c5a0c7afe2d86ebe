#![recursion_limit = "256"]
//! Frontdesk's Leptos application: the HTML shell, the routes and the pages.
//!
//! Built twice: with `ssr` into the server, with `hydrate` into the browser.

mod components;
mod error_reporting;
pub mod errors;
pub mod fns;
mod layout;
mod lazy_pages;
mod live;
mod pages;
pub mod routes;
mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::{
    layout::AppLayout,
    lazy_pages::*,
    pages::{not_found::NotFoundPage, settings::SettingsFrame},
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
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <error_reporting::ErrorReportingMeta />
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
        <Title formatter=|page: String| format!("{page} · Frontdesk") />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("signin") view={Lazy::<SignIn>::new()} />
                <Route path=path!("signin/code") view={Lazy::<SignInCode>::new()} />
                <Route path=path!("verify-email") view={Lazy::<VerifyEmail>::new()} />
                <Route path=path!("signup") view={Lazy::<SignUp>::new()} />
                <Route path=path!("forgot-password") view={Lazy::<ForgotPassword>::new()} />
                <Route path=path!("reset-password") view={Lazy::<ResetPassword>::new()} />
                <Route path=path!("accept-invitation") view={Lazy::<AcceptInvitation>::new()} ssr=SsrMode::Async />
                // Data is loaded before the page is sent, so it reads the same without JavaScript.
                <ParentRoute path=path!("") view=AppLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<Dashboard>::new()} />
                    <Route path=path!("calendar") view={Lazy::<Calendar>::new()} />
                    <Route path=path!("day-sheet") view={Lazy::<DaySheet>::new()} />
                    <Route path=path!("inbox") view={Lazy::<Inbox>::new()} />
                    <Route path=path!("clients") view={Lazy::<Clients>::new()} />
                    <Route path=path!("clients/new") view={Lazy::<NewClient>::new()} />
                    <Route path=path!("clients/:id") view={Lazy::<Client>::new()} />
                    <Route path=path!("dev/outbox") view={Lazy::<Outbox>::new()} />
                    <ParentRoute path=path!("settings") view=SettingsFrame>
                        <Route path=path!("") view={Lazy::<Settings>::new()} />
                        <Route path=path!("audit-log") view={Lazy::<AuditLog>::new()} />
                        <Route path=path!("api-keys") view={Lazy::<ApiKeys>::new()} />
                        <Route path=path!("jobs") view={Lazy::<Jobs>::new()} />
                        <Route path=path!("mailboxes") view={Lazy::<Mailboxes>::new()} />
                        <Route path=path!("services") view={Lazy::<Services>::new()} />
                        <Route path=path!("providers") view={Lazy::<Providers>::new()} />
                        <Route path=path!("resources") view={Lazy::<Resources>::new()} />
                    </ParentRoute>
                    // Team and profile keep their short addresses inside the settings frame.
                    <ParentRoute path=path!("team") view=SettingsFrame>
                        <Route path=path!("") view={Lazy::<Team>::new()} />
                    </ParentRoute>
                    <ParentRoute path=path!("profile") view=SettingsFrame>
                        <Route path=path!("") view={Lazy::<Profile>::new()} />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
