//! What a path is, as the layers need to know it.

/// Built assets and files from `public/`: no session needed.
pub fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/api/health")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}
