//! The business's requirement of two-factor sign-in, set by its owners.

use chrono::{DateTime, Utc};

use crate::services::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Staff,
    domain::{
        roles::{Permission, Role},
        two_factor::TwoFactorPolicyView,
    },
    error::AppError,
};

/// The business's requirement and who does not meet it yet (owners).
pub async fn policy(deps: &Deps, staff: &Staff) -> Result<TwoFactorPolicyView, AppError> {
    require_owner(staff)?;
    let mut tx = deps.system("two-factor policy", &Origin::default()).await?;
    let tenant = sqlx::query!(
        r#"SELECT two_factor_required_at AS "required_since: DateTime<Utc>", two_factor_grace_days
           FROM tenants WHERE id = $1"#,
        staff.tenant_id,
    )
    .fetch_one(tx.conn())
    .await?;
    let members_without: Vec<String> = sqlx::query_scalar!(
        "SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tenant_id = $1 AND NOT EXISTS \
           (SELECT 1 FROM user_totp x WHERE x.user_id = u.id AND x.enabled_at IS NOT NULL) \
         ORDER BY lower(u.name)",
        staff.tenant_id
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(TwoFactorPolicyView {
        required_since: tenant.required_since,
        grace_days: tenant.two_factor_grace_days,
        members_without,
    })
}

/// Requires two-factor sign-in from every member after `grace_days`, or not.
pub async fn set_policy(
    deps: &Deps,
    staff: &Staff,
    required: bool,
    grace_days: i32,
    origin: &Origin,
) -> Result<(), AppError> {
    require_owner(staff)?;
    if !(0..=90).contains(&grace_days) {
        return Err(AppError::field(
            "grace_days",
            "the grace period is 0 to 90 days",
        ));
    }
    let mut tx = deps.work(staff, Permission::ManageSettings, origin).await?;
    sqlx::query!(
        "UPDATE tenants SET two_factor_grace_days = $2, two_factor_required_at = CASE \
           WHEN NOT $3 THEN NULL ELSE coalesce(two_factor_required_at, $4) END WHERE id = $1",
        staff.tenant_id,
        grace_days,
        required,
        deps.clock.now() as _
    )
    .execute(tx.conn())
    .await?;
    // Every member's standing depends on the requirement.
    let members = sqlx::query_scalar!(
        "SELECT user_id FROM memberships WHERE tenant_id = $1",
        staff.tenant_id
    )
    .fetch_all(tx.conn())
    .await?;
    for member in members {
        tx.access_changed(member);
    }
    tx.audit(Entry {
        action: "tenant.two_factor_policy_changed",
        entity_type: "tenant",
        entity_id: Some(staff.tenant_id),
        changes: Changes::new()
            .field("two_factor_required", None::<bool>, Some(required))
            .field("two_factor_grace_days", None::<i32>, Some(grace_days)),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

fn require_owner(staff: &Staff) -> Result<(), AppError> {
    if staff.role == Role::Owner {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
