//! The frame every page sits in: the header, the navigation and the main area.

use frontdesk::domain::views::SessionView;
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::{components::Outlet, hooks::use_location};

use crate::{
    components::{search::GlobalSearch, shortcuts::Shortcuts},
    errors::UiError,
    fns::accounts::{whoami, SignOut, SwitchTenant},
};

/// The signed-in user, loaded once per page by the layout.
pub type Me = Resource<Result<Option<SessionView>, UiError>>;

/// The layout's [`Me`]; pages outside the layout get a fresh one.
pub fn use_me() -> Me {
    use_context::<Me>().unwrap_or_else(|| Resource::new(|| (), |_| whoami()))
}

/// The areas of the app, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Calendar,
    Inbox,
    Clients,
    Settings,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Dashboard,
        Section::Calendar,
        Section::Inbox,
        Section::Clients,
        Section::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Dashboard => "Dashboard",
            Section::Calendar => "Calendar",
            Section::Inbox => "Inbox",
            Section::Clients => "Clients",
            Section::Settings => "Settings",
        }
    }

    /// The area a page belongs to, so the navigation stays lit on nested
    /// pages (a client's page, the team under settings).
    pub fn of(path: &str) -> Option<Section> {
        let first = path.trim_start_matches('/').split(['/', '?']).next()?;
        Some(match first {
            "" => Section::Dashboard,
            "calendar" | "day-sheet" => Section::Calendar,
            "inbox" => Section::Inbox,
            "clients" => Section::Clients,
            "settings" | "team" | "profile" | "dev" => Section::Settings,
            _ => return None,
        })
    }

    pub fn href(self) -> &'static str {
        match self {
            Section::Dashboard => "/",
            Section::Calendar => "/calendar",
            Section::Inbox => "/inbox",
            Section::Clients => "/clients",
            Section::Settings => "/settings",
        }
    }
}

#[component]
pub fn AppLayout() -> impl IntoView {
    let me: Me = Resource::new(|| (), |_| whoami());
    provide_context(me);
    crate::live::provide_live();
    let pathname = use_location().pathname;
    let current = move |s: Section| (Section::of(&pathname.read()) == Some(s)).then_some("page");
    // Effects run only in the browser: the attribute tells users' tools and the
    // end-to-end tests that the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // Wide screens show the navigation beside the page (it can be folded
    // away); narrow ones keep it in a drawer that opens over the page.
    let folded = RwSignal::new(false);
    let drawer = RwSignal::new(false);
    let narrow = RwSignal::new(false);
    Effect::new(move |_| narrow.set(is_narrow()));
    let expanded = move || {
        if narrow.get() {
            drawer.get()
        } else {
            !folded.get()
        }
    };
    let toggle = move |_| {
        narrow.set(is_narrow());
        if narrow.get_untracked() {
            drawer.update(|open| *open = !*open)
        } else {
            folded.update(|f| *f = !*f)
        }
    };

    view! {
        <div class="app" class:nav-collapsed=move || folded.get() class:nav-drawer-open=move || drawer.get()
            data-hydrated=move || hydrated.get().then_some("true")
            on:keydown=move |ev| if ev.key() == "Escape" && drawer.get_untracked() { drawer.set(false) }>
            // The router would treat "#main" as a navigation: move focus ourselves.
            <a class="skip-link" href="#main" on:click=move |ev| {
                ev.prevent_default();
                focus_main();
            }>"Skip to content"</a>
            <Shortcuts />
            <header class="topbar">
                <button
                    type="button"
                    class="nav-toggle"
                    aria-controls="primary-nav"
                    aria-expanded=move || expanded().to_string()
                    on:click=toggle
                >
                    <span class="visually-hidden">"Toggle navigation"</span>
                    <span aria-hidden="true">"☰"</span>
                </button>
                <a class="brand" href="/">"Frontdesk"</a>
                <GlobalSearch />
                <crate::live::LiveNote />
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await.ok().flatten().map(|m| view! { <AccountBar me=m /> })
                    })}
                </Suspense>
            </header>
            <nav id="primary-nav" class="sidebar" aria-label="Primary" on:click=move |_| drawer.set(false)>
                <ul>
                    {Section::ALL
                        .into_iter()
                        .map(|s| view! { <li><a href=s.href() aria-current=move || current(s)>{s.title()}</a></li> })
                        .collect_view()}
                </ul>
            </nav>
            <div class="drawer-backdrop" aria-hidden="true" on:click=move |_| drawer.set(false)></div>
            <main class="content" id="main" tabindex="-1">
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await.ok().flatten().map(|m| view! {
                            {(!m.email_verified).then(|| view! {
                                <p class="banner" role="status">
                                    {format!("Please verify {}: open the link we sent there. ", m.email)}
                                    <a href="/profile#email">"Send it again"</a>
                                </p>
                            })}
                            {m.two_factor_due.map(|due| view! {
                                <p class="banner" role="status">
                                    {format!("Your business requires two-factor sign-in from {}. ", due.format("%-d %B %Y"))}
                                    <a href="/profile#two-factor">"Set it up now"</a>
                                </p>
                            })}
                        })
                    })}
                </Suspense>
                <Outlet />
            </main>
        </div>
    }
}

/// Whether the screen is narrow enough for the navigation drawer (the
/// stylesheet's breakpoint).
fn is_narrow() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .match_media(crate::components::screen::NARROW)
            .ok()
            .flatten()
            .is_some_and(|m| m.matches())
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// The current business (with a switcher when there are several), the
/// person, and signing out. Plain forms: switching and signing out reload.
#[component]
fn AccountBar(me: SessionView) -> impl IntoView {
    let current = me.tenant.id;
    let switcher = (me.tenants.len() > 1).then(|| {
        view! {
            <form method="post" action=SwitchTenant::PATH class="switcher">
                <label class="visually-hidden" for="tenant-switch">"Business"</label>
                <select id="tenant-switch" name="tenant">
                    {me.tenants
                        .iter()
                        .map(|t| view! { <option value=t.id.to_string() selected=t.id == current>{t.name.clone()}</option> })
                        .collect_view()}
                </select>
                <button type="submit">"Switch"</button>
            </form>
        }
    });
    view! {
        <div class="account">
            {match switcher {
                Some(form) => form.into_any(),
                None => view! { <span class="tenant-name">{me.tenant.name.clone()}</span> }.into_any(),
            }}
            <a class="person" href="/profile" title=me.email.clone()>{me.name.clone()}</a>
            <form method="post" action=SignOut::PATH>
                <button type="submit" class="link">"Sign out"</button>
            </form>
        </div>
    }
}

/// Puts focus at the start of the page's content (the skip link's target).
fn focus_main() {
    crate::components::focus::focus_id("main");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_pages_light_their_section() {
        assert_eq!(Section::of("/"), Some(Section::Dashboard));
        assert_eq!(Section::of("/clients/0190"), Some(Section::Clients));
        assert_eq!(Section::of("/settings/audit-log"), Some(Section::Settings));
        assert_eq!(Section::of("/team"), Some(Section::Settings));
        assert_eq!(Section::of("/day-sheet"), Some(Section::Calendar));
        assert_eq!(Section::of("/nowhere"), None);
    }
}
