//! Whether the screen is a phone's (the stylesheet's breakpoint). A page
//! with a phone layout of its own draws only the layout the screen needs:
//! the browser keeps its answer in a cookie, so the server draws the first
//! page for it too. With no answer yet, both are drawn and the stylesheet
//! shows one.

use leptos::prelude::*;

/// The stylesheet's phone breakpoint.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const NARROW: &str = "(max-width: 720px)";
const COOKIE: &str = "fd_screen";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Unknown,
    Narrow,
    Wide,
}

impl Screen {
    /// The screen a `Cookie` header's text names.
    pub fn from_cookies(cookies: &str) -> Screen {
        let value = cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == COOKIE)
            .map(|(_, value)| value.trim());
        match value {
            Some("narrow") => Screen::Narrow,
            Some("wide") => Screen::Wide,
            _ => Screen::Unknown,
        }
    }

    /// Whether a layout for wide screens is wanted.
    pub fn wide(self) -> bool {
        self != Screen::Narrow
    }

    /// Whether a layout for phones is wanted.
    pub fn narrow(self) -> bool {
        self != Screen::Wide
    }
}

/// The cookies of the request being rendered (on the server) or of the page.
pub fn cookies() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    String::new()
}

/// The screen: first what the cookie says (so the page hydrates as it was
/// drawn), then what the browser measures, kept as the window changes.
pub fn use_screen() -> Signal<Screen> {
    let screen = RwSignal::new(Screen::from_cookies(&cookies()));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let measure = move || {
            use wasm_bindgen::JsCast;
            let narrow = window()
                .match_media(NARROW)
                .ok()
                .flatten()
                .is_some_and(|m| m.matches());
            let now = if narrow { Screen::Narrow } else { Screen::Wide };
            if screen.get_untracked() != now {
                screen.set(now);
            }
            // Written only when it would change: resizing fires this often.
            if Screen::from_cookies(&cookies()) == now {
                return;
            }
            if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
                let value = if narrow { "narrow" } else { "wide" };
                let _ = doc.set_cookie(&format!(
                    "{COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax"
                ));
            }
        };
        measure();
        let handle = window_event_listener(leptos::ev::resize, move |_| measure());
        on_cleanup(move || handle.remove());
    });
    screen.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_screen_and_anything_else_means_both_layouts() {
        assert_eq!(
            Screen::from_cookies("a=1; fd_screen=narrow"),
            Screen::Narrow
        );
        assert_eq!(Screen::from_cookies("fd_screen=wide; b=2"), Screen::Wide);
        assert_eq!(Screen::from_cookies("fd_screen=tall"), Screen::Unknown);
        assert_eq!(Screen::from_cookies(""), Screen::Unknown);
        assert!(Screen::Unknown.wide() && Screen::Unknown.narrow());
        assert!(!Screen::Narrow.wide() && !Screen::Wide.narrow());
    }
}
