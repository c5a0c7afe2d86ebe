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

fn session_error(err: tower_sessions::session::Error) -> AppError {
    AppError::internal(err)
}

/// Signs in (or changes privilege): a new session id, so an id planted or
/// seen before this point is worthless.
pub async fn start(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(KEY, auth).await.map_err(session_error)
}

/// Signs this session out and deletes it from the store.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The staff member this session belongs to, if it is still valid: the user
/// exists, the generation is current, and they are still a member of the
/// session's tenant (else of another of their tenants, else nothing).
pub async fn resolve(session: &Session, pool: &PgPool) -> Result<Option<Staff>, AppError> {
    let Some(auth) = session
        .get::<SessionAuth>(KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let mut tx = db::begin_system(pool, "resolve session").await?;
    let row: Option<(i32, Option<String>)> = sqlx::query_as(
        "SELECT u.session_generation, m.role FROM users u \
         LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $2 \
         WHERE u.id = $1",
    )
    .bind(auth.user_id)
    .bind(auth.tenant_id)
    .fetch_optional(&mut *tx)
    .await?;
    let staff = match row {
        Some((generation, _)) if generation != auth.generation => None,
        None => None,
        Some((_, Some(role))) => Some(Staff {
            user_id: auth.user_id,
            tenant_id: auth.tenant_id,
            role: parse_role(&role)?,
        }),
        // Removed from this tenant: continue in another one, if any.
        Some((_, None)) => {
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
                    Some(staff)
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
