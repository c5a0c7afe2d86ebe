//! The signed-in person's open sessions: which browser, from where, last
//! seen when; and ending one of them from another. Sessions belong to the
//! person, so this reads on the system path, always by their own user id.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{accounts::audit_own_account, Deps};
use crate::{
    audit::{Changes, Origin},
    auth::Staff,
    domain::views::SessionEntry,
    error::AppError,
};

/// Open sessions, most recently seen first; `current` marks the asking one.
pub async fn list(
    deps: &Deps,
    staff: &Staff,
    current: Option<Uuid>,
) -> Result<Vec<SessionEntry>, AppError> {
    let now = deps.clock.now();
    let idle = chrono::Duration::from_std(deps.config.auth.session_idle)
        .unwrap_or(chrono::Duration::days(7));
    let mut tx = deps.system("list sessions", &Origin::default()).await?;
    let rows = sqlx::query!(
        r#"SELECT s.id, s.user_agent, s.address, s.created_at AS "started_at: DateTime<Utc>",
                  s.last_seen_at AS "last_seen_at: DateTime<Utc>"
           FROM user_sessions s JOIN users u ON u.id = s.user_id
           WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.generation = u.session_generation
             AND s.last_seen_at > $2
           ORDER BY s.last_seen_at DESC, s.id DESC LIMIT 100"#,
        staff.user_id,
        (now - idle) as _,
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    let parser = woothee::parser::Parser::new();
    Ok(rows
        .into_iter()
        .map(|s| SessionEntry {
            id: s.id,
            browser: describe(&parser, &s.user_agent),
            address: s.address,
            started_at: s.started_at,
            last_seen_at: s.last_seen_at,
            current: Some(s.id) == current,
        })
        .collect())
}

/// "Firefox 133.0 on Linux"; the raw text when it is not a known browser.
fn describe(parser: &woothee::parser::Parser, agent: &str) -> String {
    match parser.parse(agent) {
        Some(ua) if ua.name != "UNKNOWN" && !ua.name.is_empty() => {
            let version = ua.version.split('.').next().unwrap_or_default();
            let os = if ua.os == "UNKNOWN" { "" } else { ua.os };
            match (version.is_empty() || version == "UNKNOWN", os.is_empty()) {
                (false, false) => format!("{} {version} on {os}", ua.name),
                (true, false) => format!("{} on {os}", ua.name),
                (false, true) => format!("{} {version}", ua.name),
                (true, true) => ua.name.to_string(),
            }
        }
        _ if agent.trim().is_empty() => "Unknown browser".into(),
        _ => agent.chars().take(80).collect(),
    }
}

/// Ends one of the person's own sessions; the browser holding it is signed
/// out at its next request.
pub async fn end(deps: &Deps, staff: &Staff, id: Uuid, origin: &Origin) -> Result<(), AppError> {
    let mut tx = deps.system("end session", origin).await?;
    let ended = sqlx::query!("UPDATE user_sessions SET ended_at = $3 WHERE id = $1 AND user_id = $2 AND ended_at IS NULL", id, staff.user_id, deps.clock.now() as _)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if ended == 0 {
        return Err(AppError::NotFound(
            "no such session of yours is open".into(),
        ));
    }
    tx.access_changed(staff.user_id);
    audit_own_account(
        &mut tx,
        staff,
        "user.session_ended",
        Changes::new().field("session", None, Some(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn browsers_read_naturally() {
        let parser = woothee::parser::Parser::new();
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe(&parser, chrome), "Chrome 131 on Windows 10");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(describe(&parser, firefox), "Firefox 133 on Linux");
        assert_eq!(describe(&parser, ""), "Unknown browser");
        assert_eq!(
            describe(&parser, "Frontdesk-Sync/1.0"),
            "Frontdesk-Sync/1.0"
        );
    }
}
