//! Addresses of the pages, and which of them work without signing in.

pub const SIGN_IN: &str = "/signin";
/// The second step of signing in, for accounts with two-factor sign-in.
pub const SIGN_IN_CODE: &str = "/signin/code";
pub const SIGN_UP: &str = "/signup";
pub const FORGOT_PASSWORD: &str = "/forgot-password";
pub const RESET_PASSWORD: &str = "/reset-password";
pub const ACCEPT_INVITATION: &str = "/accept-invitation";
pub const VERIFY_EMAIL: &str = "/verify-email";

/// Pages for people who are not signed in.
pub const PUBLIC_PAGES: [&str; 7] = [
    SIGN_IN,
    SIGN_IN_CODE,
    SIGN_UP,
    FORGOT_PASSWORD,
    RESET_PASSWORD,
    ACCEPT_INVITATION,
    VERIFY_EMAIL,
];

pub fn is_public_page(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    PUBLIC_PAGES.contains(&path)
}

/// Where to go after signing in: a local path only, so a crafted link
/// cannot send people to another site.
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>) -> String {
    frontdesk::auth::redirect::local_target(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_pages_are_known() {
        assert!(is_public_page("/signin/") && !is_public_page("/team"));
    }
}
