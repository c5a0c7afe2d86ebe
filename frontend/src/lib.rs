//! The browser entry point: takes over the server-rendered page.

mod error_reporting;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    if error_reporting::install() {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            error_reporting::report_panic(info);
        }));
    } else {
        console_error_panic_hook::set_once();
    }
    // Loads the chunk of the page at hand before taking the page over.
    leptos::mount::hydrate_lazy(app::App);
}
