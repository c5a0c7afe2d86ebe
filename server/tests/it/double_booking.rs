//! PostgreSQL itself refuses double bookings: of two overlapping bookings of
//! one provider or one resource, however simultaneous, exactly one wins.

use crate::support;

use frontdesk::services::work::testing;
use futures::future::join_all;
use sqlx::PgPool;
use support::{seed_two_tenants, Seeded};
use uuid::Uuid;

struct Desk {
    client: Uuid,
    service: Uuid,
    providers: [Uuid; 2],
    room: Uuid,
}

async fn desk(seeded: &Seeded) -> Desk {
    let pool = &seeded.pool;
    let mut tx = testing::begin_tenant(pool, seeded.tenant_a).await.unwrap();
    let desk = Desk {
        client: Uuid::now_v7(),
        service: Uuid::now_v7(),
        providers: [Uuid::now_v7(), Uuid::now_v7()],
        room: Uuid::now_v7(),
    };
    sqlx::query("INSERT INTO clients (id, name) VALUES ($1, 'Ann')")
        .bind(desk.client)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO services (id, name, duration_minutes, price_minor, currency, buffer_after_minutes) \
         VALUES ($1, 'Massage', 50, 6000, 'EUR', 10)",
    )
    .bind(desk.service)
    .execute(&mut *tx)
    .await
    .unwrap();
    for (i, provider) in desk.providers.iter().enumerate() {
        sqlx::query("INSERT INTO providers (id, name, time_zone) VALUES ($1, $2, 'Europe/Berlin')")
            .bind(provider)
            .bind(format!("Provider {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO resources (id, name, kind) VALUES ($1, 'Room 1', 'room')")
        .bind(desk.room)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    desk
}

/// Books 10:00 + `offset` minutes for 50 minutes, blocking 10 more after.
async fn book(
    pool: &PgPool,
    tenant: Uuid,
    desk: &Desk,
    provider: Uuid,
    offset: i32,
    room: bool,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let mut tx = testing::begin_tenant(pool, tenant).await?;
    sqlx::query(
        "INSERT INTO appointments (id, client_id, service_id, provider_id, starts_at, ends_at, blocked) \
         SELECT $1, $2, $3, $4, s, s + interval '50 minutes', tstzrange(s, s + interval '60 minutes') \
         FROM (SELECT timestamptz '2026-12-01 10:00+01' + make_interval(mins => $5) AS s) t",
    )
    .bind(id)
    .bind(desk.client)
    .bind(desk.service)
    .bind(provider)
    .bind(offset)
    .execute(&mut *tx)
    .await?;
    if room {
        sqlx::query(
            "INSERT INTO appointment_resources (appointment_id, resource_id, blocked) \
             SELECT id, $2, blocked FROM appointments WHERE id = $1",
        )
        .bind(id)
        .bind(desk.room)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

fn constraint_of(err: &sqlx::Error) -> Option<String> {
    match err {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") => {
            db.constraint().map(str::to_string)
        }
        _ => None,
    }
}

async fn pool_of(seeded: &Seeded) -> PgPool {
    // The seeded pool has one connection; racing needs many.
    let options = (*seeded.pool.connect_options()).clone();
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await
        .unwrap()
}

#[tokio::test]
async fn of_simultaneous_bookings_of_one_provider_exactly_one_wins() {
    let seeded = seed_two_tenants().await;
    let desk = desk(&seeded).await;
    let pool = pool_of(&seeded).await;
    let attempts = (0..16).map(|i| {
        book(
            &pool,
            seeded.tenant_a,
            &desk,
            desk.providers[0],
            i % 4 * 10,
            false,
        )
    });
    let results = join_all(attempts).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            constraint_of(err).as_deref(),
            Some("appointments_no_double_booking_provider"),
            "{err}"
        );
    }
    // The buffer after counts: 10:55 still overlaps a 10:00 booking (blocked until 11:00); 11:00 does not.
    let first_start: i32 = sqlx::query_scalar(
        "SELECT (extract(epoch FROM starts_at - timestamptz '2026-12-01 10:00+01') / 60)::int FROM appointments",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let inside = book(
        &pool,
        seeded.tenant_a,
        &desk,
        desk.providers[0],
        first_start + 55,
        false,
    )
    .await;
    assert!(constraint_of(&inside.unwrap_err()).is_some());
    assert!(book(
        &pool,
        seeded.tenant_a,
        &desk,
        desk.providers[0],
        first_start + 60,
        false
    )
    .await
    .is_ok());
    // Another provider at the same time is fine.
    assert!(book(
        &pool,
        seeded.tenant_a,
        &desk,
        desk.providers[1],
        first_start,
        false
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn of_simultaneous_bookings_of_one_room_exactly_one_wins_and_cancelling_frees_it() {
    let seeded = seed_two_tenants().await;
    let desk = desk(&seeded).await;
    let pool = pool_of(&seeded).await;
    let attempts = (0..16).map(|i| {
        book(
            &pool,
            seeded.tenant_a,
            &desk,
            desk.providers[i % 2],
            0,
            true,
        )
    });
    let results = join_all(attempts).await;
    let winners: Vec<Uuid> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    // Raw inserts racing on two constraints may also end in a deadlock, which
    // PostgreSQL breaks by refusing one side: a refusal all the same. (The
    // booking service takes its locks in order, so it never deadlocks.)
    let mut room_refusals = 0;
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        let deadlock =
            matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"));
        let constraint = constraint_of(err);
        assert!(deadlock || constraint.is_some(), "{err}");
        room_refusals += usize::from(
            deadlock || constraint.as_deref() == Some("appointments_no_double_booking_resource"),
        );
    }
    assert!(
        room_refusals >= 1,
        "the other provider's bookings lose on the room"
    );

    // Cancelling frees both the provider and the room.
    let mut tx = testing::begin_tenant(&pool, seeded.tenant_a).await.unwrap();
    sqlx::query("UPDATE appointments SET status = 'cancelled' WHERE id = $1")
        .bind(winners[0])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        book(&pool, seeded.tenant_a, &desk, desk.providers[1], 0, true)
            .await
            .is_ok()
    );
}
