//! The unit of work: the one way a service touches the database.
//!
//! Opening one checks the permission and begins the transaction; while it is
//! open a service runs queries, records audit entries, marks what changed and
//! enqueues jobs. [`Work::commit`] commits, then bumps the cache generations
//! of what was marked, having woken the workers with one notification that
//! PostgreSQL delivers on commit. Dropping a unit without committing rolls
//! everything back and runs none of the after-commit effects.
//!
//! The transaction itself never leaves this module: no service can begin or
//! commit one on its own.

use std::{collections::BTreeSet, future::Future};

use serde::{de::DeserializeOwned, Serialize};

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{self, Actor, Entry, Origin},
    auth::Principal,
    cache::{Cache, Entity, Namespace},
    domain::{
        live::{Change, Topic},
        roles::Permission,
    },
    error::AppError,
    jobs::{queue, Job, NewJob},
    live,
};

/// The role tenant transactions switch to: no BYPASSRLS, owns no table, so
/// every row-level policy applies to it (see the tenants migration).
pub const APP_ROLE: &str = "frontdesk_app";

type Tx = Transaction<'static, Postgres>;

/// What a unit may do, and what its commit requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A change by a person or key: commits only with an audit entry.
    Change,
    /// Schedules, jobs, sign-in and tools, across businesses.
    System,
}

/// An open unit of work. See the module documentation.
#[must_use = "a unit of work does nothing unless committed"]
pub struct Work<'a> {
    tx: Tx,
    kind: Kind,
    tenant: Option<Uuid>,
    actor: Actor,
    origin: Origin,
    cache: Option<&'a Cache>,
    max_attempts: i32,
    audited: bool,
    changed: BTreeSet<(Uuid, Entity)>,
    changed_all: BTreeSet<Uuid>,
    /// The kinds of the jobs enqueued: the workers are told on commit.
    woken: BTreeSet<String>,
    /// What open pages are told of, written to the outbox on commit
    /// (unless live updates are off).
    announced: Vec<(Uuid, Change)>,
    live: bool,
}

/// A read-only unit: queries in one tenant's transaction, nothing else.
#[must_use = "a read does nothing unless its connection is used"]
pub struct Read {
    tx: Tx,
    tenant: Uuid,
}

impl Deps {
    /// Opens a change on behalf of `who`, who must hold `permission`; the
    /// transaction begins only once that is checked.
    pub async fn work(
        &self,
        who: &impl Principal,
        permission: Permission,
        origin: &Origin,
    ) -> Result<Work<'_>, AppError> {
        who.require(permission)?;
        let tx = begin_tenant(&self.pool, who.tenant_id()).await?;
        let mut work = Work::new(tx, Kind::Change, Some(who.tenant_id()), who.actor());
        work.origin = origin.clone();
        Ok(work.with(self))
    }

    /// Opens a read on behalf of `who`, who must hold `permission`.
    pub async fn read(
        &self,
        who: &impl Principal,
        permission: Permission,
    ) -> Result<Read, AppError> {
        who.require(permission)?;
        Ok(Read {
            tx: begin_tenant(&self.pool, who.tenant_id()).await?,
            tenant: who.tenant_id(),
        })
    }

    /// A value of `who`'s business through the cache (`ns`, `params`): the
    /// permission is checked first, even for a cached value; on a miss,
    /// `compute` gets a read in the business.
    pub async fn read_cached<T, F, Fut>(
        &self,
        who: &impl Principal,
        permission: Permission,
        ns: Namespace,
        params: &str,
        compute: F,
    ) -> Result<T, AppError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Read) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        who.require(permission)?;
        self.cache
            .get_or_compute(ns, who.tenant_id(), params, || async {
                compute(self.read(who, permission).await?).await
            })
            .await
    }

    /// Opens a unit for the system's own work in one business (a job's):
    /// confined to `tenant` like a person's, audited as the system, and
    /// committed without an audit entry where there is nothing to record.
    pub async fn in_business(
        &self,
        tenant: Uuid,
        reason: &'static str,
    ) -> Result<Work<'_>, AppError> {
        Ok(Work::business(&self.pool, tenant, reason).await?.with(self))
    }

    /// Opens a unit on the system path: across businesses, as the system,
    /// for schedules, jobs, sign-in and tools. `reason` names the caller in
    /// the log; [`Work::enter_tenant`] makes one business current.
    pub async fn system(
        &self,
        reason: &'static str,
        origin: &Origin,
    ) -> Result<Work<'_>, AppError> {
        let mut work = Work::system(&self.pool, reason).await?;
        work.origin = origin.clone();
        Ok(work.with(self))
    }
}

