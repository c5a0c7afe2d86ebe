//! Single-key shortcuts: `?` lists them; a key given to an element with
//! `data-shortcut` clicks it (the calendar's New appointment, Earlier,
//! Today and Later). They
//! never fire while one types in a field or a modal dialog is open.

use leptos::prelude::*;

use super::modal::Modal;

/// The keys, as the help lists them.
const KEYS: [(&str, &str); 7] = [
    ("/", "Find a client"),
    ("b", "Calendar: new appointment"),
    ("t", "Calendar: today"),
    ("p", "Calendar: earlier (previous day, week or month)"),
    ("n", "Calendar: later (next day, week or month)"),
    ("Esc", "Close a dialog or the search results"),
    ("?", "This list"),
];

#[component]
pub fn Shortcuts() -> impl IntoView {
    let help = RwSignal::new(false);
    listen(help);
    view! {
        <Show when=move || help.get()>
            <Modal labelled_by="shortcuts-title" on_close=Callback::new(move |_| help.set(false))>
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <dl class="shortcuts">
                    {KEYS.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
                </dl>
                <button type="button" on:click=move |_| help.set(false)>"Close"</button>
            </Modal>
        </Show>
    }
}

fn listen(help: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() || busy() {
                return;
            }
            let key = ev.key();
            if key == "?" {
                ev.prevent_default();
                help.set(true);
                return;
            }
            if key.chars().count() != 1 || !key.chars().all(|c| c.is_ascii_lowercase()) {
                return;
            }
            let target = document()
                .query_selector(&format!("[data-shortcut=\"{key}\"]"))
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(target) = target {
                ev.prevent_default();
                target.click();
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = help;
}

/// Whether keys belong to something else: a text field has focus or a modal
/// dialog is open.
#[cfg(feature = "hydrate")]
fn busy() -> bool {
    typing()
        || document()
            .query_selector("dialog:modal")
            .ok()
            .flatten()
            .is_some()
}

/// Whether the focused element takes text (then a key is a character).
#[cfg(feature = "hydrate")]
pub(crate) fn typing() -> bool {
    document().active_element().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || el.get_attribute("contenteditable").is_some()
    })
}
