#![recursion_limit = "256"]
//! Frontdesk's Leptos application: the HTML shell, the routes and the pages.
//!
//! Built twice: with `ssr` into the server, with `hydrate` into the browser.

mod components;
mod error_reporting;
pub mod errors;
pub mod fns;
mod layout;
mod live;
mod pages;
pub mod routes;
mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    layout::AppLayout,
    pages::{
        auth::{
            AcceptInvitationPage, ForgotPasswordPage, ResetPasswordPage, SignInCodePage,
            SignInPage, SignUpPage, VerifyEmailPage,
        },
        calendar::CalendarPage,
        catalog::{ProvidersPage, ResourcesPage, ServicesPage},
        clients::{ClientPage, ClientsPage, NewClientPage},
        dashboard::DashboardPage,
        day_sheet::DaySheetPage,
        inbox::InboxPage,
        jobs::{JobsPage, OutboxPage},
        not_found::NotFoundPage,
        profile::ProfilePage,
        settings::{ApiKeysPage, AuditLogPage, MailboxesPage, SettingsFrame, SettingsPage},
        team::TeamPage,
    },
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
                <Route path=path!("signin") view=SignInPage />
                <Route path=path!("signin/code") view=SignInCodePage />
                <Route path=path!("verify-email") view=VerifyEmailPage />
                <Route path=path!("signup") view=SignUpPage />
                <Route path=path!("forgot-password") view=ForgotPasswordPage />
                <Route path=path!("reset-password") view=ResetPasswordPage />
                <Route path=path!("accept-invitation") view=AcceptInvitationPage ssr=SsrMode::Async />
                // Data is loaded before the page is sent, so it reads the same without JavaScript.
                <ParentRoute path=path!("") view=AppLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=DashboardPage />
                    <Route path=path!("calendar") view=CalendarPage />
                    <Route path=path!("day-sheet") view=DaySheetPage />
                    <Route path=path!("inbox") view=InboxPage />
                    <Route path=path!("clients") view=ClientsPage />
                    <Route path=path!("clients/new") view=NewClientPage />
                    <Route path=path!("clients/:id") view=ClientPage />
                    <Route path=path!("dev/outbox") view=OutboxPage />
                    <ParentRoute path=path!("settings") view=SettingsFrame>
                        <Route path=path!("") view=SettingsPage />
                        <Route path=path!("audit-log") view=AuditLogPage />
                        <Route path=path!("api-keys") view=ApiKeysPage />
                        <Route path=path!("jobs") view=JobsPage />
                        <Route path=path!("mailboxes") view=MailboxesPage />
                        <Route path=path!("services") view=ServicesPage />
                        <Route path=path!("providers") view=ProvidersPage />
                        <Route path=path!("resources") view=ResourcesPage />
                    </ParentRoute>
                    // Team and profile keep their short addresses inside the settings frame.
                    <ParentRoute path=path!("team") view=SettingsFrame>
                        <Route path=path!("") view=TeamPage />
                    </ParentRoute>
                    <ParentRoute path=path!("profile") view=SettingsFrame>
                        <Route path=path!("") view=ProfilePage />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
