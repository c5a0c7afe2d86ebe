//! The command-line tools' database work (`frontdesk::tools`): bulk sample
//! data lands in its business only, is audited as the system's, and drops
//! what was cached.

use crate::support;

use chrono::{Duration, Utc};
use frontdesk::{
    cache::Entity,
    tools::{self, sample_data},
};
use support::{add_provider, add_service, count, hours_on, sign_up, staff_of, TestApp, EVERY_DAY};

#[tokio::test]
async fn bulk_sample_data_lands_in_its_business_audited_and_uncached() {
    let app = TestApp::spawn().await;
    let north = staff_of(&sign_up(&app, "North", "owner@north.tools").await).await;
    let south = staff_of(&sign_up(&app, "South", "owner@south.tools").await).await;
    let pool = &app.deps.pool;
    assert_eq!(tools::business_count(pool).await.unwrap(), 2);
    assert!(sample_data::slug_taken(pool, "north").await.unwrap());
    assert!(!sample_data::slug_taken(pool, "west").await.unwrap());
    let owner = sample_data::owner_of(pool, "north", "owner@north.tools")
        .await
        .unwrap()
        .expect("north's owner");
    assert_eq!(
        (owner.user_id, owner.tenant_id),
        (north.user_id, north.tenant_id)
    );
    assert!(sample_data::owner_of(pool, "north", "owner@south.tools")
        .await
        .unwrap()
        .is_none());

    let provider = add_provider(
        &app,
        &north,
        "Kai",
        "Europe/Berlin",
        hours_on(&EVERY_DAY, 8, 18),
    )
    .await;
    let service = add_service(&app, &north, "Session", 60, "EUR").await;
    assert!(!sample_data::has_appointments(&app.deps, north.tenant_id)
        .await
        .unwrap());
    let generation = app
        .deps
        .cache
        .generation(north.tenant_id, Entity::Appointments)
        .await;
    let today = app.deps.clock.now().date_naive();
    sample_data::fill(
        &app.deps,
        north.tenant_id,
        sample_data::Bulk {
            clients: 40,
            first_names: &["Ann", "Ben"],
            last_names: &["Novak", "Okafor"],
            providers: &[provider],
            service,
            first_day: today - Duration::days(2),
            days: 4,
            zone: "Europe/Berlin",
        },
    )
    .await
    .unwrap();
    sample_data::settle_appointments(&app.deps, north.tenant_id)
        .await
        .unwrap();
    sample_data::analyze(pool).await.unwrap();

    let north_id = north.tenant_id;
    let in_north =
        |table: &str| format!("SELECT count(*) FROM {table} WHERE tenant_id = '{north_id}'");
    assert_eq!(count(pool, &in_north("clients")).await, 40);
    // Eight a day for four days; past ones settled, none left "booked" before now.
    assert_eq!(count(pool, &in_north("appointments")).await, 32);
    assert_eq!(
        count(
            pool,
            &format!(
                "{} AND status = 'booked' AND starts_at < '{}'",
                in_north("appointments"),
                Utc::now().to_rfc3339()
            )
        )
        .await,
        0
    );
    assert!(sample_data::has_appointments(&app.deps, north.tenant_id)
        .await
        .unwrap());
    // South got nothing.
    let south_id = south.tenant_id;
    assert_eq!(
        count(
            pool,
            &format!("SELECT count(*) FROM clients WHERE tenant_id = '{south_id}'")
        )
        .await,
        0
    );
    // Audited in north only, as the system's: the two bulk inserts and the settling.
    assert_eq!(
        count(
            pool,
            &format!(
                "{} AND action LIKE 'seed.%' AND actor_kind = 'system'",
                in_north("audit_log")
            )
        )
        .await,
        3
    );
    assert_eq!(
        count(pool, &format!("SELECT count(*) FROM audit_log WHERE tenant_id = '{south_id}' AND action LIKE 'seed.%'")).await,
        0
    );
    // Whatever was cached for north is stale now.
    assert!(
        app.deps
            .cache
            .generation(north.tenant_id, Entity::Appointments)
            .await
            > generation
    );
}