impl Work<'static> {
    /// A system unit for tools and the platform's own tables (the job
    /// queue, sessions, schedule runs): it bumps no cache.
    pub async fn system(pool: &PgPool, reason: &'static str) -> Result<Self, sqlx::Error> {
        let tx = crate::db::begin_system(pool, reason).await?;
        Ok(Work::new(tx, Kind::System, None, Actor::System))
    }

    /// A system unit confined to `tenant`'s rows, for tools: it bumps no cache.
    pub async fn business(
        pool: &PgPool,
        tenant: Uuid,
        reason: &'static str,
    ) -> Result<Self, sqlx::Error> {
        tracing::debug!(target: "frontdesk::system_path", reason, %tenant, "system work in a business");
        let tx = begin_tenant(pool, tenant).await?;
        Ok(Work::new(tx, Kind::System, Some(tenant), Actor::System))
    }

    fn new(tx: Tx, kind: Kind, tenant: Option<Uuid>, actor: Actor) -> Self {
        Work {
            tx,
            kind,
            tenant,
            actor,
            origin: Origin::default(),
            cache: None,
            max_attempts: queue::DEFAULT_ATTEMPTS,
            audited: false,
            changed: BTreeSet::new(),
            changed_all: BTreeSet::new(),
            announced: Vec::new(),
            live: true,
            woken: BTreeSet::new(),
        }
    }

    /// Bumps `deps`' cache after commit and gives jobs its configured attempts.
    fn with(self, deps: &Deps) -> Work<'_> {
        Work {
            cache: Some(&deps.cache),
            max_attempts: deps.config.jobs.max_attempts,
            live: deps.config.live.enabled,
            ..self
        }
    }
}

impl<'a> Work<'a> {
    /// The connection to run queries on.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The business this unit works in.
    ///
    /// # Panics
    /// On the system path before [`Work::enter_tenant`]: a programming error.
    pub fn tenant(&self) -> Uuid {
        self.tenant
            .expect("a system unit of work has no business until enter_tenant")
    }

    /// On the system path, makes `tenant` current (so that audit entries and
    /// tenant defaults land in it) and `actor` the one audit entries name.
    pub async fn enter_tenant(&mut self, tenant: Uuid, actor: Actor) -> Result<(), AppError> {
        sqlx::query_scalar!(
            "SELECT set_config('app.tenant_id', $1, true)",
            tenant.to_string()
        )
        .fetch_one(&mut *self.tx)
        .await?;
        self.tenant = Some(tenant);
        self.actor = actor;
        Ok(())
    }

    /// Appends `entry` to the current business's audit log, in this unit.
    /// Open pages of the business are told of it after commit.
    pub async fn audit(&mut self, entry: Entry<'_>) -> Result<Uuid, AppError> {
        if let (Some(_), Some(topic)) = (self.tenant, Topic::of_record(entry.entity_type)) {
            self.announce(Change {
                topic,
                id: entry.entity_id,
                action: entry.action.to_string(),
            });
        }
        let id = audit::record(&mut self.tx, self.actor, &self.origin, entry).await?;
        self.audited = true;
        Ok(id)
    }

    /// Tells the business's open pages of `change` once this unit commits
    /// (audited changes are told of by [`Work::audit`]).
    pub fn announce(&mut self, change: Change) {
        let entry = (self.tenant(), change);
        if !self.announced.contains(&entry) {
            self.announced.push(entry);
        }
    }

    /// Drops, after commit, every cached value built on `entity` in this business.
    pub fn changed(&mut self, entity: Entity) {
        let tenant = self.tenant();
        self.changed.insert((tenant, entity));
    }

    /// Drops, after commit, the cached standing of `user`'s sessions (see
    /// `auth::session`) on every instance: what they may do has changed.
    pub fn access_changed(&mut self, user: Uuid) {
        self.changed.insert((user, Entity::Access));
    }

    /// Drops, after commit, everything cached for this business.
    pub fn changed_everything(&mut self) {
        let tenant = self.tenant();
        self.changed_all.insert(tenant);
    }

