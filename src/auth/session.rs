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
use crate::{
    cache::{Cache, Entity, Namespace},
    db,
    domain::roles::Role,
    error::AppError,
};

/// What resolving and ending sessions needs.
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'a> {
    pub pool: &'a PgPool,
    pub cache: &'a Cache,
    /// How often a session in use has its "last seen" written.
    pub refresh: std::time::Duration,
}

const KEY: &str = "auth";
/// The id of this session's row in `user_sessions` (what the profile lists).
const SID: &str = "sid";
/// The row of the session before its id changed (sign-in, privilege change).
const SID_PREV: &str = "sid_prev";

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
    deps: Sessions<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(sid) = current_id(session).await? {
        let mut tx = db::begin_system(deps.pool, "sign out").await?;
        end_record(&mut tx, sid, now).await?;
        tx.commit().await?;
    }
    if let Some(auth) = session
        .get::<SessionAuth>(KEY)
        .await
        .map_err(session_error)?
    {
        deps.cache.invalidate(auth.user_id, Entity::Access).await;
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

/// What a session's standing rests on: read from PostgreSQL on a miss and
/// cached per person and session ([`Namespace::Session`]) until their
/// access changes ([`Entity::Access`]: sign-out, sign-out everywhere, a new
/// password, a role change or removal, two-factor changes), on every
/// instance at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Standing {
    generation: i32,
    /// `None`: no longer a member of the session's business.
    role: Option<Role>,
    /// When the business's two-factor grace period ends, if it requires it.
    two_factor_due: Option<DateTime<Utc>>,
    has_two_factor: bool,
    /// Ended by its owner from another browser.
    ended: bool,
    /// `None`: the session has no record yet.
    last_seen_at: Option<DateTime<Utc>>,
}

async fn standing(
    pool: &PgPool,
    auth: SessionAuth,
    sid: Option<Uuid>,
) -> Result<Option<Standing>, AppError> {
    let mut tx = db::begin_system(pool, "resolve session").await?;
    let row = sqlx::query!(
        r#"SELECT u.session_generation, m.role AS "role?: Role",
             t.two_factor_required_at + make_interval(days => t.two_factor_grace_days)
               AS "two_factor_due?: DateTime<Utc>",
             EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL)
               AS "has_two_factor!",
             s.ended_at IS NOT NULL AS "ended!", s.last_seen_at AS "last_seen_at?: DateTime<Utc>"
           FROM users u
           LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2
           LEFT JOIN tenants t ON t.id = m.tenant_id
           LEFT JOIN user_sessions s ON s.id = $3 AND s.user_id = u.id
           WHERE u.id = $1"#,
        auth.user_id,
        auth.tenant_id,
        sid,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.map(|r| Standing {
        generation: r.session_generation,
        role: r.role,
        two_factor_due: r.two_factor_due,
        has_two_factor: r.has_two_factor,
        ended: r.ended,
        last_seen_at: r.last_seen_at,
    }))
}

/// The staff member this session belongs to, if it is still valid: the user
/// exists, the generation is current, and they are still a member of the
/// session's tenant (else of another of their tenants, else nothing).
///
/// Also says whether the business requires two-factor sign-in and this
/// person's grace period ended (as of the app's clock) without setting it up.
///
/// A session its owner ended from their profile resolves to nobody. Each
/// session is recorded (browser, address, last seen) for that list; "last
/// seen" moves on once per `SESSION_REFRESH_SECS`, so a request in between
/// reads the cache and writes nothing.
pub async fn resolve(
    session: &Session,
    deps: Sessions<'_>,
    now: DateTime<Utc>,
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
    // Keyed by the person: their access changing drops every session's.
    let params = format!(
        "{}:{}:{}",
        sid.map(|s| s.to_string()).unwrap_or_default(),
        auth.tenant_id,
        auth.generation
    );
    let standing = deps
        .cache
        .get_or_compute(Namespace::Session, auth.user_id, &params, || {
            standing(deps.pool, auth, sid)
        })
        .await?;
    let staff = match standing {
        None => None,
        Some(s) if s.generation != auth.generation || s.ended => None,
        Some(s) => match s.role {
            Some(role) => {
                let overdue = !s.has_two_factor && s.two_factor_due.is_some_and(|due| due <= now);
                let staff = Staff {
                    user_id: auth.user_id,
                    tenant_id: auth.tenant_id,
                    role,
                };
                let seen = sid.zip(s.last_seen_at);
                record(session, deps, auth, seen, now, meta).await?;
                Some((staff, overdue))
            }
            // Removed from this tenant: continue in another one, if any (its
            // two-factor requirement is checked from the next request on).
            None => move_to_another_business(session, deps, auth).await?,
        },
    };
    if staff.is_none() {
        end(session).await?;
    }
    Ok(staff)
}

/// The person was removed from the session's business: the session moves
/// to the first other business they belong to, if any.
async fn move_to_another_business(
    session: &Session,
    deps: Sessions<'_>,
    auth: SessionAuth,
) -> Result<Option<(Staff, bool)>, AppError> {
    let mut tx = db::begin_system(deps.pool, "resolve session").await?;
    let other = sqlx::query!(
        r#"SELECT tenant_id, role AS "role: Role" FROM memberships
           WHERE user_id = $1 ORDER BY created_at LIMIT 1"#,
        auth.user_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some(other) = other else {
        return Ok(None);
    };
    let tenant_id = other.tenant_id;
    start(session, SessionAuth { tenant_id, ..auth }).await?;
    let staff = Staff {
        user_id: auth.user_id,
        tenant_id,
        role: other.role,
    };
    Ok(Some((staff, false)))
}

/// Keeps the session's record: made on its first request (ending the one
/// it replaced), "last seen" moved on at most once per refresh. A write
/// drops the person's cached standing, so that the next request reads the
/// new "last seen".
async fn record(
    session: &Session,
    deps: Sessions<'_>,
    auth: SessionAuth,
    seen: Option<(Uuid, DateTime<Utc>)>,
    now: DateTime<Utc>,
    meta: &SessionMeta,
) -> Result<(), AppError> {
    let refresh = chrono::Duration::from_std(deps.refresh).unwrap_or(chrono::Duration::MAX);
    if let Some((_, last_seen)) = seen {
        if now - last_seen < refresh {
            return Ok(());
        }
    }
    let mut tx = db::begin_system(deps.pool, "record session").await?;
    match seen {
        Some((sid, _)) => {
            sqlx::query!(
                "UPDATE user_sessions SET last_seen_at = $2 WHERE id = $1",
                sid,
                now as _
            )
            .execute(&mut *tx)
            .await?;
        }
        None => {
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
            .execute(&mut *tx)
            .await?;
            if let Some(previous) = session
                .remove::<Uuid>(SID_PREV)
                .await
                .map_err(session_error)?
            {
                end_record(&mut tx, previous, now).await?;
            }
            session.insert(SID, id).await.map_err(session_error)?;
        }
    }
    tx.commit().await?;
    deps.cache.invalidate(auth.user_id, Entity::Access).await;
    Ok(())
}

/// Marks the session record `sid` ended (for the profile's list).
async fn end_record(tx: &mut db::SystemTx, sid: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
        sid,
        now as _
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
