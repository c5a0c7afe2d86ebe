//! Server-side sessions (tower-sessions, stored in PostgreSQL).
//!
//! The cookie carries only a random id. The session remembers the user, the
//! tenant they work in, and the user's session generation: "sign out
//! everywhere" and password changes bump the generation, which ends every
//! older session at its next request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::actor::Staff;
use crate::{db, domain::roles::Role, error::AppError};

const KEY: &str = "auth";
/// The id of this session's row in `user_sessions` (what the profile lists).
const SID: &str = "sid";
/// The row of the session before its id changed (sign-in, privilege change).
const SID_PREV: &str = "sid_prev";
/// How often a session's "last seen" is written: once a minute at most.
const SEEN_EVERY_SECS: i64 = 60;

/// Where a request comes from, recorded for the person's list of sessions.
#[derive(Debug, Clone, Default)]
pub struct SessionMeta {
    pub user_agent: String,
    pub address: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub generation: i32,
}

/// The store is PostgreSQL: when it cannot be reached, that is an outage
/// (503, try again), not a fault in the app.
fn session_error(err: tower_sessions::session::Error) -> AppError {
    match err {
        tower_sessions::session::Error::Store(err) => {
            tracing::warn!(error = %err, "session store unavailable");
            AppError::Unavailable("the database is unavailable; try again shortly".into())
        }
        other => AppError::internal(other),
    }
}

/// Signs in (or changes privilege): a new session id, so an id planted or
/// seen before this point is worthless.
pub async fn start(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    // The next request records the session anew and ends the old record.
    if let Some(sid) = session.remove::<Uuid>(SID).await.map_err(session_error)? {
        session.insert(SID_PREV, sid).await.map_err(session_error)?;
    }
    session.insert(KEY, auth).await.map_err(session_error)
}

/// The id of this session's record, once the first request recorded it.
pub async fn current_id(session: &Session) -> Result<Option<Uuid>, AppError> {
    session.get::<Uuid>(SID).await.map_err(session_error)
}

