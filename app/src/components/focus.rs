//! Moving focus where the person's next step is, once the element is on the page.

/// Focuses the element with this id on the next frame, after the view that
/// renders it has been put in the page.
pub fn focus_id(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let id = id.to_string();
        leptos::prelude::request_animation_frame(move || {
            if let Some(el) = leptos::prelude::document()
                .get_element_by_id(&id)
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
