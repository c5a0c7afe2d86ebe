//! The calendar view each person used last. It lives in a cookie named
//! after the person, so the server draws the right view on the first page
//! and people who share a computer keep their own.

use uuid::Uuid;

use super::Mode;

fn cookie_name(user: Uuid) -> String {
    format!("fd_calendar_{}", user.simple())
}

/// The view remembered for `user` in a `Cookie` header's text.
pub fn remembered(cookies: &str, user: Uuid) -> Option<Mode> {
    let name = cookie_name(user);
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| Mode::parse(value.trim()))
}

/// Remembers `mode` for `user` in this browser for a year.
pub fn remember(user: Uuid, mode: Mode) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(doc) = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!(
                "{}={}; Path=/calendar; Max-Age=31536000; SameSite=Lax",
                cookie_name(user),
                mode.key()
            ));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (user, mode);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_has_their_own_remembered_view() {
        let (ana, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let jar = format!(
            "session=abc; {}=week; {}=month",
            cookie_name(ana),
            cookie_name(ben)
        );
        assert_eq!(remembered(&jar, ana), Some(Mode::Week));
        assert_eq!(remembered(&jar, ben), Some(Mode::Month));
        assert_eq!(remembered("session=abc", ana), None);
        assert_eq!(
            remembered(&format!("{}=bogus", cookie_name(ana)), ana),
            None
        );
    }
}
