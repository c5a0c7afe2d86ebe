//! Where to send someone after signing in: a path on this site only.
//!
//! `next` comes from the address bar, so it is hostile until proven local.
//! It is parsed against a placeholder origin exactly as a browser would
//! resolve it; anything that lands elsewhere, or that carries whitespace or
//! control characters (which browsers drop or rewrite, turning `/\t/evil`
//! into `//evil`), falls back to the dashboard.

use url::Url;

const ORIGIN: &str = "https://frontdesk.invalid";

/// The local path (with query and fragment) `next` names, or `/`.
pub fn local_target(next: Option<&str>) -> String {
    next.and_then(parse).unwrap_or_else(|| "/".to_string())
}

/// `path?next=...`, with `next` encoded as a query value.
pub fn with_next(path: &str, next: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("{path}?next={encoded}")
}

fn parse(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.contains('\\')
        || next.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let base = Url::parse(ORIGIN).ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    // Rebuilt from the parsed parts, so what is sent back is what was checked.
    let mut target = resolved.path().to_string();
    // A path whose first segment is empty would read as `//host` again.
    if target.starts_with("//") {
        return None;
    }
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        target.push('#');
        target.push_str(fragment);
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::{local_target, with_next};

    #[test]
    fn local_paths_are_kept() {
        for path in ["/", "/team", "/clients?q=ann&page=2", "/calendar#today"] {
            assert_eq!(local_target(Some(path)), path);
        }
        assert_eq!(local_target(Some("/a/../team")), "/team");
        assert_eq!(local_target(None), "/");
        assert_eq!(
            with_next("/signin/code", "/clients?q=a b"),
            "/signin/code?next=%2Fclients%3Fq%3Da+b"
        );
    }

    #[test]
    fn anything_that_could_leave_the_site_goes_home() {
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\0/evil.example",
            "/\u{b}/evil.example",
            "/\u{c}/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(local_target(Some(hostile)), "/", "{hostile:?}");
        }
        // An encoded slash stays a path segment on this site.
        assert_eq!(local_target(Some("/%2F/evil.example")), "/%2F/evil.example");
    }
}
