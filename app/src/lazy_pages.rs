//! The pages as lazily loaded routes. In the browser each group of pages is
//! its own wasm chunk (`cargo leptos build --split`), fetched when one of its
//! pages is first shown, so a first load carries the runtime, the layout and
//! the group at hand only. On the server the pages render as before.
//!
//! Pages are grouped by what staff open together rather than split one by
//! one: code that several split points share becomes a chunk per combination
//! of them, and each is a request. One chunk per page made the calendar's
//! first load fetch 180 files; these five groups, 16.

use leptos::{lazy, prelude::*};
use leptos_router::LazyRoute;

use crate::pages::{
    auth::{
        AcceptInvitationPage, ForgotPasswordPage, ResetPasswordPage, SignInCodePage, SignInPage,
        SignUpPage, VerifyEmailPage,
    },
    calendar::CalendarPage,
    catalog::{ProvidersPage, ResourcesPage, ServicesPage},
    clients::{ClientPage, ClientsPage, NewClientPage},
    dashboard::DashboardPage,
    day_sheet::DaySheetPage,
    inbox::InboxPage,
    jobs::{JobsPage, OutboxPage},
    profile::ProfilePage,
    settings::{ApiKeysPage, AuditLogPage, MailboxesPage, SettingsPage},
    team::TeamPage,
};

/// Declares, for one group of pages, the chunk's entry `$load` (a lazy
/// function that draws the page `$which` names; `$preload` fetches its chunk)
/// and a route type per page, named as the page without `Page`.
macro_rules! page_group {
    ($load:ident, $preload:ident, $which:ident: $($route:ident => $page:ident),* $(,)?) => {
        #[derive(Clone, Copy)]
        pub enum $which { $($route),* }

        #[lazy]
        fn $load(page: $which) -> AnyView {
            match page {
                $($which::$route => view! { <$page /> }.into_any()),*
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_this: Self) -> AnyView {
                    $load($which::$route).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    };
}

page_group!(account_pages, __preload_account_pages, AccountGroup:
    SignIn => SignInPage,
    SignInCode => SignInCodePage,
    VerifyEmail => VerifyEmailPage,
    SignUp => SignUpPage,
    ForgotPassword => ForgotPasswordPage,
    ResetPassword => ResetPasswordPage,
    AcceptInvitation => AcceptInvitationPage,
);

page_group!(today_pages, __preload_today_pages, TodayGroup:
    Dashboard => DashboardPage,
    DaySheet => DaySheetPage,
);

page_group!(calendar_pages, __preload_calendar_pages, CalendarGroup: Calendar => CalendarPage);

page_group!(client_pages, __preload_client_pages, ClientGroup:
    Inbox => InboxPage,
    Clients => ClientsPage,
    NewClient => NewClientPage,
    Client => ClientPage,
);

page_group!(settings_pages, __preload_settings_pages, SettingsGroup:
    Settings => SettingsPage,
    AuditLog => AuditLogPage,
    ApiKeys => ApiKeysPage,
    Jobs => JobsPage,
    Outbox => OutboxPage,
    Mailboxes => MailboxesPage,
    Team => TeamPage,
    Profile => ProfilePage,
    Services => ServicesPage,
    Providers => ProvidersPage,
    Resources => ResourcesPage,
);
