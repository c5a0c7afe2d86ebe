//! The frame every page sits in: the header, the navigation and the main area.

use leptos::prelude::*;
use leptos_router::components::A;

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
pub fn AppLayout(children: Children) -> impl IntoView {
    // Effects run only in the browser: the attribute tells users' tools and the
    // end-to-end tests that the page is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let nav_open = RwSignal::new(true);

    view! {
        <div class="app" class:nav-collapsed=move || !nav_open.get() data-hydrated=move || hydrated.get().then_some("true")>
            <header class="topbar">
                <button
                    type="button"
                    class="nav-toggle"
                    aria-controls="primary-nav"
                    aria-expanded=move || nav_open.get().to_string()
                    on:click=move |_| nav_open.update(|open| *open = !*open)
                >
                    <span class="visually-hidden">"Toggle navigation"</span>
                    <span aria-hidden="true">"☰"</span>
                </button>
                <a class="brand" href="/">"Frontdesk"</a>
            </header>
            <nav id="primary-nav" class="sidebar" aria-label="Primary">
                <ul>
                    {Section::ALL
                        .into_iter()
                        .map(|s| view! { <li><A href=s.href() exact=true>{s.title()}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main class="content" id="main">{children()}</main>
        </div>
    }
}
