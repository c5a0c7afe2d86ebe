//! The search field in the top bar: clients by name, email or phone from any
//! page, focused with `/`. Without JavaScript it submits to the clients list.

use frontdesk::domain::views::ClientView;
use leptos::prelude::*;

use crate::{fns::clients::search_clients, url::encode};

/// How many matches the field shows; the clients page lists them all.
const SHOWN: usize = 6;

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
                None => Ok(Vec::new()),
                Some(q) => search_clients(q, None, None, None)
                    .await
                    .map(|page| page.clients.into_iter().take(SHOWN + 1).collect::<Vec<_>>()),
            }
        }
    });
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
                <div class="search-results" role="region" aria-label="Matching clients" aria-live="polite"
                    on:click=move |_| open.set(false)>
                    <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
                        {move || Suspend::new(async move {
                            let q = query.get_untracked();
                            match matches.await {
                                Err(e) => view! { <p class="form-error">{e.message}</p> }.into_any(),
                                Ok(found) if found.is_empty() => view! {
                                    <p class="muted">{format!("No client matches \u{201c}{}\u{201d}.", q.trim())}</p>
                                }.into_any(),
                                Ok(found) => results(found, &q).into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </Show>
        </form>
    }
}

fn results(found: Vec<ClientView>, query: &str) -> impl IntoView {
    let more = found.len() > SHOWN;
    let all = format!("/clients?q={}", encode(query.trim()));
    view! {
        <ul>
            {found.into_iter().take(SHOWN).map(|c| {
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
        {more.then(|| view! { <a class="all" href=all>"All matches"</a> })}
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