/// Signs out: the record says so, and the session is deleted.
pub async fn sign_out(
    session: &Session,
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    if let Some(sid) = current_id(session).await? {
        let mut tx = db::begin_system(pool, "sign out").await?;
        sqlx::query!(
            "UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
            sid,
            now as _
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    end(session).await
}

/// A sign-in whose password was right and whose second step is still to
/// come: kept in the session (under a new id) for [`PENDING_FOR`], and not
/// a sign-in until [`finish_pending`].
const PENDING: &str = "pending_sign_in";
pub const PENDING_FOR: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Pending {
    auth: SessionAuth,
    since: chrono::DateTime<chrono::Utc>,
}

/// The password was right; the second factor is still to be checked.
pub async fn start_pending(
    session: &Session,
    auth: SessionAuth,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .remove::<SessionAuth>(KEY)
        .await
        .map_err(session_error)?;
    session
        .insert(PENDING, Pending { auth, since: now })
        .await
        .map_err(session_error)
}

/// The sign-in waiting for its second step, if it has not expired.
pub async fn pending(
    session: &Session,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<SessionAuth>, AppError> {
    let pending: Option<Pending> = session.get(PENDING).await.map_err(session_error)?;
    Ok(pending
        .filter(|p| now - p.since < PENDING_FOR)
        .map(|p| p.auth))
}

/// The second step succeeded: the pending sign-in becomes the session.
pub async fn finish_pending(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session
        .remove::<Pending>(PENDING)
        .await
        .map_err(session_error)?;
    start(session, auth).await
}

/// Signs this session out and deletes it from the store.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The staff member this session belongs to, if it is still valid: the user
/// exists, the generation is current, and they are still a member of the
/// session's tenant (else of another of their tenants, else nothing).
///
/// Also says whether the business requires two-factor sign-in and this
/// person's grace period ended (as of `now`) without setting it up.
///
/// A session its owner ended from their profile resolves to nobody. Each
/// session is recorded (browser, address, last seen) for that list.
pub async fn resolve(
    session: &Session,
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
    meta: &SessionMeta,
) -> Result<Option<(Staff, bool)>, AppError> {
    let Some(auth) = session
        .get::<SessionAuth>(KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let sid = current_id(session).await?;
    let mut tx = db::begin_system(pool, "resolve session").await?;
    let row = sqlx::query!(
        r#"SELECT u.session_generation, m.role AS "role?: Role",
             coalesce(t.two_factor_required_at + make_interval(days => t.two_factor_grace_days) <= $3
               AND NOT EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL),
               false) AS "overdue!",
             s.ended_at IS NOT NULL AS "ended!", s.last_seen_at AS "last_seen_at?: DateTime<Utc>"
           FROM users u
           LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2
           LEFT JOIN tenants t ON t.id = m.tenant_id
           LEFT JOIN user_sessions s ON s.id = $4 AND s.user_id = u.id
           WHERE u.id = $1"#,
        auth.user_id,
        auth.tenant_id,
        now as _,
        sid,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let recorded = row
        .as_ref()
        .and_then(|r| r.last_seen_at.map(|seen| (r.ended, seen)));
    let staff = match row {
        None => None,
        Some(r) if r.session_generation != auth.generation => None,
        // Ended by its owner from another browser.
        Some(r) if r.ended => None,
        Some(r) => match r.role {
            Some(role) => Some((
                Staff {
                    user_id: auth.user_id,
                    tenant_id: auth.tenant_id,
                    role,
                },
                r.overdue,
            )),
            // Removed from this tenant: continue in another one, if any (its
            // two-factor requirement is checked from the next request on).
            None => {
                let other = sqlx::query!(
                    r#"SELECT tenant_id, role AS "role: Role" FROM memberships
                       WHERE user_id = $1 ORDER BY created_at LIMIT 1"#,
                    auth.user_id,
                )
                .fetch_optional(&mut *tx)
                .await?;
                match other {
                    Some(other) => {
                        let staff = Staff {
                            user_id: auth.user_id,
                            tenant_id: other.tenant_id,
                            role: other.role,
                        };
                        let tenant_id = other.tenant_id;
                        start(session, SessionAuth { tenant_id, ..auth }).await?;
                        Some((staff, false))
                    }
                    None => None,
                }
            }
        },
    };
    if staff.is_some() {
        record(session, &mut tx, auth, sid, recorded, now, meta).await?;
    }
    tx.commit().await?;
    if staff.is_none() {
        end(session).await?;
    }
    Ok(staff)
}

/// Keeps the session's record: made on its first request (ending the one
/// it replaced), "last seen" moved on at most once a minute.
async fn record(
    session: &Session,
    tx: &mut db::SystemTx,
    auth: SessionAuth,
    sid: Option<Uuid>,
    recorded: Option<(bool, chrono::DateTime<chrono::Utc>)>,
    now: chrono::DateTime<chrono::Utc>,
    meta: &SessionMeta,
) -> Result<(), AppError> {
    match (sid, recorded) {
        (Some(sid), Some((_, seen))) => {
            if (now - seen).num_seconds() >= SEEN_EVERY_SECS {
                sqlx::query!(
                    "UPDATE user_sessions SET last_seen_at = $2 WHERE id = $1",
                    sid,
                    now as _
                )
                .execute(&mut **tx)
                .await?;
            }
        }
        _ => {
            let id = Uuid::now_v7();
            let agent: String = meta.user_agent.chars().take(512).collect();
            sqlx::query!(
                "INSERT INTO user_sessions (id, user_id, generation, user_agent, address, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
                id,
                auth.user_id,
                auth.generation,
                agent,
                meta.address
                    .map(|a| a.to_canonical().to_string())
                    .unwrap_or_default(),
                now as _
            )
            .execute(&mut **tx)
            .await?;
            if let Some(previous) = session
                .remove::<Uuid>(SID_PREV)
                .await
                .map_err(session_error)?
            {
                sqlx::query!(
                    "UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
                    previous,
                    now as _
                )
                .execute(&mut **tx)
                .await?;
            }
            session.insert(SID, id).await.map_err(session_error)?;
        }
    }
    Ok(())
}
