//! Server-side sessions (tower-sessions, stored in PostgreSQL).
//!
//! The cookie carries only a random id. The session remembers the user, the
//! tenant they work in, and the user's session generation: "sign out
//! everywhere" and password changes bump the generation, which ends every
//! older session at its next request.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::actor::Staff;
use crate::{db, domain::roles::Role, error::AppError};

const KEY: &str = "auth";

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
    session.insert(KEY, auth).await.map_err(session_error)
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
pub async fn resolve(
    session: &Session,
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(Staff, bool)>, AppError> {
    let Some(auth) = session
        .get::<SessionAuth>(KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let mut tx = db::begin_system(pool, "resolve session").await?;
    let row: Option<(i32, Option<String>, bool)> = sqlx::query_as(
        "SELECT u.session_generation, m.role, \
           coalesce(t.two_factor_required_at + make_interval(days => t.two_factor_grace_days) <= $3 \
             AND NOT EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL), \
             false) \
         FROM users u \
         LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2 \
         LEFT JOIN tenants t ON t.id = m.tenant_id \
         WHERE u.id = $1",
    )
    .bind(auth.user_id)
    .bind(auth.tenant_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let staff = match row {
        Some((generation, _, _)) if generation != auth.generation => None,
        None => None,
        Some((_, Some(role), overdue)) => Some((
            Staff {
                user_id: auth.user_id,
                tenant_id: auth.tenant_id,
                role: parse_role(&role)?,
            },
            overdue,
        )),
        // Removed from this tenant: continue in another one, if any (its
        // two-factor requirement is checked from the next request on).
        Some((_, None, _)) => {
            let other: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT tenant_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at LIMIT 1",
            )
            .bind(auth.user_id)
            .fetch_optional(&mut *tx)
            .await?;
            match other {
                Some((tenant_id, role)) => {
                    let staff = Staff {
                        user_id: auth.user_id,
                        tenant_id,
                        role: parse_role(&role)?,
                    };
                    start(session, SessionAuth { tenant_id, ..auth }).await?;
                    Some((staff, false))
                }
                None => None,
            }
        }
    };
    tx.commit().await?;
    if staff.is_none() {
        end(session).await?;
    }
    Ok(staff)
}

pub(crate) fn parse_role(text: &str) -> Result<Role, AppError> {
    text.parse().map_err(AppError::internal)
}
