//! Tenant transactions: PostgreSQL itself confines them to one tenant.

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// The role tenant transactions switch to: no BYPASSRLS, owns no table, so
/// every row-level policy applies to it (see the tenants migration).
pub const APP_ROLE: &str = "frontdesk_app";

pub type TenantTx = Transaction<'static, Postgres>;

/// Begins a transaction that sees and writes only `tenant`'s rows.
///
/// Both settings are transaction-local, so they end with the transaction and
/// a pooled connection never carries one tenant's settings into the next use.
pub async fn begin_tenant(pool: &PgPool, tenant: Uuid) -> Result<TenantTx, sqlx::Error> {
    // The settings travel with BEGIN, in one round trip. `role` set this way
    // is the same as SET LOCAL ROLE; the tenant is a UUID formatted here, and
    // the role a constant, so nothing from outside reaches the statement.
    pool.begin_with(format!(
        "BEGIN; SELECT set_config('role', '{APP_ROLE}', true), set_config('app.tenant_id', '{tenant}', true)"
    ))
    .await
}

/// Begins a transaction on the system path: as the connecting role, across
/// tenants. For sign-in, sign-up, session checks and invitation look-ups
/// only; `reason` names the caller in the log.
pub async fn begin_system(pool: &PgPool, reason: &'static str) -> Result<TenantTx, sqlx::Error> {
    tracing::debug!(target: "frontdesk::system_path", reason, "system transaction");
    pool.begin_with("BEGIN; SELECT set_config('app.system', 'on', true)")
        .await
}

/// Within a system transaction, makes `tenant` the current tenant (so that
/// audit entries and tenant defaults land in it).
pub async fn enter_tenant(tx: &mut TenantTx, tenant: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
