//! A modal dialog: opened with `showModal`, so focus moves into it, the page
//! behind is inert and Esc closes it; focus returns where it was on close.

use leptos::prelude::*;

#[component]
pub fn Modal(
    /// The id of the dialog's heading.
    labelled_by: &'static str,
    /// Called when the person asks to close it (Esc).
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    open_modally(dialog);
    view! {
        <dialog node_ref=dialog class="dialog" aria-labelledby=labelled_by
            on:cancel=move |ev: leptos::ev::Event| {
                // Closing is the page's decision: it removes the dialog.
                ev.prevent_default();
                on_close.run(());
            }>
            {children()}
        </dialog>
    }
}

/// Shows the dialog modally once it is in the page, and gives focus back to
/// the element that had it when the dialog goes away.
fn open_modally(dialog: NodeRef<leptos::html::Dialog>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let opener = StoredValue::new_local(
            document()
                .active_element()
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()),
        );
        let shown = StoredValue::new_local(None::<web_sys::HtmlDialogElement>);
        Effect::new(move |_| {
            if let Some(dialog) = dialog.get() {
                if !dialog.open() {
                    let _ = dialog.show_modal();
                }
                shown.set_value(Some(dialog));
            }
        });
        on_cleanup(move || {
            // The page stays inert while the dialog is modal: close it
            // before giving focus back.
            if let Some(dialog) = shown.try_get_value().flatten() {
                dialog.close();
            }
            if let Some(el) = opener.try_get_value().flatten() {
                let _ = el.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}
