//! The unit of work holds the house rules: the permission is checked before
//! any transaction, a change commits only with its audit entry, a rolled
//! back change leaves no trace, and a commit bumps exactly the marked cache
//! generations and wakes the workers once.

use crate::support;

use std::time::Duration;

use axum::Router;
use frontdesk::{
    audit::{Changes, Entry, Origin},
    auth::Staff,
    cache::Entity,
    domain::roles::{Action, Permission, RecordKind, Role},
    error::AppError,
    jobs::{queue::CHANNEL, NewJob},
    services::{
        clients::{self, ClientInput},
        jobs::Probe,
        Deps,
    },
};
use sqlx::postgres::PgListener;
use support::{count, sign_up, staff_of, TestApp};
use uuid::Uuid;

const CREATE_CLIENT: Permission = Permission::Record(RecordKind::Client, Action::Create);

/// A business with its owner, on a server whose workers do not run (the
/// tests look at the jobs a unit leaves).
async fn business() -> (TestApp, Staff) {
    // Only the unit's own bumps: no live-update listener bumping as well.
    let app = TestApp::spawn_with(
        |c| {
            c.jobs.in_serve = false;
            c.live.enabled = false;
        },
        Router::new(),
    )
    .await;
    let owner = sign_up(&app, "North Clinic", "owner@north.example").await;
    let staff = staff_of(&owner).await;
    (app, staff)
}

async fn generations(deps: &Deps, tenant: Uuid) -> Vec<Option<u64>> {
    let mut all = Vec::new();
    for entity in Entity::ALL {
        all.push(deps.cache.generation(tenant, entity).await);
    }
    all
}

async fn listen(app: &TestApp) -> PgListener {
    let mut listener = PgListener::connect_with(&app.deps.pool).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();
    listener
}

/// The notifications that arrive within half a second.
async fn notifications(listener: &mut PgListener) -> Vec<String> {
    let mut seen = Vec::new();
    while let Ok(Ok(note)) = tokio::time::timeout(Duration::from_millis(500), listener.recv()).await
    {
        seen.push(note.payload().to_string());
    }
    seen
}

fn entry(id: Uuid) -> Entry<'static> {
    Entry {
        action: "client.created",
        entity_type: "client",
        entity_id: Some(id),
        changes: Changes::new().field("name", None, Some("Mia Novak")),
    }
}