    /// Adds `job` to the queue in this unit: it exists exactly when the unit
    /// commits. `None` when a pending or running job has its dedupe key.
    pub async fn enqueue<J: Job>(&mut self, job: NewJob<J>) -> Result<Option<Uuid>, AppError> {
        let tenant = self.tenant;
        let default_attempts = self.max_attempts;
        let id = queue::insert(&mut self.tx, job, tenant, default_attempts).await?;
        if id.is_some() {
            self.woken.insert(J::KIND.to_string());
        }
        Ok(id)
    }

    /// Rolls back now (dropping the unit does too, a little later).
    pub async fn rollback(self) -> Result<(), AppError> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Makes a dead job of this business pending again (see
    /// [`queue::retry_dead`]); the workers are woken on commit.
    pub async fn retry_dead_job(&mut self, job: Uuid) -> Result<queue::Requeue, AppError> {
        let tenant = self.tenant();
        let requeue = queue::retry_dead(&mut self.tx, tenant, job).await?;
        if let queue::Requeue::Done(kind) = &requeue {
            self.woken.insert(kind.clone());
        }
        Ok(requeue)
    }

    /// Gives up on a dead job of this business; its kind, `None` when there
    /// is no such dead job.
    pub async fn discard_dead_job(&mut self, job: Uuid) -> Result<Option<String>, AppError> {
        let tenant = self.tenant();
        Ok(queue::discard_dead(&mut self.tx, tenant, job).await?)
    }

    /// Commits; then drops the cached values of what was marked. Workers
    /// are woken once, by a notification PostgreSQL delivers on commit.
    ///
    /// A change by a person or key without an audit entry is refused (and
    /// rolled back): every change to a business's data leaves one.
    pub async fn commit(mut self) -> Result<(), AppError> {
        if self.kind == Kind::Change && !self.audited {
            tracing::error!("a change was about to commit without an audit entry");
            return Err(AppError::internal(
                "a change was about to commit without an audit entry",
            ));
        }
        if !self.woken.is_empty() {
            let kinds: Vec<&str> = self.woken.iter().map(String::as_str).collect();
            queue::notify(&mut self.tx, &kinds.join(",")).await?;
        }
        // Last: it holds the outbox's order lock until the commit.
        if self.live {
            live::outbox::write(&mut self.tx, &self.announced).await?;
        }
        self.tx.commit().await?;
        if let Some(cache) = self.cache {
            for tenant in &self.changed_all {
                cache.invalidate_all(*tenant).await;
            }
            for (tenant, entity) in &self.changed {
                if !self.changed_all.contains(tenant) {
                    cache.invalidate(*tenant, *entity).await;
                }
            }
        }
        Ok(())
    }
}

impl Read {
    /// The connection to run queries on.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The business this read is in.
    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    /// Ends the read (dropping it does too; this returns the connection clean).
    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Begins a transaction that sees and writes only `tenant`'s rows.
///
/// Both settings are transaction-local, so they end with the transaction and
/// a pooled connection never carries one tenant's settings into the next use.
async fn begin_tenant(pool: &PgPool, tenant: Uuid) -> Result<Tx, sqlx::Error> {
    // The settings travel with BEGIN, in one round trip. `role` set this way
    // is the same as SET LOCAL ROLE; the tenant is a UUID formatted here, and
    // the role a constant, so nothing from outside reaches the statement.
    crate::db::begin(pool, format!(
        "BEGIN; SELECT set_config('role', '{APP_ROLE}', true), set_config('app.tenant_id', '{tenant}', true)"
    ))
    .await
}

/// Raw tenant transactions, for tests of the database's own policies
/// (row-level security, constraints) only.
#[cfg(feature = "testing")]
pub mod testing {
    use super::*;

    /// A transaction confined to `tenant`'s rows by PostgreSQL, as services get.
    pub async fn begin_tenant(pool: &PgPool, tenant: Uuid) -> Result<Tx, sqlx::Error> {
        super::begin_tenant(pool, tenant).await
    }

    /// A transaction on the system path.
    pub async fn begin_system(pool: &PgPool) -> Result<Tx, sqlx::Error> {
        crate::db::begin_system(pool, "test").await
    }

    /// Appends an audit entry in the transaction `conn` is in.
    pub async fn audit(
        conn: &mut PgConnection,
        actor: Actor,
        origin: &Origin,
        entry: Entry<'_>,
    ) -> Result<Uuid, sqlx::Error> {
        crate::audit::record(conn, actor, origin, entry).await
    }
}
