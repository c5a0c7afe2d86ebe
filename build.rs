use std::{path::Path, process::Command};

fn main() {
    // The migrations are embedded with `sqlx::migrate!`: rebuild when one is added or changed.
    println!("cargo:rerun-if-changed=migrations");
    // Error reports name the release: the commit built, unless the build names one.
    println!("cargo:rerun-if-env-changed=FRONTDESK_RELEASE");
    for git in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if Path::new(git).exists() {
            println!("cargo:rerun-if-changed={git}");
        }
    }
    let release = std::env::var("FRONTDESK_RELEASE").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|commit| !commit.is_empty())
            .map(|commit| format!("frontdesk@{commit}"))
    });
    if let Some(release) = release {
        println!("cargo:rustc-env=FRONTDESK_RELEASE={release}");
    }
}
