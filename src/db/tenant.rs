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
    let mut tx = pool.begin().await?;
    // One round trip; `role` set this way is the same as SET LOCAL ROLE.
    sqlx::query("SELECT set_config('role', $1, true), set_config('app.tenant_id', $2, true)")
        .bind(APP_ROLE)
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
