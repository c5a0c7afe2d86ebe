//! The signed-in user's tenants: who they are where, and switching between them.

use uuid::Uuid;

use super::Deps;
use crate::{
    auth::{session::SessionAuth, Staff},
    db,
    domain::views::{SessionView, TenantChoice},
    error::AppError,
};

/// The signed-in user, their current tenant and every tenant they may switch to.
pub async fn session_view(deps: &Deps, staff: &Staff) -> Result<SessionView, AppError> {
    let mut tx = db::begin_system(&deps.pool, "session view").await?;
    let (name, email): (String, String) =
        sqlx::query_as("SELECT name, email::text FROM users WHERE id = $1")
            .bind(staff.user_id)
            .fetch_one(&mut *tx)
            .await?;
    let tenants = memberships(&mut tx, staff.user_id).await?;
    tx.commit().await?;
    let tenant = tenants
        .iter()
        .find(|t| t.id == staff.tenant_id)
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    Ok(SessionView {
        user_id: staff.user_id,
        name,
        email,
        tenant,
        tenants,
    })
}

async fn memberships(tx: &mut db::TenantTx, user_id: Uuid) -> Result<Vec<TenantChoice>, AppError> {
    let rows: Vec<(Uuid, String, String, String, String)> = sqlx::query_as(
        "SELECT t.id, t.name, t.slug, t.time_zone, m.role FROM memberships m \
         JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY t.name, t.id",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(id, name, slug, time_zone, role)| {
            Ok(TenantChoice {
                id,
                name,
                slug,
                time_zone,
                role: crate::auth::session::parse_role(&role)?,
            })
        })
        .collect()
}

/// The session to continue with in `tenant`; `Forbidden` unless the user is a member there.
pub async fn switch(deps: &Deps, staff: &Staff, tenant: Uuid) -> Result<SessionAuth, AppError> {
    let mut tx = db::begin_system(&deps.pool, "switch tenant").await?;
    let generation: Option<i32> = sqlx::query_scalar(
        "SELECT u.session_generation FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE u.id = $1 AND m.tenant_id = $2",
    )
    .bind(staff.user_id)
    .bind(tenant)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let generation = generation.ok_or(AppError::Forbidden)?;
    Ok(SessionAuth {
        user_id: staff.user_id,
        tenant_id: tenant,
        generation,
    })
}