async fn insert_client(work: &mut frontdesk::services::Work<'_>, id: Uuid) {
    let tenant = work.tenant();
    sqlx::query("INSERT INTO clients (id, tenant_id, name) VALUES ($1, $2, 'Mia Novak')")
        .bind(id)
        .bind(tenant)
        .execute(work.conn())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_fails_after_its_audit_entry_leaves_no_entry_no_bump_and_no_job() {
    let (app, staff) = business().await;
    let tenant = staff.tenant_id;
    let audited = count(&app.deps.pool, "SELECT count(*) FROM audit_log").await;
    let before = generations(&app.deps, tenant).await;
    let mut listener = listen(&app).await;

    let failed: Result<(), AppError> = async {
        let mut work = app
            .deps
            .work(&staff, CREATE_CLIENT, &Origin::default())
            .await?;
        let id = Uuid::now_v7();
        insert_client(&mut work, id).await;
        work.audit(entry(id)).await?;
        work.changed(Entity::Clients);
        work.enqueue(NewJob::new(Probe::default())).await?;
        // Fails after the audit entry: the unit is dropped uncommitted.
        sqlx::query("SELECT 1 / 0").execute(work.conn()).await?;
        work.commit().await
    }
    .await;
    assert!(failed.is_err());

    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM audit_log").await,
        audited
    );
    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM clients").await,
        0
    );
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'queue.probe'"
        )
        .await,
        0
    );
    assert_eq!(
        generations(&app.deps, tenant).await,
        before,
        "no generation bumped"
    );
    assert_eq!(
        notifications(&mut listener).await,
        Vec::<String>::new(),
        "no worker woken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_change_bumps_exactly_the_marked_generations_and_wakes_workers_once() {
    let (app, staff) = business().await;
    let tenant = staff.tenant_id;
    let before = generations(&app.deps, tenant).await;
    let mut listener = listen(&app).await;

    let mut work = app
        .deps
        .work(&staff, CREATE_CLIENT, &Origin::default())
        .await
        .unwrap();
    let id = Uuid::now_v7();
    insert_client(&mut work, id).await;
    work.audit(entry(id)).await.unwrap();
    work.changed(Entity::Clients);
    work.changed(Entity::Clients);
    work.enqueue(NewJob::new(Probe::default())).await.unwrap();
    work.enqueue(NewJob::new(Probe { hold_ms: 1 }))
        .await
        .unwrap();
    work.commit().await.unwrap();

    let after = generations(&app.deps, tenant).await;
    for (i, entity) in Entity::ALL.iter().enumerate() {
        let bumped = after[i].unwrap_or(0) - before[i].unwrap_or(0);
        let expected = u64::from(*entity == Entity::Clients);
        assert_eq!(bumped, expected, "{entity:?}: bumped {bumped} times");
    }
    assert_eq!(
        notifications(&mut listener).await,
        vec!["queue.probe".to_string()],
        "one notification for the unit's two jobs"
    );
    assert_eq!(
        count(
            &app.deps.pool,
            "SELECT count(*) FROM jobs WHERE kind = 'queue.probe'"
        )
        .await,
        2
    );
    let actor: (String, Option<Uuid>) =
        sqlx::query_as("SELECT actor_kind, actor_id FROM audit_log WHERE entity_id = $1")
            .bind(id)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(actor, ("user".to_string(), Some(staff.user_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_without_its_audit_entry_does_not_commit() {
    let (app, staff) = business().await;
    let mut work = app
        .deps
        .work(&staff, CREATE_CLIENT, &Origin::default())
        .await
        .unwrap();
    insert_client(&mut work, Uuid::now_v7()).await;
    work.changed(Entity::Clients);
    let refused = work.commit().await;
    assert!(matches!(refused, Err(AppError::Internal(_))), "{refused:?}");
    assert_eq!(
        count(&app.deps.pool, "SELECT count(*) FROM clients").await,
        0,
        "rolled back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_called_without_the_permission_never_opens_a_transaction() {
    let (app, owner) = business().await;
    let reader = Staff {
        role: Role::Reader,
        ..owner
    };
    // With the pool closed, any transaction fails: only a check made before
    // opening one can answer.
    app.deps.pool.close().await;
    let input = ClientInput {
        name: "Mia Novak".into(),
        ..Default::default()
    };
    let refused = clients::create(&app.deps, &reader, &input, &Origin::default()).await;
    assert!(matches!(refused, Err(AppError::Forbidden)), "{refused:?}");
    let refused = app.deps.read(&reader, Permission::ReadAuditLog).await.err();
    assert!(matches!(refused, Some(AppError::Forbidden)), "{refused:?}");
    // The owner may: the closed pool is reached, and fails.
    let failed = clients::create(&app.deps, &owner, &input, &Origin::default()).await;
    assert!(
        failed.is_err() && !matches!(failed, Err(AppError::Forbidden)),
        "{failed:?}"
    );
}

/// A request cancelled while its transaction is beginning (the client went
/// away, a timeout fired) must not hand the connection back to the pool
/// inside that transaction, its role and tenant still set for the next user.
#[tokio::test]
async fn a_transaction_cancelled_while_beginning_leaves_its_connection_clean() {
    let db = support::TestDb::create().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    // The sleep holds the answer to BEGIN back long enough to cancel the wait.
    let slow_begin = "BEGIN; SELECT set_config('app.probe', 'left over', true), pg_sleep(0.3)";
    let waited = tokio::time::timeout(
        Duration::from_millis(100),
        frontdesk::db::begin_for_test(&pool, slow_begin),
    )
    .await;
    assert!(
        waited.is_err(),
        "the begin was expected to be cancelled midway"
    );

    // The only connection comes back once the abandoned begin has ended.
    let mut conn = pool.acquire().await.unwrap();
    let probe: Option<String> = sqlx::query_scalar("SELECT current_setting('app.probe', true)")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        probe.unwrap_or_default(),
        "",
        "the connection is still in the transaction"
    );
}
