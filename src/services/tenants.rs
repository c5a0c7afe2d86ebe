//! The signed-in user's tenants: who they are where, and switching between them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::{session::SessionAuth, Principal, Staff},
    domain::{
        account::{DisplayName, TimeZoneName},
        form::FieldErrors,
        free_time::parse_step,
        roles::{Action, Permission, RecordKind, Role},
        time_format::TimeFormat,
        views::{SessionView, TenantChoice},
    },
    error::AppError,
};

/// The signed-in user, their current tenant and every tenant they may switch to.
pub async fn session_view(deps: &Deps, staff: &Staff) -> Result<SessionView, AppError> {
    let mut tx = deps.system("session view", &Origin::default()).await?;
    let user = sqlx::query!(
        r#"SELECT u.name, u.email::text AS "email!",
             CASE WHEN EXISTS (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL)
               THEN NULL
               ELSE (SELECT t.two_factor_required_at + make_interval(days => t.two_factor_grace_days)
                     FROM tenants t WHERE t.id = $2) END AS "two_factor_due: DateTime<Utc>",
             u.email_verified_at IS NOT NULL AS "email_verified!"
           FROM users u WHERE u.id = $1"#,
        staff.user_id,
        staff.tenant_id,
    )
    .fetch_one(tx.conn())
    .await?;
    let tenants = memberships(tx.conn(), staff.user_id).await?;
    tx.commit().await?;
    let tenant = tenants
        .iter()
        .find(|t| t.id == staff.tenant_id)
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    Ok(SessionView {
        user_id: staff.user_id,
        name: user.name,
        email: user.email,
        tenant,
        tenants,
        two_factor_due: user.two_factor_due,
        email_verified: user.email_verified,
    })
}

async fn memberships(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<TenantChoice>, AppError> {
    Ok(sqlx::query_as!(
        TenantChoice,
        r#"SELECT t.id, t.name, t.slug, t.time_zone, t.time_format AS "time_format: TimeFormat",
                  m.role AS "role: Role"
           FROM memberships m JOIN tenants t ON t.id = m.tenant_id
           WHERE m.user_id = $1 ORDER BY t.name, t.id"#,
        user_id,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The session to continue with in `tenant`; `Forbidden` unless the user is a member there.
pub async fn switch(deps: &Deps, staff: &Staff, tenant: Uuid) -> Result<SessionAuth, AppError> {
    let mut tx = deps.system("switch tenant", &Origin::default()).await?;
    let generation = sqlx::query_scalar!(
        "SELECT u.session_generation FROM users u JOIN memberships m ON m.user_id = u.id \
         WHERE u.id = $1 AND m.tenant_id = $2",
        staff.user_id,
        tenant,
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    let generation = generation.ok_or(AppError::Forbidden)?;
    Ok(SessionAuth {
        user_id: staff.user_id,
        tenant_id: tenant,
        generation,
    })
}

/// The business's name, time zone and time format as a form sends them.
#[derive(Debug, Clone, Default)]
pub struct BusinessSettings {
    pub name: String,
    pub time_zone: String,
    pub time_format: String,
}

/// Renames the business or changes how it tells time (owners and admins).
pub async fn update_settings(
    deps: &Deps,
    staff: &Staff,
    input: &BusinessSettings,
    origin: &Origin,
) -> Result<(), AppError> {
    staff.require(Permission::ManageSettings)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name));
    let time_zone = errors.check("time_zone", TimeZoneName::parse(&input.time_zone));
    let time_format = errors.check("time_format", TimeFormat::parse(&input.time_format));
    let (Some(name), Some(time_zone), Some(time_format)) = (name, time_zone, time_format) else {
        return Err(AppError::Invalid(errors));
    };
    let mut tx = deps.work(staff, Permission::ManageSettings, origin).await?;
    let old = sqlx::query!(
        r#"SELECT name, time_zone, time_format AS "time_format: TimeFormat"
           FROM tenants WHERE id = $1 FOR UPDATE"#,
        staff.tenant_id,
    )
    .fetch_one(tx.conn())
    .await?;
    let changes = Changes::new()
        .field("name", Some(old.name.as_str()), Some(name.as_str()))
        .field(
            "time_zone",
            Some(old.time_zone.as_str()),
            Some(time_zone.as_str()),
        )
        .field(
            "time_format",
            Some(old.time_format.as_str()),
            Some(time_format.as_str()),
        );
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE tenants SET name = $2, time_zone = $3, time_format = $4 WHERE id = $1",
        staff.tenant_id,
        name.as_str(),
        time_zone.as_str(),
        time_format.as_str(),
    )
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "tenant.updated",
        entity_type: "tenant",
        entity_id: Some(staff.tenant_id),
        changes,
    })
    .await?;
    tx.changed_everything();
    tx.commit().await?;
    Ok(())
}

/// The minutes a click on the calendar snaps to and free slots are offered on.
pub async fn booking_step(deps: &Deps, who: &impl Principal) -> Result<u32, AppError> {
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let step = step_of(tx.conn(), who.tenant_id()).await?;
    tx.commit().await?;
    Ok(step)
}

pub(crate) async fn step_of(conn: &mut PgConnection, tenant: Uuid) -> Result<u32, AppError> {
    let step: i16 = sqlx::query_scalar!(
        "SELECT booking_step_minutes FROM tenants WHERE id = $1",
        tenant
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(step).unwrap_or(15))
}

/// Sets the booking step (owners and admins); `minutes` as the form sends it.
pub async fn set_booking_step(
    deps: &Deps,
    staff: &Staff,
    minutes: &str,
    origin: &Origin,
) -> Result<u32, AppError> {
    staff.require(Permission::ManageSettings)?;
    let step = parse_step(minutes).map_err(|e| AppError::field("booking_step", e))?;
    let mut tx = deps.work(staff, Permission::ManageSettings, origin).await?;
    let old = step_of(tx.conn(), staff.tenant_id).await?;
    if old == step {
        return Ok(step);
    }
    sqlx::query!(
        "UPDATE tenants SET booking_step_minutes = $2 WHERE id = $1",
        staff.tenant_id,
        step as i16,
    )
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "tenant.updated",
        entity_type: "tenant",
        entity_id: Some(staff.tenant_id),
        changes: Changes::new().field("booking_step_minutes", Some(old), Some(step)),
    })
    .await?;
    tx.changed_everything();
    tx.commit().await?;
    Ok(step)
}
