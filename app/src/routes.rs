//! Addresses of the pages, and which of them work without signing in.

pub const SIGN_IN: &str = "/signin";
pub const SIGN_UP: &str = "/signup";
pub const FORGOT_PASSWORD: &str = "/forgot-password";
pub const RESET_PASSWORD: &str = "/reset-password";
pub const ACCEPT_INVITATION: &str = "/accept-invitation";

/// Pages for people who are not signed in.
pub const PUBLIC_PAGES: [&str; 5] = [
    SIGN_IN,
    SIGN_UP,
    FORGOT_PASSWORD,
    RESET_PASSWORD,
    ACCEPT_INVITATION,
];

pub fn is_public_page(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    PUBLIC_PAGES.contains(&path)
}

/// Where to go after signing in: a local path only, so a crafted link
/// cannot send people to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/team")), "/team");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert!(is_public_page("/signin/") && !is_public_page("/team"));
    }
}
