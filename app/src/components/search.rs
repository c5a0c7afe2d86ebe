//! The search field in the top bar, focused with `/` from any page: clients
//! by name, email or phone, the next appointments of those clients, and the
//! app's pages by name. Without JavaScript it submits to the clients list.

use frontdesk::domain::{
    roles::{Permission, Role},
    time_format::Clock,
    views::{AppointmentView, ClientView},
};
use leptos::prelude::*;

use crate::{
    components::time::session_clock,
    fns::clients::{quick_search, QUICK_CLIENTS},
    layout::use_me,
    url::encode,
};

/// A page the search offers: its name, address, other words for it, and
/// what a role needs to open it.
struct Page {
    title: &'static str,
    href: &'static str,
    words: &'static str,
    needs: Option<Permission>,
}

const PAGES: [Page; 15] = [
    Page {
        title: "Dashboard",
        href: "/",
        words: "today home start overview",
        needs: None,
    },
    Page {
        title: "Calendar",
        href: "/calendar",
        words: "appointments schedule book booking diary",
        needs: None,
    },
    Page {
        title: "Day sheets",
        href: "/day-sheet",
        words: "print list today",
        needs: None,
    },
    Page {
        title: "Clients",
        href: "/clients",
        words: "patients customers people",
        needs: None,
    },
    Page {
        title: "New client",
        href: "/clients/new",
        words: "add create patient customer",
        needs: None,
    },
    Page {
        title: "Inbox",
        href: "/inbox",
        words: "email mail messages conversations",
        needs: None,
    },
    Page {
        title: "Business settings",
        href: "/settings",
        words: "name time zone reminders booking step two-factor",
        needs: None,
    },
    Page {
        title: "Services",
        href: "/settings/services",
        words: "treatments prices length buffers",
        needs: None,
    },
    Page {
        title: "Providers",
        href: "/settings/providers",
        words: "staff working hours breaks time off holidays",
        needs: None,
    },
    Page {
        title: "Resources",
        href: "/settings/resources",
        words: "rooms chairs equipment",
        needs: None,
    },
    Page {
        title: "Team",
        href: "/team",
        words: "members roles invite colleagues",
        needs: None,
    },
    Page {
        title: "Your profile",
        href: "/profile",
        words: "password two-factor sessions email account",
        needs: None,
    },
    Page {
        title: "Audit log",
        href: "/settings/audit-log",
        words: "history changes who",
        needs: Some(Permission::ReadAuditLog),
    },
    Page {
        title: "API keys",
        href: "/settings/api-keys",
        words: "integrations tokens",
        needs: Some(Permission::ManageApiKeys),
    },
    Page {
        title: "Background jobs",
        href: "/settings/jobs",
        words: "emails queue failed schedules",
        needs: Some(Permission::ManageSettings),
    },
];

/// The pages whose name, or other words for it, start with what was typed.
fn pages_matching(query: &str, role: Option<Role>) -> Vec<&'static Page> {
    let query = query.trim().to_lowercase();
    PAGES
        .iter()
        .filter(|p| p.needs.is_none_or(|n| role.is_some_and(|r| r.allows(n))))
        .filter(|p| {
            let title = p.title.to_lowercase();
            title.starts_with(&query)
                || title
                    .split_whitespace()
                    .chain(p.words.split_whitespace())
                    .any(|w| w.starts_with(&query))
        })
        .take(3)
        .collect()
}

#[component]
pub fn GlobalSearch() -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let wanted = move || {
        let q = query.get();
        (q.trim().chars().count() >= 2).then_some(q)
    };
    let matches = LocalResource::new(move || {
        let q = wanted();
        async move {
            match q {
                None => Ok(Default::default()),
                Some(q) => quick_search(q).await,
            }
        }
    });
    let me = use_me();
    focus_on_slash(input);

    view! {
        <form role="search" method="get" action="/clients" class="global-search"
            on:focusout=move |ev| {
                // Closes once focus leaves the field and its results.
                if !focus_stays_inside(&ev) { open.set(false) }
            }>
            <label for="global-search" class="visually-hidden">"Find a client"</label>
            <input node_ref=input id="global-search" type="search" name="q" autocomplete="off"
                placeholder="Find a client" aria-keyshortcuts="/"
                aria-describedby="global-search-hint"
                on:input=move |ev| { query.set(event_target_value(&ev)); open.set(true); }
                on:focus=move |_| open.set(true)
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) } />
            <kbd id="global-search-hint" class="search-hint" aria-label="Shortcut: slash">"/"</kbd>
            <Show when=move || open.get() && wanted().is_some()>
                <div class="search-results" role="region" aria-label="Search results" aria-live="polite"
                    on:click=move |_| open.set(false)>
                    <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
                        {move || Suspend::new(async move {
                            let q = query.get_untracked();
                            let me = me.await.ok().flatten();
                            let clock = session_clock(me.as_ref());
                            let pages = pages_matching(&q, me.map(|m| m.role()));
                            match matches.await {
                                Err(e) => view! { <p class="form-error">{e.message}</p> }.into_any(),
                                Ok((clients, _)) if clients.is_empty() && pages.is_empty() => view! {
                                    <p class="muted">{format!("Nothing matches \u{201c}{}\u{201d}.", q.trim())}</p>
                                }.into_any(),
                                Ok((clients, upcoming)) => results(clients, upcoming, pages, &q, clock).into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </Show>
        </form>
    }
}

fn results(
    clients: Vec<ClientView>,
    upcoming: Vec<AppointmentView>,
    pages: Vec<&'static Page>,
    query: &str,
    clock: Clock,
) -> impl IntoView {
    let more = clients.len() > QUICK_CLIENTS;
    let all = format!("/clients?q={}", encode(query.trim()));
    view! {
        {(!clients.is_empty()).then(|| view! {
            <h2 class="search-heading" id="search-clients">"Clients"</h2>
            <ul aria-labelledby="search-clients">
                {clients.into_iter().take(QUICK_CLIENTS).map(|c| {
                    let contact = c.phone.clone().or(c.email.clone()).unwrap_or_default();
                    view! {
                        <li>
                            <a href=format!("/clients/{}", c.id)>
                                <span class="name">{c.name}</span>
                                <span class="muted">{contact}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {more.then(|| view! { <a class="all" href=all>"All matching clients"</a> })}
        })}
        {(!upcoming.is_empty()).then(|| view! {
            <h2 class="search-heading" id="search-appointments">"Next appointments"</h2>
            <ul aria-labelledby="search-appointments">
                {upcoming.into_iter().map(|a| {
                    let start = clock.local(a.starts_at);
                    let href = format!("/calendar?view=day&date={}", start.format("%Y-%m-%d"));
                    view! {
                        <li>
                            <a href=href class="stacked">
                                <span class="name">{a.client_name}</span>
                                <span class="muted">{format!("{} · {} with {}", clock.day_time(a.starts_at, "%a %-d %b"), a.service_name, a.provider_name)}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
        {(!pages.is_empty()).then(|| view! {
            <h2 class="search-heading" id="search-pages">"Pages"</h2>
            <ul aria-labelledby="search-pages">
                {pages.into_iter().map(|p| view! {
                    <li><a href=p.href><span class="name">{p.title}</span></a></li>
                }).collect_view()}
            </ul>
        })}
    }
}

/// Whether the focus moves to another element of the same search form.
fn focus_stays_inside(ev: &leptos::ev::FocusEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let form = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let next = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        matches!((form, next), (Some(form), Some(next)) if form.contains(Some(&next)))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// `/` anywhere but in a text field puts the cursor in the search field.
fn focus_on_slash(input: NodeRef<leptos::html::Input>) {
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() != "/"
                || ev.ctrl_key()
                || ev.meta_key()
                || ev.alt_key()
                || super::shortcuts::typing()
            {
                return;
            }
            if let Some(field) = input.get_untracked() {
                ev.prevent_default();
                let _ = field.focus();
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = input;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_found_by_name_or_other_words_and_role() {
        let titles = |q, r| {
            pages_matching(q, r)
                .iter()
                .map(|p| p.title)
                .collect::<Vec<_>>()
        };
        assert_eq!(titles("cal", Some(Role::Staff)), ["Calendar"]);
        assert_eq!(titles("rooms", Some(Role::Staff)), ["Resources"]);
        assert!(titles("audit", Some(Role::Staff)).is_empty());
        assert_eq!(titles("audit", Some(Role::Owner)), ["Audit log"]);
        assert!(titles("zzz", Some(Role::Owner)).is_empty());
    }
}
